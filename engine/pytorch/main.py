"""
The PyTorch engine process: `python3 engine/pytorch/main.py`, spoken to over stdin/stdout in the
framing of docs/engine-protocol.md (JSON lines, binary fields as blobs after their line) with the
messages of engine/protocol.ts. One run per process: it reads `start` (after any `corpus-chunk`s),
trains, and exits after `done` (0) or `error` (1). stop / pause / resume are read by a thread while
the loop runs; a heartbeat thread posts every 2 s. The process ends by itself when its host goes:
end of stdin, a broken stdout, or a new parent pid.
`--describe` prints what this Python and PyTorch offer (one JSON line) and exits.
Under torchrun (launch.py) with several processes, rank 0 is this host's engine as above and the
other ranks get the job from it over the process group (team.py); their stdout is not the protocol's.
`--project DIR`: standalone, for an exported project (project.py): the job from DIR/job.json, the
messages to DIR/events.jsonl and DIR/checkpoints, no host.

This file checks Python and PyTorch before importing anything that needs them, in syntax old
Pythons still parse, so a missing or old PyTorch is a sentence in an `error` message.
"""
import json
import os
import sys
import threading

MIN_PYTHON = (3, 10)
MIN_TORCH = (1, 13)
HEARTBEAT_S = 2.0
PARENT_POLL_S = 0.5

# Our stdout is the protocol's: keep the real one for frames and send stray prints (ours, torch's) to stderr.
# Only rank 0 (the only rank, without torchrun) speaks it; the others' words go to stderr for people.
_LEADER = int(os.environ.get("RANK", "0")) == 0
_proto_out = os.fdopen(os.dup(1 if _LEADER else 2), "wb")
os.dup2(2, 1)
sys.stdout = sys.stderr


def _bare_error(message):
    """An error frame written without framing.py (which may not be importable yet)."""
    line = json.dumps({"type": "error", "message": message, "step": None}, ensure_ascii=False)
    _proto_out.write(line.encode("utf-8") + b"\n")
    _proto_out.flush()
    sys.exit(1)


def _python_name():
    return "{} (Python {}.{}.{})".format(sys.executable, *sys.version_info[:3])


def _check_environment():
    if sys.version_info[:2] < MIN_PYTHON:
        _bare_error("The PyTorch engine needs Python {}.{} or newer; {} is too old: choose a newer python for the PyTorch engine.".format(
            MIN_PYTHON[0], MIN_PYTHON[1], _python_name()))
    missing = []
    for module in ("numpy", "torch"):
        try:
            __import__(module)
        except ImportError:
            missing.append(module)
    if "torch" in missing:
        _bare_error("PyTorch is not installed for {}: install it with `{} -m pip install torch` "
                    "(Debian/Ubuntu: `sudo apt-get install python3-torch`), or choose a python that has it.".format(_python_name(), sys.executable))
    if missing:
        _bare_error("NumPy is not installed for {}: install it with `{} -m pip install numpy`.".format(_python_name(), sys.executable))
    import torch
    version = tuple(int(p) for p in torch.__version__.split("+")[0].split(".")[:2] if p.isdigit())
    if version < MIN_TORCH:
        _bare_error("PyTorch {} on {} is too old; the PyTorch engine needs {}.{} or newer: upgrade it with `{} -m pip install -U torch`.".format(
            torch.__version__, _python_name(), MIN_TORCH[0], MIN_TORCH[1], sys.executable))


class Control:
    """What the host asked for while the loop runs: stop, pause / resume. The reader thread records a
    request; the loop confirms a pause (`paused` with its step) when it reaches the top of a step, so
    the step a host is told is the one the run rests at."""

    def __init__(self, post):
        self._post = post
        self._cv = threading.Condition()
        self.stop_requested = False
        self.paused = False
        self._announced = False
        self.started = False
        self.step = 0
        self.batch = None

    def stop(self):
        with self._cv:
            self.stop_requested = True
            self._cv.notify_all()

    def pause(self):
        with self._cv:
            if self.started and not self.paused and not self.stop_requested:
                self.paused = True
                self._announced = False

    def resume(self):
        with self._cv:
            if self.paused:
                if not self._announced:  # resumed before the loop got to rest: still say both
                    self._post({"type": "paused", "step": self.step})
                self.paused = False
                self._post({"type": "resumed", "step": self.step})
                self._cv.notify_all()

    def wait_if_paused(self, step):
        """Blocks while paused; returns the seconds spent waiting."""
        import time
        began = time.perf_counter()
        with self._cv:
            self.step = step
            if self.paused and not self._announced:
                self._announced = True
                self._post({"type": "paused", "step": step})
            while self.paused and not self.stop_requested:
                self._cv.wait()
        return time.perf_counter() - began


class CorpusAssembler:
    """corpus-chunk messages → one bytearray (engine/data/corpus-chunks.ts's CorpusAssembler)."""

    def __init__(self):
        self.data = None
        self.received = 0

    def add(self, msg):
        offset, total, data = msg.get("offset"), msg.get("total"), msg.get("bytes")
        if not isinstance(total, int) or total < 1 or not isinstance(offset, int) or offset < 0 or not isinstance(data, bytes):
            return "A corpus chunk needs a whole-number offset and total and its bytes (a blob)."
        if self.data is None:
            self.data = bytearray(total)
        if total != len(self.data):
            return "A corpus chunk says the corpus has {} bytes; earlier chunks said {}.".format(total, len(self.data))
        if offset + len(data) > total:
            return "A corpus chunk of {} bytes at offset {} runs past the corpus's {} bytes.".format(len(data), offset, total)
        self.data[offset:offset + len(data)] = data
        self.received += len(data)
        return None

    def take(self, expected):
        if self.data is None or len(self.data) != expected or self.received != expected:
            raise ValueError("The start message announced a corpus of {} bytes, but {} arrived.".format(expected, self.received))
        data, self.data, self.received = self.data, None, 0
        return data


def _gone():
    """The host is gone: nobody is left to read what we would say."""
    os._exit(0)


def _watch_parent():
    import time
    parent = os.getppid()
    while True:
        time.sleep(PARENT_POLL_S)
        if os.getppid() != parent:
            _gone()


def main():
    if "--describe" in sys.argv[1:]:
        _check_environment()
        from device import describe
        _proto_out.write((json.dumps(describe()) + "\n").encode("utf-8"))
        _proto_out.flush()
        return 0
    _check_environment()
    from team import from_env
    team = from_env()
    if team is not None and not team.leader:
        return follow(team)
    if "--project" in sys.argv[1:]:
        return run_project(sys.argv[sys.argv.index("--project") + 1:][:1], team)
    import queue
    from faults import EngineFault, describe_exception
    from framing import ProtocolError, Writer, read_message
    from safetensors import CheckpointError

    writer = Writer(_proto_out, _gone)
    post = writer.post
    control = Control(post)
    jobs = queue.Queue()
    corpus = CorpusAssembler()

    def fail(message, step=None):
        post({"type": "error", "message": message, "step": step})
        writer.close()
        os._exit(1)

    def read_loop():
        stdin = sys.stdin.buffer
        while True:
            try:
                msg = read_message(stdin)
            except ProtocolError as e:
                fail("The PyTorch engine could not read its host's message: {}".format(e), control.step if control.started else None)
            if msg is None:
                _gone()
            kind = msg["type"]
            if kind == "start":
                if control.started:
                    post({"type": "error", "message": "This engine is already running a job; start another engine for another run.", "step": control.step})
                    continue
                control.started = True
                if msg.get("corpusChunked") is not None:
                    try:
                        msg["corpusBytes"] = bytes(corpus.take(msg.pop("corpusChunked")))
                    except ValueError as e:
                        fail(str(e))
                jobs.put(msg)
            elif kind == "corpus-chunk":
                problem = "A corpus chunk arrived after the start message." if control.started else corpus.add(msg)
                if problem:
                    fail(problem)
            elif kind == "stop":
                control.stop()
                if not control.started:
                    jobs.put(None)  # nothing to run (and the other ranks are told so)
            elif kind == "pause":
                control.pause()
            elif kind == "resume":
                control.resume()
            else:
                post({"type": "error", "message": "Unknown message type {}; expected start, stop, pause or resume.".format(json.dumps(kind)),
                      "step": control.step if control.started else None})

    threading.Thread(target=read_loop, name="host-reader", daemon=True).start()
    threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()
    if team is not None:
        try:
            team.join()
        except EngineFault as e:
            fail(str(e))
        except Exception as e:  # noqa: BLE001 — the rendezvous failing is a sentence too
            fail("The PyTorch engine's {} processes could not meet: {}".format(team.size, str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__))
    job = jobs.get()
    if team is not None:
        team.share_job(job)
    if job is None:
        writer.close()
        return 0

    def heartbeat():
        import time
        while True:
            time.sleep(HEARTBEAT_S)
            post({"type": "heartbeat", "step": control.step})

    threading.Thread(target=heartbeat, name="heartbeat", daemon=True).start()
    code = 1
    try:
        from trainer import train
        train(job, post, control, os.getpid(), team)
        code = 0
    except (EngineFault, CheckpointError) as e:
        step = getattr(e, "step", None)
        post({"type": "error", "message": str(e), "step": step if step is not None else (control.step or None)})
    except Exception as e:  # noqa: BLE001 — every failure becomes a sentence; the traceback goes to stderr
        import traceback
        traceback.print_exc()
        lost = team.lost_peer(e, control.step) if team is not None else None
        post({"type": "error", "message": lost or describe_exception(e, control.batch), "step": control.step or None})
    writer.close()  # the heartbeat thread must not be cut off mid-frame by the exit
    return code


def run_project(folder, team):
    """Standalone mode: one job from a project folder; 0 when it finished, 1 (and an `error` line) when not."""
    from faults import EngineFault, describe_exception
    from project import ProjectLog, load_job
    from safetensors import CheckpointError
    from trainer import train
    if not folder:
        sys.stderr.write("--project needs the project's folder: main.py --project DIR\n")
        return 2
    log = ProjectLog(folder[0])
    control = Control(log.post)
    control.started = True
    job = None
    try:
        if team is not None:
            team.join()
    except EngineFault as e:
        log.post({"type": "error", "message": str(e), "step": None})
        return 1
    try:
        job = load_job(folder[0])
    except EngineFault as e:
        log.post({"type": "error", "message": str(e), "step": None})
    if team is not None:
        team.share_job(job)
    if job is None:
        return 1
    try:
        train(job, log.post, control, os.getpid(), team)
        return 0
    except (EngineFault, CheckpointError) as e:
        log.post({"type": "error", "message": str(e), "step": getattr(e, "step", None) or control.step or None})
    except Exception as e:  # noqa: BLE001 — a sentence in events.jsonl, the traceback on stderr
        import traceback
        traceback.print_exc()
        lost = team.lost_peer(e, control.step) if team is not None else None
        log.post({"type": "error", "message": lost or describe_exception(e, control.batch), "step": control.step or None})
    return 1


def follow(team):
    """A rank other than 0: the leader's job, trained on this rank's share; nothing to say to the host."""
    from faults import EngineFault
    from trainer import train

    class Follower:
        stop_requested = False
        started = True
        step = 0
        batch = None

        def wait_if_paused(self, step):
            return 0.0

    threading.Thread(target=_watch_parent, name="parent-watch", daemon=True).start()
    team.join()
    job = team.share_job(None)
    if job is None:
        return 0
    follower = Follower()
    try:
        train(job, lambda msg: None, follower, os.getpid(), team)
    except EngineFault as e:  # the leader meets the same fault and tells the host
        sys.stderr.write("rank {}: {}\n".format(team.rank, e))
        return 1
    except Exception as e:
        team.report_crash(e, follower.step)  # the leader tells the host, with these last lines
        raise
    return 0


if __name__ == "__main__":
    code = main()
    _proto_out.flush()
    sys.stderr.flush()
    os._exit(code)
