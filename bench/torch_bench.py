#!/usr/bin/python3
"""PyTorch baseline for rnnlab_bench: the same training step with nn.RNN / nn.LSTM / nn.GRU.

indrnn, sru and mingru have no PyTorch layer: they are written the way a researcher writes a new
cell, an nn.Module with the input projection for all steps at once (one Linear) and a Python
loop over the steps (`unbind`, not `p[t]`, whose backward is O(T^2)), with the maths of
plugins/indrnn, plugins/sru and plugins/mingru (the headers there).

One step = forward (one layer over X [T,B,I], float32, outputs of every step), loss =
mse(outputs, fixed random target), backward, SGD step, zero_grad. X and the target are made
once, outside the timed region (X needs no gradient, as in rnnlab_bench). Median and min ms
over `reps` timed steps after `warmup` untimed ones.

Run with Debian's interpreter (/usr/bin/python3 sees python3-torch 1.13), and through run.sh for
a fair comparison (OMP_WAIT_POLICY=PASSIVE, OPENBLAS_CORETYPE unset, same threads):
    /usr/bin/python3 bench/torch_bench.py --threads 2 --json
On a GPU (bench/cuda/run.sh): --device cuda runs the layer through cuDNN (PyTorch's default for
nn.RNN/LSTM/GRU on CUDA), synchronising the device at the end of each phase.
A shape is a name below or IxHxBxT (input, hidden, batch, steps), e.g. 320x320x8x512.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

# name, input, hidden, batch, steps, default reps, default warmup -- keep in sync with
# known_shapes() in rnnlab_bench.cpp.
SHAPES = {
    "big": (128, 256, 64, 100, 20, 5),
    "digits": (8, 128, 16, 8, 300, 30),
    "long": (128, 256, 8, 512, 10, 3),
}


def parse_shape(name):
    """(input, hidden, batch, steps, reps, warmup) of a known name or IxHxBxT."""
    if name in SHAPES:
        return SHAPES[name]
    parts = name.split("x")
    if len(parts) == 4 and all(p.isdigit() and int(p) > 0 for p in parts):
        return tuple(int(p) for p in parts) + (20, 5)  # as parse_shape in rnnlab_bench.cpp
    raise SystemExit(f"torch_bench: unknown shape '{name}' (big, digits, long, or IxHxBxT)")


class IndRNN(torch.nn.Module):
    """h_t = relu(x_t W + b + u * h_{t-1})"""

    def __init__(self, i, h):
        super().__init__()
        self.proj = torch.nn.Linear(i, h)
        self.u = torch.nn.Parameter(torch.rand(h) * 2 - 1)

    def forward(self, x):
        p = self.proj(x)
        h = torch.zeros(x.shape[1], p.shape[2], device=x.device)
        out = []
        for p_t in p.unbind(0):
            h = torch.relu(p_t + self.u * h)
            out.append(h)
        return torch.stack(out), h


class SRU(torch.nn.Module):
    """f, r = sigmoid(P_f|r + v_f|r * c); c = P_x + f (c - P_x); h = P_s + r (tanh(c) - P_s)"""

    def __init__(self, i, h):
        super().__init__()
        self.h = h
        self.proj = torch.nn.Linear(i, 4 * h)
        self.v_f = torch.nn.Parameter(torch.rand(h) - 0.5)
        self.v_r = torch.nn.Parameter(torch.rand(h) - 0.5)

    def forward(self, x):
        p = self.proj(x)
        c = torch.zeros(x.shape[1], self.h, device=x.device)
        out = []
        for p_t in p.unbind(0):
            px, pf, pr, ps = p_t.split(self.h, dim=1)
            f = torch.sigmoid(pf + self.v_f * c)
            r = torch.sigmoid(pr + self.v_r * c)
            c = px + f * (c - px)
            out.append(ps + r * (torch.tanh(c) - ps))
        return torch.stack(out), c


class MinGRU(torch.nn.Module):
    """z = sigmoid(P_z); h = h + z (P_h - h)"""

    def __init__(self, i, h):
        super().__init__()
        self.h = h
        self.proj = torch.nn.Linear(i, 2 * h)

    def forward(self, x):
        p = self.proj(x)
        h = torch.zeros(x.shape[1], self.h, device=x.device)
        out = []
        for p_t in p.unbind(0):
            pz, ph = p_t.split(self.h, dim=1)
            h = h + torch.sigmoid(pz) * (ph - h)
            out.append(h)
        return torch.stack(out), h


def make_layer(cell, input_size, hidden):
    if cell == "elman":
        return torch.nn.RNN(input_size, hidden, nonlinearity="tanh")
    if cell == "lstm":
        return torch.nn.LSTM(input_size, hidden)
    if cell == "gru":
        return torch.nn.GRU(input_size, hidden)
    loops = {"indrnn": IndRNN, "sru": SRU, "mingru": MinGRU}
    if cell in loops:
        return loops[cell](input_size, hidden)
    raise SystemExit(f"torch_bench: unknown cell '{cell}' (elman, lstm, gru, indrnn, sru, mingru)")


def run_one(cell, shape, reps, warmup, device="cpu"):
    i, h, b, t, default_reps, default_warmup = parse_shape(shape)
    reps = reps if reps > 0 else default_reps
    warmup = warmup if warmup >= 0 else default_warmup
    torch.manual_seed(1234)
    layer = make_layer(cell, i, h).to(device)
    opt = torch.optim.SGD(layer.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(11)
    x = (torch.rand(t, b, i, generator=g) * 2 - 1).to(device)
    target = (torch.rand(t, b, h, generator=g) * 2 - 1).to(device)
    phases = {"fwd": 0.0, "bwd": 0.0, "opt": 0.0}
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)

    def step():
        t0 = time.perf_counter()
        out, _ = layer(x)
        loss = torch.nn.functional.mse_loss(out, target)
        sync()
        t1 = time.perf_counter()
        loss.backward()
        sync()
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        sync()
        t3 = time.perf_counter()
        phases["fwd"], phases["bwd"], phases["opt"] = (t1 - t0) * 1e3, (t2 - t1) * 1e3, (t3 - t2) * 1e3
        return (t3 - t0) * 1e3, loss.item()

    loss_first = None
    for k in range(warmup):
        _, l = step()
        if k == 0:
            loss_first = l
    tot, fw, bw, op = [], [], [], []
    loss = None
    for _ in range(reps):
        ms, loss = step()
        tot.append(ms)
        fw.append(phases["fwd"])
        bw.append(phases["bwd"])
        op.append(phases["opt"])
    return {
        "cell": cell, "shape": shape, "input": i, "hidden": h, "batch": b, "steps": t,
        "threads": torch.get_num_threads(), "reps": reps, "warmup": warmup,
        "median_ms": statistics.median(tot), "min_ms": min(tot), "max_ms": max(tot),
        "fwd_ms": statistics.median(fw), "bwd_ms": statistics.median(bw),
        "opt_ms": statistics.median(op), "loss_first": loss_first, "loss_last": loss,
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="elman,lstm,gru")
    ap.add_argument("--shapes", default="big,digits")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--reps", type=int, default=0, help="timed steps (default: big 20, digits 300)")
    ap.add_argument("--warmup", type=int, default=-1)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--device", "--backend", dest="device", choices=["cpu", "cuda"], default="cpu")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    results = []
    for shape in a.shapes.split(","):
        parse_shape(shape)  # unknown: exit with the message, before any work
        for cell in a.cells.split(","):
            r = run_one(cell, shape, a.reps, a.warmup, a.device)
            results.append(r)
            if not a.json:
                print(f"{shape:7s} {cell:6s} median {r['median_ms']:9.3f} ms  min {r['min_ms']:9.3f}"
                      f"  fwd {r['fwd_ms']:.3f}  bwd {r['bwd_ms']:.3f}  opt {r['opt_ms']:.3f}")
    if a.json:
        json.dump({
            "framework": "torch", "version": torch.__version__, "threads": a.threads,
            "device": torch.cuda.get_device_name() if a.device == "cuda" else "cpu",
            "cudnn": torch.backends.cudnn.version() if a.device == "cuda" else None,
            "omp_wait_policy": os.environ.get("OMP_WAIT_POLICY"),
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
            "results": results,
        }, sys.stdout, indent=1)
        print()


if __name__ == "__main__":
    main()
