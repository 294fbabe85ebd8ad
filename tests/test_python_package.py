#!/usr/bin/python3
"""ctest python_package: the Python package python/rnnlab against real runs of the rnnlab CLI.

    PYTHONPATH=python /usr/bin/python3 tests/test_python_package.py \
        --cli build/cli/rnnlab --work DIR

1. Writes a small dataset as .npy files (variable-length sequences, 3 classes; and a per-step
   regression set) and two .rnn files using the `npy` data source: elman, lstm and gru models
   (-> dense) swept over seed 1, 2; one lstm per-step regression model.
2. Runs the classifiers as a local sweep (`rnnlab sweep --executor local`, then `rnnlab
   collect`, which writes the sweep's summary.h5) and the regression with `rnnlab run`.
3. load_runs(folder): one row per run (the sweep's summary.h5 is not a run and is skipped),
   typed columns from /config/values and final metrics; the held-out set (/split/eval) is the
   same for both seeds.
4. to_torch(run) on every run: the eval metrics of the last /eval row (accuracy and loss, or
   the MSE) reproduced in PyTorch from the run's own eval indices within 1e-4.
5. curves(run): the /metrics and /eval tables.
Exit 0 when everything holds; otherwise an AssertionError (exit 1).
"""
import argparse
import os
import shutil
import subprocess
import sys

import numpy as np
import torch

import rnnlab

TOL = 1e-4

CLASSIFY_RNN = """experiment pkg_classify {
  seed 1
  data npy { inputs "x.npy"  targets "y.npy"  lengths "len.npy"  test_fraction 0.25 }
  model elman = elman(hidden: 12) -> dense(3)
  model lstm = lstm(hidden: 10) -> dense(3)
  model gru = gru(hidden: 8) -> dense(3)
  train { loss softmax_cross_entropy  optimizer adam(lr: 2e-2)  batch 16  steps 40 }
  sweep { seed: [1, 2] }
}
"""

REGRESS_RNN = """experiment pkg_regress {
  seed 4
  data npy { inputs "x.npy"  targets "y_step.npy"  test_fraction 0.2  split_seed 7 }
  model lstm = lstm(hidden: 6) -> dense(2, activation: tanh)
  train { loss mse  optimizer adam(lr: 1e-2)  batch 20  steps 30  stateful false }
}
"""


def make_data(d):
    rng = np.random.default_rng(5)
    N, T, I = 120, 7, 3
    x = rng.normal(size=(N, T, I)).astype(np.float32)
    lengths = rng.integers(2, T + 1, size=N).astype(np.int64)
    # class: which feature has the largest sum over the valid steps
    mask = (np.arange(T)[None, :] < lengths[:, None])[:, :, None]
    y = np.argmax((x * mask).sum(axis=1), axis=1).astype(np.int64)
    y_step = np.stack([np.cumsum(x[:, :, 0], axis=1) / 4, x[:, :, 1] * x[:, :, 2]], axis=2)
    np.save(os.path.join(d, "x.npy"), x)
    np.save(os.path.join(d, "len.npy"), lengths)
    np.save(os.path.join(d, "y.npy"), y)
    np.save(os.path.join(d, "y_step.npy"), y_step.astype(np.float64))
    return x, lengths, y, y_step


def run_cli(cli, *args):
    r = subprocess.run([cli] + list(args), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True, env=dict(os.environ, RNNLAB_THREADS="1"))
    assert r.returncode == 0, "rnnlab %s failed (%d):\n%s" % (" ".join(args), r.returncode,
                                                               r.stdout)


def last_eval(path):
    ev = rnnlab.curves(path).eval
    assert len(ev) >= 1, "%s has no /eval rows" % path
    return ev.iloc[-1]


def check_classifier(path, x, lengths, y):
    _, ev_idx = rnnlab.split(path)
    model = rnnlab.to_torch(path)
    with torch.no_grad():
        xb = torch.as_tensor(x[ev_idx]).transpose(0, 1)  # [T,B,I]
        logits = model(xb, lengths[ev_idx])
        labels = torch.as_tensor(y[ev_idx])
        acc = (logits.argmax(dim=1) == labels).double().mean().item()
        loss = torch.nn.functional.cross_entropy(logits.double(), labels).item()
    want = last_eval(path)
    assert abs(acc - want["accuracy"]) <= TOL, "%s: torch accuracy %.6f, rnnlab %.6f" % (
        path, acc, want["accuracy"])
    assert abs(loss - want["loss"]) <= TOL, "%s: torch loss %.7f, rnnlab %.7f" % (
        path, loss, want["loss"])
    print("  %-60s accuracy %.4f (rnnlab %.4f)  loss %.6f (rnnlab %.6f)" % (
        os.path.relpath(path), acc, want["accuracy"], loss, want["loss"]))


def check_regressor(path, x, y_step):
    train_idx, ev_idx = rnnlab.split(path)
    assert len(ev_idx) == 24 and len(train_idx) == 96, (len(train_idx), len(ev_idx))
    model = rnnlab.to_torch(path)
    assert model.sequences[0], "per-step targets: the lstm must return every step"
    with torch.no_grad():
        out = model(torch.as_tensor(x[ev_idx]).transpose(0, 1))  # [T,B,2]
        target = torch.as_tensor(y_step[ev_idx]).transpose(0, 1)
        mse = ((out.double() - target) ** 2).mean().item()
    want = last_eval(path)
    assert abs(mse - want["loss"]) <= TOL, "%s: torch MSE %.7f, rnnlab %.7f" % (
        path, mse, want["loss"])
    print("  %-60s mse %.6f (rnnlab %.6f)" % (os.path.relpath(path), mse, want["loss"]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", required=True)
    a = ap.parse_args()
    torch.set_num_threads(1)
    if os.path.isdir(a.work):
        shutil.rmtree(a.work)
    os.makedirs(a.work)
    x, lengths, y, y_step = make_data(a.work)
    for name, text in (("classify.rnn", CLASSIFY_RNN), ("regress.rnn", REGRESS_RNN)):
        with open(os.path.join(a.work, name), "w") as f:
            f.write(text)
    out = os.path.join(a.work, "runs")
    run_cli(a.cli, "sweep", os.path.join(a.work, "classify.rnn"), "--executor", "local",
            "--jobs", "2", "--out", out)
    run_cli(a.cli, "collect", out)
    assert os.path.isfile(os.path.join(out, "summary.h5")), os.listdir(out)
    assert not rnnlab.is_run_file(os.path.join(out, "summary.h5"))
    run_cli(a.cli, "run", os.path.join(a.work, "regress.rnn"), "--out", out)

    # ---- load_runs ----
    runs = rnnlab.load_runs(out)
    assert len(runs) == 7, "expected 7 runs, got %d:\n%s" % (len(runs), runs.get("path"))
    for col in ("path", "experiment", "model", "run", "sweep_id", "seed", "status", "steps",
                "ms_per_step", "cell", "cell.hidden", "layer0.kind", "layer1.units",
                "data.source", "data.split_seed", "data.test_fraction", "train.batch",
                "train.stateful", "train.optimizer", "optimizer.lr", "metrics.loss",
                "eval.loss", "eval.accuracy"):
        assert col in runs.columns, "load_runs has no column %r; columns: %s" % (
            col, sorted(runs.columns))
    assert (runs["status"] == "finished").all(), runs[["run", "status"]]
    cls = runs[runs["experiment"] == "pkg_classify"]
    assert sorted(cls["cell"]) == ["elman", "elman", "gru", "gru", "lstm", "lstm"], cls["cell"]
    assert sorted(cls["seed"]) == [1, 1, 1, 2, 2, 2], cls["seed"]
    assert cls["cell.hidden"].dtype == np.int64, cls["cell.hidden"].dtype
    assert runs["optimizer.lr"].dtype == np.float64, runs["optimizer.lr"].dtype
    assert runs["train.stateful"].dtype == np.bool_, runs["train.stateful"].dtype
    assert set(cls["data.split_seed"]) == {1}, cls["data.split_seed"]
    reg = runs[runs["experiment"] == "pkg_regress"].iloc[0]
    assert reg["data.split_seed"] == 7 and reg["cell"] == "lstm", reg
    assert reg["layer1.activation"] == "tanh", reg
    by_cell = cls.groupby("cell")["eval.accuracy"].mean()
    print("mean eval accuracy by cell:\n" + by_cell.to_string())

    # ---- splits: the held-out set does not depend on the model seed ----
    evals = {r.seed: rnnlab.split(r.path)[1] for r in cls.itertuples() if r.cell == "lstm"}
    assert np.array_equal(evals[1], evals[2]), "seeds 1 and 2 hold out different examples"
    assert len(evals[1]) == 30, len(evals[1])

    # ---- to_torch reproduces every run's eval metrics ----
    for p in cls["path"]:
        check_classifier(p, x, lengths, y)
    check_regressor(reg["path"], x, y_step)

    # ---- curves ----
    tr, ev = rnnlab.curves(reg["path"])
    assert {"step", "loss"} <= set(tr.columns) and tr["step"].iloc[-1] == 30, tr.tail()
    assert "loss" in ev.columns and len(ev) >= 1, ev
    print("python_package: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
