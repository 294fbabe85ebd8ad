// The training loop (see trainer.h).
#include "rnnlab/trainer.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <sstream>

#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "train/checkpoint.h"
#include "train/metric_log.h"
#include "train/progress.h"
#include "train/stop_signals.h"

namespace rnnlab {

LossKind loss_kind_from_name(const std::string& name) {
  if (name == "softmax_cross_entropy" || name == "cross_entropy")
    return LossKind::softmax_cross_entropy;
  if (name == "mse") return LossKind::mse;
  if (name == "bce_with_logits" || name == "bce") return LossKind::bce_with_logits;
  throw InputError("unknown loss '" + name +
                   "' (known: bce_with_logits, mse, softmax_cross_entropy)");
}

const char* loss_kind_name(LossKind k) {
  switch (k) {
    case LossKind::softmax_cross_entropy: return "softmax_cross_entropy";
    case LossKind::mse: return "mse";
    case LossKind::bce_with_logits: return "bce_with_logits";
  }
  return "?";
}

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

Trainer::Trainer(Model& model, TrainConfig config)
    : model_(model), config_(config), optimizer_(config.optimizer, config.clip_norm) {
  RNNLAB_CHECK_INPUT((config.steps > 0) != (config.epochs > 0),
                     "train: give exactly one of steps and epochs (found steps ", config.steps,
                     ", epochs ", config.epochs, ")");
  RNNLAB_CHECK_INPUT(config.batch > 0, "train: batch must be positive, found ", config.batch);
  RNNLAB_CHECK_INPUT(!config.stateful || config.order != SampleOrder::shuffled,
                     "train: a stateful model needs ordered batches (order streams or "
                     "sequential), not shuffled ones");
}

void set_class_metric(EvalResult& e, ClassMetric metric) {
  e.bits_per_char = metric == ClassMetric::bits_per_char ? e.loss / std::log(2.0) : -1.0;
  e.perplexity = metric == ClassMetric::perplexity ? std::exp(e.loss) : -1.0;
}

namespace {

// Per-step class ids [T,B] as the loss reads them, flattened to [T*B]: a step at or after its
// sequence's length becomes -1 (not scored). Checks every id against the model's C outputs.
std::vector<int32_t> scored_labels(const Batch& b, int64_t classes, int64_t* scored) {
  std::vector<int32_t> y = to_vector<int32_t>(b.y_class);
  const int64_t steps = b.steps(), batch = b.batch_size();
  *scored = 0;
  for (int64_t t = 0; t < steps; ++t)
    for (int64_t r = 0; r < batch; ++r) {
      int32_t& id = y[static_cast<std::size_t>(t * batch + r)];
      if (t >= b.lengths[static_cast<std::size_t>(r)]) id = kNotScored;
      RNNLAB_CHECK_INPUT(id >= kNotScored && id < classes, "class id ", id, " at step ", t,
                         " of sequence ", r, " is outside the model's ", classes,
                         " outputs: give the last layer as many units as the data has classes");
      *scored += id != kNotScored;
    }
  return y;
}

}  // namespace

Var Trainer::batch_loss(Tape& tape, const Batch& b, bool training, uint64_t seed,
                        int64_t* correct, int64_t* scored) {
  Activation in;
  // Token ids (Batch::x i32 [T,B], see data.h) reach the embedding layer unchanged; float
  // inputs [T,B,I] are converted to the run's dtype if a dataset built them in another.
  const bool tokens = b.x.dtype() == DType::i32;
  const bool embeds = !model_.layers().empty() && model_.layers().front()->kind() == "embedding";
  RNNLAB_CHECK_INPUT(!tokens || embeds, "the data are token ids (i32 [T,B]); the model must "
                     "start with an embedding layer, found '",
                     model_.layers().empty() ? "nothing" : model_.layers().front()->kind(), "'");
  RNNLAB_CHECK_INPUT(tokens || !embeds, "the embedding layer reads token ids, but the data are "
                     "features ", shape_str(b.x.shape()), " (use a token data source: imdb, "
                     "synthetic_sentiment)");
  if (tokens) {  // ids beyond the table: say which setting to change (not a bare range error)
    for (const auto& p : model_.params().all()) {
      if (!p->name.ends_with("layer0/embedding/table")) continue;
      int32_t top = 0;
      for (int32_t id : to_vector<int32_t>(b.x)) top = std::max(top, id);
      RNNLAB_CHECK_INPUT(top < p->value.dim(0), "token id ", top, " is outside the embedding "
                         "table (vocab ", p->value.dim(0), "): give the embedding a vocab at "
                         "least the data source's");
    }
  }
  in.x = tape.constant(tokens || b.x.dtype() == config_.dtype ? b.x : to_dtype(b.x, config_.dtype));
  in.sequence = true;
  in.lengths = b.lengths;
  ForwardContext fc{training, seed};
  Activation out = model_.forward(tape, in, fc);
  const Shape os = out.x.shape();  // a copy: recording ops may move the tape's nodes
  Backend& be = tape.backend();
  switch (config_.loss) {
    case LossKind::softmax_cross_entropy: {
      RNNLAB_CHECK_INPUT(b.y_class.defined(), "softmax_cross_entropy needs class labels; the "
                         "dataset has none");
      if (b.per_step_classes()) {
        RNNLAB_CHECK_INPUT(out.sequence && os.size() == 3 && os[0] == b.steps() &&
                               os[1] == b.batch_size(),
                           "per-step class targets [T,B] need model output [T,B,C] (a recurrent "
                           "layer returning every step, then dense), found ", shape_str(os));
        int64_t n = 0;
        const std::vector<int32_t> y = scored_labels(b, os[2], &n);
        Var logits = reshape(out.x, {os[0] * os[1], os[2]});
        if (correct) {
          Tensor pred = be.empty({os[0] * os[1]}, DType::i32);
          be.argmax_rows(logits.value(), pred);
          const auto p = to_vector<int32_t>(pred);
          for (std::size_t i = 0; i < p.size(); ++i) *correct += y[i] != kNotScored && p[i] == y[i];
        }
        if (scored) *scored += n;
        return softmax_cross_entropy(
            logits, tape.constant(from_vector(y, {os[0] * os[1]}, be.device())), n);
      }
      RNNLAB_CHECK_INPUT(!out.sequence && os.size() == 2 && os[0] == b.batch_size(),
                         "softmax_cross_entropy needs model output [B,C] (a recurrent layer "
                         "returning its last step, then dense), found ", shape_str(os));
      // Checked here, on the host, for every device (the CUDA kernel reads back only in its
      // debug mode, cuda_kernel.h).
      const auto y = to_vector<int32_t>(b.y_class);
      for (std::size_t r = 0; r < y.size(); ++r)
        RNNLAB_CHECK_INPUT(y[r] >= 0 && y[r] < os[1], "class label ", y[r], " of sequence ", r,
                           " is outside the model's ", os[1], " outputs: give the last layer "
                           "as many units as the data has classes");
      if (correct) {
        Tensor pred = be.empty({os[0]}, DType::i32);
        be.argmax_rows(out.x.value(), pred);
        const auto p = to_vector<int32_t>(pred);
        for (std::size_t i = 0; i < p.size(); ++i) *correct += p[i] == y[i];
      }
      if (scored) *scored += b.batch_size();
      return softmax_cross_entropy(out.x, tape.constant(b.y_class), b.batch_size());
    }
    case LossKind::mse:
    case LossKind::bce_with_logits: {
      RNNLAB_CHECK_INPUT(b.y_value.defined(), loss_kind_name(config_.loss),
                         " needs value targets; the dataset has none");
      RNNLAB_CHECK_INPUT(os == b.y_value.shape(), loss_kind_name(config_.loss),
                         ": model output ", shape_str(os), " does not match the targets ",
                         shape_str(b.y_value.shape()));
      if (out.sequence)
        for (int32_t len : b.lengths)
          RNNLAB_CHECK_INPUT(len == b.steps(), "per-step targets need full-length sequences");
      Var y = tape.constant(b.y_value);
      if (scored) *scored += b.batch_size();
      if (config_.loss == LossKind::mse) return mse(out.x, y);
      if (correct) {
        auto x = to_vector<double>(out.x.value()), t = to_vector<double>(b.y_value);
        for (std::size_t i = 0; i < x.size(); ++i) *correct += (x[i] > 0) == (t[i] > 0.5);
      }
      return bce_with_logits(out.x, y);
    }
  }
  throw Error("unreachable loss kind");
}

namespace {

// The evaluation batches over `indices`: consecutive slices of `batch`, or for a stream dataset
// B = min(batch, n) parallel streams (the `streams` order; the trailing n mod B are left out).
std::vector<std::vector<std::size_t>> eval_batches(const Dataset& data,
                                                   const std::vector<std::size_t>& indices,
                                                   std::size_t batch) {
  if (data.stream())
    return BatchSampler(indices, std::min(batch, indices.size()), SampleOrder::streams)
        .epoch(0);
  std::vector<std::vector<std::size_t>> out;
  for (std::size_t start = 0; start < indices.size(); start += batch)
    out.emplace_back(indices.begin() + static_cast<std::ptrdiff_t>(start),
                     indices.begin() +
                         static_cast<std::ptrdiff_t>(std::min(indices.size(), start + batch)));
  return out;
}

}  // namespace

void Trainer::check_data(const Dataset& data) const {
  RNNLAB_CHECK_INPUT(data.input_size() == model_.input_size(), "the data has ",
                     data.input_size(), " input features, the model expects ",
                     model_.input_size());
  RNNLAB_CHECK_INPUT(!data.stream() || (config_.stateful && config_.order == SampleOrder::streams),
                     "train: the data is one token stream (a language model); it needs "
                     "`stateful true` and `order streams` (truncated BPTT over B streams)");
}

EvalResult Trainer::evaluate(const Dataset& data, const std::vector<std::size_t>& indices) {
  EvalResult r;
  if (indices.empty()) return r;
  const bool classify = config_.loss != LossKind::mse;
  Tape tape(model_.params().device());
  // Evaluation starts from a fresh state. The carried state cannot be saved and restored
  // around it, so a stateful model's carry is reset before and after: training continues from
  // a fresh state (with eval_every 0 evaluation happens at epoch ends, where the carry is reset
  // anyway). A stream dataset carries the state through the held-out windows in between.
  if (config_.stateful) model_.reset_state();
  double loss_sum = 0;
  int64_t correct = 0;
  for (const auto& idx : eval_batches(data, indices, static_cast<std::size_t>(config_.batch))) {
    Batch b = data.batch(idx, config_.dtype);
    tape.reset();
    int64_t scored = 0;
    Var l = batch_loss(tape, b, false, 0, classify ? &correct : nullptr, &scored);
    loss_sum += item(l.value()) * static_cast<double>(scored);
    r.examples += static_cast<int64_t>(idx.size());
    r.scored += scored;
  }
  if (config_.stateful) model_.reset_state();
  const double n = static_cast<double>(std::max<int64_t>(r.scored, 1));
  r.loss = loss_sum / n;
  if (classify) r.accuracy = static_cast<double>(correct) / n;
  set_class_metric(r, data.class_metric());
  return r;
}

void write_params(RunFile& run, Model& model) {
  for (auto& p : model.params().all())
    run.write_tensor(layout::at(layout::kParams, p->name), p->value);
}

namespace {

double sum_of(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

std::string rng_state(Rng& rng) {
  std::ostringstream os;
  os << rng.engine();
  return os.str();
}

void set_rng_state(Rng& rng, const std::string& text) {
  std::istringstream is(text);
  is >> rng.engine();
  RNNLAB_CHECK_INPUT(!is.fail(), "checkpoint: unreadable random-generator state");
}

Progress::Mode progress_mode(const TrainConfig& config) {
  if (config.quiet) return Progress::Mode::off;
  return config.progress ? Progress::Mode::auto_detect : Progress::Mode::lines;
}

// Throws when the loss `lv` of `step` (0-based `epoch`) is not finite or above the bound
// diverge_factor x max(first loss, 1) (no bound when diverge_factor <= 0).
void check_divergence(double lv, double first_loss, double diverge_factor, int64_t step,
                      int64_t epoch) {
  const double bound = diverge_factor * std::max(first_loss, 1.0);
  if (!std::isfinite(lv) || (diverge_factor > 0 && lv > bound))
    throw Error("loss is " + std::to_string(lv) + " at step " + std::to_string(step) +
                " (epoch " + std::to_string(epoch + 1) + ")" +
                (std::isfinite(lv) ? ", above diverge_factor x max(first loss " +
                                         std::to_string(first_loss) + ", 1) = " +
                                         std::to_string(bound)
                                   : std::string()) +
                ": training diverged; lower the learning rate or clip gradients");
}

// One step's loss and scored targets (`correct` of `scored`) into the epoch's and the log
// window's sums.
void add_to_sums(TrainState& st, double lv, int64_t correct, int64_t scored) {
  st.epoch_loss += lv;
  ++st.epoch_batches;
  st.window_loss += lv;
  ++st.window_batches;
  st.window_correct += correct;
  st.window_examples += scored;  // accuracy's denominator: scored targets
}

double window_loss(const TrainState& st) { return st.window_loss / double(st.window_batches); }

// The log window's accuracy; -1 when not classifying.
double window_accuracy(const TrainState& st, bool classify) {
  return classify ? double(st.window_correct) / double(st.window_examples) : -1.0;
}

void clear_window(TrainState& st) {
  st.window_loss = 0;
  st.window_batches = 0;
  st.window_correct = 0;
  st.window_examples = 0;
}

// An epoch ended: its mean loss and training time to the state and the epochs table.
void close_epoch(TrainState& st, MetricLog& log) {
  st.epoch_losses.push_back(st.epoch_loss / double(st.epoch_batches));
  st.epoch_times.push_back(st.train_time - sum_of(st.epoch_times));
  log.epoch_row(int64_t(st.epoch_losses.size()), st.epoch_losses.back(), st.epoch_times.back());
  st.epoch_loss = 0;
  st.epoch_batches = 0;
}

// What a fit that ended (finished or interrupted) returns, from its state.
void fill_result(TrainResult& res, const TrainState& st, double wall_time) {
  res.steps = st.step;
  res.epochs_completed = static_cast<int64_t>(st.epoch_losses.size());
  res.epoch_loss = st.epoch_losses;
  res.epoch_time = st.epoch_times;
  res.train_time = st.train_time;
  res.wall_time = wall_time;
  res.sequences_per_second = double(st.sequences) / std::max(1e-9, st.train_time);
  res.final_eval = st.last_eval;
}

// The run file of a fit that ended: the final weights, the summary attributes and its status.
void write_fit_end(RunFile& run, Model& model, const TrainResult& res) {
  write_params(run, model);
  run.set_attr(layout::kSteps, res.steps);
  run.set_attr(layout::kEpochsCompleted, res.epochs_completed);
  run.set_attr(layout::kTrainTime, res.train_time);
  run.set_attr(layout::kWallTime, res.wall_time);
  run.set_attr(layout::kSequencesPerSecond, res.sequences_per_second);
  run.finish(to_string(res.status));
}

// The run file of a fit that threw (the exception being handled): failed, with its message
// and the steps completed before it. Best effort: a file that cannot take it stays as it is.
void write_fit_failure(RunFile* run, int64_t steps) {
  if (!run || !run->is_open()) return;
  try {
    run->set_attr(layout::kError, describe_current_exception());
    run->set_attr(layout::kSteps, steps);  // completed before the failure
    run->finish(to_string(RunState::failed));
  } catch (...) {
  }
}

}  // namespace

TrainResult Trainer::fit(const Dataset& data, const std::vector<std::size_t>& train,
                         const std::vector<std::size_t>& eval, RunFile* run) {
  RNNLAB_CHECK_INPUT(!train.empty(), "train: no training examples");
  check_data(data);
  RNNLAB_CHECK_INPUT(!config_.resume || run, "train: resume needs a run file");
  BatchSampler sampler(train, static_cast<std::size_t>(config_.batch), config_.order,
                       config_.seed, config_.drop_last);
  const int64_t per_epoch = static_cast<int64_t>(sampler.batches_per_epoch());
  RNNLAB_CHECK_INPUT(per_epoch > 0, "train: ", train.size(), " training examples give no batch of ",
                     config_.batch, " (drop_last or streams order)");
  const int64_t total = config_.steps > 0 ? config_.steps : config_.epochs * per_epoch;
  const bool classify = config_.loss != LossKind::mse;
  Rng batch_seeds = Rng(config_.seed).fork("batches");

  StopSignals signals;  // before the checkpoint is read: a signal during it is kept
  TrainState st;
  TrainResult res;
  MetricLog log(run, config_.observer);
  if (config_.resume) {
    st = read_checkpoint(*run, model_, optimizer_);
    log.resume(st.rows);  // drops the rows logged after the checkpoint
    set_rng_state(batch_seeds, st.rng);
    RNNLAB_CHECK_INPUT(st.step <= total, "checkpoint step ", st.step,
                       " is beyond this run's ", total, " steps");
    res.resumed_from = st.step;
    if (st.last_eval) set_class_metric(*st.last_eval, data.class_metric());
    res.final_eval = st.last_eval;
  }
  BatchIterator it(sampler, st.iter_epoch, static_cast<std::size_t>(st.iter_batch));
  int64_t last_checkpoint = st.step;
  auto last_checkpoint_time = std::chrono::steady_clock::now();

  Progress progress(total, progress_mode(config_));
  // Times continue from the checkpoint's (the time between it and a kill is not counted).
  auto t0 = std::chrono::steady_clock::now() -
            std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                std::chrono::duration<double>(st.wall_time));
  Tape tape(model_.params().device());
  // observe = false: the evaluation of an interrupted fit at its stop, after the last
  // checkpoint (its resume drops the row; MetricObserver).
  auto do_eval = [&](int64_t step, int64_t epoch, bool observe = true) {
    if (eval.empty()) return;
    EvalResult e = evaluate(data, eval);
    progress.note_eval(e.loss, e.accuracy);
    log.eval_row(step, epoch, seconds_since(t0), e, observe);
    st.last_eval = e;
    st.last_eval_step = step;
  };
  auto checkpoint = [&] {
    st.iter_epoch = it.epoch();
    st.iter_batch = static_cast<int64_t>(it.batch());
    st.rng = rng_state(batch_seeds);
    st.wall_time = seconds_since(t0);
    st.rows = log.rows();
    write_checkpoint(*run, st, model_, optimizer_);
    last_checkpoint = st.step;
    last_checkpoint_time = std::chrono::steady_clock::now();
  };

  try {
    if (signals.stop_requested()) res.status = RunState::interrupted;  // stopped during start-up
    for (int64_t step = st.step + 1; step <= total && res.status != RunState::interrupted; ++step) {
      int64_t epoch = it.epoch();
      const auto& idx = it.next();
      if ((it.batch() == 1 || per_epoch == 1) && config_.stateful) model_.reset_state();
      auto ts = std::chrono::steady_clock::now();
      Batch b = data.batch(idx, config_.dtype);
      tape.reset();
      int64_t correct = 0, scored = 0;
      Var loss = batch_loss(tape, b, true, batch_seeds.next_seed(), classify ? &correct : nullptr,
                            &scored);
      double lv = item(loss.value());
      if (std::isnan(st.first_loss)) st.first_loss = lv;
      check_divergence(lv, st.first_loss, config_.diverge_factor, step, epoch);
      tape.backward(loss);
      double gnorm = optimizer_.step(model_.params());
      st.train_time += seconds_since(ts);
      st.step = step;
      st.sequences += b.batch_size();
      add_to_sums(st, lv, correct, scored);
      const double acc = window_accuracy(st, classify);
      progress.update(step, epoch + 1, window_loss(st), acc);
      if ((run || config_.observer) &&
          (step % std::max<int64_t>(1, config_.log_every) == 0 || step == total)) {
        log.train_row(step, epoch + 1, seconds_since(t0), window_loss(st), gnorm,
                      double(st.sequences) / std::max(1e-9, st.train_time), acc);
        clear_window(st);
      }
      const bool epoch_end = it.epoch_ended();
      if (epoch_end) close_epoch(st, log);
      if ((config_.eval_every > 0 && step % config_.eval_every == 0) ||
          (config_.eval_every == 0 && epoch_end && step != total))
        do_eval(step, epoch + 1);
      const bool stop = signals.stop_requested();
      const bool due =
          (config_.checkpoint_every > 0 && step % config_.checkpoint_every == 0) ||
          (config_.checkpoint_seconds > 0 &&
           seconds_since(last_checkpoint_time) >= config_.checkpoint_seconds);
      if (run && step < total && (due || stop)) checkpoint();
      if (config_.on_step) config_.on_step(step);
      if (stop || signals.stop_requested()) {
        if (run && last_checkpoint != step && step < total) checkpoint();
        res.status = step < total ? RunState::interrupted : RunState::finished;
        break;
      }
    }
    if (st.last_eval_step != st.step)
      do_eval(st.step, int64_t(st.epoch_losses.size()), res.status != RunState::interrupted);
    progress.finish();
    fill_result(res, st, seconds_since(t0));
    if (run) write_fit_end(*run, model_, res);
  } catch (...) {  // std::exception or anything else a cell throws: the run file says failed
    progress.finish();
    write_fit_failure(run, st.step);
    throw;
  }
  return res;
}

}  // namespace rnnlab
