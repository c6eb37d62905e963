"""
Errors the PyTorch engine reports as sentences (never tracebacks), and how an unexpected exception
or a device running out of memory is put into words.
"""
import traceback


class EngineFault(Exception):
    """A readable reason a run cannot start or had to stop; `step` is set when it happened mid-run."""

    def __init__(self, message, step=None):
        super().__init__(message)
        self.step = step


def describe_exception(e, batch=None):
    """One sentence for an exception that escaped the trainer."""
    text = str(e)
    if "out of memory" in text.lower():
        where = "The GPU" if "cuda" in text.lower() or "mps" in text.lower() else "The device"
        hint = f"use a smaller batch (now {batch}), a shorter window or a smaller model" if batch else "use a smaller batch, a shorter window or a smaller model"
        return f"{where} ran out of memory: {hint}."
    frames = traceback.extract_tb(e.__traceback__)
    at = f" (at {frames[-1].filename.rsplit('/', 1)[-1]}:{frames[-1].lineno} in {frames[-1].name})" if frames else ""
    first = text.strip().splitlines()[0] if text.strip() else ""
    return f"Internal error in the PyTorch engine: {type(e).__name__}{': ' + first if first else ''}{at}."
