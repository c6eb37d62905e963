"""
torchrun, ours: `python3 engine/pytorch/launch.py [torchrun's arguments] main.py` runs
torch.distributed.run.main() — the same launcher as the `torchrun` command — after one repair.

Debian's torch 1.13 on Python 3.11 dies at start with `'NoneType' object has no attribute 'get'`:
its Std.from_str("0") walks `for s in Std`, and from Python 3.11 on iterating an IntFlag leaves out
the zero member, so "0" (no redirects, the default) becomes None. We map None back to Std.NONE, and
only when from_str actually returns None, so a current PyTorch (which needs no repair) runs untouched.
This is the one place that knows about it.

One addition: `--rdzv_endpoint=HOST:0` takes a free port of this machine, so a one-node run can use
the static rendezvous (node 0 holds the store; `--standalone`'s c10d store in torch 1.13 now and then
fails its keep-alive at shutdown and turns a finished run into exit code 1).
"""
import os
import sys


def _repair_std_from_str():
    from torch.distributed.elastic.multiprocessing.api import Std

    original = Std.from_str
    if original("0") is not None:
        return  # this PyTorch parses "0" itself

    def from_str(vm):
        parsed = original(vm)
        if isinstance(parsed, dict):
            return {rank: Std.NONE if std is None else std for rank, std in parsed.items()}
        return Std.NONE if parsed is None else parsed

    Std.from_str = staticmethod(from_str)


def _free_port_for(args):
    """--rdzv_endpoint=HOST:0 → HOST:<a port free here>."""
    out = []
    for arg in args:
        if arg.startswith("--rdzv_endpoint=") and arg.endswith(":0"):
            import socket
            with socket.socket() as s:
                s.bind(("", 0))
                arg = "{}:{}".format(arg[:-2], s.getsockname()[1])
        out.append(arg)
    return out


def main():
    try:
        _repair_std_from_str()
        from torch.distributed.run import main as torchrun
    except ImportError:
        # No (usable) PyTorch: the engine itself says so, as an `error` message its host reads.
        os.execv(sys.executable, [sys.executable, sys.argv[-1]])
    torchrun(_free_port_for(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
