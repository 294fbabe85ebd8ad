// Trainer: the loop that turns a Model, a Dataset and a TrainConfig into a run.
//
// Each step: batch -> forward (training mode) -> loss -> backward -> optimizer step.
// Loss by target kind (shapes checked, never broadcast silently):
//   softmax_cross_entropy  output [B,C] (last step), y_class i32 [B]      accuracy = argmax hit
//                          output [T,B,C] (every step), y_class i32 [T,B] (per-step classes):
//                          the mean over the scored tokens only: steps at or after a sequence's
//                          length and class id -1 (kNotScored) get no loss and are not counted;
//                          token accuracy = argmax hits / scored tokens; a language model's
//                          dataset adds bits per character (loss / ln 2) or perplexity
//                          (exp(loss)) to its evaluations (data.h: ClassMetric)
//   mse                    output [B,O] vs y_value [B,O], or [T,B,O] vs [T,B,O] (every step)
//   bce_with_logits        output [B,1] vs y_value [B,1] in {0,1}           accuracy = (x>0)==y
// A non-finite loss or gradient stops the run with an Error naming the step; the run file
// then says status=failed with the message. SIGINT/SIGTERM stop after the current step with
// status=interrupted. Stateful mode resets the model's carried state at each epoch start and
// requires the sampler order `streams` or `sequential` (no shuffling across streams);
// evaluating a stateful model resets its carried state before and after (evaluation is
// stateless), so use eval_every 0 (epoch ends) to keep the carry intact within an epoch.
//
// Checkpoints (/checkpoint in the run file, two checksummed slots, see train/checkpoint.h):
// after any step once `checkpoint_seconds` of wall time passed since the last one (default
// 60 s), every `checkpoint_every` steps if set, and when stopped by SIGINT/SIGTERM, the
// trainer saves parameters, optimizer slots and step, a stateful model's carried state (and
// what its cells carry, e.g. QRNN's input window), the sampler position, the dropout-seed
// generator, the metric accumulators and the row counts of the metric tables. fit() with
// `resume` continues from it and reaches bit-identical parameters to an uninterrupted run
// (same seed, same thread count), mid-epoch too; metric rows written after the checkpoint by
// the killed process are dropped first (by shrinking the tables, never rewriting them).
//
// Stream datasets (data.h: Dataset::stream(), language models) need `stateful` and the `streams`
// order (truncated BPTT: B parallel streams, state carried from window to window, reset at each
// epoch start); their evaluation runs the held-out windows the same way, with the state carried
// through the whole held-out stream (reset before and after). The last n mod B held-out windows
// (fewer than B·T tokens) do not fit the B streams and are not evaluated.
//
// Divergence: a loss that is not finite, or above diverge_factor x max(first loss, 1), stops
// the run with an Error (status failed) naming the step and the bound.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rnnlab/data.h"
#include "rnnlab/model.h"
#include "rnnlab/optim.h"
#include "rnnlab/run_state_type.h"

namespace rnnlab {

class RunFile;
class MetricObserver;

enum class LossKind { softmax_cross_entropy, mse, bce_with_logits };
LossKind loss_kind_from_name(const std::string& name);  // throws InputError
const char* loss_kind_name(LossKind k);

struct TrainConfig {
  LossKind loss = LossKind::softmax_cross_entropy;
  UpdateRule optimizer;         // kind + hyper-parameters
  double clip_norm = 0.0;       // 0 = no clipping
  int64_t batch = 32;
  int64_t steps = 0;            // train for this many steps ...
  int64_t epochs = 0;           // ... or this many epochs (exactly one of the two > 0)
  int64_t eval_every = 0;       // steps between evaluations; 0 = at each epoch end / the end
  int64_t log_every = 10;       // steps between metric rows in the run file
  SampleOrder order = SampleOrder::shuffled;
  bool drop_last = false;
  bool stateful = false;        // carry state across batches, reset at each epoch
  RecurrentPath path = RecurrentPath::automatic;  // how recurrent layers run (recurrent.h)
  uint64_t seed = 1;
  DType dtype = DType::f32;
  bool progress = true;         // progress bar on a TTY, periodic lines otherwise
  bool quiet = false;           // no progress output at all
  int64_t checkpoint_every = 0; // also checkpoint every this many steps (0: off)
  double checkpoint_seconds = 60; // checkpoint when this much wall time passed since the last
                                  // (0: off); with both off, only when interrupted
  double diverge_factor = 1e4;  // fail when loss > diverge_factor x max(first loss, 1) (0: off)
  bool resume = false;          // continue from the run file's /checkpoint (has_checkpoint)
  // Called after every completed step (and its logging/eval/checkpoint), e.g. by tests.
  std::function<void(int64_t step)> on_step;
  // Also sent every metric row (see MetricObserver below); not owned; nullptr: none.
  MetricObserver* observer = nullptr;
};

struct EvalResult {
  double loss = 0.0;            // mean per scored target (per-step classes: per scored token)
  double accuracy = -1.0;       // < 0: not a classification task
  double bits_per_char = -1.0;  // loss / ln 2 for a character LM (ClassMetric), else < 0
  double perplexity = -1.0;     // exp(loss) for a word LM, else < 0
  int64_t examples = 0;         // sequences evaluated
  int64_t scored = 0;           // targets scored: tokens for per-step classes, else examples
};
// Sees every row fit() writes to the run file's metric tables (/metrics, /eval, /epochs: the
// arguments are the row's columns; accuracy < 0: none), right after it is written, on the
// training thread; also without a run file. A resumed fit sends the rows from the checkpoint on;
// the evaluation an interrupted fit makes when it stops is not sent (its resume drops that row
// from the run file). The TensorBoard event files of `rnnlab run --tensorboard` are one.
class MetricObserver {
 public:
  virtual ~MetricObserver() = default;
  virtual void train_row(int64_t step, int64_t epoch, double wall_time, double loss,
                         double grad_norm, double sequences_per_second, double accuracy) = 0;
  virtual void eval_row(int64_t step, int64_t epoch, double wall_time, const EvalResult& e) = 0;
  virtual void epoch_row(int64_t epoch, double loss, double train_time) = 0;
};

// Sets e's bits_per_char / perplexity from its loss as `metric` asks (others stay < 0).
void set_class_metric(EvalResult& e, ClassMetric metric);

struct TrainResult {
  int64_t steps = 0;
  int64_t epochs_completed = 0;
  double wall_time = 0.0;                // seconds in fit()
  double train_time = 0.0;               // seconds in training steps (no evaluation)
  double sequences_per_second = 0.0;
  std::vector<double> epoch_loss;        // mean training loss of each completed epoch
  std::vector<double> epoch_time;        // seconds of each completed epoch (training only)
  std::optional<EvalResult> final_eval;  // on the eval set, after training
  RunState status = RunState::finished;  // finished | interrupted
  int64_t resumed_from = 0;              // the checkpoint step a resumed fit started after
};

class Trainer {
 public:
  Trainer(Model& model, TrainConfig config);
  // Trains on `train` indices, evaluates on `eval` (may be empty). Writes metrics, params and
  // status to `run` when given. Throws Error on divergence (after marking the run failed).
  TrainResult fit(const Dataset& data, const std::vector<std::size_t>& train,
                  const std::vector<std::size_t>& eval, RunFile* run = nullptr);
  EvalResult evaluate(const Dataset& data, const std::vector<std::size_t>& indices);
  // InputError when `data` does not fit the model (input size) or the config (a stream dataset
  // without stateful streams): what fit checks first.
  void check_data(const Dataset& data) const;
  // Loss of one batch on `tape`; *correct += the argmax hits of a classification, *scored +=
  // the targets the loss averages over (scored tokens for per-step classes, else examples).
  Var batch_loss(Tape& tape, const Batch& batch, bool training, uint64_t seed,
                 int64_t* correct = nullptr, int64_t* scored = nullptr);

 private:
  Model& model_;
  TrainConfig config_;
  Optimizer optimizer_;
};

// Writes every parameter of `model` to /params/<name> in the run file.
void write_params(RunFile& run, Model& model);

// True if `run` holds a complete checkpoint (one whose writing finished); its step in *step.
bool has_checkpoint(const RunFile& run, int64_t* step = nullptr);

}  // namespace rnnlab
