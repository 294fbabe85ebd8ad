// Writing and reading /checkpoint (see checkpoint.h).
#include "train/checkpoint.h"

#include <cmath>
#include <utility>

#include "rnnlab/backend.h"

namespace rnnlab {

namespace {

const std::string kCk = "checkpoint/";

// Keeps the first `rows` rows of a metric group (rows appended after the checkpoint by a
// process that was killed later). Rewrites the group; tables are small.
void truncate_group(RunFile& run, const std::string& group, int64_t rows) {
  if (run.num_rows(group) <= rows) return;
  std::vector<std::string> names = run.series_names(group);
  std::vector<std::vector<double>> cols;
  for (const auto& n : names) cols.push_back(run.read_series(group, n));
  run.remove(group);
  for (int64_t r = 0; r < rows; ++r) {
    std::vector<std::pair<std::string, double>> row;
    for (std::size_t c = 0; c < names.size(); ++c)
      row.emplace_back(names[c], cols[c][static_cast<std::size_t>(r)]);
    run.append_metrics(group, row);
  }
}

Tensor f64_vector(const std::vector<double>& v) {
  return from_vector(v, {static_cast<int64_t>(v.size())});
}

void restore_tensor(const RunFile& run, const std::string& path, Tensor& dst, bool allocate) {
  Tensor t = run.read_tensor(path, dst.defined() ? dst.device() : Device::cpu);
  if (allocate) {
    dst = t;
    return;
  }
  RNNLAB_CHECK_INPUT(t.shape() == dst.shape() && t.dtype() == dst.dtype(), "checkpoint tensor ",
                     path, " in ", run.path(), " is ", dtype_name(t.dtype()), " ",
                     shape_str(t.shape()), ", the model has ", dtype_name(dst.dtype()), " ",
                     shape_str(dst.shape()), "; was the run file written by another model?");
  backend_for(dst.device()).copy(t, dst);
}

}  // namespace

void write_checkpoint(RunFile& run, const TrainState& s, Model& model,
                      const Optimizer& optimizer) {
  run.set_attr(kCk + "complete", int64_t{0});
  run.flush();
  for (auto& p : model.params().all()) {
    run.write_tensor(kCk + "params/" + p->name, p->value);
    if (p->slot1.defined()) run.write_tensor(kCk + "slot1/" + p->name, p->slot1);
    if (p->slot2.defined()) run.write_tensor(kCk + "slot2/" + p->name, p->slot2);
  }
  run.write_tensor(kCk + "epoch_loss", f64_vector(s.epoch_losses));
  run.write_tensor(kCk + "epoch_time", f64_vector(s.epoch_times));
  run.set_attr(kCk + "step", s.step);
  run.set_attr(kCk + "iter_epoch", s.iter_epoch);
  run.set_attr(kCk + "iter_batch", s.iter_batch);
  run.set_attr(kCk + "optimizer_step", optimizer.rule().step);
  run.set_attr(kCk + "rng", s.rng);
  run.set_attr(kCk + "train_time", s.train_time);
  run.set_attr(kCk + "wall_time", s.wall_time);
  run.set_attr(kCk + "sequences", s.sequences);
  run.set_attr(kCk + "epoch_loss", s.epoch_loss);
  run.set_attr(kCk + "epoch_batches", s.epoch_batches);
  run.set_attr(kCk + "window_loss", s.window_loss);
  run.set_attr(kCk + "window_batches", s.window_batches);
  run.set_attr(kCk + "window_correct", s.window_correct);
  run.set_attr(kCk + "window_examples", s.window_examples);
  run.set_attr(kCk + "rows_metrics", s.rows_metrics);
  run.set_attr(kCk + "rows_eval", s.rows_eval);
  run.set_attr(kCk + "rows_epochs", s.rows_epochs);
  run.set_attr(kCk + "last_eval_step", s.last_eval_step);
  run.set_attr(kCk + "has_eval", int64_t{s.last_eval.has_value()});
  if (s.last_eval) {
    run.set_attr(kCk + "eval_loss", s.last_eval->loss);
    run.set_attr(kCk + "eval_accuracy", s.last_eval->accuracy);
    run.set_attr(kCk + "eval_examples", s.last_eval->examples);
  }
  run.set_attr(kCk + "complete", int64_t{1});
  run.flush();
}

bool has_checkpoint(const RunFile& run, int64_t* step) {
  if (!run.exists("checkpoint") || !run.has_attr(kCk + "complete") ||
      run.attr_int(kCk + "complete") != 1)
    return false;
  if (step) *step = run.attr_int(kCk + "step");
  return true;
}

TrainState read_checkpoint(RunFile& run, Model& model, Optimizer& optimizer) {
  RNNLAB_CHECK_INPUT(has_checkpoint(run), "run file ", run.path(),
                     " has no complete checkpoint to resume from");
  for (auto& p : model.params().all()) {
    RNNLAB_CHECK_INPUT(run.exists(kCk + "params/" + p->name), "run file ", run.path(),
                       " has no checkpoint of parameter ", p->name,
                       "; was it written by another model?");
    restore_tensor(run, kCk + "params/" + p->name, p->value, false);
    if (run.exists(kCk + "slot1/" + p->name))
      restore_tensor(run, kCk + "slot1/" + p->name, p->slot1, !p->slot1.defined());
    if (run.exists(kCk + "slot2/" + p->name))
      restore_tensor(run, kCk + "slot2/" + p->name, p->slot2, !p->slot2.defined());
  }
  optimizer.rule().step = run.attr_int(kCk + "optimizer_step");
  TrainState s;
  s.epoch_losses = to_vector<double>(run.read_tensor(kCk + "epoch_loss"));
  s.epoch_times = to_vector<double>(run.read_tensor(kCk + "epoch_time"));
  s.step = run.attr_int(kCk + "step");
  s.iter_epoch = run.attr_int(kCk + "iter_epoch");
  s.iter_batch = run.attr_int(kCk + "iter_batch");
  s.rng = run.attr_string(kCk + "rng");
  s.train_time = run.attr_double(kCk + "train_time");
  s.wall_time = run.attr_double(kCk + "wall_time");
  s.sequences = run.attr_int(kCk + "sequences");
  s.epoch_loss = run.attr_double(kCk + "epoch_loss");
  s.epoch_batches = run.attr_int(kCk + "epoch_batches");
  s.window_loss = run.attr_double(kCk + "window_loss");
  s.window_batches = run.attr_int(kCk + "window_batches");
  s.window_correct = run.attr_int(kCk + "window_correct");
  s.window_examples = run.attr_int(kCk + "window_examples");
  s.rows_metrics = run.attr_int(kCk + "rows_metrics");
  s.rows_eval = run.attr_int(kCk + "rows_eval");
  s.rows_epochs = run.attr_int(kCk + "rows_epochs");
  s.last_eval_step = run.attr_int(kCk + "last_eval_step");
  if (run.attr_int(kCk + "has_eval")) {
    EvalResult e;
    e.loss = run.attr_double(kCk + "eval_loss");
    e.accuracy = run.attr_double(kCk + "eval_accuracy");
    e.examples = run.attr_int(kCk + "eval_examples");
    s.last_eval = e;
  }
  truncate_group(run, "metrics", s.rows_metrics);
  truncate_group(run, "eval", s.rows_eval);
  truncate_group(run, "epochs", s.rows_epochs);
  return s;
}

}  // namespace rnnlab
