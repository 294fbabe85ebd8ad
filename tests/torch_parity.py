#!/usr/bin/python3
"""Reference values from PyTorch for the parity tests (tests/test_torch_parity.cpp).

Usage: /usr/bin/python3 tests/torch_parity.py CASE_DIR

CASE_DIR holds (written by the C++ test):
  case.json   {"cell": "elman"|"lstm"|"gru", "activation": "tanh"|"relu", "T": .., "B": ..,
               "I": .., "H": .., "lengths": [..B ints..], "dtypes": ["float32", "float64"]}
  *.bin       raw little-endian float64, row-major, in OUR layout:
                x [T,B,I], W_x [I,gH], W_h [H,gH], b [gH] (elman, lstm) or b_x, b_h [3H] (gru),
                R_out [T,B,H], R_h [B,H], R_c [B,H] (lstm only)
              (g = 1 elman, 4 lstm, 3 gru; gate order i,f,g,o / r,z,n as in PyTorch)

The torch module (nn.RNN / nn.LSTM / nn.GRU, batch_first=False, one layer) is built and loaded
by the Python package's mapping, python/rnnlab/torch_models.py (make_rnn, set_rnn_weights; the
one home of it, also behind rnnlab.to_torch):
  weight_ih_l0 = W_xᵀ, weight_hh_l0 = W_hᵀ,
  bias_ih_l0 = b, bias_hh_l0 = 0        (elman, lstm: our single bias is b_ih + b_hh)
  bias_ih_l0 = b_x, bias_hh_l0 = b_h    (gru)
runs on pack_padded_sequence(x, lengths, enforce_sorted=False), pads the output back with
zeros to T steps, and differentiates
  loss = Σ outputs ⊙ R_out + Σ h_n ⊙ R_h (+ Σ c_n ⊙ R_c for lstm).

For every dtype D in "dtypes" it writes, as float64 .bin files in OUR layout:
  D_outputs [T,B,H], D_h_n [B,H], D_c_n [B,H] (lstm), D_loss [1],
  D_grad_x [T,B,I], D_grad_W_x [I,gH], D_grad_W_h [H,gH], D_grad_b [gH] | D_grad_b_x, D_grad_b_h
and finally result.json {"ok": true, "torch": version, "files": [...]}.
Any problem: a message on stderr and exit status 1 (2 when torch/numpy are missing).
"""
import json
import os
import sys


def fail(msg, code=1):
    sys.stderr.write("torch_parity.py: " + msg + "\n")
    sys.exit(code)


try:
    import numpy as np
    import torch
    from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence
except ImportError as e:  # pragma: no cover - depends on the machine
    fail("cannot import %s (%s); install python3-torch and python3-numpy "
         "(Debian: apt-get install python3-torch) for %s" % (e.name, e, sys.executable), 2)

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "python"))
try:
    from rnnlab.torch_models import make_rnn, set_rnn_weights
except ImportError as e:  # pragma: no cover - depends on the machine
    fail("cannot import the weight mapping python/rnnlab/torch_models.py (%s); it needs h5py, "
         "numpy and pandas (apt-get install python3-h5py python3-pandas)" % e, 2)

GATES = {"elman": 1, "lstm": 4, "gru": 3}


def read(case_dir, name, shape):
    path = os.path.join(case_dir, name + ".bin")
    if not os.path.isfile(path):
        fail("missing input file %s" % path)
    a = np.fromfile(path, dtype="<f8")
    n = int(np.prod(shape)) if shape else 1
    if a.size != n:
        fail("%s has %d values, expected %d for shape %s" % (path, a.size, n, list(shape)))
    if not np.all(np.isfinite(a)):
        fail("%s holds non-finite values" % path)
    return a.reshape(shape)


def write(case_dir, name, array, written):
    a = np.ascontiguousarray(np.asarray(array, dtype="<f8"))
    if not np.all(np.isfinite(a)):
        fail("torch produced non-finite values for %s" % name)
    a.tofile(os.path.join(case_dir, name + ".bin"))
    written.append(name)


def run(case, inputs, dtype_name, case_dir, written):
    cell, T, I, H = case["cell"], case["T"], case["I"], case["H"]
    dtype = {"float32": torch.float32, "float64": torch.float64}.get(dtype_name)
    if dtype is None:
        fail("unknown dtype %r (float32 | float64)" % dtype_name)
    lengths = case["lengths"]

    act = case.get("activation", "tanh") if cell == "elman" else "tanh"
    if act not in ("tanh", "relu"):
        fail("unknown elman activation %r" % act)
    mod = make_rnn(cell, I, H, act, dtype)
    set_rnn_weights(mod, cell, inputs["W_x"], inputs["W_h"], b=inputs.get("b"),
                    b_x=inputs.get("b_x"), b_h=inputs.get("b_h"))

    def t(a):
        return torch.tensor(a, dtype=dtype)

    x = t(inputs["x"]).requires_grad_(True)
    packed = pack_padded_sequence(x, torch.tensor(lengths, dtype=torch.int64),
                                  batch_first=False, enforce_sorted=False)
    out_packed, hidden = mod(packed)
    outputs, out_lengths = pad_packed_sequence(out_packed, batch_first=False, padding_value=0.0,
                                               total_length=T)
    if list(out_lengths.tolist()) != list(lengths):
        fail("pad_packed_sequence returned lengths %s, expected %s" % (out_lengths.tolist(), lengths))
    if cell == "lstm":
        h_n, c_n = hidden
    else:
        h_n, c_n = hidden, None
    h_n = h_n[0]  # [B,H] in the original batch order (enforce_sorted=False unsorts it)
    loss = (outputs * t(inputs["R_out"])).sum() + (h_n * t(inputs["R_h"])).sum()
    if c_n is not None:
        c_n = c_n[0]
        loss = loss + (c_n * t(inputs["R_c"])).sum()
    loss.backward()

    d = dtype_name + "_"
    write(case_dir, d + "outputs", outputs.detach().numpy(), written)
    write(case_dir, d + "h_n", h_n.detach().numpy(), written)
    if c_n is not None:
        write(case_dir, d + "c_n", c_n.detach().numpy(), written)
    write(case_dir, d + "loss", [loss.item()], written)
    write(case_dir, d + "grad_x", x.grad.numpy(), written)
    write(case_dir, d + "grad_W_x", mod.weight_ih_l0.grad.numpy().T, written)
    write(case_dir, d + "grad_W_h", mod.weight_hh_l0.grad.numpy().T, written)
    if cell == "gru":
        write(case_dir, d + "grad_b_x", mod.bias_ih_l0.grad.numpy(), written)
        write(case_dir, d + "grad_b_h", mod.bias_hh_l0.grad.numpy(), written)
    else:
        gi, gh = mod.bias_ih_l0.grad.numpy(), mod.bias_hh_l0.grad.numpy()
        # b = b_ih + b_hh, so both get the same gradient: a free self-check.
        if not np.allclose(gi, gh, rtol=1e-5, atol=1e-6):
            fail("bias_ih and bias_hh gradients differ (%g)" % np.max(np.abs(gi - gh)))
        write(case_dir, d + "grad_b", gi, written)


def main(argv):
    if len(argv) != 2:
        fail("usage: torch_parity.py CASE_DIR")
    case_dir = argv[1]
    case_path = os.path.join(case_dir, "case.json")
    if not os.path.isfile(case_path):
        fail("no case.json in %s" % case_dir)
    try:
        with open(case_path) as f:
            case = json.load(f)
    except (OSError, ValueError) as e:
        fail("cannot read %s: %s" % (case_path, e))

    for k in ("cell", "T", "B", "I", "H", "lengths"):
        if k not in case:
            fail("case.json lacks %r" % k)
    cell = case["cell"]
    if cell not in GATES:
        fail("unknown cell %r (elman | lstm | gru)" % cell)
    T, B, I, H = (int(case[k]) for k in ("T", "B", "I", "H"))
    if min(T, B, I, H) < 1:
        fail("bad sizes T=%d B=%d I=%d H=%d" % (T, B, I, H))
    lengths = [int(v) for v in case["lengths"]]
    if len(lengths) != B or any(v < 1 or v > T for v in lengths):
        fail("lengths %s must be %d values in 1..%d" % (lengths, B, T))
    case.update(T=T, B=B, I=I, H=H, lengths=lengths)
    G = GATES[cell] * H

    inputs = {
        "x": read(case_dir, "x", (T, B, I)),
        "W_x": read(case_dir, "W_x", (I, G)),
        "W_h": read(case_dir, "W_h", (H, G)),
        "R_out": read(case_dir, "R_out", (T, B, H)),
        "R_h": read(case_dir, "R_h", (B, H)),
    }
    if cell == "gru":
        inputs["b_x"] = read(case_dir, "b_x", (G,))
        inputs["b_h"] = read(case_dir, "b_h", (G,))
    else:
        inputs["b"] = read(case_dir, "b", (G,))
    if cell == "lstm":
        inputs["R_c"] = read(case_dir, "R_c", (B, H))

    torch.set_num_threads(1)
    written = []
    for dtype_name in case.get("dtypes", ["float32"]):
        run(case, inputs, dtype_name, case_dir, written)

    with open(os.path.join(case_dir, "result.json"), "w") as f:
        json.dump({"ok": True, "torch": torch.__version__, "files": written}, f)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
