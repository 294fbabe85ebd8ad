// MetricLog: the trainer's rows in a run file's three metric tables (layout: rnnlab/run_layout.h,
// tables: RunFile::append_metrics).
//
//   metrics   one row per log interval:  step, epoch, wall_time, loss, grad_norm,
//             sequences_per_second (+ accuracy when classifying); flushed at once
//   eval      one row per evaluation:    step, epoch, wall_time, loss (+ accuracy, + bpc or
//             perplexity for a language model); flushed
//   epochs    one row per ended epoch:   epoch, loss, train_time; flushed with the next row
//
// It counts the rows it wrote (MetricRows): a checkpoint records the counts, and a resume
// truncates each table back to them (rows logged after the checkpoint are dropped, so the
// resumed run logs them again exactly once). Without a run file nothing is written.
//
// Each row also goes to the optional MetricObserver (rnnlab/trainer.h; e.g. TensorBoard event
// files, train/tensorboard.h) after the run file has it, with or without a run file; eval_row
// with observe = false keeps a row from it.
#pragma once

#include <cstdint>

#include "rnnlab/run_file.h"
#include "rnnlab/trainer.h"

namespace rnnlab {

// Rows of each table written so far (what a checkpoint stores as rows_metrics, rows_eval,
// rows_epochs).
struct MetricRows {
  int64_t metrics = 0, eval = 0, epochs = 0;
};

class MetricLog {
 public:
  explicit MetricLog(RunFile* run, MetricObserver* observer = nullptr)
      : run_(run), observer_(observer) {}

  // Truncates every table to `rows` (the counts of the checkpoint resumed from) and counts on
  // from there. Error when a table is shorter than its count.
  void resume(const MetricRows& rows);

  // One row of /metrics; `accuracy` < 0: not a classification (no accuracy column).
  void train_row(int64_t step, int64_t epoch, double wall_time, double loss, double grad_norm,
                 double sequences_per_second, double accuracy);
  // One row of /eval; the accuracy column only for a classification (accuracy >= 0).
  void eval_row(int64_t step, int64_t epoch, double wall_time, const EvalResult& e,
                bool observe = true);
  // One row of /epochs (not flushed: the next train or eval row flushes it).
  void epoch_row(int64_t epoch, double loss, double train_time);

  const MetricRows& rows() const { return rows_; }

 private:
  RunFile* run_;
  MetricObserver* observer_;
  MetricRows rows_;
};

}  // namespace rnnlab
