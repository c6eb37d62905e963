"""
The character model in PyTorch, the same as engine/model.ts and under the same state_dict names:
Embedding(V, E) → L× LSTM | GRU | RNN(tanh) (batch_first, dropout between layers while training) →
Linear(H, V). Objective 'next': the head reads the last step, logits (B, V); 'every': every step,
logits (B·T, V). The recurrent module is the attribute named after its cell (`lstm`, `gru`, `rnn`), so
`state_dict()` names are `embedding.weight`, `lstm.weight_ih_l0`, …, `linear.bias` in layout order
(engine/core/params.ts), and PyTorch's gate orders are the built-in engine's.
"""
import torch
from torch import nn

GATES = {"lstm": 4, "gru": 3, "rnn": 1}
_MODULES = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}


class CharModel(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.config = dict(config)
        c = config
        self.cell = c["cell"]
        self.objective = c["objective"]
        self.embedding = nn.Embedding(c["vocabSize"], c["embed"])
        kwargs = {"nonlinearity": "tanh"} if self.cell == "rnn" else {}
        dropout = c["dropout"] if c["layers"] > 1 else 0.0
        setattr(self, self.cell, _MODULES[self.cell](c["embed"], c["hidden"], num_layers=c["layers"],
                                                      batch_first=True, dropout=dropout, **kwargs))
        self.linear = nn.Linear(c["hidden"], c["vocabSize"])

    @property
    def recurrent(self):
        return getattr(self, self.cell)

    def forward(self, inputs, state=None):
        """inputs (B, T) ids → logits: (B, V) for 'next', (B·T, V) for 'every'; and the final state."""
        out, state = self.recurrent(self.embedding(inputs), state)
        if self.objective == "next":
            return self.linear(out[:, -1]), state
        return self.linear(out.reshape(-1, out.shape[-1])), state

    def step(self, token, state):
        """One token of a batch-1 sequence (generation): logits (V) of the next character, and the new state."""
        x = torch.tensor([[token]], dtype=torch.long, device=self.linear.weight.device)
        out, state = self.recurrent(self.embedding(x), state)
        return self.linear(out[0, -1]), state


def layout(config):
    """[(name, shape)] in the built-in engine's flat layout order (engine/core/params.ts)."""
    V, E, H, L, cell = config["vocabSize"], config["embed"], config["hidden"], config["layers"], config["cell"]
    G = GATES[cell] * H
    specs = [("embedding.weight", [V, E])]
    for l in range(L):
        specs += [(f"{cell}.weight_ih_l{l}", [G, E if l == 0 else H]), (f"{cell}.weight_hh_l{l}", [G, H]),
                  (f"{cell}.bias_ih_l{l}", [G]), (f"{cell}.bias_hh_l{l}", [G])]
    specs += [("linear.weight", [V, H]), ("linear.bias", [V])]
    return specs
