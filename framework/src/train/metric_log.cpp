// The trainer's metric tables (see metric_log.h).
#include "train/metric_log.h"

#include <string>
#include <utility>
#include <vector>

#include "rnnlab/run_layout.h"

namespace rnnlab {

namespace L = layout;

void MetricLog::resume(const MetricRows& rows) {
  if (run_) {
    run_->truncate_rows(L::kMetrics, rows.metrics);
    run_->truncate_rows(L::kEval, rows.eval);
    run_->truncate_rows(L::kEpochs, rows.epochs);
  }
  rows_ = rows;
}

void MetricLog::train_row(int64_t step, int64_t epoch, double wall_time, double loss,
                          double grad_norm, double sequences_per_second, double accuracy) {
  if (run_) {
    std::vector<std::pair<std::string, double>> row{
        {L::kStep, double(step)},  {L::kEpoch, double(epoch)},
        {L::kWallTime, wall_time}, {L::kLoss, loss},
        {L::kGradNorm, grad_norm}, {L::kSequencesPerSecond, sequences_per_second}};
    if (accuracy >= 0) row.emplace_back(L::kAccuracy, accuracy);
    run_->append_metrics(L::kMetrics, row);
    ++rows_.metrics;
    run_->flush();
  }
  if (observer_)
    observer_->train_row(step, epoch, wall_time, loss, grad_norm, sequences_per_second, accuracy);
}

void MetricLog::eval_row(int64_t step, int64_t epoch, double wall_time, const EvalResult& e,
                         bool observe) {
  if (run_) {
    std::vector<std::pair<std::string, double>> row{{L::kStep, double(step)},
                                                    {L::kEpoch, double(epoch)},
                                                    {L::kWallTime, wall_time},
                                                    {L::kLoss, e.loss}};
    if (e.accuracy >= 0) row.emplace_back(L::kAccuracy, e.accuracy);
    if (e.bits_per_char >= 0) row.emplace_back(L::kBitsPerChar, e.bits_per_char);
    if (e.perplexity >= 0) row.emplace_back(L::kPerplexity, e.perplexity);
    run_->append_metrics(L::kEval, row);
    ++rows_.eval;
    run_->flush();
  }
  if (observer_ && observe) observer_->eval_row(step, epoch, wall_time, e);
}

void MetricLog::epoch_row(int64_t epoch, double loss, double train_time) {
  if (run_) {
    run_->append_metrics(
        L::kEpochs, {{L::kEpoch, double(epoch)}, {L::kLoss, loss}, {L::kTrainTime, train_time}});
    ++rows_.epochs;
  }
  if (observer_) observer_->epoch_row(epoch, loss, train_time);
}

}  // namespace rnnlab
