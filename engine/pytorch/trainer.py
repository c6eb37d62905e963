"""
The PyTorch engine's training loop: engine/train/trainer.ts step for step, so the same job gives the
same curve. One step: zero grads → forward/backward on one minibatch → global grad norm (clip) →
NaN/Inf and blow-up guards → optimizer step at lr(step). Epoch e's window order is the built-in
engine's shuffle seeded from (seed, e); the weights come from the host (`initialWeights`, the
built-in initialisation) or a checkpoint (`resumeFrom`), so on the CPU both engines walk the same
path up to float rounding. Validation every `evalEvery` steps, early stopping, best / periodic /
final checkpoints with samples, as the built-in does.

Not here: the pipe and its framing (framing.py), the process and its threads (main.py).
Deliberately different: dropout draws from torch's generator (seeded from the run's seed), so runs
with dropout agree in distribution, not number for number; there is no 4 GB memory ceiling (a GPU's
own memory is the limit, and running out of it is a sentence).
"""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import checkpoint as ckpt
from device import choose_device, label as device_label
from faults import EngineFault
from generate import generate, resolve_prompt
from model import CharModel
from rng import STREAM_DROPOUT, STREAM_SAMPLE, Rng, derive_seed, epoch_order
from team import single_describe

BLOW_UP_BETA = 0.9


def js_number(x):
    """String(x) as JavaScript writes a number (so our sentences read like the built-in engine's)."""
    x = float(x)
    if math.isnan(x) or math.isinf(x):
        return ckpt.js_number(x)
    if x == 0:
        return "0"
    sign = "-" if x < 0 else ""
    digits, exp = repr(abs(x)).lower(), 0
    if "e" in digits:
        digits, e = digits.split("e")
        exp = int(e)
    if "." in digits:
        whole, frac = digits.split(".")
        frac = frac.rstrip("0")
    else:
        whole, frac = digits, ""
    ds = (whole + frac).lstrip("0")
    n = len(whole) + exp - (len(whole + frac) - len((whole + frac).lstrip("0")))  # decimal point position in ds
    ds = ds.rstrip("0") or "0"
    k = len(ds)
    if k <= n <= 21:
        out = ds + "0" * (n - k)
    elif 0 < n <= 21:
        out = ds[:n] + "." + ds[n:]
    elif -6 < n <= 0:
        out = "0." + "0" * (-n) + ds
    else:
        out = ds[0] + ("." + ds[1:] if k > 1 else "") + "e" + ("+" if n - 1 >= 0 else "-") + str(abs(n - 1))
    return sign + out


def learning_rate_at(h, step, total_steps):
    """engine/optim/schedule.ts."""
    if h["schedule"] == "step":
        return h["lr"] * h["decayGamma"] ** (step // h["decayEvery"])
    if h["schedule"] == "cosine":
        if total_steps <= 0:
            return h["lr"]
        progress = min(max(step, 0), total_steps) / total_steps
        return (h["lr"] * (1 + math.cos(math.pi * progress))) / 2
    return h["lr"]


def _diverged(step, what, lr, clip):
    hints = [f"lower the learning rate (now {js_number(lr)})"]
    hints.append("enable gradient clipping (e.g. clip 5)" if clip == 0 else f"clip harder (now {js_number(clip)})")
    raise EngineFault(f"Training diverged at step {step}: {what}. Try to {' or '.join(hints)}.", step)


def check_finite(step, loss, grad_norm, lr, clip):
    """engine/train/guard.ts checkFinite."""
    if math.isfinite(loss) and math.isfinite(grad_norm):
        return
    what = f"the loss became {js_number(loss)}" if not math.isfinite(loss) else f"the gradient norm became {js_number(grad_norm)}"
    _diverged(step, what, lr, clip)


class BlowUpGuard:
    """engine/train/guard.ts BlowUpGuard: the bias-corrected average training loss above 3·ln V."""

    def __init__(self, vocab_size):
        self.vocab_size = vocab_size
        self.average = 0.0
        self.weight = 0.0

    def record(self, step, loss, lr, clip):
        if not math.isfinite(loss):
            return
        self.average = BLOW_UP_BETA * self.average + (1 - BLOW_UP_BETA) * loss
        self.weight = BLOW_UP_BETA * self.weight + (1 - BLOW_UP_BETA)
        smoothed = self.average / self.weight
        limit = 3 * math.log(self.vocab_size) if self.vocab_size > 1 else math.inf
        if smoothed > limit:
            _diverged(step, f"the training loss, averaged over recent steps, reached {smoothed:.1f}, more than "
                            f"3 × ln {self.vocab_size} = {limit:.1f} (three times an untrained model's)", lr, clip)


class EarlyStopping:
    def __init__(self, patience, best=math.inf, evals_since_best=0):
        self.patience = patience
        self.best = best
        self.evals_since_best = evals_since_best

    def record(self, val_loss):
        if val_loss < self.best:
            self.best = val_loss
            self.evals_since_best = 0
            return True
        self.evals_since_best += 1
        return False

    @property
    def should_stop(self):
        return self.patience > 0 and self.evals_since_best >= self.patience


def _quote(ch):
    import json
    return json.dumps(ch, ensure_ascii=False)


def _check_vocab(vocab):
    """Vocabulary.fromChars's rules and sentences (engine/text/vocab.ts): one code point each, each once."""
    seen = {}
    for i, ch in enumerate(vocab):
        if not isinstance(ch, str) or len(ch) != 1:
            raise EngineFault(f"Vocabulary entry {i} is {_quote(ch)}; each entry must be exactly one character (one Unicode code point).")
        if ch in seen:
            raise EngineFault(f"Vocabulary entries {seen[ch]} and {i} are both {_quote(ch)} (U+{ord(ch):04X}); each character may appear once.")
        seen[ch] = i


def _windows(length, T, stride):
    return (length - T - 1) // stride + 1 if length >= T + 1 else 0


class Corpus:
    """The job's text as ids on the device, its vocabulary and its split (engine/data/windows.ts)."""

    def __init__(self, text, vocab, hyper, device):
        cps = np.frombuffer(text.encode("utf-32-le"), dtype="<u4")
        if vocab is None:
            vocab = [chr(c) for c in np.unique(cps)]
        _check_vocab(vocab)
        self.vocab = vocab
        self.index = {ch: i for i, ch in enumerate(vocab)}
        table = np.full(max(int(cps.max(initial=0)), max((ord(c) for c in vocab), default=0)) + 1, -1, dtype=np.int64)
        table[[ord(c) for c in vocab]] = np.arange(len(vocab))
        ids = table[cps]
        if (ids < 0).any():
            unknown = [ch for ch in dict.fromkeys(text) if ch not in self.index]
            shown = ", ".join(_quote(c) for c in unknown[:10])
            raise EngineFault(f"The corpus has {len(unknown)} character{'s' if len(unknown) > 1 else ''} the vocabulary lacks: "
                              f"{shown}{', …' if len(unknown) > 10 else ''}.")
        self.start = vocab[ids[0]] if len(ids) else ""
        n = len(ids)
        train_length = math.floor(n * (1 - hyper["valFraction"]))
        T = hyper["window"]
        self.T = T
        self.every = hyper["objective"] == "every"
        self.stride = hyper["stride"] or (T if self.every else 1)
        self.ids = torch.from_numpy(ids.astype(np.int32)).to(device)
        self.train_offset, self.train_windows = 0, _windows(train_length, T, self.stride)
        self.val_offset = train_length
        self.val_windows = _windows(n - train_length, T, self.stride) if hyper["valFraction"] > 0 else 0
        if self.train_windows == 0:
            raise EngineFault(f"The training text has {train_length} characters; a window needs at least {T + 1}.")
        if hyper["valFraction"] > 0 and self.val_windows == 0:
            raise EngineFault(f"The validation split has {n - train_length} characters; a window needs at least {T + 1}. "
                              "Lower the window, raise the validation fraction, or set it to 0.")
        self.steps_t = torch.arange(T, device=device)

    def batch(self, windows, offset):
        """windows: (B) window numbers → inputs (B, T) and targets ((B) for 'next', (B·T) for 'every'), as longs."""
        starts = offset + windows * self.stride
        idx = starts[:, None] + self.steps_t[None, :]
        inputs = self.ids[idx].long()
        targets = self.ids[idx + 1].long().reshape(-1) if self.every else self.ids[starts + self.T].long()
        return inputs, targets


def _optimizer(hyper, params):
    kind = hyper["optimizer"]
    if kind == "adam":
        return torch.optim.Adam(params, lr=hyper["lr"], betas=(0.9, 0.999), eps=1e-8, weight_decay=hyper["weightDecay"])
    if kind == "sgd":
        return torch.optim.SGD(params, lr=hyper["lr"], momentum=hyper["momentum"], weight_decay=hyper["weightDecay"])
    if kind == "rmsprop":
        return torch.optim.RMSprop(params, lr=hyper["lr"], alpha=0.99, eps=1e-8, momentum=hyper["momentum"],
                                   weight_decay=hyper["weightDecay"])
    raise EngineFault(f'Unknown optimizer "{kind}" (known: adam, sgd, rmsprop).')


def _corpus_text(job):
    data = job.get("corpusBytes")
    if data is None:
        text = job.get("corpusText")
        if not isinstance(text, str):
            raise EngineFault('The start message has no corpus ("corpusText" must be a string or "corpusBytes" bytes).')
        return text
    try:
        return bytes(data).decode("utf-8")
    except UnicodeDecodeError as e:
        raise EngineFault(f"The corpus is not valid UTF-8: byte {e.start} cannot start or continue a character.") from None


def train(job, post, control, pid, team=None):
    """Runs one job; posts ready / progress / checkpoint / done (errors propagate to the caller).
    With a `team` (team.py) this process is one rank of several: it trains on its share of each
    minibatch, and only the leader evaluates, posts and writes checkpoints."""
    leader = team is None or team.leader
    hyper = job.get("hyper")
    if not isinstance(hyper, dict):
        raise EngineFault('The start message has no hyperparameters ("hyper" must be an object).')
    device = choose_device(job.get("device"))
    if team is not None:
        device = team.device(device)
    if hyper.get("threads", 0) > 0:
        torch.set_num_threads(hyper["threads"])
    torch.manual_seed(hyper["seed"])  # dropout (and weights when the host sends none)

    resume = None
    if job.get("resumeFrom") is not None:
        resume = ckpt.read_checkpoint(job["resumeFrom"], "resume")
        ckpt.check_resumable(resume, hyper)
    initial = ckpt.read_checkpoint(job["initialWeights"], "start") if resume is None and job.get("initialWeights") is not None else None
    text = _corpus_text(job)
    job.pop("corpusBytes", None)  # the text holds it now
    vocab = resume["vocab"] if resume else job.get("vocab") or (initial["vocab"] if initial else None)
    corpus = Corpus(text, vocab, hyper, device)
    del text
    vocab = corpus.vocab
    if initial and initial["vocab"] != vocab:
        raise EngineFault("The initial weights were made for another vocabulary than this corpus's.")

    config = {"cell": hyper["cell"], "layers": hyper["layers"], "vocabSize": len(vocab), "embed": hyper["embed"],
              "hidden": hyper["hidden"], "window": hyper["window"], "objective": hyper["objective"], "dropout": hyper["dropout"]}
    model = CharModel(config)
    source = resume or initial
    if source:
        if source["config"].get("vocabSize") != len(vocab) or any(source["config"].get(k) != config[k] for k in ("cell", "layers", "embed", "hidden")):
            raise EngineFault("Cannot start: the given weights are for another architecture than this run's.")
        ckpt.load_weights(model, source["params"])
    model.to(device)
    model.train()
    net = team.wrap(model, device) if team is not None else model  # DDP averages the ranks' gradients
    params = list(model.parameters())
    optimizer = _optimizer(hyper, params)
    optim_steps = ckpt.load_optimizer(optimizer, model, resume, hyper) if resume else 0
    dropout_rng = (resume and resume["rng"]) or Rng(derive_seed(hyper["seed"], STREAM_DROPOUT)).state()
    counters = resume["counters"] if resume else {"best": math.inf, "evals_since_best": 0, "elapsed_ms": 0.0,
                                                  "last_val_loss": None, "last_train_loss": math.nan}
    step = resume["step"] if resume else 0

    n_train = corpus.train_windows
    B = n_train if hyper["batch"] == "full" else min(hyper["batch"], n_train)
    batches_per_epoch = -(-n_train // B)
    total_steps = job.get("targetSteps") or hyper.get("steps") or hyper["epochs"] * batches_per_epoch
    shuffle = B < n_train
    eval_chunk = min(1024, max(32, B))
    dev_label = device_label(device)
    early = EarlyStopping(hyper["earlyStopPatience"], counters["best"], counters["evals_since_best"])
    blow_up = BlowUpGuard(len(vocab))
    progress_every = job.get("progressEvery") or 1
    sample = job.get("sample")
    control.batch = B

    last_train_loss = counters["last_train_loss"]
    last_val_loss = counters["last_val_loss"]
    last_eval_step = -1
    started_at = time.perf_counter()
    paused_s = 0.0

    def elapsed_ms():
        return counters["elapsed_ms"] + (time.perf_counter() - started_at - paused_s) * 1000

    def emit_checkpoint(kind, val_loss):
        if not leader:
            return
        data = ckpt.encode_trainer_checkpoint(
            model, optimizer, optim_steps, hyper, vocab, step, dropout_rng,
            {"best": early.best, "evals_since_best": early.evals_since_best, "elapsed_ms": elapsed_ms(),
             "last_val_loss": last_val_loss, "last_train_loss": last_train_loss}, dev_label)
        msg = {"type": "checkpoint", "step": step, "kind": kind, "valLoss": val_loss, "trainLoss": last_train_loss, "bytes": data}
        if sample:
            prompt = resolve_prompt(sample["prompt"], corpus.index, corpus.start)
            seed = derive_seed(derive_seed(hyper["seed"], STREAM_SAMPLE), step)
            out = generate(model, vocab, corpus.index, prompt, sample["length"], sample["temperature"], seed)
            msg["sample"] = {"prompt": prompt, "text": out, "temperature": sample["temperature"], "length": sample["length"]}
        post(msg)

    @torch.no_grad()
    def evaluate():
        nonlocal last_eval_step, last_val_loss
        model.eval()
        loss_sum, correct, count = 0.0, 0, 0
        for start in range(0, corpus.val_windows, eval_chunk):
            w = torch.arange(start, min(start + eval_chunk, corpus.val_windows), device=device)
            inputs, targets = corpus.batch(w, corpus.val_offset)
            logits, _ = model(inputs)
            # float32 on the device (MPS has no float64), read back once per chunk
            s, c = torch.stack([F.cross_entropy(logits, targets, reduction="sum").float(),
                                (logits.argmax(-1) == targets).sum().float()]).tolist()
            loss_sum += s
            correct += int(c)
            count += targets.numel()
        model.train()
        last_eval_step = step
        last_val_loss = loss_sum / count if count else math.nan
        return last_val_loss, (correct / count if count else 0.0)

    post({"type": "ready", "pid": pid, "kernelPath": None, "engine": "pytorch", "device": dev_label,
          "torchVersion": torch.__version__, "threads": torch.get_num_threads(), "totalSteps": total_steps,
          "trainWindows": n_train, "valWindows": corpus.val_windows, "vocabSize": len(vocab),
          "parameterCount": sum(p.numel() for p in params), **(team.describe() if team is not None else single_describe())})

    window_loss, window_steps, window_chars = 0.0, 0, 0
    window_start = elapsed_ms()
    order_t, order_epoch = None, -1
    status = "done"
    while step < total_steps:
        if control.stop_requested:
            status = "stopped"
            break
        paused_s += control.wait_if_paused(step)
        if team.stop_together(control.stop_requested) if team is not None else control.stop_requested:
            status = "stopped"
            break
        epoch = step // batches_per_epoch
        if epoch != order_epoch:
            order = epoch_order(n_train, hyper["seed"], epoch, shuffle)
            order_t = torch.from_numpy(np.frombuffer(order, dtype=np.int32).astype(np.int64)).to(device)
            del order
            order_epoch = epoch if shuffle else math.inf  # a full batch keeps the identity order
        start = (step % batches_per_epoch) * B
        b_step = min(B, n_train - start)
        rows_t = order_t[start:start + b_step]
        if team is not None:
            lo, hi = team.share(b_step)
            rows_t = rows_t[lo:hi]
        inputs, targets = corpus.batch(rows_t, corpus.train_offset)
        optimizer.zero_grad(set_to_none=True)
        if team is None:
            logits, _ = net(inputs)
            loss = F.cross_entropy(logits, targets)
        else:
            # DDP averages over the ranks: weight each rank's sum so the average is the whole minibatch's mean.
            all_rows = b_step * (corpus.T if corpus.every else 1)
            if len(rows_t):
                logits, _ = net(inputs)
                loss_sum = F.cross_entropy(logits, targets, reduction="sum")
            else:  # more ranks than windows in this minibatch: a zero that still reaches every weight
                logits, loss_sum = None, sum(p.reshape(-1)[0] for p in params) * 0
            loss = loss_sum * (team.size / all_rows)
        loss.backward()
        if hyper["clip"] > 0:
            norm = torch.nn.utils.clip_grad_norm_(params, hyper["clip"])
        else:
            norm = torch.norm(torch.stack([p.grad.detach().norm(2) for p in params]), 2)
        if team is None:
            loss_v, norm_v, correct = torch.stack([loss.detach().float(), norm.detach().float(),
                                                   (logits.detach().argmax(-1) == targets).sum().float()]).tolist()
        else:
            right = (logits.detach().argmax(-1) == targets).sum().item() if logits is not None else 0
            summed, correct = team.sum([loss_sum.item(), right])
            loss_v, norm_v, correct = summed / all_rows, norm.item(), int(correct)
        lr = learning_rate_at(hyper, step, total_steps)
        check_finite(step + 1, loss_v, norm_v, lr, hyper["clip"])
        blow_up.record(step + 1, loss_v, lr, hyper["clip"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.step()
        optim_steps += 1
        step += 1
        control.step = step
        last_train_loss = loss_v
        window_loss += loss_v
        window_steps += 1
        window_chars += b_step * corpus.T

        val = None
        if leader and corpus.val_windows and (step % hyper["evalEvery"] == 0 or step == total_steps):
            val = evaluate()
        if step % progress_every == 0 or val or step == total_steps:
            t = elapsed_ms()
            rows = all_rows if team is not None else targets.numel()
            post({"type": "progress", "step": step, "epoch": step / batches_per_epoch, "trainLoss": loss_v,
                  "trainLossAvg": window_loss / window_steps, "valLoss": val[0] if val else None,
                  "bitsPerChar": loss_v / math.log(2), "valBitsPerChar": val[0] / math.log(2) if val else None,
                  "accuracy": correct / rows if rows else 0.0, "valAccuracy": val[1] if val else None,
                  "gradNorm": norm_v, "lr": lr, "charsPerSec": window_chars * 1000 / (t - window_start) if t > window_start else 0.0,
                  "elapsedMs": t, "totalSteps": total_steps})
            window_loss, window_steps, window_chars, window_start = 0.0, 0, 0, t
        if val:
            if not math.isfinite(val[0]):
                check_finite(step, val[0], 0, lr, hyper["clip"])
            if early.record(val[0]):
                emit_checkpoint("best", val[0])
        if hyper["checkpointEvery"] > 0 and step % hyper["checkpointEvery"] == 0 and step != total_steps:
            emit_checkpoint("periodic", last_val_loss)
        if val and early.should_stop:
            status = "early-stopped"
            if team is not None:
                team.stop_together(True)  # the others are waiting at the top of the next step
            break

    if not leader:
        return
    if status == "done" and corpus.val_windows and last_eval_step != step:
        val_loss, _ = evaluate()
        if early.record(val_loss):
            emit_checkpoint("best", val_loss)
    emit_checkpoint("final", last_val_loss)
    post({"type": "done", "status": status, "step": step, "trainLoss": last_train_loss, "valLoss": last_val_loss})
