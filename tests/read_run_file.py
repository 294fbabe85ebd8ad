#!/usr/bin/env python3
"""Read an rnnlab run file with h5py alone (no rnnlab) and check its layout.

    /usr/bin/python3 tests/read_run_file.py RUN.h5 [--status S] [--rows GROUP=N]...
                                                   [--tensor PATH=DTYPE:SHAPE]...

Prints a summary of the file and checks the layout documented in
framework/include/rnnlab/run_file.h:
  - root attrs: status in running|finished|failed|interrupted, started_at ISO-8601 UTC,
    rnnlab_version a string, finished_at present unless running, seed/threads integers;
  - /config/source and /config/resolved (when present) scalar UTF-8 strings;
  - /metrics and /eval: only 1-D float64 datasets, chunked and extendible (maxshape None),
    all of one length (a rectangular table, NaN = not logged);
  - /params and /checkpoint: only groups and float32/float64/int32 datasets;
  - /config/values (when present): only scalar attributes of type str, int64, float64 or bool
    (h5py's enum bool); /split/train and /split/eval 1-D int32, disjoint, ascending, below
    /dataset@examples.
--status, --rows, --tensor (DTYPE float32|float64|int32, SHAPE like 2x3 or "scalar") and
--value (KEY=TYPE:VALUE, TYPE int|real|bool|str: a /config/values attribute) add
expectations. Exit 0 when everything holds, 1 when something does not (each problem on
stderr), 2 when the file cannot be opened, 3 when h5py is missing.
"""
import argparse
import re
import sys

try:
    import h5py
    import numpy as np
except ImportError as e:  # pragma: no cover - environment problem, not a layout problem
    print(f"read_run_file.py: cannot import h5py/numpy ({e}); install python3-h5py",
          file=sys.stderr)
    sys.exit(3)

STATUSES = {"running", "finished", "failed", "interrupted"}
ISO_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
TENSOR_DTYPES = {np.dtype("float32"), np.dtype("float64"), np.dtype("int32")}


def as_str(v):
    if isinstance(v, bytes):
        return v.decode("utf-8")
    if isinstance(v, np.ndarray) and v.shape == ():
        return as_str(v[()])
    return v


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file")
    ap.add_argument("-q", "--quiet", action="store_true",
                    help="print only problems (on stderr), no summary")
    ap.add_argument("--status", help="expected root status attribute")
    ap.add_argument("--rows", action="append", default=[], metavar="GROUP=N",
                    help="expected number of rows of a metrics group")
    ap.add_argument("--tensor", action="append", default=[], metavar="PATH=DTYPE:SHAPE",
                    help="expected dataset dtype and shape")
    ap.add_argument("--value", action="append", default=[], metavar="KEY=TYPE:VALUE",
                    help="expected /config/values attribute (TYPE int|real|bool|str)")
    args = ap.parse_args()

    problems = []

    def problem(msg):
        problems.append(msg)

    try:
        f = h5py.File(args.file, "r")
    except OSError as e:
        print(f"read_run_file.py: cannot open {args.file}: {e}", file=sys.stderr)
        return 2

    if args.quiet:
        def say(*_a, **_k):
            pass
    else:
        say = print

    with f:
        # ---- root attributes ----
        attrs = {k: as_str(v) for k, v in f.attrs.items()}
        say(f"{args.file}")
        for k in sorted(attrs):
            say(f"  @{k} = {attrs[k]!r}")
        status = attrs.get("status")
        if not isinstance(status, str) or status not in STATUSES:
            problem(f"root attr status = {status!r}; expected one of {sorted(STATUSES)}")
        for k in ("started_at", "finished_at"):
            if k in attrs and not (isinstance(attrs[k], str) and ISO_UTC.match(attrs[k])):
                problem(f"root attr {k} = {attrs[k]!r} is not ISO-8601 UTC")
        if "started_at" not in attrs:
            problem("root attr started_at missing")
        if status in STATUSES - {"running"} and "finished_at" not in attrs:
            problem(f"status {status} but no finished_at")
        if not isinstance(attrs.get("rnnlab_version"), str):
            problem("root attr rnnlab_version missing or not a string")
        for k in ("seed", "threads"):
            if k in attrs and not isinstance(attrs[k], (int, np.integer)):
                problem(f"root attr {k} = {attrs[k]!r} is not an integer")
        for k in ("git_sha", "experiment", "model", "backend"):
            if k in attrs and not isinstance(attrs[k], str):
                problem(f"root attr {k} = {attrs[k]!r} is not a string")
        if args.status is not None and status != args.status:
            problem(f"status is {status!r}; expected {args.status!r}")

        # ---- config text ----
        for name in ("config/source", "config/resolved"):
            if name in f:
                ds = f[name]
                if ds.shape != () or ds.dtype.kind not in ("O", "S"):
                    problem(f"/{name} is not a scalar string (shape {ds.shape}, {ds.dtype})")
                    continue
                try:
                    text = ds.asstr()[()]
                except UnicodeDecodeError as e:
                    problem(f"/{name} is not UTF-8: {e}")
                    continue
                say(f"  /{name}: {len(text)} characters")

        # ---- metric tables ----
        for group in ("metrics", "eval"):
            if group not in f:
                continue
            g = f[group]
            lengths = {}
            for name, ds in g.items():
                where = f"/{group}/{name}"
                if not isinstance(ds, h5py.Dataset):
                    problem(f"{where} is not a dataset")
                    continue
                if ds.ndim != 1:
                    problem(f"{where} is {ds.ndim}-D; expected 1-D")
                if ds.dtype != np.float64:
                    problem(f"{where} is {ds.dtype}; expected float64")
                if ds.chunks is None or ds.maxshape != (None,):
                    problem(f"{where} is not chunked/extendible "
                            f"(chunks {ds.chunks}, maxshape {ds.maxshape})")
                lengths[name] = ds.shape[0] if ds.ndim == 1 else -1
            if len(set(lengths.values())) > 1:
                problem(f"/{group} columns differ in length: {lengths}")
            rows = next(iter(lengths.values()), 0)
            # The table a pandas user would build: dict of equal-length columns.
            table = {k: g[k][:] for k in lengths}
            say(f"  /{group}: {rows} rows, columns {list(table)}")
            for i in range(min(rows, 5)):
                say("    " + "  ".join(f"{k}={table[k][i]:.6g}" for k in table))

        for spec in args.rows:
            group, _, n = spec.partition("=")
            have = len(f[group][next(iter(f[group]))]) if group in f and len(f[group]) else 0
            if have != int(n):
                problem(f"/{group} has {have} rows; expected {n}")

        # ---- tensors ----
        for group in ("params", "checkpoint"):
            if group not in f:
                continue

            def visit(name, obj, group=group):
                where = f"/{group}/{name}"
                if isinstance(obj, h5py.Dataset):
                    if obj.dtype not in TENSOR_DTYPES:
                        problem(f"{where} is {obj.dtype}; expected float32/float64/int32")
                    say(f"  {where}: {obj.dtype} {obj.shape}")

            f[group].visititems(visit)

        for spec in args.tensor:
            path, _, want = spec.partition("=")
            want_dtype, _, want_shape = want.partition(":")
            if path not in f or not isinstance(f[path], h5py.Dataset):
                problem(f"/{path} missing")
                continue
            ds = f[path]
            shape = () if want_shape == "scalar" else tuple(int(x) for x in want_shape.split("x"))
            if ds.dtype != np.dtype(want_dtype) or ds.shape != shape:
                problem(f"/{path} is {ds.dtype} {ds.shape}; expected {want_dtype} {shape}")

        # ---- typed configuration values and the split ----
        vals = {}
        if "config" in f and "values" in f["config"]:
            for k, v in f["config"]["values"].attrs.items():
                v = as_str(v)
                ok = (isinstance(v, str) or (isinstance(v, np.generic) and v.shape == () and
                                              v.dtype in (np.int64, np.float64, np.bool_)))
                if not ok:
                    problem(f"/config/values@{k} = {v!r} ({type(v).__name__}) is not a scalar "
                            "str/int64/float64/bool")
                vals[k] = v
            say(f"  /config/values: {len(vals)} keys")
        for spec in args.value:
            key, _, want = spec.partition("=")
            want_type, _, want_value = want.partition(":")
            if key not in vals:
                problem(f"/config/values has no {key!r}")
                continue
            v = vals[key]
            types = {"int": np.int64, "real": np.float64, "bool": np.bool_, "str": str}
            parse = {"int": int, "real": float, "bool": lambda t: t == "true", "str": str}
            if want_type not in types:
                problem(f"--value {spec}: TYPE must be int, real, bool or str")
            elif type(v) is not types[want_type] or v != parse[want_type](want_value):
                problem(f"/config/values@{key} = {v!r} ({type(v).__name__}); expected "
                        f"{want_type} {want_value}")
        if "split" in f:
            parts = {}
            for name in ("train", "eval"):
                ds = f["split"].get(name)
                if not isinstance(ds, h5py.Dataset) or ds.ndim != 1 or ds.dtype != np.int32:
                    problem(f"/split/{name} missing or not a 1-D int32 dataset")
                    continue
                parts[name] = ds[:]
                if np.any(np.diff(parts[name]) <= 0):
                    problem(f"/split/{name} is not strictly ascending")
            if len(parts) == 2:
                if np.intersect1d(parts["train"], parts["eval"]).size:
                    problem("/split/train and /split/eval overlap")
                n = f["dataset"].attrs.get("examples") if "dataset" in f else None
                top = max([p.max() for p in parts.values() if p.size], default=-1)
                if n is None or top >= n:
                    problem(f"/split index {top} not below /dataset@examples = {n}")
                say(f"  /split: {parts['train'].size} train, {parts['eval'].size} eval")

    for p in problems:
        print(f"read_run_file.py: {args.file}: {p}", file=sys.stderr)
    say("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
