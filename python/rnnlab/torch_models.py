"""rnnlab models as torch.nn modules: the weight mapping (the one home of it; the PyTorch parity
test tests/torch_parity.py uses it too) and to_torch(run).

Weight layouts (rnnlab -> PyTorch, one layer; g = 1 elman, 4 lstm, 3 gru; gate order i,f,g,o
for lstm and r,z,n for gru, the same in both):
    rnnlab  W_x [I, gH], W_h [H, gH]      x_t W_x + h W_h (row vectors)
    torch   weight_ih_l0 [gH, I] = W_xᵀ, weight_hh_l0 [gH, H] = W_hᵀ
    elman, lstm: rnnlab's single bias b [gH] = bias_ih_l0 + bias_hh_l0 -> bias_ih = b, bias_hh = 0
    gru: b_x [3H] -> bias_ih_l0, b_h [3H] -> bias_hh_l0 (r multiplies W_h h + b_h in both)
    dense: W [in, out], b [out] -> nn.Linear weight = Wᵀ, bias = b
    embedding: table [V, D] -> nn.Embedding weight
Run files keep the weights under /params/<model>/layer<k>/<kind>/<name>.
"""
import numpy as np
import torch
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

from .runs import _open, values

GATES = {"elman": 1, "lstm": 4, "gru": 3}
ACTIVATIONS = {"none": None, "tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid}
TORCH_DTYPES = {"f32": torch.float32, "f64": torch.float64}


def make_rnn(cell, input_size, hidden, activation="tanh", dtype=torch.float32):
    """An empty one-layer torch.nn.RNN / LSTM / GRU (batch_first=False) for an rnnlab cell."""
    if cell == "elman":
        if activation not in ("tanh", "relu"):
            raise ValueError("elman activation must be tanh or relu, got %r" % activation)
        mod = torch.nn.RNN(input_size, hidden, num_layers=1, nonlinearity=activation, bias=True)
    elif cell == "lstm":
        mod = torch.nn.LSTM(input_size, hidden, num_layers=1, bias=True)
    elif cell == "gru":
        mod = torch.nn.GRU(input_size, hidden, num_layers=1, bias=True)
    else:
        raise ValueError("no PyTorch counterpart for cell %r (elman | lstm | gru)" % cell)
    return mod.to(dtype)


def set_rnn_weights(mod, cell, W_x, W_h, b=None, b_x=None, b_h=None):
    """Copies rnnlab cell weights (numpy arrays in rnnlab's layout, see the module doc) into
    the one-layer torch module `mod` from make_rnn()."""
    g = GATES[cell]
    W_x, W_h = np.asarray(W_x), np.asarray(W_h)
    H = W_h.shape[0]
    if W_x.ndim != 2 or W_x.shape[1] != g * H or W_h.shape != (H, g * H):
        raise ValueError("%s weights: W_x %s, W_h %s do not fit hidden %d (expected [I,%d], "
                         "[%d,%d])" % (cell, W_x.shape, W_h.shape, H, g * H, H, g * H))
    dt = mod.weight_ih_l0.dtype

    def t(a):
        return torch.as_tensor(np.ascontiguousarray(a), dtype=dt)

    with torch.no_grad():
        mod.weight_ih_l0.copy_(t(W_x.T))
        mod.weight_hh_l0.copy_(t(W_h.T))
        if cell == "gru":
            mod.bias_ih_l0.copy_(t(b_x))
            mod.bias_hh_l0.copy_(t(b_h))
        else:
            mod.bias_ih_l0.copy_(t(b))
            mod.bias_hh_l0.zero_()
    return mod


class _Dense(torch.nn.Module):
    def __init__(self, W, b, activation, dtype):
        super().__init__()
        self.linear = torch.nn.Linear(W.shape[0], W.shape[1]).to(dtype)
        with torch.no_grad():
            self.linear.weight.copy_(torch.as_tensor(np.ascontiguousarray(W.T), dtype=dtype))
            self.linear.bias.copy_(torch.as_tensor(b, dtype=dtype))
        self.activation = activation
        self.act = ACTIVATIONS[activation]

    def forward(self, x):
        y = self.linear(x)
        return self.act(y) if self.act is not None else y


class RnnlabModel(torch.nn.Module):
    """A stack of rnnlab layers in PyTorch, computing what rnnlab's model computes in
    evaluation: forward(x, lengths=None)

      x        [T,B,I] float (or [T,B] int64 token ids when the first layer is an embedding)
      lengths  [B] ints in 1..T (None: all T); steps after a length are padding
      returns  [B,O] (a cell returning each sequence's last valid step, then dense layers)
               or [T,B,O] when the last cell returns every step (per-step targets)

    A cell returns every step when another cell follows it or when the run's targets are per
    step (the run file's /dataset attr per_step_targets), as in rnnlab (runner.h).
    """

    def __init__(self, layers):
        super().__init__()
        self.kinds = [k for k, _, _ in layers]
        self.sequences = [s for _, _, s in layers]
        self.layers = torch.nn.ModuleList([m for _, m, _ in layers])

    def forward(self, x, lengths=None):
        T = x.shape[0]
        if lengths is not None:
            lengths = torch.as_tensor(lengths, dtype=torch.int64).cpu()
        for kind, mod, seq in zip(self.kinds, self.layers, self.sequences):
            if kind in GATES:
                if lengths is not None and bool((lengths != T).any()):
                    packed = pack_padded_sequence(x, lengths, enforce_sorted=False)
                    out, hidden = mod(packed)
                    out, _ = pad_packed_sequence(out, total_length=T)
                else:
                    out, hidden = mod(x)
                h_n = hidden[0] if kind == "lstm" else hidden
                x = out if seq else h_n[-1]
            elif kind == "embedding":
                x = mod(x.long())
            else:
                x = mod(x)
        return x


def _array(f, path):
    if path not in f:
        raise KeyError("%s has no dataset /%s" % (f.filename, path))
    return np.asarray(f[path][()])


def to_torch(run, per_step=None):
    """The run's model (built-in elman/lstm/gru cells, dense, embedding, dropout layers) as a
    RnnlabModel in eval mode, with the run's final weights from /params, in the run's dtype.

    per_step: whether the last cell returns every step; None reads the run file's
    /dataset/per_step_targets (False when absent). ValueError for other cells (qrnn, rwa,
    nstep, plugins) and run files without /config/values.
    """
    v = values(run)
    if not v:
        raise ValueError("the run file has no /config/values (written by an older rnnlab)")
    with _open(run) as f:
        if per_step is None:
            ds = f["dataset"].attrs if "dataset" in f else {}
            per_step = bool(ds.get("per_step_targets", False))
        dtype = TORCH_DTYPES[v.get("train.dtype", "f32")]
        model = v["model"]
        n = 0
        while "layer%d.kind" % n in v:
            n += 1
        kinds = [v["layer%d.kind" % k] for k in range(n)]
        layers = []
        for k, kind in enumerate(kinds):
            base = "params/%s/layer%d/%s/" % (model, k, kind)
            arg = lambda name: v["layer%d.%s" % (k, name)]  # noqa: E731
            if kind in GATES:
                later_cell = any(kk not in ("dense", "embedding", "dropout")
                                 for kk in kinds[k + 1:])
                W_x, W_h = _array(f, base + "W_x"), _array(f, base + "W_h")
                mod = make_rnn(kind, W_x.shape[0], W_h.shape[0],
                               arg("activation") if kind == "elman" else "tanh", dtype)
                if kind == "gru":
                    set_rnn_weights(mod, kind, W_x, W_h, b_x=_array(f, base + "b_x"),
                                    b_h=_array(f, base + "b_h"))
                else:
                    set_rnn_weights(mod, kind, W_x, W_h, b=_array(f, base + "b"))
                layers.append((kind, mod, later_cell or per_step))
            elif kind == "dense":
                layers.append((kind, _Dense(_array(f, base + "W"), _array(f, base + "b"),
                                            arg("activation"), dtype), False))
            elif kind == "embedding":
                table = _array(f, base + "table")
                emb = torch.nn.Embedding(table.shape[0], table.shape[1]).to(dtype)
                with torch.no_grad():
                    emb.weight.copy_(torch.as_tensor(table, dtype=dtype))
                layers.append((kind, emb, False))
            elif kind == "dropout":
                layers.append((kind, torch.nn.Dropout(arg("p")), False))
            else:
                raise ValueError("to_torch: layer %d is a %r cell; only elman, lstm and gru "
                                 "have a PyTorch counterpart" % (k, kind))
    return RnnlabModel(layers).eval()
