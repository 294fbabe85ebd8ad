// WindowDataset: sliding windows over a 1-D series, predicting the next value (after the
// window, or after every step of it).
#include "rnnlab/data.h"

namespace rnnlab {

WindowDataset::WindowDataset(std::vector<double> series, int64_t input_steps, WindowTarget target,
                             int64_t stride)
    : series_(std::move(series)), steps_(input_steps), target_(target), stride_(stride) {
  RNNLAB_CHECK_INPUT(steps_ >= 1, "window: input steps must be >= 1, got ", steps_);
  RNNLAB_CHECK_INPUT(stride_ >= 1, "window: stride must be >= 1, got ", stride_);
  const auto n = static_cast<int64_t>(series_.size());
  RNNLAB_CHECK_INPUT(n >= steps_ + 1, "too few values for one window: windows of ", steps_,
                     " steps plus the value to predict need ", steps_ + 1,
                     " values, the series has ", n);
  windows_ = static_cast<std::size_t>((n - steps_ - 1) / stride_ + 1);
}

Batch WindowDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  const auto B = static_cast<int64_t>(indices.size());
  const int64_t T = steps_;
  RNNLAB_CHECK(B > 0, "WindowDataset::batch: no indices");
  std::vector<double> x(static_cast<std::size_t>(T * B));
  std::vector<double> y(static_cast<std::size_t>(target_ == WindowTarget::every_step ? T * B : B));
  for (int64_t b = 0; b < B; ++b) {
    const std::size_t i = indices[b];
    RNNLAB_CHECK(i < windows_, "WindowDataset::batch: index ", i, " out of range (", windows_,
                 " windows)");
    const std::size_t s = i * static_cast<std::size_t>(stride_);
    for (int64_t t = 0; t < T; ++t) {
      x[t * B + b] = series_[s + t];
      if (target_ == WindowTarget::every_step) y[t * B + b] = series_[s + t + 1];
    }
    if (target_ == WindowTarget::next_value) y[b] = series_[s + T];
  }
  Batch out;
  out.x = float_tensor(x, {T, B, 1}, dtype);
  out.lengths.assign(indices.size(), static_cast<int32_t>(T));
  out.y_value = target_ == WindowTarget::every_step ? float_tensor(y, {T, B, 1}, dtype)
                                                    : float_tensor(y, {B, 1}, dtype);
  return out;
}

std::string WindowDataset::describe() const {
  return detail::concat(
      "windows: ", windows_, " of ", steps_, " steps (stride ", stride_, ") over a series of ",
      series_.size(), " values, target ",
      target_ == WindowTarget::every_step ? "the next value at every step" : "the next value");
}

}  // namespace rnnlab
