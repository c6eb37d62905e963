"""
The built-in engine's random streams, bit for bit (engine/core/rng.ts, engine/train/trainer.ts):
xoshiro128** seeded by splitmix32, `derive_seed` (murmur3's finaliser over seed and stream) and the
epoch order (a Fisher–Yates shuffle seeded from (seed, epoch), bucketed past 2^24 windows). All arithmetic is uint32, written with
explicit masks because Python integers do not wrap. Only the streams the PyTorch engine needs are here:
the window order, the sample draws and the dropout stream's saved state (not its draws: PyTorch's
dropout draws from torch's own generator). A big epoch's draws are made many at a time (`draws`).
"""

import math
from array import array

import numpy as np

M32 = 0xFFFFFFFF

STREAM_DROPOUT = 0x64726F70
STREAM_SHUFFLE = 0x73687566
STREAM_SAMPLE = 0x73616D70


def _imul(a, b):
    return (a * b) & M32


def _rotl(x, k):
    return ((x << k) | (x >> (32 - k))) & M32


def derive_seed(seed, stream):
    """A well-mixed seed for one stream of a run (deriveSeed in trainer.ts)."""
    h = (seed ^ _imul(stream, 0x9E3779B1)) & M32
    h = _imul(h ^ (h >> 16), 0x85EBCA6B)
    h = _imul(h ^ (h >> 13), 0xC2B2AE35)
    return (h ^ (h >> 16)) & M32


class Rng:
    """xoshiro128** with the built-in engine's seeding; `state()` is its RngState ({s, spare})."""

    def __init__(self, seed):
        x = seed & M32
        words = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = _imul(z ^ (z >> 16), 0x85EBCA6B)
            z = _imul(z ^ (z >> 13), 0xC2B2AE35)
            words.append((z ^ (z >> 16)) & M32)
        if (words[0] | words[1] | words[2] | words[3]) == 0:
            words[0] = 1
        self.s = words
        self.spare = None

    def state(self):
        return {"s": list(self.s), "spare": self.spare}

    def next_uint32(self):
        s0, s1, s2, s3 = self.s
        result = _imul(_rotl(_imul(s1, 5), 7), 9)
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 11)
        self.s = [s0, s1, s2, s3]
        return result

    def uniform(self):
        return self.next_uint32() / 4294967296.0


# Orders of more windows than this are drawn bucket by bucket, as the built-in engine does
# (BUCKETED_ORDER_ABOVE and BUCKET_WINDOWS in engine/data/windows.ts).
BUCKETED_ORDER_ABOVE = 1 << 24
BUCKET_WINDOWS = 1 << 16


def epoch_order(count, seed, epoch, shuffle):
    """Epoch `epoch`'s window order (an array of int32): identity for full-batch runs, else the built-in
    engine's shuffle seeded from (seed, epoch): Fisher–Yates, or above BUCKETED_ORDER_ABOVE windows its
    bucketed shuffle (shuffledOrder in engine/data/windows.ts)."""
    if count >= 2**31:
        raise ValueError(f"{count} windows are more than an epoch order can hold.")
    if not shuffle or count < 2:
        return array("i", range(count))
    state = Rng(derive_seed(derive_seed(seed, STREAM_SHUFFLE), epoch)).s
    if count > BUCKETED_ORDER_ABOVE:
        return array("i", _bucketed_shuffle(count, state).tobytes())
    order = array("i", range(count))
    _fisher_yates(order, draws(state, count - 1))
    return order


def _fisher_yates(order, u):
    """Rng.shuffle with its draws `u` given: draw k picks j in [0, i] for i = n-1-k, floor(uniform · (i+1))
    in float64 as Rng.int does; a million at a time, so a big epoch never holds its draws as Python ints.
    The swaps depend on each other and run one by one."""
    count = len(order)
    for k0 in range(0, count - 1, 1 << 20):
        k1 = min(count - 1, k0 + (1 << 20))
        bound = np.arange(count - k0, count - k1, -1, dtype=np.float64)
        js = np.floor(u[k0:k1].astype(np.float64) / 4294967296.0 * bound).astype(np.int64).tolist()
        for i, j in zip(range(count - 1 - k0, count - 1 - k1, -1), js):
            order[i], order[j] = order[j], order[i]


def _bucketed_shuffle(count, state):
    """scatterShuffle in engine/data/windows.ts: every index to a uniformly drawn bucket (in index order,
    a stable sort by bucket), then a Fisher–Yates shuffle of each bucket from the stream that follows,
    bucket after bucket. The buckets' shuffles are independent, so they run side by side: step k does
    swap k of every bucket still that long, with the draw at that bucket's offset in the stream."""
    buckets = -(-count // BUCKET_WINDOWS)
    u = draws(state, count)
    bucket = np.floor(u.astype(np.float64) / 4294967296.0 * buckets).astype(np.int64)
    del u
    order = np.argsort(bucket, kind="stable").astype(np.int32)
    sizes = np.bincount(bucket, minlength=buckets).astype(np.int64)
    del bucket
    starts = np.concatenate(([0], np.cumsum(sizes)[:-1]))
    swaps = np.maximum(sizes - 1, 0)
    offsets = np.concatenate(([0], np.cumsum(swaps)[:-1]))
    u2 = draws(advance(state, count), int(swaps.sum())).astype(np.float64) / 4294967296.0
    for k in range(int(swaps.max(initial=0))):
        active = np.nonzero(swaps > k)[0]
        i = sizes[active] - 1 - k
        j = np.floor(u2[offsets[active] + k] * (i + 1)).astype(np.int64)
        gi = starts[active] + i
        gj = starts[active] + j
        held = order[gi].copy()
        order[gi] = order[gj]
        order[gj] = held
    return order


def advance(state, n):
    """The state of a generator in `state` after `n` draws (a jump by the n-th power of its step)."""
    v = state[0] | (state[1] << 32) | (state[2] << 64) | (state[3] << 96)
    v = _apply(_jump_columns(n), v)
    return [(v >> (32 * w)) & M32 for w in range(4)]


# ---- the xoshiro128** stream, many draws at once ----
#
# The generator's step is linear over GF(2) on its 128 state bits, so jumping L steps ahead is one
# 128×128 bit-matrix product. `draws` starts P lanes L steps apart (lane p at step p·L) and steps them
# together in numpy; lane-major order is then the stream itself.

def _step_state(v):
    """One xoshiro128** step of a 128-bit state packed as s0 | s1<<32 | s2<<64 | s3<<96 (the output is not needed)."""
    s0, s1, s2, s3 = v & M32, (v >> 32) & M32, (v >> 64) & M32, (v >> 96) & M32
    t = (s1 << 9) & M32
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 11)
    return s0 | (s1 << 32) | (s2 << 64) | (s3 << 96)


def _apply(columns, v):
    out = 0
    k = 0
    while v:
        if v & 1:
            out ^= columns[k]
        v >>= 1
        k += 1
    return out


def _jump_columns(steps):
    """The columns of the step matrix raised to `steps` (each column a 128-bit int)."""
    result = [1 << k for k in range(128)]
    power = [_step_state(1 << k) for k in range(128)]
    while steps:
        if steps & 1:
            result = [_apply(power, c) for c in result]
        steps >>= 1
        if steps:
            power = [_apply(power, c) for c in power]
    return result


def draws(state, n):
    """The next `n` uint32 outputs of a generator in `state` ([s0, s1, s2, s3]), as a numpy array."""
    if n <= 4096:
        rng = Rng(0)
        rng.s = list(state)
        return np.array([rng.next_uint32() for _ in range(n)], dtype=np.uint32)
    lanes = int(math.isqrt(n)) + 1
    length = -(-n // lanes)
    jump = _jump_columns(length)
    v = state[0] | (state[1] << 32) | (state[2] << 64) | (state[3] << 96)
    starts = []
    for _ in range(lanes):
        starts.append(v)
        v = _apply(jump, v)
    s = [np.array([(x >> (32 * w)) & M32 for x in starts], dtype=np.uint32) for w in range(4)]
    s0, s1, s2, s3 = s
    out = np.empty((length, lanes), dtype=np.uint32)
    with np.errstate(over="ignore"):
        for k in range(length):
            x = s1 * np.uint32(5)
            out[k] = ((x << np.uint32(7)) | (x >> np.uint32(25))) * np.uint32(9)
            t = s1 << np.uint32(9)
            s2 ^= s0
            s3 ^= s1
            s1 ^= s2
            s0 ^= s3
            s2 ^= t
            s3 = (s3 << np.uint32(11)) | (s3 >> np.uint32(21))
    return out.T.reshape(-1)[:n]
