"""
Checkpoint samples, drawn as engine/infer/generate.ts and sampling.ts draw them: one seeded Rng (the
built-in's xoshiro128**), probabilities in float64 from float32 logits, the same walk over them.
A 'next' model slides its window (each character from the last `window` of prompt + text, from a zero
state); an 'every' model reads the prompt once and carries its state. Temperature 0 is greedy.
"""
import numpy as np
import torch

from rng import Rng


def _draw(logits, temperature, rng):
    z = logits.detach().float().cpu().numpy().astype(np.float64)
    if temperature == 0:
        return int(np.argmax(z))  # the lowest index among ties, as argmax in sampling.ts
    e = np.exp((z - z.max()) / temperature)
    probs = (e / e.sum()).tolist()
    u = rng.uniform()
    last = 0
    for i, p in enumerate(probs):
        if p <= 0:
            continue
        last = i
        u -= p
        if u < 0:
            return i
    return last


def resolve_prompt(prompt, index, corpus_start):
    """The prompt's longest in-vocabulary suffix, else the corpus's first character (resolvePrompt in trainer.ts)."""
    start = len(prompt)
    while start > 0 and prompt[start - 1] in index:
        start -= 1
    if start < len(prompt):
        return prompt[start:]
    first = corpus_start[:1] or " "
    return first if first in index else next(iter(index))


@torch.no_grad()
def generate(model, vocab, index, prompt, length, temperature, seed):
    """`length` new characters after `prompt` (every character of which is in the vocabulary)."""
    was_training = model.training
    model.eval()
    rng = Rng(seed)
    device = model.linear.weight.device
    ids = [index[ch] for ch in prompt]
    out = []
    try:
        if model.objective == "next":
            window = model.config["window"]
            ctx = list(ids)
            for _ in range(length):
                win = torch.tensor([ctx[-window:]], dtype=torch.long, device=device)
                logits, _ = model(win)
                nxt = _draw(logits[0], temperature, rng)
                ctx.append(nxt)
                out.append(nxt)
        else:
            state = None
            logits = None
            for token in ids:
                logits, state = model.step(token, state)
            for i in range(length):
                nxt = _draw(logits, temperature, rng)
                out.append(nxt)
                if i + 1 < length:
                    logits, state = model.step(nxt, state)
    finally:
        model.train(was_training)
    return "".join(vocab[i] for i in out)
