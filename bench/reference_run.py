#!/usr/bin/python3
"""The reference run in PyTorch, as one whole process: the model and the loop of the `seed` anchor in
../shared/anchors/torch_bench.py (imported from there, not copied) — Embedding(V,32) -> LSTM(64) -> last
step -> Linear(64,V), all windows of 10 characters of the seed text as one batch, Adam 0.01, 500 epochs —
run once, from `import torch` to the last step, with no warm-up and no waiting for a quiet machine. What
`rnnwb train --preset reference` does, so bench/startup.ts can compare their wall times.

  /usr/bin/python3 bench/reference_run.py ANCHORS_DIR CORPUS [--epochs 500] [--threads 1]
"""
import argparse
import sys

p = argparse.ArgumentParser()
p.add_argument("anchors")
p.add_argument("corpus")
p.add_argument("--epochs", type=int, default=500)
p.add_argument("--threads", type=int, default=1)
a = p.parse_args()

import torch  # noqa: E402 (the import is part of what is timed, as in any script)

sys.path.insert(0, a.anchors)
from torch_bench import make_model  # noqa: E402

torch.set_num_threads(a.threads)
text = open(a.corpus, encoding="utf-8").read()
chars = sorted(set(text))
stoi = {c: i for i, c in enumerate(chars)}
seq = 10
X = torch.tensor([[stoi[c] for c in text[i:i + seq]] for i in range(len(text) - seq)])
Y = torch.tensor([stoi[text[i + seq]] for i in range(len(text) - seq)])
torch.manual_seed(0)
model = make_model(torch, "lstm", len(chars), 32, 64, 1)
opt = torch.optim.Adam(model.parameters(), lr=0.01)
crit = torch.nn.CrossEntropyLoss()
for _ in range(a.epochs):
    model.train()
    opt.zero_grad()
    loss = crit(model(X), Y)
    loss.backward()
    opt.step()
    last = loss.item()
print(f"{len(X)} windows, {a.epochs} epochs, final loss {last:.6f}")
