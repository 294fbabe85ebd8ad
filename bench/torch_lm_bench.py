#!/usr/bin/python3
"""PyTorch baseline for lm_bench: one training step of a language model.

nn.Embedding(V, H) -> nn.LSTM / nn.GRU / nn.RNN(H, H) -> nn.Linear(H, V) -> F.cross_entropy over
every token, SGD (lr 1e-3) and zero_grad; random token ids and targets made once, outside the
timed region. Median and min ms over `reps` timed steps after `warmup` untimed ones.
Shapes (as lm_bench.cpp): char = V 64, H 512, B 32, T 100; word = V 10000, H 256, B 32, T 35.

Run with Debian's interpreter (python3-torch), through lm_run.sh for a fair comparison:
    /usr/bin/python3 bench/torch_lm_bench.py --threads 2 --json
"""
import argparse
import json
import statistics
import time

import torch

# name: vocab, hidden, batch, steps, default reps, default warmup -- as parse_lm_shape in
# lm_bench.cpp.
SHAPES = {"char": (64, 512, 32, 100, 15, 3), "word": (10000, 256, 32, 35, 15, 3)}
LAYERS = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU,
          "elman": lambda i, h: torch.nn.RNN(i, h, nonlinearity="tanh")}


class LanguageModel(torch.nn.Module):
    def __init__(self, cell, vocab, hidden):
        super().__init__()
        self.embed = torch.nn.Embedding(vocab, hidden)
        self.rnn = LAYERS[cell](hidden, hidden)
        self.out = torch.nn.Linear(hidden, vocab)

    def forward(self, ids):
        y, _ = self.rnn(self.embed(ids))
        return self.out(y)


def run_one(cell, shape, reps, warmup):
    vocab, hidden, batch, steps, default_reps, default_warmup = SHAPES[shape]
    reps = reps if reps > 0 else default_reps
    warmup = warmup if warmup >= 0 else default_warmup
    torch.manual_seed(1234)
    model = LanguageModel(cell, vocab, hidden)
    opt = torch.optim.SGD(model.parameters(), lr=1e-3)
    g = torch.Generator().manual_seed(11)
    ids = torch.randint(0, vocab, (steps, batch), generator=g)
    target = torch.randint(0, vocab, (steps * batch,), generator=g)
    phases = {}

    def step():
        t0 = time.perf_counter()
        logits = model(ids)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, vocab), target)
        t1 = time.perf_counter()
        loss.backward()
        t2 = time.perf_counter()
        opt.step()
        opt.zero_grad(set_to_none=True)
        t3 = time.perf_counter()
        phases.update(fwd=(t1 - t0) * 1e3, bwd=(t2 - t1) * 1e3, opt=(t3 - t2) * 1e3)
        return (t3 - t0) * 1e3, loss.item()

    loss_first = None
    for k in range(max(warmup, 1)):
        _, loss = step()
        loss_first = loss if k == 0 else loss_first
    tot, fw, bw, op = [], [], [], []
    for _ in range(reps):
        ms, loss = step()
        tot.append(ms)
        fw.append(phases["fwd"])
        bw.append(phases["bwd"])
        op.append(phases["opt"])
    return {"cell": cell, "shape": shape, "vocab": vocab, "hidden": hidden, "batch": batch,
            "steps": steps, "reps": reps, "median_ms": statistics.median(tot), "min_ms": min(tot),
            "fwd_ms": statistics.median(fw), "bwd_ms": statistics.median(bw),
            "opt_ms": statistics.median(op), "loss_first": loss_first, "loss_last": loss}


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cells", default="lstm,gru")
    ap.add_argument("--shapes", default="char,word")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--reps", type=int, default=0)
    ap.add_argument("--warmup", type=int, default=-1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    results = []
    for shape in a.shapes.split(","):
        if shape not in SHAPES:
            raise SystemExit(f"torch_lm_bench: unknown shape '{shape}' (char, word)")
        for cell in a.cells.split(","):
            if cell not in LAYERS:
                raise SystemExit(f"torch_lm_bench: unknown cell '{cell}' (lstm, gru, elman)")
            results.append(run_one(cell, shape, a.reps, a.warmup))
    doc = {"framework": "torch", "version": torch.__version__,
           "threads": torch.get_num_threads(), "results": results}
    if a.json:
        print(json.dumps(doc, indent=1))
    else:
        for r in results:
            print(f"{r['shape']:5s} {r['cell']:5s} median {r['median_ms']:8.2f} ms  "
                  f"min {r['min_ms']:8.2f} ms")


if __name__ == "__main__":
    main()
