#!/usr/bin/python3
"""TensorBoard event files of `rnnlab run/sweep --tensorboard`, read by an independent reader.

The reader knows nothing of rnnlab: TFRecord framing checked with Debian's python3-crc32c, and
the Event / Summary / hparams messages parsed by Python's protobuf (Debian python3-protobuf)
from a schema written here from TensorBoard's documented field numbers (event.proto,
summary.proto, plugins/hparams/plugin_data.proto and api.proto, google/protobuf/struct.proto),
the message classes built at run time (descriptor_pb2 + message_factory, no generated files).

Checks, through the real binary:
  run      experiments/digits_lstm.rnn (a shorter budget): the first record is the file
           version; every scalar equals its /metrics, /eval or /epochs row in the run file (as
           float32), with that row's step; steps increase per tag; the hparams session start
           holds /config/values, the end says success
  resume   a run stopped by SIGINT mid-run (checkpoint_every) and resumed: two event files, no
           step twice for any tag, the values still equal the (final) run file's rows
  truncate a copy of an event file cut mid-record reads up to its last whole record
  sweep    `rnnlab sweep --tensorboard` gives one folder per run with its own events
  setting  the train setting `tensorboard "DIR"` (relative to the .rnn file) and --tensorboard
           winning over it

usage: test_tensorboard.py --cli build/cli/rnnlab --work DIR --source REPO
"""
import argparse
import glob
import os
import shutil
import signal
import struct
import subprocess
import sys
import time

import crc32c
import h5py
import numpy as np
from google.protobuf import descriptor_pb2, descriptor_pool
from google.protobuf import message_factory

F = descriptor_pb2.FieldDescriptorProto


def build_schema():
    """Event, Summary, SummaryMetadata, HParamsPluginData, SessionStart/EndInfo, Value."""
    fd = descriptor_pb2.FileDescriptorProto(name="rnnlab_tb_test.proto", package="tbtest",
                                            syntax="proto3")

    def message(name, fields, nested=()):
        m = descriptor_pb2.DescriptorProto(name=name)
        for fname, number, ftype, label, type_name, oneof in fields:
            f = m.field.add(name=fname, number=number, type=ftype, label=label)
            if type_name:
                f.type_name = type_name
            if oneof is not None:
                f.oneof_index = oneof
        for n in nested:
            m.nested_type.add().CopyFrom(n)
        return m

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    # google.protobuf.Value (struct.proto): number_value 2, string_value 3, bool_value 4
    value = message("PValue", [("number_value", 2, F.TYPE_DOUBLE, opt, None, 0),
                               ("string_value", 3, F.TYPE_STRING, opt, None, 0),
                               ("bool_value", 4, F.TYPE_BOOL, opt, None, 0)])
    value.oneof_decl.add(name="kind")
    entry = message("HparamsEntry", [("key", 1, F.TYPE_STRING, opt, None, None),
                                     ("value", 2, F.TYPE_MESSAGE, opt, ".tbtest.PValue", None)])
    entry.options.map_entry = True
    start = message("SessionStartInfo",
                    [("hparams", 1, F.TYPE_MESSAGE, rep, ".tbtest.SessionStartInfo.HparamsEntry",
                      None),
                     ("model_uri", 2, F.TYPE_STRING, opt, None, None),
                     ("monitor_url", 3, F.TYPE_STRING, opt, None, None),
                     ("group_name", 4, F.TYPE_STRING, opt, None, None),
                     ("start_time_secs", 5, F.TYPE_DOUBLE, opt, None, None)], nested=[entry])
    end = message("SessionEndInfo", [("status", 1, F.TYPE_INT32, opt, None, None),
                                     ("end_time_secs", 2, F.TYPE_DOUBLE, opt, None, None)])
    plugin = message("HParamsPluginData",
                     [("version", 1, F.TYPE_INT32, opt, None, None),
                      ("session_start_info", 3, F.TYPE_MESSAGE, opt, ".tbtest.SessionStartInfo", 0),
                      ("session_end_info", 4, F.TYPE_MESSAGE, opt, ".tbtest.SessionEndInfo", 0)])
    plugin.oneof_decl.add(name="data")
    plugin_data = message("PluginData", [("plugin_name", 1, F.TYPE_STRING, opt, None, None),
                                         ("content", 2, F.TYPE_BYTES, opt, None, None)])
    metadata = message("SummaryMetadata",
                       [("plugin_data", 1, F.TYPE_MESSAGE, opt, ".tbtest.PluginData", None)])
    sv = message("SummaryValue", [("tag", 1, F.TYPE_STRING, opt, None, None),
                                  ("simple_value", 2, F.TYPE_FLOAT, opt, None, 0),
                                  ("metadata", 9, F.TYPE_MESSAGE, opt, ".tbtest.SummaryMetadata",
                                   None)])
    sv.oneof_decl.add(name="value")
    summary = message("Summary", [("value", 1, F.TYPE_MESSAGE, rep, ".tbtest.SummaryValue",
                                   None)])
    event = message("Event", [("wall_time", 1, F.TYPE_DOUBLE, opt, None, None),
                              ("step", 2, F.TYPE_INT64, opt, None, None),
                              ("file_version", 3, F.TYPE_STRING, opt, None, 0),
                              ("summary", 5, F.TYPE_MESSAGE, opt, ".tbtest.Summary", 0)])
    event.oneof_decl.add(name="what")
    for m in (value, start, end, plugin, plugin_data, metadata, sv, summary, event):
        fd.message_type.add().CopyFrom(m)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)

    def cls(name):
        d = pool.FindMessageTypeByName("tbtest." + name)
        if hasattr(message_factory, "GetMessageClass"):
            return message_factory.GetMessageClass(d)
        return message_factory.MessageFactory(pool).GetPrototype(d)

    return cls("Event"), cls("HParamsPluginData")


Event, HParamsPluginData = build_schema()


def masked(data):
    c = crc32c.crc32c(data)
    return (((c >> 15) | (c << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def read_records(path):
    """(records, whole): the records' data up to the first incomplete one; CRCs must match."""
    data = open(path, "rb").read()
    out, pos = [], 0
    while pos < len(data):
        if len(data) - pos < 12:
            return out, False
        header = data[pos:pos + 8]
        (n,) = struct.unpack("<Q", header)
        (hcrc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        assert hcrc == masked(header), f"{path}: bad length CRC at {pos}"
        if len(data) - pos < 16 + n:
            return out, False
        body = data[pos + 12:pos + 12 + n]
        (dcrc,) = struct.unpack("<I", data[pos + 12 + n:pos + 16 + n])
        assert dcrc == masked(body), f"{path}: bad data CRC at {pos}"
        out.append(body)
        pos += 16 + n
    return out, True


def read_events(path):
    records, whole = read_records(path)
    assert whole, f"{path} ends with an incomplete record"
    events = [Event.FromString(r) for r in records]
    assert events and events[0].file_version == "brain.Event:2", path
    return events


def event_files(folder):
    files = sorted(glob.glob(os.path.join(folder, "events.out.tfevents.*")))
    assert files, f"no event file in {folder}"
    return files


def scalars(files):
    """{tag: [(step, value), ...]} over the files in order; steps must increase per tag."""
    out = {}
    for f in files:
        for ev in read_events(f):
            for v in ev.summary.value:
                if v.WhichOneof("value") == "simple_value":
                    out.setdefault(v.tag, []).append((ev.step, v.simple_value))
    for tag, pts in out.items():
        steps = [s for s, _ in pts]
        assert steps == sorted(set(steps)), f"{tag}: steps repeat or go back: {steps}"
    return out


def hparams(files):
    """(session start infos, session end infos) of the files."""
    starts, ends = [], []
    for f in files:
        for ev in read_events(f):
            for v in ev.summary.value:
                if v.metadata.plugin_data.plugin_name != "hparams":
                    continue
                d = HParamsPluginData.FromString(v.metadata.plugin_data.content)
                assert d.version == 0
                if v.tag == "_hparams_/session_start_info":
                    assert d.WhichOneof("data") == "session_start_info"
                    starts.append(d.session_start_info)
                elif v.tag == "_hparams_/session_end_info":
                    assert d.WhichOneof("data") == "session_end_info"
                    ends.append(d.session_end_info)
                else:
                    raise AssertionError(f"unknown hparams tag {v.tag}")
    return starts, ends


TABLES = {"train": ("metrics", "step", {"loss": "loss", "accuracy": "accuracy",
                                        "grad_norm": "grad_norm",
                                        "sequences_per_second": "sequences_per_second"}),
          "eval": ("eval", "step", {"loss": "loss", "accuracy": "accuracy",
                                    "bpc": "bits_per_char", "perplexity": "perplexity"}),
          "epoch": ("epochs", "epoch", {"loss": "loss", "train_time": "train_time"})}


def check_against_run_file(tags, run_path):
    """Every scalar tag equals its run-file column, row by row, as float32."""
    with h5py.File(run_path, "r") as f:
        seen = set()
        for prefix, (table, step_col, cols) in TABLES.items():
            if table not in f:
                continue
            g = f[table]
            steps = np.asarray(g[step_col][()]).astype(np.int64)
            for short, col in cols.items():
                if col not in g:
                    continue
                tag = f"{prefix}/{short}"
                assert tag in tags, f"{tag} missing from the events ({sorted(tags)})"
                seen.add(tag)
                got_steps = [s for s, _ in tags[tag]]
                got = np.array([v for _, v in tags[tag]], dtype=np.float32)
                assert got_steps == steps.tolist(), f"{tag}: steps {got_steps} vs {steps.tolist()}"
                want = np.asarray(g[col][()]).astype(np.float32)
                assert np.array_equal(got, want), f"{tag}: {got} vs {want}"
        assert seen == set(tags), f"tags without a run-file column: {set(tags) - seen}"
        return {k: f["config/values"].attrs[k] for k in f["config/values"].attrs}


def run(cmd, **kw):
    print("+", " ".join(cmd), flush=True)
    r = subprocess.run(cmd, **kw)
    assert r.returncode == 0, f"exit {r.returncode}: {' '.join(cmd)}"
    return r


def test_run(cli, work, source):
    tb = os.path.join(work, "tb")
    out = os.path.join(work, "results")
    run([cli, "run", os.path.join(source, "experiments/digits_lstm.rnn"), "--tensorboard", tb,
         "-o", out, "-q", "--set", "train.steps=300", "--set", "train.eval_every=100",
         "--set", "train.log_every=20", "--set", "model.lstm.hidden=32"])
    folder = os.path.join(tb, "digits_lstm", "lstm")
    files = event_files(folder)
    assert len(files) == 1, files
    tags = scalars(files)
    values = check_against_run_file(tags, os.path.join(out, "digits_lstm/lstm/run.h5"))
    assert set(tags) == {"train/loss", "train/accuracy", "train/grad_norm",
                         "train/sequences_per_second", "eval/loss", "eval/accuracy",
                         "epoch/loss", "epoch/train_time"}, sorted(tags)
    assert [s for s, _ in tags["eval/accuracy"]] == [100, 200, 300]
    starts, ends = hparams(files)
    assert len(starts) == 1 and len(ends) == 1
    hp = starts[0].hparams
    assert set(hp) == set(values), set(hp) ^ set(values)
    for k, v in values.items():
        kind = hp[k].WhichOneof("kind")
        if isinstance(v, (bytes, str)):
            assert kind == "string_value" and hp[k].string_value == (
                v.decode() if isinstance(v, bytes) else v), k
        elif isinstance(v, (bool, np.bool_)):
            assert kind == "bool_value" and hp[k].bool_value == bool(v), k
        else:
            assert kind == "number_value" and hp[k].number_value == float(v), k
    assert hp["cell"].string_value == "lstm" and hp["cell.hidden"].number_value == 32
    assert ends[0].status == 1, ends[0]  # STATUS_SUCCESS
    print("run: ok", {t: len(p) for t, p in tags.items()})
    return files[0]


def test_truncated(event_file, work):
    records, whole = read_records(event_file)
    assert whole and len(records) > 3
    data = open(event_file, "rb").read()
    ends = np.cumsum([16 + len(r) for r in records])
    cut = int(ends[2]) + 7  # 7 bytes into the fourth record
    copy = os.path.join(work, "truncated.tfevents")
    with open(copy, "wb") as f:
        f.write(data[:cut])
    got, whole = read_records(copy)
    assert not whole and got == records[:3], (len(got), whole)
    print("truncate: ok")


def test_resume(cli, work, source):
    tb = os.path.join(work, "tb_resume")
    out = os.path.join(work, "results_resume")
    common = ["--tensorboard", tb, "-o", out, "-q", "--set", "train.steps=5000",
              "--set", "train.eval_every=100", "--set", "train.log_every=10",
              "--set", "train.checkpoint_every=50", "--set", "model.lstm.hidden=32"]
    rnn = os.path.join(source, "experiments/digits_lstm.rnn")
    print("+", cli, "run", rnn, *common, "(SIGINT mid-run)", flush=True)
    p = subprocess.Popen([cli, "run", rnn] + common)
    folder = os.path.join(tb, "digits_lstm", "lstm")
    deadline = time.time() + 120
    while time.time() < deadline:  # until some train rows and an evaluation are in the file
        files = glob.glob(os.path.join(folder, "events.out.tfevents.*"))
        if files:
            tags = scalars(files)
            if len(tags.get("eval/loss", [])) >= 2:
                break
        time.sleep(0.05)
    p.send_signal(signal.SIGINT)
    assert p.wait(timeout=120) == 1, "an interrupted run exits 1"
    first = event_files(folder)
    assert len(first) == 1
    stopped_at = max(s for s, _ in scalars(first)["train/loss"])
    assert stopped_at < 5000, "the run finished before the interrupt: make it longer"
    run([cli, "run", rnn, "--resume"] + common)
    files = event_files(folder)
    assert len(files) == 2, files
    tags = scalars(files)  # asserts no step twice per tag across both files
    check_against_run_file(tags, os.path.join(out, "digits_lstm/lstm/run.h5"))
    starts, ends = hparams(files)
    assert len(starts) == 1 and len(ends) == 1 and ends[0].status == 1
    assert max(s for s, _ in tags["train/loss"]) == 5000
    print(f"resume: ok (stopped at step {stopped_at})")


def write_rnn(path, source, extra_train="", sweep=""):
    data = os.path.join(source, "experiments/data/digits.csv.gz")
    with open(path, "w") as f:
        f.write(f"""experiment tb_small {{
  seed 1
  backend cpu
  data digits {{ path "{data}"  test_fraction 0.2 }}
  model gru = gru(hidden: 16) -> dense(10)
  train {{
    loss softmax_cross_entropy
    optimizer adam(lr: 1e-3)
    batch 32
    steps 60
    log_every 10
    eval_every 30
    {extra_train}
  }}
  {sweep}
}}
""")


def test_sweep(cli, work, source):
    rnn = os.path.join(work, "sweep.rnn")
    write_rnn(rnn, source, sweep="sweep { seed: [1, 2] }")
    tb = os.path.join(work, "tb_sweep")
    out = os.path.join(work, "sweep")
    shutil.rmtree(out, ignore_errors=True)
    run([cli, "sweep", rnn, "--tensorboard", tb, "-o", out, "-j", "2"],
        stdout=subprocess.DEVNULL)
    runs = sorted(os.listdir(os.path.join(tb, "tb_small")))
    assert runs == ["gru-seed=1", "gru-seed=2"], runs
    for r in runs:
        tags = scalars(event_files(os.path.join(tb, "tb_small", r)))
        check_against_run_file(tags, os.path.join(out, "tb_small", r, "run.h5"))
    print("sweep: ok", runs)


def test_setting(cli, work, source):
    os.makedirs(os.path.join(work, "setting"), exist_ok=True)
    rnn = os.path.join(work, "setting", "s.rnn")
    write_rnn(rnn, source, extra_train='tensorboard "tb_here"')
    out = os.path.join(work, "results_setting")
    run([cli, "run", rnn, "-o", out, "-q"])
    folder = os.path.join(work, "setting", "tb_here", "tb_small", "gru")
    check_against_run_file(scalars(event_files(folder)), os.path.join(out, "tb_small/gru/run.h5"))
    other = os.path.join(work, "tb_option")
    run([cli, "run", rnn, "-o", out, "-q", "--tensorboard", other])
    event_files(os.path.join(other, "tb_small", "gru"))
    print("setting: ok")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cli", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--source", required=True)
    a = ap.parse_args()
    a.cli, a.work, a.source = (os.path.abspath(x) for x in (a.cli, a.work, a.source))
    shutil.rmtree(a.work, ignore_errors=True)
    os.makedirs(a.work)
    event_file = test_run(a.cli, a.work, a.source)
    test_truncated(event_file, a.work)
    test_resume(a.cli, a.work, a.source)
    test_sweep(a.cli, a.work, a.source)
    test_setting(a.cli, a.work, a.source)
    print("tensorboard: all ok")


if __name__ == "__main__":
    sys.exit(main())
