// Writing and reading the two checksummed checkpoint slots (see checkpoint.h).
#include "train/checkpoint.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <string_view>
#include <utility>
#include <variant>

#include "core/fnv1a.h"
#include "rnnlab/backend.h"
#include "rnnlab/run_layout.h"

namespace rnnlab {

namespace {

namespace S = layout::slot;

const std::string kRoot = layout::kCheckpoint;
const char* const kSlots[] = {S::kSlotA, S::kSlotB};

using AttrValue = std::variant<int64_t, double>;  // fixed-size only (see "rng" below)

// A slot's content, keyed by name: what is written, read back and checksummed.
struct Snapshot {
  std::map<std::string, Tensor> tensors;  // "params/lstm/...", "epoch_loss", ...
  std::map<std::string, AttrValue> attrs;  // without complete / checksum

  int64_t i(const std::string& k) const { return std::get<int64_t>(attrs.at(k)); }
  double d(const std::string& k) const {
    const AttrValue& v = attrs.at(k);
    return std::holds_alternative<double>(v) ? std::get<double>(v)
                                             : static_cast<double>(std::get<int64_t>(v));
  }
};

// `t` on `device` (a copy when it lives elsewhere).
Tensor on_device(const Tensor& t, Device device) {
  if (t.device() == device) return t;
  switch (t.dtype()) {
    case DType::f32: return from_vector(to_vector<float>(t), t.shape(), device);
    case DType::f64: return from_vector(to_vector<double>(t), t.shape(), device);
    case DType::i32: return from_vector(to_vector<int32_t>(t), t.shape(), device);
  }
  throw Error("checkpoint: unknown dtype");
}

// FNV-1a 64 over the snapshot in name order (as int64: a fixed-size attribute).
int64_t checksum(const Snapshot& s) {
  Fnv1a64 f;
  for (const auto& [name, t] : s.tensors) {
    f.add(name);
    f.add(std::string(dtype_name(t.dtype())));
    for (int64_t d : t.shape()) f.add_pod(d);
    const Tensor c = on_device(t, Device::cpu);
    if (c.numel() > 0) f.add(c.raw(), c.bytes());
  }
  for (const auto& [name, v] : s.attrs) {
    f.add(name);
    f.add_pod(static_cast<int>(v.index()));
    if (const auto* x = std::get_if<int64_t>(&v)) f.add_pod(*x);
    if (const auto* x = std::get_if<double>(&v)) f.add_pod(*x);
  }
  return static_cast<int64_t>(f.value());
}

Tensor f64_vector(const std::vector<double>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())});
}

Snapshot snapshot_of(const TrainState& s, Model& model, const Optimizer& optimizer) {
  Snapshot out;
  for (auto& p : model.params().all()) {
    out.tensors[S::kParamsPrefix + p->name] = p->value;
    if (p->slot1.defined()) out.tensors[S::kSlot1Prefix + p->name] = p->slot1;
    if (p->slot2.defined()) out.tensors[S::kSlot2Prefix + p->name] = p->slot2;
  }
  for (const auto& [name, t] : model.carried_state()) out.tensors[S::kCarryPrefix + name] = t;
  out.tensors[S::kEpochLosses] = f64_vector(s.epoch_losses);
  out.tensors[S::kEpochTimes] = f64_vector(s.epoch_times);
  auto& a = out.attrs;
  a[S::kStep] = s.step;
  a[S::kIterEpoch] = s.iter_epoch;
  a[S::kIterBatch] = s.iter_batch;
  a[S::kOptimizerStep] = optimizer.rule().step;
  // The generator state as bytes in a dataset, not a variable-length string attribute: those
  // live in the file's shared global heap, which a kill while another slot is written can
  // damage; a slot's own datasets and fixed-size attributes are not shared.
  out.tensors[S::kRng] = from_vector(std::vector<int32_t>(s.rng.begin(), s.rng.end()),
                                   {static_cast<int64_t>(s.rng.size())});
  a[S::kTrainTime] = s.train_time;
  a[S::kWallTime] = s.wall_time;
  a[S::kSequences] = s.sequences;
  a[S::kEpochLoss] = s.epoch_loss;
  a[S::kEpochBatches] = s.epoch_batches;
  a[S::kWindowLoss] = s.window_loss;
  a[S::kWindowBatches] = s.window_batches;
  a[S::kWindowCorrect] = s.window_correct;
  a[S::kWindowExamples] = s.window_examples;
  a[S::kRowsMetrics] = s.rows.metrics;
  a[S::kRowsEval] = s.rows.eval;
  a[S::kRowsEpochs] = s.rows.epochs;
  a[S::kLastEvalStep] = s.last_eval_step;
  a[S::kFirstLoss] = s.first_loss;
  a[S::kHasEval] = int64_t{s.last_eval.has_value()};
  if (s.last_eval) {
    a[S::kEvalLoss] = s.last_eval->loss;
    a[S::kEvalAccuracy] = s.last_eval->accuracy;
    a[S::kEvalExamples] = s.last_eval->examples;
  }
  return out;
}

std::string slot_path(const char* slot) { return kRoot + "/" + slot; }

// Step of a complete slot, or -1 (absent, being written, or unreadable attrs).
int64_t complete_step(const RunFile& run, const char* slot) {
  const std::string g = slot_path(slot) + "/";
  try {
    if (!run.exists(slot_path(slot)) || !run.has_attr(g + S::kComplete) ||
        run.attr_int(g + S::kComplete) != 1 || !run.has_attr(g + S::kStep))
      return -1;
    return run.attr_int(g + S::kStep);
  } catch (const Error&) {
    return -1;
  }
}

// Reads a slot back; throws Error when HDF5 cannot read it.
Snapshot read_snapshot(const RunFile& run, const char* slot, std::string* stored_sum) {
  const std::string g = slot_path(slot);
  Snapshot s;
  for (const auto& p : run.dataset_paths(g)) s.tensors[p] = run.read_tensor(g + "/" + p);
  for (const auto& name : run.attr_names(g)) {
    if (name == S::kComplete) continue;
    const std::string key = g + "/" + name;
    if (name == S::kChecksum) {
      *stored_sum = std::to_string(run.attr_int(key));
      continue;
    }
    try {
      s.attrs[name] = run.attr_int(key);
    } catch (const Error&) {
      s.attrs[name] = run.attr_double(key);
    }
  }
  return s;
}

void restore_tensor(const RunFile& run, const std::string& name, const Tensor& t, Tensor& dst) {
  RNNLAB_CHECK_INPUT(t.shape() == dst.shape() && t.dtype() == dst.dtype(), "checkpoint tensor ",
                     name, " in ", run.path(), " is ", dtype_name(t.dtype()), " ",
                     shape_str(t.shape()), ", the model has ", dtype_name(dst.dtype()), " ",
                     shape_str(dst.shape()), "; was the run file written by another model?");
  backend_for(dst.device()).copy(on_device(t, dst.device()), dst);
}

TrainState apply(const Snapshot& s, RunFile& run, Model& model, Optimizer& optimizer) {
  for (auto& p : model.params().all()) {
    auto it = s.tensors.find(S::kParamsPrefix + p->name);
    RNNLAB_CHECK_INPUT(it != s.tensors.end(), "run file ", run.path(),
                       " has no checkpoint of parameter ", p->name,
                       "; was it written by another model?");
    restore_tensor(run, it->first, it->second, p->value);
    for (auto [slot, dst] : {std::pair{S::kSlot1Prefix, &p->slot1}, std::pair{S::kSlot2Prefix, &p->slot2}}) {
      auto sit = s.tensors.find(slot + p->name);
      if (sit == s.tensors.end()) continue;
      if (dst->defined())
        restore_tensor(run, sit->first, sit->second, *dst);
      else
        *dst = on_device(sit->second, p->value.device());
    }
  }
  NamedTensors carry;
  for (const auto& [name, t] : s.tensors)
    if (name.starts_with(S::kCarryPrefix))
      carry[name.substr(std::string_view(S::kCarryPrefix).size())] = on_device(t, model.params().device());
  model.restore_carried_state(carry);
  optimizer.rule().step = s.i(S::kOptimizerStep);
  TrainState t;
  t.epoch_losses = to_vector<double>(s.tensors.at(S::kEpochLosses));
  t.epoch_times = to_vector<double>(s.tensors.at(S::kEpochTimes));
  t.step = s.i(S::kStep);
  t.iter_epoch = s.i(S::kIterEpoch);
  t.iter_batch = s.i(S::kIterBatch);
  const auto rng = to_vector<int32_t>(s.tensors.at(S::kRng));
  t.rng.assign(rng.begin(), rng.end());
  t.train_time = s.d(S::kTrainTime);
  t.wall_time = s.d(S::kWallTime);
  t.sequences = s.i(S::kSequences);
  t.epoch_loss = s.d(S::kEpochLoss);
  t.epoch_batches = s.i(S::kEpochBatches);
  t.window_loss = s.d(S::kWindowLoss);
  t.window_batches = s.i(S::kWindowBatches);
  t.window_correct = s.i(S::kWindowCorrect);
  t.window_examples = s.i(S::kWindowExamples);
  t.rows.metrics = s.i(S::kRowsMetrics);
  t.rows.eval = s.i(S::kRowsEval);
  t.rows.epochs = s.i(S::kRowsEpochs);
  t.last_eval_step = s.i(S::kLastEvalStep);
  t.first_loss = s.d(S::kFirstLoss);
  if (s.i(S::kHasEval)) {
    EvalResult e;
    e.loss = s.d(S::kEvalLoss);
    e.accuracy = s.d(S::kEvalAccuracy);
    e.examples = s.i(S::kEvalExamples);
    t.last_eval = e;
  }
  return t;
}

}  // namespace

void write_checkpoint(RunFile& run, const TrainState& state, Model& model,
                      const Optimizer& optimizer) {
  // Overwrite the older slot (or an incomplete / empty one), keep the newest.
  const int64_t sa = complete_step(run, kSlots[0]), sb = complete_step(run, kSlots[1]);
  const char* slot = sa < 0 ? kSlots[0] : sb < 0 ? kSlots[1] : sa <= sb ? kSlots[0] : kSlots[1];
  const std::string g = slot_path(slot);
  const Snapshot s = snapshot_of(state, model, optimizer);
  run.set_attr(layout::at(g, S::kComplete), int64_t{0});
  run.flush();
  // A slot written before by another layout (other parameter or carry names): start clean.
  for (const auto& p : run.dataset_paths(g))
    if (!s.tensors.count(p)) run.remove(g + "/" + p);
  for (const auto& [name, t] : s.tensors) run.write_tensor(g + "/" + name, t);
  for (const auto& [name, v] : s.attrs)
    std::visit([&](const auto& x) { run.set_attr(g + "/" + name, x); }, v);
  run.set_attr(layout::at(g, S::kChecksum), checksum(s));
  run.set_attr(layout::at(g, S::kComplete), int64_t{1});
  run.flush();
}

bool has_checkpoint(const RunFile& run, int64_t* step) {
  const int64_t best = std::max(complete_step(run, kSlots[0]), complete_step(run, kSlots[1]));
  if (best < 0) return false;
  if (step) *step = best;
  return true;
}

namespace {

// The newest complete slot whose checksum verifies, read into *out; `problems` lists the newer
// slots that did not. InputError when none verifies (naming each slot and why).
const char* select_slot(const RunFile& run, Snapshot* out, std::string* problems) {
  RNNLAB_CHECK_INPUT(!run.has_attr(layout::at(kRoot, S::kComplete)), "run file ", run.path(),
                     " holds a checkpoint of an older rnnlab (one slot, no checksum); it cannot "
                     "be verified: run without --resume to start over");
  std::vector<std::pair<int64_t, const char*>> slots;
  for (const char* slot : kSlots)
    if (const int64_t step = complete_step(run, slot); step >= 0) slots.emplace_back(step, slot);
  std::sort(slots.begin(), slots.end(), std::greater<>());
  RNNLAB_CHECK_INPUT(!slots.empty(), "run file ", run.path(),
                     " has no complete checkpoint to resume from");
  problems->clear();
  for (const auto& [step, slot] : slots) {
    std::string why;
    try {
      std::string stored;
      *out = read_snapshot(run, slot, &stored);
      const std::string actual = std::to_string(checksum(*out));
      if (stored == actual) return slot;
      why = "checksum mismatch (stored " + stored + ", content " + actual + ")";
    } catch (const std::exception& e) {
      why = std::string("unreadable: ") + e.what();
    }
    *problems += std::string(problems->empty() ? "" : "; ") + "slot " + slot + " (step " +
                 std::to_string(step) + ") is damaged: " + why;
  }
  throw InputError("run file " + run.path() + ": no checkpoint slot verifies: " + *problems +
                   "; run without --resume to start over");
}

}  // namespace

void verify_checkpoint(const RunFile& run) {
  Snapshot s;
  std::string problems;
  select_slot(run, &s, &problems);
}

CheckpointChoice choose_checkpoint(const RunFile& run) {
  Snapshot s;
  CheckpointChoice c;
  c.slot = select_slot(run, &s, &c.problems);
  c.step = s.i(S::kStep);
  c.rows = {s.i(S::kRowsMetrics), s.i(S::kRowsEval), s.i(S::kRowsEpochs)};
  return c;
}

TrainState read_checkpoint(RunFile& run, Model& model, Optimizer& optimizer) {
  Snapshot s;
  std::string problems;
  const char* slot = select_slot(run, &s, &problems);
  if (!problems.empty()) {
    const std::string note = "checkpoint " + problems + "; resumed from slot " + slot +
                             " (step " + std::to_string(s.i(S::kStep)) + ") instead";
    std::cerr << "warning: " << run.path() << ": " << note << std::endl;
    run.set_attr(layout::kCheckpointWarning, note);
  }
  return apply(s, run, model, optimizer);
}

}  // namespace rnnlab
