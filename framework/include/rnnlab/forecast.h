// Closed-loop forecasting with a trained model of one series (`rnnlab predict`).
//
// held_out_series: a series source's held-out windows (consecutive windows s[j..j+T) of one
// series whose per-step targets are the next values, as `fibonacci` and
// `csv { target every_step }` make) put back together into s[0..): window j is s[j..j+T), its
// targets s[j+1..j+T+1).
//
// closed_loop_forecast, from the true values s[k .. k+W) (k = start, W = warmup):
//   w_0     = s[k .. k+W)
//   p_i     = model(w_i)[last step]                 the model's next-value prediction
//   w_{i+1} = (w_i without its first value, p_i)    i = 0 .. N-1 (N = steps)
// i.e. after the warm-up the model sees only its own predictions (a sliding window of W values
// run through the model from a zero state each time, batch 1, shape [W, 1, 1]).
#pragma once

#include <cstdint>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/model.h"

namespace rnnlab {

// InputError when the data is not of that kind (not one input and one target value per step,
// no per-step targets, windows not consecutive, no held-out windows).
std::vector<double> held_out_series(const DataSetup& data);

// The N predictions p_0 .. p_{N-1}; inputs cast to `dtype` (the model's). InputError when
// start + warmup + steps exceeds the series.
std::vector<double> closed_loop_forecast(Model& model, const std::vector<double>& series,
                                         int64_t start, int64_t warmup, int64_t steps,
                                         DType dtype);

// The forecast against the truth s[k+W+i]:
//   mse        = mean_i (p_i - s[k+W+i])^2
//   rounded_ok = #{i : round(p_i) == round(s[k+W+i])}    (for integer series)
//   first_miss = the first i where they differ, -1 when none
struct ForecastScore {
  double mse = 0;
  int64_t rounded_ok = 0;
  int64_t first_miss = -1;
};
ForecastScore score_forecast(const std::vector<double>& predictions,
                             const std::vector<double>& series, int64_t start, int64_t warmup);

}  // namespace rnnlab
