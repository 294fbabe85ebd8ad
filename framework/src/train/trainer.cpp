// The training loop (see trainer.h).
#include "rnnlab/trainer.h"

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>

#include "rnnlab/run_file.h"
#include "train/progress.h"

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

std::atomic<int> g_stop_signal{0};
extern "C" void on_stop_signal(int sig) { g_stop_signal.store(sig); }

// Installs SIGINT/SIGTERM handlers for the lifetime of fit() and restores the old ones.
class StopSignals {
 public:
  StopSignals() {
    g_stop_signal.store(0);
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
  }
  bool stop_requested() const { return g_stop_signal.load() != 0; }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

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

Var Trainer::batch_loss(Tape& tape, const Batch& b, bool training, uint64_t seed,
                        int64_t* correct) {
  Activation in;
  in.x = tape.constant(b.x);
  in.sequence = true;
  in.lengths = b.lengths;
  ForwardContext fc{training, seed};
  Activation out = model_.forward(tape, in, fc);
  const Shape& os = out.x.shape();
  Backend& be = tape.backend();
  switch (config_.loss) {
    case LossKind::softmax_cross_entropy: {
      RNNLAB_CHECK_INPUT(b.y_class.defined(), "softmax_cross_entropy needs class labels; the "
                         "dataset has none");
      RNNLAB_CHECK_INPUT(!out.sequence && os.size() == 2 && os[0] == b.batch_size(),
                         "softmax_cross_entropy needs model output [B,C] (a recurrent layer "
                         "returning its last step, then dense), found ", shape_str(os));
      if (correct) {
        Tensor pred = be.empty({os[0]}, DType::i32);
        be.argmax_rows(out.x.value(), pred);
        auto p = to_vector<int32_t>(pred), y = to_vector<int32_t>(b.y_class);
        for (std::size_t i = 0; i < p.size(); ++i) *correct += p[i] == y[i];
      }
      return softmax_cross_entropy(out.x, tape.constant(b.y_class));
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

EvalResult Trainer::evaluate(const Dataset& data, const std::vector<std::size_t>& indices) {
  EvalResult r;
  if (indices.empty()) return r;
  const bool classify = config_.loss != LossKind::mse;
  Tape tape(model_.params().device());
  // Evaluation is stateless: a stateful model's carry is saved and restored around it.
  std::vector<Tensor> dummy;
  double loss_sum = 0;
  int64_t correct = 0;
  std::size_t bs = static_cast<std::size_t>(config_.batch);
  for (std::size_t start = 0; start < indices.size(); start += bs) {
    std::vector<std::size_t> idx(indices.begin() + static_cast<std::ptrdiff_t>(start),
                                 indices.begin() + static_cast<std::ptrdiff_t>(std::min(indices.size(), start + bs)));
    Batch b = data.batch(idx, config_.dtype);
    tape.reset();
    Var l = batch_loss(tape, b, false, 0, classify ? &correct : nullptr);
    loss_sum += item(l.value()) * static_cast<double>(idx.size());
    r.examples += static_cast<int64_t>(idx.size());
  }
  r.loss = loss_sum / static_cast<double>(r.examples);
  if (classify) r.accuracy = static_cast<double>(correct) / static_cast<double>(r.examples);
  return r;
}

void write_params(RunFile& run, Model& model) {
  for (auto& p : model.params().all()) run.write_tensor("/params/" + p->name, p->value);
}

TrainResult Trainer::fit(const Dataset& data, const std::vector<std::size_t>& train,
                         const std::vector<std::size_t>& eval, RunFile* run) {
  RNNLAB_CHECK_INPUT(!train.empty(), "train: no training examples");
  RNNLAB_CHECK_INPUT(data.input_size() == model_.input_size(), "the data has ",
                     data.input_size(), " input features, the model expects ",
                     model_.input_size());
  BatchSampler sampler(train, static_cast<std::size_t>(config_.batch), config_.order,
                       config_.seed, config_.drop_last);
  BatchIterator it(sampler);
  const int64_t per_epoch = static_cast<int64_t>(sampler.batches_per_epoch());
  const int64_t total = config_.steps > 0 ? config_.steps : config_.epochs * per_epoch;
  const bool classify = config_.loss != LossKind::mse;
  Rng batch_seeds = Rng(config_.seed).fork("batches");

  TrainResult res;
  StopSignals signals;
  Progress progress(total, config_.quiet ? Progress::Mode::off
                                         : (config_.progress ? Progress::Mode::auto_detect
                                                             : Progress::Mode::lines));
  auto t0 = std::chrono::steady_clock::now();
  Tape tape(model_.params().device());
  double epoch_loss = 0, window_loss = 0;
  int64_t epoch_batches = 0, window_batches = 0, window_correct = 0, window_examples = 0;
  int64_t sequences = 0;
  double epoch_start = 0;
  auto do_eval = [&](int64_t step, int64_t epoch) {
    if (eval.empty()) return;
    EvalResult e = evaluate(data, eval);
    progress.note_eval(e.loss, e.accuracy);
    if (run) {
      std::vector<std::pair<std::string, double>> row{
          {"step", double(step)}, {"epoch", double(epoch)}, {"wall_time", seconds_since(t0)},
          {"loss", e.loss}};
      if (e.accuracy >= 0) row.emplace_back("accuracy", e.accuracy);
      run->append_metrics("eval", row);
      run->flush();
    }
    res.final_eval = e;
  };

  try {
    for (int64_t step = 1; step <= total; ++step) {
      int64_t epoch = it.epoch();
      const auto& idx = it.next();
      if (it.batch() == 1 || per_epoch == 1) {  // first batch of an epoch
        if (config_.stateful) model_.reset_state();
        epoch_start = seconds_since(t0) - (res.wall_time - res.train_time);
      }
      auto ts = std::chrono::steady_clock::now();
      Batch b = data.batch(idx, config_.dtype);
      tape.reset();
      int64_t correct = 0;
      Var loss = batch_loss(tape, b, true, batch_seeds.next_seed(), classify ? &correct : nullptr);
      double lv = item(loss.value());
      if (!std::isfinite(lv))
        throw Error("loss is " + std::to_string(lv) + " at step " + std::to_string(step) +
                    " (epoch " + std::to_string(epoch + 1) +
                    "): training diverged; lower the learning rate or clip gradients");
      tape.backward(loss);
      double gnorm = optimizer_.step(model_.params());
      res.train_time += seconds_since(ts);
      res.wall_time = seconds_since(t0);
      res.steps = step;
      sequences += b.batch_size();
      epoch_loss += lv;
      ++epoch_batches;
      window_loss += lv;
      ++window_batches;
      window_correct += correct;
      window_examples += b.batch_size();
      double acc = classify ? double(window_correct) / double(window_examples) : -1.0;
      progress.update(step, epoch + 1, window_loss / double(window_batches), acc);
      if (run && (step % std::max<int64_t>(1, config_.log_every) == 0 || step == total)) {
        std::vector<std::pair<std::string, double>> row{
            {"step", double(step)}, {"epoch", double(epoch + 1)}, {"wall_time", res.wall_time},
            {"loss", window_loss / double(window_batches)}, {"grad_norm", gnorm},
            {"sequences_per_second", double(sequences) / std::max(1e-9, res.train_time)}};
        if (classify) row.emplace_back("accuracy", acc);
        run->append_metrics("metrics", row);
        run->flush();
        window_loss = 0;
        window_batches = 0;
        window_correct = 0;
        window_examples = 0;
      }
      const bool epoch_end = it.epoch_ended();
      if (epoch_end) {
        res.epoch_loss.push_back(epoch_loss / double(epoch_batches));
        res.epoch_time.push_back(res.train_time - (res.epoch_time.empty() ? 0.0 : [&] {
          double s = 0;
          for (double x : res.epoch_time) s += x;
          return s;
        }()));
        res.epochs_completed = static_cast<int64_t>(res.epoch_loss.size());
        if (run) {
          run->append_metrics("epochs", {{"epoch", double(res.epochs_completed)},
                                         {"loss", res.epoch_loss.back()},
                                         {"train_time", res.epoch_time.back()}});
        }
        epoch_loss = 0;
        epoch_batches = 0;
      }
      if ((config_.eval_every > 0 && step % config_.eval_every == 0) ||
          (config_.eval_every == 0 && epoch_end && step != total))
        do_eval(step, epoch + 1);
      if (signals.stop_requested()) {
        res.status = "interrupted";
        break;
      }
    }
    (void)epoch_start;
    do_eval(res.steps, res.epochs_completed);
    res.wall_time = seconds_since(t0);
    res.sequences_per_second = double(sequences) / std::max(1e-9, res.train_time);
    progress.finish();
    if (run) {
      write_params(*run, model_);
      run->set_attr("steps", res.steps);
      run->set_attr("train_time", res.train_time);
      run->set_attr("sequences_per_second", res.sequences_per_second);
      run->finish(res.status);
    }
  } catch (const std::exception& e) {
    progress.finish();
    if (run && run->is_open()) {
      try {
        run->set_attr("error", std::string(e.what()));
        run->finish("failed");
      } catch (...) {
      }
    }
    throw;
  }
  return res;
}

}  // namespace rnnlab
