// Checkpoints: the part of a run file that lets `fit(resume)` continue exactly.
//
// Two slots, written alternately, so that a kill while writing one, or a damaged one, leaves
// the other to resume from:
//
//   /checkpoint/a, /checkpoint/b      one complete snapshot each:
//     attrs   complete (0 while being written, 1 after), checksum (FNV-1a 64 as int64),
//             step, iter_epoch, iter_batch, optimizer_step, train_time, wall_time, sequences, epoch_loss,
//             epoch_batches, window_loss, window_batches, window_correct, window_examples,
//             rows_metrics, rows_eval, rows_epochs (MetricLog's row counts), last_eval_step, first_loss, has_eval (+ eval_loss,
//             eval_accuracy, eval_examples when an evaluation happened)
//     params/<name>    parameter values             (dtype and shape kept)
//     slot1/<name>     optimizer slot 1 (momentum / Adam m / RMSprop mean square)
//     slot2/<name>     optimizer slot 2 (Adam v)
//     carry/<name>     a stateful model's carried state (Model::carried_state names, e.g.
//                      layer0/state/0, layer0/cell/window for QRNN's input window)
//     epoch_loss, epoch_time   f64 [E] per completed epoch
//     rng              i32 [n]: the bytes of the dropout-seed generator's mt19937_64 text state
//
// Only fixed-size attributes and the slot's own datasets: variable-length strings live in the
// file's shared global heap, which a kill while the other slot is written could damage.
//
// The checksum covers every dataset of the slot (name, dtype, shape, bytes) and every
// attribute but `complete` and `checksum` (name and value), in name order. Writing a slot
// first sets its complete=0 and flushes, writes everything, then sets checksum and complete=1
// and flushes. Reading takes the complete slot with the highest step whose checksum matches;
// a damaged newer slot is reported (stderr and the run file's `checkpoint_warning` attr) and
// the older one used; when no slot verifies, InputError naming each slot and why.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "rnnlab/model.h"
#include "rnnlab/optim.h"
#include "rnnlab/run_file.h"
#include "rnnlab/trainer.h"
#include "train/metric_log.h"

namespace rnnlab {

// Everything fit() carries from one step to the next besides the model and the optimizer.
struct TrainState {
  int64_t step = 0;           // steps completed
  int64_t iter_epoch = 0;     // BatchIterator position of the next batch
  int64_t iter_batch = 0;
  std::string rng;            // dropout-seed generator state ("" = fresh)
  double train_time = 0.0;    // seconds in training steps so far
  double wall_time = 0.0;     // seconds in fit() so far (over all sessions)
  int64_t sequences = 0;
  double epoch_loss = 0.0;    // sums since the epoch / log window started
  int64_t epoch_batches = 0;
  double window_loss = 0.0;
  int64_t window_batches = 0, window_correct = 0, window_examples = 0;
  std::vector<double> epoch_losses, epoch_times;  // per completed epoch
  MetricRows rows;  // rows of the metric tables written (metric_log.h)
  int64_t last_eval_step = -1;
  std::optional<EvalResult> last_eval;
  double first_loss = std::numeric_limits<double>::quiet_NaN();  // the divergence bound's base
};

void write_checkpoint(RunFile& run, const TrainState& state, Model& model,
                      const Optimizer& optimizer);
// Restores model parameters, optimizer slots/step, the carried state and the TrainState from
// the newest verified slot (the caller truncates the metric tables to TrainState::rows:
// MetricLog::resume). Throws InputError if no slot
// verifies or the checkpoint does not fit the model.
TrainState read_checkpoint(RunFile& run, Model& model, Optimizer& optimizer);
// The same choice of slot without changing anything: InputError when no slot verifies (the
// runner calls it on the read-only file, so a failed resume leaves the file as it was).
void verify_checkpoint(const RunFile& run);

// The slot a resume would use, for `rnnlab verify` (run_verify.h): its name, step and metric
// row counts, and the newer complete slots that did not verify (`problems`, "" when none).
// InputError as verify_checkpoint when no slot verifies.
struct CheckpointChoice {
  std::string slot;
  int64_t step = 0;
  MetricRows rows;
  std::string problems;
};
CheckpointChoice choose_checkpoint(const RunFile& run);

}  // namespace rnnlab
