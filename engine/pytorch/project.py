"""
Standalone mode, for a project `rnnwb export-project` wrote (a cluster the workbench cannot reach):
`python3 trainer/main.py --project DIR` (or under torchrun) reads DIR/job.json instead of a start
message on stdin, and writes what it would have told its host to DIR: one JSON line per message in
events.jsonl (appended, flushed line by line), each checkpoint as a file in DIR/checkpoints named in
its line. `rnnwb import-run DIR` reads them back. A checkpoint file is complete before its line is
written (written beside, then renamed), so a line never names half a file.

Run again after a crash, it resumes from the last checkpoint its events.jsonl names.
"""
import json
import os
import time

from faults import EngineFault
from framing import _encodable  # NaN and Infinity as the stdio framing spells them

JOB_FORMAT = "rnnwb-project/1"


def _read(folder, name, what):
    path = os.path.join(folder, name)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as e:
        raise EngineFault(f"The project's {what} ({path}) cannot be read: {e.strerror}.") from None


def last_checkpoint(folder):
    """The file name of the newest complete checkpoint events.jsonl names, or None."""
    found = None
    for event in read_events(folder):
        if event.get("type") == "checkpoint" and isinstance(event.get("file"), str):
            path = os.path.join(folder, event["file"])
            if os.path.isfile(path) and os.path.getsize(path) == event.get("size"):
                found = event["file"]
    return found


def read_events(folder):
    """The complete lines of events.jsonl (a cut-off last line is left out)."""
    try:
        with open(os.path.join(folder, "events.jsonl"), "rb") as f:
            lines = f.read().split(b"\n")
    except FileNotFoundError:
        return []
    events = []
    for line in lines[:-1]:  # the part after the last newline is incomplete (or empty)
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events


def load_job(folder):
    """job.json with its corpus and starting checkpoint read in: a start message."""
    try:
        job = json.loads(_read(folder, "job.json", "job file"))
    except ValueError as e:
        raise EngineFault(f"The project's job.json is not valid JSON: {e}.") from None
    if job.get("format") != JOB_FORMAT:
        raise EngineFault(f"The project's job.json is not a {JOB_FORMAT} job (format {job.get('format')!r}).")
    message = {k: v for k, v in job.items() if k in ("hyper", "vocab", "targetSteps", "sample", "device", "progressEvery")}
    message["type"] = "start"
    message["corpusBytes"] = _read(folder, job["corpus"], "corpus")
    resumed = last_checkpoint(folder)
    if resumed:
        message["resumeFrom"] = _read(folder, resumed, "last checkpoint")
    elif job.get("resumeFrom"):
        message["resumeFrom"] = _read(folder, job["resumeFrom"], "starting checkpoint")
    elif job.get("initialWeights"):
        message["initialWeights"] = _read(folder, job["initialWeights"], "starting weights")
    return message


class ProjectLog:
    """post() for standalone mode: messages to events.jsonl, checkpoint bytes to files."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(os.path.join(folder, "checkpoints"), exist_ok=True)
        self.events = open(os.path.join(folder, "events.jsonl"), "ab")

    def post(self, msg):
        if msg.get("type") == "heartbeat":
            return
        msg = dict(msg)
        data = msg.pop("bytes", None)
        if data is not None:
            name = os.path.join("checkpoints", "step-{:09d}-{}.ckpt".format(msg["step"], msg["kind"]))
            partial = os.path.join(self.folder, name + ".partial")
            with open(partial, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(partial, os.path.join(self.folder, name))
            msg["file"], msg["size"] = name, len(data)
        msg["time"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()) + ".000Z"
        line = json.dumps(_encodable(msg, []), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
        self.events.write(line.encode("utf-8") + b"\n")
        self.events.flush()
