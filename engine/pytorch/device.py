"""
Which device a run trains on: `auto` = CUDA, then MPS (Apple GPUs), then the CPU; an explicit
`cuda` or `mps` that this PyTorch cannot use is a sentence, never a silent fall back to the CPU.
Also what this computer offers (`describe`), for hosts that list engines.
"""
import platform
import sys

import torch

from faults import EngineFault

DEVICES = ("auto", "cpu", "cuda", "mps")


def _mps_available():
    mps = getattr(torch.backends, "mps", None)
    return bool(mps and mps.is_available())


def choose_device(asked):
    asked = asked or "auto"
    if asked not in DEVICES:
        raise EngineFault(f'Device must be one of {", ".join(DEVICES)} (got {asked!r}).')
    if asked == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "mps" if _mps_available() else "cpu")
    if asked == "cuda" and not torch.cuda.is_available():
        why = ("was built without CUDA (a CPU-only build)" if torch.version.cuda is None
               else f"was built for CUDA {torch.version.cuda} but finds no usable GPU (no NVIDIA driver or device)")
        raise EngineFault(f"CUDA was asked for, but PyTorch {torch.__version__} on {sys.executable} {why}: "
                          "train on device cpu or auto, or install a CUDA build of PyTorch.")
    if asked == "mps" and not _mps_available():
        why = "runs on macOS only" if platform.system() != "Darwin" else "finds no usable Apple GPU (macOS 12.3+ on Apple silicon)"
        raise EngineFault(f"MPS was asked for, but PyTorch's Apple-GPU backend {why}: train on device cpu or auto.")
    return torch.device(asked)


def label(device):
    """'cuda:0 (NVIDIA H200, 139.8 GiB)', 'mps', 'cpu'."""
    if device.type == "cuda":
        i = device.index if device.index is not None else torch.cuda.current_device()
        p = torch.cuda.get_device_properties(i)
        return f"cuda:{i} ({p.name}, {p.total_memory / 2**30:.1f} GiB)"
    return device.type


def describe():
    """What this Python and PyTorch offer: for `rnnwb engines` and the Engines panel."""
    cuda = []
    if torch.cuda.is_available():
        for i in range(torch.cuda.device_count()):
            p = torch.cuda.get_device_properties(i)
            cuda.append({"index": i, "name": p.name, "memoryBytes": int(p.total_memory)})
    return {
        "python": sys.executable,
        "pythonVersion": platform.python_version(),
        "torch": torch.__version__,
        "cudaBuild": torch.version.cuda,
        "cuda": cuda,
        "mps": _mps_available(),
        "threads": torch.get_num_threads(),
    }
