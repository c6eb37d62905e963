"""
The PyTorch engine's end of the stdio framing (docs/engine-protocol.md): one message = one line of
UTF-8 JSON ending in "\\n"; a binary field is written as {"$blob": N} and its N raw bytes follow the
line, blobs in the order they appear in it; a float JSON cannot hold is {"$float": "NaN" | "Infinity" |
"-Infinity"}. The same framing both ways: the host writes to our stdin, we write to our stdout.
Not the protocol's meaning (that is engine/protocol.ts): only how its messages cross a pipe.
"""
import json
import math
import threading

# A line longer than this is not a message (a corpus belongs in a blob, not in the JSON).
MAX_LINE_BYTES = 64 * 1024 * 1024


class ProtocolError(Exception):
    """A message that cannot be read; its text is a sentence for a person."""


class _Blob:
    __slots__ = ("size",)

    def __init__(self, size):
        self.size = size


def _hook(obj):
    if len(obj) == 1:
        if "$blob" in obj:
            size = obj["$blob"]
            if not isinstance(size, int) or isinstance(size, bool) or size < 0:
                raise ProtocolError(f"A binary field declares {json.dumps(size)} bytes; it must be a whole number.")
            return _Blob(size)
        if "$float" in obj:
            return float(obj["$float"]) if obj["$float"] in ("NaN", "Infinity", "-Infinity") else obj
    return obj


def _blobs_in(value, found):
    """The placeholders of a parsed message in document order (dicts keep their keys' order)."""
    if isinstance(value, _Blob):
        found.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            _blobs_in(v, found)
    elif isinstance(value, list):
        for v in value:
            _blobs_in(v, found)


def _fill(value, data):
    if isinstance(value, _Blob):
        return data[id(value)]
    if isinstance(value, dict):
        return {k: _fill(v, data) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, data) for v in value]
    return value


def read_message(stream):
    """The next message from a binary stream, or None at a clean end of input."""
    line = stream.readline(MAX_LINE_BYTES + 1)
    if not line:
        return None
    if not line.endswith(b"\n"):
        if len(line) > MAX_LINE_BYTES:
            raise ProtocolError(f"A message line is longer than {MAX_LINE_BYTES} bytes; binary data must travel as a blob.")
        raise ProtocolError(f"The input ended in the middle of a message line ({len(line)} bytes without its newline).")
    try:
        message = json.loads(line.decode("utf-8"), object_hook=_hook)
    except ProtocolError:
        raise
    except (UnicodeDecodeError, ValueError) as e:
        shown = line[:80].decode("utf-8", "replace").rstrip("\n")
        raise ProtocolError(f"A message line is not JSON ({e}): {shown!r}.") from None
    if not isinstance(message, dict) or not isinstance(message.get("type"), str):
        raise ProtocolError("A message must be a JSON object with a \"type\".")
    blobs = []
    _blobs_in(message, blobs)
    if not blobs:
        return message
    data = {}
    for blob in blobs:
        chunk = _read_exact(stream, blob.size)
        if len(chunk) < blob.size:
            raise ProtocolError(
                f"The input ended inside a {message['type']} message: a binary field of {blob.size} bytes had {len(chunk)}.")
        data[id(blob)] = chunk
    return _fill(message, data)


def _read_exact(stream, size):
    parts = []
    left = size
    while left > 0:
        part = stream.read(left)
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _encodable(value, blobs):
    if isinstance(value, (bytes, bytearray, memoryview)):
        blobs.append(value)
        return {"$blob": len(value)}
    if isinstance(value, float) and not math.isfinite(value):
        return {"$float": "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")}
    if isinstance(value, dict):
        return {k: _encodable(v, blobs) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encodable(v, blobs) for v in value]
    return value


def encode_message(message):
    """The frame of one message: its line, then its blobs (a list of bytes-likes to write in order)."""
    blobs = []
    line = json.dumps(_encodable(message, blobs), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return [line.encode("utf-8") + b"\n", *blobs]


class Writer:
    """Writes whole frames to a binary stream; several threads may post (the heartbeat has its own)."""

    def __init__(self, stream, on_broken):
        self._stream = stream
        self._lock = threading.Lock()
        self._on_broken = on_broken

    def close(self):
        """Waits for a frame being written to end and lets no other start (before the process exits)."""
        self._lock.acquire()
        try:
            self._stream.flush()
        except (BrokenPipeError, OSError, ValueError):
            pass

    def post(self, message):
        parts = encode_message(message)
        with self._lock:
            try:
                for part in parts:
                    self._stream.write(part)
                self._stream.flush()
            except (BrokenPipeError, OSError, ValueError):
                self._on_broken()
