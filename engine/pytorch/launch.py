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


def _option(args, name):
    for arg in args:
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def _children(pid):
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                with open("/proc/{}/stat".format(name)) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == pid:
                found.append(int(name))
    return found


def _watch_rendezvous(args):
    """Node 0 of several, with the engine's --rdzv-timeout=S: if no worker has started S seconds on (the
    other nodes never came), say which and end, instead of torchrun waiting on without a word. A forked
    watcher, because torch 1.13's agent waits inside the store holding the interpreter (a thread would not run)."""
    import time
    nodes, timeout = _option(args, "--nnodes"), _option(args, "--rdzv-timeout")
    if timeout is None or nodes is None or int(nodes.split(":")[-1]) < 2 or _option(args, "--node_rank") not in ("0", None):
        return
    if not os.path.isdir("/proc"):
        return  # Linux only; elsewhere torchrun's own time-out applies
    agent = os.getpid()
    if os.fork() != 0:
        return
    me = os.getpid()
    deadline = time.monotonic() + float(timeout)
    while time.monotonic() < deadline:
        time.sleep(0.2)
        if os.getppid() != agent:
            os._exit(0)  # the agent ended
    if not [pid for pid in _children(agent) if pid != me]:
        count = int(nodes.split(":")[-1])
        missing = "node 1" if count == 2 else "at least one of nodes 1–{}".format(count - 1)
        sys.stderr.write("The rendezvous at {} timed out after {} s: {} of {} never joined. Start it with the same launch and "
                         "--node_rank=1 (and so on), or check that it can reach node 0.\n".format(_option(args, "--rdzv_endpoint"), timeout, missing, count))
        sys.stderr.flush()
        os.kill(agent, 9)
    os._exit(0)


def main():
    try:
        _repair_std_from_str()
        _watch_rendezvous(sys.argv[1:])
        from torch.distributed.run import main as torchrun
    except ImportError:
        # No (usable) PyTorch: the engine itself says so, as an `error` message its host reads.
        os.execv(sys.executable, [sys.executable, sys.argv[-1]])
    torchrun(_free_port_for(sys.argv[1:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
