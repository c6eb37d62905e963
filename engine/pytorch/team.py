"""
Data parallel under torchrun (launch.py): the processes of one run, found from torchrun's environment
(RANK, WORLD_SIZE, LOCAL_RANK, GROUP_WORLD_SIZE). Rank 0 leads: it alone talks to the host over
stdio and writes checkpoints; it hands the job (corpus and weights included) to the others over the
process group, so the host's protocol does not change with the world size. Every rank takes its
contiguous share of each global minibatch, in the order one process would use, and DDP averages the
gradients: the run is the same run at any world size.

The default group is gloo (CPU tensors: the job, the per-step word from the leader, the loss sums);
on CUDA, DDP's gradients go over a separate NCCL group.
"""
import datetime
import os
import socket
import sys
import time

# A pause on the leader holds the others inside a collective: give them as long as a pause may last.
COLLECTIVE_TIMEOUT = datetime.timedelta(days=7)
# How long the leader waits for every rank to arrive (main.py --rdzv-timeout=S overrides it).
JOIN_TIMEOUT_S = 600.0


def join_timeout_from_argv():
    for arg in sys.argv[1:]:
        if arg.startswith("--rdzv-timeout="):
            return float(arg.split("=", 1)[1])
    return JOIN_TIMEOUT_S


def from_env():
    """This process's Team when torchrun started more than one; None for a single process."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    return Team(int(os.environ.get("RANK", "0")), size) if size > 1 else None


def _mark(store, key):
    store.add(key, 1)


def _has(store, key):
    """Whether `_mark(store, key)` happened: a counter read never blocks (torch 1.13 has no TCPStore.check in
    Python, and a wait that times out leaves its client out of step with the store)."""
    return store.add(key, 0) > 0


def json_dumps(value):
    import json
    return json.dumps(value, ensure_ascii=False)


def json_loads(data):
    import json
    return json.loads(bytes(data).decode("utf-8"))


class Team:
    def __init__(self, rank, size):
        self.rank = rank
        self.size = size
        self.local_rank = int(os.environ.get("LOCAL_RANK", "0"))
        self.nodes = int(os.environ.get("GROUP_WORLD_SIZE", "1"))
        self.leader = rank == 0
        self._grad_group = None
        self._store = None

    def join(self, timeout_s=None):
        """Meets the other ranks at torchrun's MASTER_ADDR:MASTER_PORT (the leader holds the store). Each
        rank signs in first, so a rank that never comes is named (by its node) instead of a bare time-out."""
        import torch.distributed as dist
        from faults import EngineFault
        timeout_s = join_timeout_from_argv() if timeout_s is None else timeout_s
        # torchrun's agent may hold the store already (TORCHELASTIC_USE_AGENT_STORE): then every rank is a client.
        hosts = self.leader and os.environ.get("TORCHELASTIC_USE_AGENT_STORE") != "True"
        tcp = dist.TCPStore(os.environ["MASTER_ADDR"], int(os.environ["MASTER_PORT"]), self.size, hosts,
                            timeout=datetime.timedelta(seconds=timeout_s), wait_for_workers=False)
        self._store = store = tcp  # our keys say rnnwb/…; the process group's go under a prefix of their own
        _mark(store, f"rnnwb/joined/{self.rank}")
        if self.leader:
            deadline = time.monotonic() + timeout_s
            missing = list(range(self.size))
            while missing and time.monotonic() < deadline:
                missing = [r for r in missing if not _has(store, f"rnnwb/joined/{r}")]
                if missing:
                    time.sleep(0.1)
            if missing:
                per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1")) or 1
                nodes = sorted({r // per_node for r in missing})
                names = ", ".join(str(n) for n in nodes)
                raise EngineFault(f"The rendezvous timed out after {timeout_s:g} s: node{'s' if len(nodes) > 1 else ''} {names} of {self.nodes} "
                                  f"never joined ({len(missing)} of the run's {self.size} processes missing). Start "
                                  f"{'them' if len(nodes) > 1 else 'it'} with the same launch and --node_rank={nodes[0]}, or check that it can reach node 0.")
        dist.init_process_group("gloo", store=dist.PrefixStore("rnnwb/group/", tcp), rank=self.rank, world_size=self.size, timeout=COLLECTIVE_TIMEOUT)

    def share_job(self, job):
        """The leader's job (None: nothing to run) for every rank."""
        import torch.distributed as dist
        box = [job if self.leader else None]
        dist.broadcast_object_list(box, src=0)
        return box[0]

    def device(self, device):
        """Rank r on a CUDA machine takes GPU LOCAL_RANK."""
        import torch
        if device.type != "cuda":
            return device
        torch.cuda.set_device(self.local_rank)
        return torch.device("cuda", self.local_rank)

    def wrap(self, model, device):
        import torch.distributed as dist
        from torch.nn.parallel import DistributedDataParallel
        if device.type == "cuda":
            self._grad_group = dist.new_group(backend="nccl")
            return DistributedDataParallel(model, device_ids=[device.index], process_group=self._grad_group, broadcast_buffers=False)
        return DistributedDataParallel(model, broadcast_buffers=False)

    def share(self, rows):
        """This rank's contiguous slice [lo, hi) of a minibatch of `rows` windows (the first ranks take the remainder)."""
        base, extra = divmod(rows, self.size)
        lo = self.rank * base + min(self.rank, extra)
        return lo, lo + base + (1 if self.rank < extra else 0)

    def stop_together(self, leader_says_stop):
        """The leader's word for this step (stop or go), for every rank."""
        import torch
        import torch.distributed as dist
        flag = torch.tensor([1 if (self.leader and leader_says_stop) else 0], dtype=torch.int32)
        dist.broadcast(flag, src=0)
        return bool(flag.item())

    def sum(self, values):
        """Element-wise sums over the ranks of a few floats."""
        import torch
        import torch.distributed as dist
        t = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(t)
        return t.tolist()

    def report_crash(self, e, step):
        """A rank other than the leader is going down: its traceback's last lines go into the store for the leader to tell."""
        import traceback
        lines = [line.strip() for line in "".join(traceback.format_exception(type(e), e, e.__traceback__)).splitlines() if line.strip()]
        try:
            self._store.set(f"rnnwb/crash-report/{self.rank}", json_dumps({"step": step, "lines": lines[-3:]}))
            _mark(self._store, f"rnnwb/crashed/{self.rank}")
        except Exception:  # noqa: BLE001 — the leader may be gone too; stderr still has the traceback
            pass

    def crashed_ranks(self):
        """{rank: {"step", "lines"}} of the ranks that reported a crash."""
        found = {}
        for r in range(1, self.size):
            try:
                if self._store is not None and _has(self._store, f"rnnwb/crashed/{r}"):
                    found[r] = json_loads(self._store.get(f"rnnwb/crash-report/{r}"))
            except Exception:  # noqa: BLE001
                pass
        return found

    def lost_peer(self, e, step):
        """A sentence when `e` is a collective failing because another rank went away; None otherwise."""
        text = str(e)
        if not any(k in text for k in ("Connection reset by peer", "Connection closed by peer", "Broken pipe", "NCCL", "gloo")):
            return None
        crashed = self.crashed_ranks()
        if crashed:
            r, report = sorted(crashed.items())[0]
            per_node = int(os.environ.get("LOCAL_WORLD_SIZE", "1")) or 1
            at = f" at step {report['step']}" if report.get("step") else ""
            return (f"Process {r} of the run's {self.size} (node {r // per_node}) crashed{at}; its traceback ends: "
                    f"{' | '.join(report['lines'])}. The run is interrupted; resume it from its last checkpoint.")
        first = text.strip().splitlines()[0] if text.strip() else type(e).__name__
        at = f" at step {step}" if step else ""
        return (f"Another of this run's {self.size} processes stopped answering{at} ({first}): the run is interrupted; "
                "resume it from its last checkpoint.")

    def describe(self):
        """What the ready message says about where the run trains."""
        return {"worldSize": self.size, "nodes": self.nodes, "host": socket.gethostname()}


def single_describe():
    return {"worldSize": 1, "nodes": 1, "host": socket.gethostname()}
