"""
The safetensors format for float32 tensors, as engine/format/safetensors.ts writes and reads it:
  [u64 little-endian N][N bytes of UTF-8 JSON header, space-padded to a multiple of 8][data]
The header maps each tensor name to {dtype, shape, data_offsets: [begin, end]} and may hold
"__metadata__", a string → string map. Tensors are laid out back to back in the header's order.
Reading takes F32 (and widens F16/BF16, exact); every problem is a CheckpointError sentence.
Not the `safetensors` package (one dependency fewer): the format is this small.
"""
import json
import struct

import numpy as np

METADATA_KEY = "__metadata__"
MAX_HEADER_BYTES = 100_000_000


class CheckpointError(Exception):
    """A checkpoint that cannot be read or written; its text is a sentence for a person."""


def encode(tensors, metadata=None):
    """tensors: name → float32 numpy array (any shape), in file order. Returns bytes."""
    header = {}
    if metadata:
        for key, value in metadata.items():
            if not isinstance(value, str):
                raise CheckpointError(f'Metadata "{key}" must be a string (got {type(value).__name__}).')
        header[METADATA_KEY] = metadata
    offset = 0
    arrays = []
    for name, array in tensors.items():
        a = np.ascontiguousarray(array, dtype="<f4")
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        arrays.append(a)
    raw = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    padded = (len(raw) + 7) // 8 * 8
    out = bytearray(8 + padded + offset)
    out[0:8] = struct.pack("<Q", padded)
    out[8:8 + len(raw)] = raw
    out[8 + len(raw):8 + padded] = b" " * (padded - len(raw))
    at = 8 + padded
    for a in arrays:
        out[at:at + a.nbytes] = a.tobytes()
        at += a.nbytes
    return bytes(out)


_SIZES = {"F32": 4, "F16": 2, "BF16": 2}


def decode(data):
    """bytes → (tensors: name → float32 numpy array, metadata: dict of strings)."""
    data = memoryview(data)
    if len(data) < 8:
        raise CheckpointError(f"The file is {len(data)} bytes long; a safetensors file starts with an 8-byte header length.")
    (n,) = struct.unpack("<Q", data[:8])
    if n > len(data) - 8:
        raise CheckpointError(f"The header claims {n} bytes but only {len(data) - 8} follow the length: the file is truncated or not safetensors.")
    if n > MAX_HEADER_BYTES:
        raise CheckpointError(f"The header claims {n} bytes, more than safetensors allows.")
    try:
        header = json.loads(bytes(data[8:8 + n]).decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise CheckpointError(f"The header is not valid JSON ({e}): the file is corrupted or not safetensors.") from None
    if not isinstance(header, dict):
        raise CheckpointError("The header must be a JSON object of tensors: the file is corrupted or not safetensors.")
    metadata = header.pop(METADATA_KEY, None) or {}
    if not isinstance(metadata, dict) or not all(isinstance(v, str) for v in metadata.values()):
        raise CheckpointError('The header\'s "__metadata__" must be an object of strings.')
    body = data[8 + n:]
    tensors = {}
    for name, entry in header.items():
        if not isinstance(entry, dict):
            raise CheckpointError(f'Tensor "{name}" has no {{dtype, shape, data_offsets}} description in the header.')
        dtype, shape, offsets = entry.get("dtype"), entry.get("shape"), entry.get("data_offsets")
        if dtype not in _SIZES:
            raise CheckpointError(f'Tensor "{name}" has dtype {dtype}; the workbench reads F32 tensors (and F16/BF16, widened).')
        if not isinstance(shape, list) or not all(isinstance(d, int) and d >= 0 for d in shape):
            raise CheckpointError(f'Tensor "{name}" has shape {json.dumps(shape)}; a shape is a list of whole numbers.')
        if not isinstance(offsets, list) or len(offsets) != 2 or not all(isinstance(o, int) for o in offsets):
            raise CheckpointError(f'Tensor "{name}" has data_offsets {json.dumps(offsets)}; expected [begin, end].')
        begin, end = offsets
        count = int(np.prod(shape)) if shape else 1
        if end - begin != count * _SIZES[dtype] or begin < 0:
            raise CheckpointError(f'Tensor "{name}" has shape {shape} but its data_offsets span {end - begin} bytes.')
        if end > len(body):
            raise CheckpointError(f'Tensor "{name}" ends at data byte {end} but the data is only {len(body)} bytes: the file is truncated.')
        raw = body[begin:end]
        if dtype == "F32":
            a = np.frombuffer(raw, dtype="<f4").astype(np.float32)
        elif dtype == "F16":
            a = np.frombuffer(raw, dtype="<f2").astype(np.float32)
        else:
            a = (np.frombuffer(raw, dtype="<u2").astype(np.uint32) << 16).view(np.float32)
        tensors[name] = a.reshape(shape)
    return tensors, metadata
