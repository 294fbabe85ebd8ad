"""Reading run files (layout: framework/include/rnnlab/run_file.h, results/README.md).

A *run* argument is a path to a run file (str or os.PathLike), an open h5py.File, or a row of
load_runs() (anything with a "path" entry).
"""
import collections
import contextlib
import os

import h5py
import numpy as np
import pandas as pd

# Root attributes copied into load_runs() rows (when present).
ROOT_ATTRS = ("experiment", "model", "run", "sweep_id", "seed", "backend", "status", "steps",
              "epochs_completed", "train_time", "wall_time", "sequences_per_second",
              "parameters", "threads", "host", "git_sha", "started_at", "finished_at", "error")

Curves = collections.namedtuple("Curves", ["train", "eval"])


def _path_of(run):
    if isinstance(run, (str, os.PathLike)):
        return os.fspath(run)
    if isinstance(run, h5py.File):
        return run.filename
    try:
        return os.fspath(run["path"])
    except (KeyError, TypeError, IndexError):
        raise TypeError("expected a run file path, an h5py.File or a load_runs() row, got %r"
                        % type(run).__name__)


@contextlib.contextmanager
def _open(run):
    if isinstance(run, h5py.File):
        yield run
        return
    with h5py.File(_path_of(run), "r") as f:
        yield f


def _py(v):
    """An HDF5 attribute value as a Python scalar (str, int, float, bool)."""
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == ():
        v = v[()]
    if isinstance(v, np.bool_):
        return bool(v)
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def is_run_file(path):
    """True for an HDF5 file written by `rnnlab run` (root attr status and /config/resolved);
    False for other files, e.g. a sweep's summary.h5."""
    try:
        with h5py.File(path, "r") as f:
            return "status" in f.attrs and "config" in f and "resolved" in f["config"]
    except OSError:
        return False


def run_files(path):
    """Run files under `path`: the file itself, or every *.h5 run file below a folder (sorted)."""
    path = os.fspath(path)
    if os.path.isfile(path):
        return [path]
    if not os.path.isdir(path):
        raise FileNotFoundError("no run file or folder %s" % path)
    out = []
    for root, dirs, files in os.walk(path):
        dirs.sort()
        for name in sorted(files):
            p = os.path.join(root, name)
            if name.endswith(".h5") and is_run_file(p):
                out.append(p)
    return out


def values(run):
    """/config/values as a dict key -> typed value (int, float, bool, str); {} for run files
    written before /config/values existed."""
    with _open(run) as f:
        if "config" not in f or "values" not in f["config"]:
            return {}
        return {k: _py(v) for k, v in f["config"]["values"].attrs.items()}


def split(run):
    """(train, eval) example indices of the run (int64 numpy arrays) from /split."""
    with _open(run) as f:
        if "split" not in f:
            raise KeyError("%s has no /split (written by rnnlab before splits were recorded)"
                           % _path_of(run))
        return (np.asarray(f["split"]["train"][()], dtype=np.int64),
                np.asarray(f["split"]["eval"][()], dtype=np.int64))


def _table(f, group):
    if group not in f:
        return pd.DataFrame()
    g = f[group]
    return pd.DataFrame({k: np.asarray(g[k][()], dtype=np.float64) for k in g})


def curves(run):
    """Curves(train, eval): the /metrics and /eval tables as DataFrames, one column per metric
    (step, epoch, wall_time, loss, accuracy, ...), NaN where a metric was not logged."""
    with _open(run) as f:
        return Curves(_table(f, "metrics"), _table(f, "eval"))


def _last_finite(col):
    v = col[np.isfinite(col)]
    return float(v[-1]) if v.size else float("nan")


def _row(path):
    with h5py.File(path, "r") as f:
        row = {"path": path}
        for k in ROOT_ATTRS:
            if k in f.attrs:
                row[k] = _py(f.attrs[k])
        row.update(values(f))
        for group in ("metrics", "eval"):
            t = _table(f, group)
            for name in t.columns:
                if name in ("step", "epoch"):
                    continue
                row["%s.%s" % (group, name)] = _last_finite(t[name].to_numpy())
        if row.get("steps") and "train_time" in row:
            row["ms_per_step"] = 1e3 * row["train_time"] / row["steps"]
    return row


def load_runs(path):
    """Run files as a DataFrame, one row per run: `path` is a run file, a folder or a sweep
    folder (searched recursively; files that are not run files, e.g. summary.h5, are skipped).

    Columns: path; the root attributes (experiment, model, run, sweep_id, seed, status,
    steps, train_time, wall_time, ...); ms_per_step = 1000 train_time / steps; every
    /config/values key with its type (seed, cell, cell.hidden, layer0.hidden,
    data.split_seed, train.batch, optimizer.lr, ...); metrics.<name> = the last logged
    training value (metrics.loss, metrics.accuracy, ...) and eval.<name> = the last
    evaluation (eval.loss, eval.accuracy, ...). A key a run lacks is NaN in its row.
    """
    rows = [_row(p) for p in run_files(path)]
    if not rows:
        return pd.DataFrame(columns=["path"])
    return pd.DataFrame(rows)
