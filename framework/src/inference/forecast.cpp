// Closed-loop forecasting of one series (forecast.h).
#include "rnnlab/forecast.h"

#include <cmath>

#include "rnnlab/autodiff.h"
#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace {

// The model's prediction after the last value of `window` ([W, 1, 1], from a zero state).
double predict_next(Model& model, const std::vector<double>& window, DType dtype) {
  Tape tape(Device::cpu);
  const auto w = static_cast<int64_t>(window.size());
  Var x = tape.constant(to_dtype(from_vector(window, {w, 1, 1}), dtype));
  Activation out = model.forward(tape, Activation{x, true, {}}, ForwardContext{false, 0});
  return to_vector<double>(to_dtype(out.x.value(), DType::f64)).back();
}

}  // namespace

std::vector<double> held_out_series(const DataSetup& data) {
  const Dataset& ds = *data.dataset;
  RNNLAB_CHECK_INPUT(ds.input_size() == 1 && ds.output_size() == 1 && ds.num_classes() == 0,
                     "the run was trained on ", data.description,
                     "; a closed-loop forecast needs one input value and one target value per step");
  std::vector<double> s;
  const auto& ids = data.eval;
  RNNLAB_CHECK_INPUT(!ids.empty(), "the run's data has no held-out windows");
  for (std::size_t j = 0; j < ids.size(); ++j) {
    Batch b = ds.batch({ids[j]}, DType::f64);
    RNNLAB_CHECK_INPUT(b.y_value.defined() && b.y_value.rank() == 3, data.description,
                       " has no per-step targets (y [T,B,1]); "
                       "use a source whose target at every step is the next value");
    const auto x = to_vector<double>(b.x), y = to_vector<double>(b.y_value);
    const std::size_t T = x.size();
    bool next_values = true;
    for (std::size_t t = 0; t + 1 < T; ++t) next_values &= x[t + 1] == y[t];
    if (j == 0) s = x;
    bool consecutive = true;
    for (std::size_t t = 0; t < T; ++t) consecutive &= s[j + t] == x[t];
    RNNLAB_CHECK_INPUT(next_values && consecutive, "the held-out windows of ", data.description,
                       " are not consecutive windows of one series whose targets are the next "
                       "values (window ", j, ")");
    s.push_back(y[T - 1]);
  }
  return s;
}

std::vector<double> closed_loop_forecast(Model& model, const std::vector<double>& series,
                                         int64_t start, int64_t warmup, int64_t steps,
                                         DType dtype) {
  RNNLAB_CHECK_INPUT(start >= 0 && warmup >= 1 && steps >= 1,
                     "a forecast needs start >= 0, warmup >= 1 and steps >= 1");
  const auto need = static_cast<std::size_t>(start + warmup + steps);
  RNNLAB_CHECK_INPUT(need <= series.size(), "start + warmup + steps = ", need,
                     " values, but the held-out series has only ", series.size());
  std::vector<double> window(series.begin() + start, series.begin() + start + warmup), pred;
  for (int64_t i = 0; i < steps; ++i) {
    pred.push_back(predict_next(model, window, dtype));
    window.erase(window.begin());
    window.push_back(pred.back());
  }
  return pred;
}

ForecastScore score_forecast(const std::vector<double>& predictions,
                             const std::vector<double>& series, int64_t start, int64_t warmup) {
  ForecastScore s;
  const auto n = static_cast<int64_t>(predictions.size());
  RNNLAB_CHECK(static_cast<std::size_t>(start + warmup + n) <= series.size(),
               "score_forecast: ", n, " predictions after ", start + warmup,
               " values, but the series has only ", series.size());
  double sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double t = series[static_cast<std::size_t>(start + warmup + i)];
    const double p = predictions[static_cast<std::size_t>(i)];
    sq += (p - t) * (p - t);
    const bool ok = std::lround(p) == std::lround(t);
    s.rounded_ok += ok;
    if (!ok && s.first_miss < 0) s.first_miss = i;
  }
  s.mse = n > 0 ? sq / double(n) : 0;
  return s;
}

}  // namespace rnnlab
