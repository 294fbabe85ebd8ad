// Checkpoints: the part of a run file that lets `fit(resume)` continue exactly.
//
//   /checkpoint            attrs: complete (0 while being written, 1 after), step, iter_epoch,
//                                 iter_batch, optimizer_step, rng (mt19937_64 text state of the
//                                 dropout-seed generator), train_time, wall_time, sequences,
//                                 epoch_loss, epoch_batches, window_loss, window_batches,
//                                 window_correct, window_examples, rows_metrics, rows_eval,
//                                 rows_epochs, last_eval_step (+ eval_loss, eval_accuracy,
//                                 eval_examples when an evaluation happened)
//   /checkpoint/params/<name>   parameter values          (dtype and shape kept)
//   /checkpoint/slot1/<name>    optimizer slot 1 (momentum / Adam m / RMSprop mean square)
//   /checkpoint/slot2/<name>    optimizer slot 2 (Adam v)
//   /checkpoint/epoch_loss, /checkpoint/epoch_time   f64 [E] per completed epoch
//
// Writing first sets complete=0 and flushes, then rewrites everything in place, then sets
// complete=1 and flushes, so a process killed while writing never leaves a checkpoint that
// looks complete but mixes two steps.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rnnlab/model.h"
#include "rnnlab/optim.h"
#include "rnnlab/run_file.h"
#include "rnnlab/trainer.h"

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
  int64_t rows_metrics = 0, rows_eval = 0, rows_epochs = 0;
  int64_t last_eval_step = -1;
  std::optional<EvalResult> last_eval;
};

void write_checkpoint(RunFile& run, const TrainState& state, Model& model,
                      const Optimizer& optimizer);
// Restores model parameters, optimizer slots/step and the state; drops metric rows written
// after the checkpoint. Throws InputError if the checkpoint does not fit the model.
TrainState read_checkpoint(RunFile& run, Model& model, Optimizer& optimizer);

}  // namespace rnnlab
