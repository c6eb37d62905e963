"""
The bare PyTorch loop for bench/pytorch.ts: the mid job (Embedding(V,64) → 2 × LSTM(256) → Linear
on every step, window 64, batch 32, Adam 0.002, clip 5) written the plain way, with no engine, no
protocol, no process around it: what the PyTorch engine's overhead is measured against. Like the
engine it reads each step's loss (one device sync per step) and draws seeded windows of the corpus.
  python3 bench/pytorch_bare.py CORPUS --steps N --warmup W --threads T --device cpu|cuda|mps
prints one JSON line: {"charsPerSec", "charsPerCpuSec", "device", "steps", "finalLoss"}.
"""
import argparse
import json
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


class Net(nn.Module):
    def __init__(self, V):
        super().__init__()
        self.embedding = nn.Embedding(V, 64)
        self.lstm = nn.LSTM(64, 256, num_layers=2, batch_first=True)
        self.linear = nn.Linear(256, V)

    def forward(self, x):
        out, _ = self.lstm(self.embedding(x))
        return self.linear(out.reshape(-1, 256))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("corpus")
    p.add_argument("--steps", type=int, default=60)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--threads", type=int, default=0)
    p.add_argument("--device", default="cpu")
    a = p.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    device = torch.device(a.device)
    text = open(a.corpus, encoding="utf-8").read()
    vocab = sorted(set(text))
    index = {c: i for i, c in enumerate(vocab)}
    ids = torch.tensor([index[c] for c in text], dtype=torch.long, device=device)
    B, T = 32, 64
    n_windows = (len(ids) - T - 1) // T + 1
    model = Net(len(vocab)).to(device)
    opt = torch.optim.Adam(model.parameters(), lr=0.002)
    steps_t = torch.arange(T, device=device)
    gen = np.random.default_rng(1)
    loss_v = float("nan")
    started = None
    for step in range(a.steps):
        if step == a.warmup:
            started = time.perf_counter()
            cpu_started = time.process_time()
        w = torch.from_numpy(gen.integers(0, n_windows, B)).to(device)
        idx = (w * T)[:, None] + steps_t[None, :]
        x, y = ids[idx], ids[idx + 1].reshape(-1)
        opt.zero_grad(set_to_none=True)
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5)
        opt.step()
        loss_v = loss.item()
    seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    chars = (a.steps - a.warmup) * B * T
    print(json.dumps({"charsPerSec": chars / seconds, "charsPerCpuSec": chars / cpu_seconds, "device": str(device), "steps": a.steps, "finalLoss": loss_v}))


if __name__ == "__main__":
    main()
