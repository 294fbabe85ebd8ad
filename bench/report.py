#!/usr/bin/python3
"""Merge rnnlab_bench and torch_bench JSON into one table (used by run.sh).

report.py RNNLAB_JSON TORCH_JSON [--composed RNNLAB_COMPOSED_JSON] [--onednn ONEDNN_JSON]
          [--write results.md] [--title TEXT] [--baseline CELL=TORCHCELL]...
--baseline qrnn=lstm compares rnnlab's qrnn rows with torch's lstm at the same shape (a cell
torch has no layer for); the cell column then reads 'qrnn/lstm'.
Columns: shape, cell, rnnlab ms (median), torch ms (median), ratio rnnlab/torch, floor ms
(the step's GEMMs alone), rnnlab/floor; with --composed also the rnnlab composed path; with
--onednn also oneDNN's RNN primitives (onednn_bench) and rnnlab/oneDNN.
"""
import argparse
import json


def load(path):
    if path is None:
        return None
    with open(path) as f:
        return json.load(f)


def index(doc):
    return {(r["shape"], r["cell"]): r for r in doc["results"]} if doc else {}


def fmt(v, spec=".2f"):
    if v is None:
        width = spec.split(".")[0]
        return format("n/a", ">" + width) if width else "n/a"
    return format(v, spec)


def ratio(a, b):
    return None if a is None or b is None or b == 0 else a / b


def ms_cell(r):
    """'median (min)' for the markdown table."""
    return "n/a" if r is None else f"{r['median_ms']:.2f} ({r['min_ms']:.2f})"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("rnnlab")
    ap.add_argument("torch")
    ap.add_argument("--composed")
    ap.add_argument("--onednn")
    ap.add_argument("--write")
    ap.add_argument("--title", default="")
    ap.add_argument("--baseline", action="append", default=[], metavar="CELL=TORCHCELL")
    a = ap.parse_args()
    base = dict(b.split("=", 1) for b in a.baseline)
    ours, theirs, comp, dnn = load(a.rnnlab), load(a.torch), load(a.composed), load(a.onednn)
    oi, ti, ci, di = index(ours), index(theirs), index(comp), index(dnn)

    rows = []
    for key, r in oi.items():
        t = ti.get((key[0], base.get(key[1], key[1])))
        c = ci.get(key)
        d = di.get(key)
        label = key[1] + ("/" + base[key[1]] if key[1] in base else "")
        rows.append({
            "shape": key[0], "cell": label, "r": r, "t": t, "c": c, "d": d,
            "vs_onednn": ratio(r["median_ms"], d["median_ms"] if d else None),
            "ratio": ratio(r["median_ms"], t["median_ms"] if t else None),
            "floor": r.get("floor_ms"),
            "over_floor": ratio(r["median_ms"], r.get("floor_ms")),
            "fused_gain": ratio(c["median_ms"], r["median_ms"]) if c else None,
        })

    # Console table.
    head = f"{'shape':15s} {'cell':10s} {'rnnlab ms':>10s} {'torch ms':>10s} {'ratio':>6s} " \
           f"{'floor ms':>9s} {'/floor':>7s}"
    if comp:
        head += f" {'composed':>10s} {'comp/fused':>10s}"
    if dnn:
        head += f" {'oneDNN ms':>10s} {'/oneDNN':>8s}"
    print(head)
    for w in rows:
        line = (f"{w['shape']:15s} {w['cell']:10s} {w['r']['median_ms']:10.3f} "
                f"{fmt(w['t']['median_ms'] if w['t'] else None, '10.3f')} {fmt(w['ratio'], '6.2f')} "
                f"{fmt(w['floor'], '9.3f')} {fmt(w['over_floor'], '7.2f')}")
        if comp:
            line += (f" {fmt(w['c']['median_ms'] if w['c'] else None, '10.3f')}"
                     f" {fmt(w['fused_gain'], '10.2f')}")
        if dnn:
            line += (f" {fmt(w['d']['median_ms'] if w['d'] else None, '10.3f')}"
                     f" {fmt(w['vs_onednn'], '8.2f')}")
        print(line)
    rates = ", ".join(f"{q['shape']} {q['gflops']:.0f}" for q in ours.get("sgemm_gflops", []))
    if rates:
        print(f"SGEMM GFLOP/s (cpu_gemm, {ours['threads']} threads): {rates}")

    if a.write:
        md = []
        if a.title:
            md += [a.title, ""]
        cols = ["shape", "cell", "rnnlab ms", "torch ms", "rnnlab/torch", "floor ms",
                "rnnlab/floor"]
        if comp:
            cols += ["rnnlab composed ms", "composed/fused"]
        if dnn:
            cols += ["oneDNN ms", "rnnlab/oneDNN"]
        md.append("| " + " | ".join(cols) + " |")
        md.append("|" + "---|" * len(cols))
        for w in rows:
            cells = [w["shape"], w["cell"], ms_cell(w["r"]), ms_cell(w["t"]), fmt(w["ratio"]),
                     fmt(w["floor"]), fmt(w["over_floor"])]
            if comp:
                cells += [ms_cell(w["c"]), fmt(w["fused_gain"])]
            if dnn:
                cells += [ms_cell(w["d"]), fmt(w["vs_onednn"])]
            md.append("| " + " | ".join(cells) + " |")
        md.append("")
        md.append("ms = median (min) per training step. floor = the step's GEMMs alone, each "
                  "GEMM shape timed with cpu_gemm at the same thread count.")
        if rates:
            md.append(f"SGEMM GFLOP/s (cpu_gemm, {ours['threads']} threads): {rates}.")
        with open(a.write, "w") as f:
            f.write("\n".join(md) + "\n")
        print(f"wrote {a.write}")


if __name__ == "__main__":
    main()
