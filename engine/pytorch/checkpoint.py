"""
Workbench checkpoints (engine/format/checkpoint.ts + engine/train/checkpoint.ts) from and to a
PyTorch model and optimizer: safetensors whose tensors are the state_dict under its own names, then
one tensor per optimizer moment and parameter (`optim.<buffer>.<param>`), and string metadata:
format, config, vocab, step, rng (the dropout stream's state, carried through), hyper, optimizer
{kind, stepCount}, the trainer's counters (`trainer.*`) and, ours only, `engine` / `engine.device`.
No `kernel_path`: the built-in engine picks its own kernels when it resumes one of ours.
"""
import json
import math

import numpy as np
import torch

from model import layout
from safetensors import CheckpointError, decode, encode

FORMAT = "recurrent-workbench/1"
OPTIM_PREFIX = "optim."
# PyTorch's state names per optimizer, in the order the built-in engine writes them.
BUFFERS = {"adam": ["exp_avg", "exp_avg_sq"], "sgd": ["momentum_buffer"], "rmsprop": ["square_avg", "momentum_buffer"]}
CONFIG_KEYS = ["cell", "layers", "vocabSize", "embed", "hidden", "window", "objective", "dropout"]
COUNTERS = {
    "best": "trainer.best_val_loss",
    "evals_since_best": "trainer.evals_since_best",
    "elapsed_ms": "trainer.elapsed_ms",
    "last_val_loss": "trainer.last_val_loss",
    "last_train_loss": "trainer.last_train_loss",
}


def js_number(x):
    """String(x) as JavaScript writes it (what the built-in engine's counters look like)."""
    if x is None:
        return "null"
    if isinstance(x, float):
        if math.isnan(x):
            return "NaN"
        if math.isinf(x):
            return "Infinity" if x > 0 else "-Infinity"
        if x.is_integer() and abs(x) < 1e21:
            return str(int(x))
    return repr(x)


def buffer_names(kind, momentum):
    names = BUFFERS[kind]
    return [n for n in names if n != "momentum_buffer" or momentum > 0]


def encode_trainer_checkpoint(model, optimizer, optim_steps, hyper, vocab, step, rng_state, counters, device_label):
    """The checkpoint of a run at `step`: weights, optimizer moments and counters (bytes)."""
    config = {k: model.config[k] for k in CONFIG_KEYS}
    state = model.state_dict()
    names = [name for name, _ in layout(config)]
    tensors = {name: state[name].detach().float().cpu().numpy() for name in names}
    params = dict(model.named_parameters())
    kind = hyper["optimizer"]
    for buf in buffer_names(kind, hyper["momentum"]):
        for name in names:
            s = optimizer.state.get(params[name], {})
            t = s.get(buf)
            tensors[f"{OPTIM_PREFIX}{buf}.{name}"] = (t.detach().float().cpu().numpy() if t is not None
                                                      else np.zeros(tensors[name].shape, np.float32))
    metadata = {
        "format": FORMAT,
        "config": json.dumps(config, separators=(",", ":")),
        "vocab": json.dumps(vocab, ensure_ascii=False, separators=(",", ":")),
        "step": str(step),
        "rng": json.dumps(rng_state, separators=(",", ":")),
        "hyper": json.dumps(hyper, separators=(",", ":")),
        "optimizer": json.dumps({"kind": kind, "stepCount": optim_steps}, separators=(",", ":")),
        COUNTERS["best"]: js_number(float(counters["best"])),
        COUNTERS["evals_since_best"]: js_number(counters["evals_since_best"]),
        COUNTERS["elapsed_ms"]: str(int(round(counters["elapsed_ms"]))),
        COUNTERS["last_val_loss"]: js_number(counters["last_val_loss"]),
        COUNTERS["last_train_loss"]: js_number(float(counters["last_train_loss"])),
        "engine": "pytorch",
        "engine.device": device_label,
    }
    return encode(tensors, metadata)


def _number(extra, key, fallback):
    v = extra.get(key)
    if v is None or v == "null":
        return fallback
    try:
        x = float(v)
    except ValueError:
        return fallback
    return fallback if math.isnan(x) else x


def read_checkpoint(data, what):
    """The parts of a workbench checkpoint the trainer uses; `what` names it in errors ("resume", "start")."""
    try:
        tensors, meta = decode(data)
    except CheckpointError as e:
        raise CheckpointError(f"Cannot {what} from this checkpoint: {e}") from None
    fmt = meta.get("format")
    if fmt is not None and fmt.startswith("recurrent-workbench/") and fmt != FORMAT:
        raise CheckpointError(f'Cannot {what}: this checkpoint has format "{fmt}"; this engine reads "{FORMAT}".')
    if "config" not in meta or "vocab" not in meta:
        raise CheckpointError(f"Cannot {what} from this checkpoint: it has no workbench metadata (config and vocab).")
    try:
        config = json.loads(meta["config"])
        vocab = json.loads(meta["vocab"])
        optim = json.loads(meta["optimizer"]) if "optimizer" in meta else None
        rng = json.loads(meta["rng"]) if "rng" in meta else None
    except ValueError as e:
        raise CheckpointError(f"Cannot {what} from this checkpoint: its metadata is not valid JSON ({e}).") from None
    specs = layout(config)
    missing = [name for name, _ in specs if name not in tensors]
    wrong = [f"{name} has shape {list(tensors[name].shape)} but the model needs {shape}" for name, shape in specs
             if name in tensors and list(tensors[name].shape) != shape]
    if missing or wrong:
        problems = ([f"missing {', '.join(missing[:8])}"] if missing else []) + wrong[:8]
        raise CheckpointError(f"Cannot {what}: the checkpoint does not fit its own config ({'; '.join(problems)}).")
    extra = {k: v for k, v in meta.items() if k.startswith("trainer.")}
    last_val = extra.get(COUNTERS["last_val_loss"])
    return {
        "config": config,
        "vocab": vocab,
        "params": {name: tensors[name] for name, _ in specs},
        "step": int(meta.get("step", "0")),
        "optimizer": optim,
        "buffers": {k[len(OPTIM_PREFIX):]: v for k, v in tensors.items() if k.startswith(OPTIM_PREFIX)},
        "rng": rng,
        "counters": {
            "best": _number(extra, COUNTERS["best"], math.inf),
            "evals_since_best": int(_number(extra, COUNTERS["evals_since_best"], 0)),
            "elapsed_ms": _number(extra, COUNTERS["elapsed_ms"], 0.0),
            "last_val_loss": None if last_val in (None, "null") else float(last_val),
            "last_train_loss": _number(extra, COUNTERS["last_train_loss"], math.nan),
        },
    }


def check_resumable(point, hyper):
    """The sentences of readResumePoint (engine/train/checkpoint.ts) for a checkpoint that cannot continue this run."""
    c = point["config"]
    mismatches = []
    for label, ours, key in [("cell", hyper["cell"], "cell"), ("layers", hyper["layers"], "layers"),
                             ("hidden size", hyper["hidden"], "hidden"), ("embedding size", hyper["embed"], "embed"),
                             ("window", hyper["window"], "window"), ("objective", hyper["objective"], "objective")]:
        if c.get(key) != ours:
            mismatches.append(f"{label} {c.get(key)} in the checkpoint, {ours} in this run")
    if mismatches:
        raise CheckpointError(f"Cannot resume: the checkpoint is another architecture ({'; '.join(mismatches)}).")
    if point["optimizer"] is None:
        raise CheckpointError("Cannot resume: the checkpoint has no optimizer state (an exact continuation needs the optimizer moments).")
    if point["optimizer"].get("kind") != hyper["optimizer"]:
        raise CheckpointError(f"Cannot resume: the checkpoint was trained with {point['optimizer'].get('kind')}, this run uses {hyper['optimizer']}.")
    if not all(np.isfinite(a).all() for a in point["params"].values()):
        raise CheckpointError("Cannot resume: the checkpoint holds parameters that are NaN or infinite (the file is corrupted or the run had diverged).")


def load_weights(model, params):
    with torch.no_grad():
        state = model.state_dict()
        for name, array in params.items():
            state[name].copy_(torch.from_numpy(np.ascontiguousarray(array)))


def load_optimizer(optimizer, model, point, hyper):
    """Puts the checkpoint's moments into a fresh torch optimizer through load_state_dict (which moves them to the device)."""
    steps = int(point["optimizer"].get("stepCount", 0))
    kind = hyper["optimizer"]
    names = [name for name, _ in model.named_parameters()]
    state = {}
    for i, name in enumerate(names):
        s = {}
        for buf in buffer_names(kind, hyper["momentum"]):
            if kind == "sgd" and steps == 0:
                continue  # torch starts the buffer at the first gradient
            key = f"{buf}.{name}"
            if key not in point["buffers"]:
                raise CheckpointError(f'Cannot resume: the checkpoint\'s optimizer state has no "{OPTIM_PREFIX}{key}".')
            s[buf] = torch.from_numpy(np.ascontiguousarray(point["buffers"][key]))
        if kind == "adam":
            s["step"] = torch.tensor(float(steps))
        elif kind == "rmsprop":
            s["step"] = steps
        if s:
            state[i] = s
    groups = optimizer.state_dict()["param_groups"]
    optimizer.load_state_dict({"state": state, "param_groups": groups})
    return steps
