// The adding problem (see data.h): T steps of (value, marker), target = the two marked values'
// sum. Each example is generated from (seed, index) on demand.
#include <random>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"
#include "rnnlab/rng.h"

namespace rnnlab {

namespace {
// Platform-independent draws from mt19937_64 (std distributions differ between libraries).
double unit(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
int64_t below(std::mt19937_64& g, int64_t n) { return static_cast<int64_t>(g() % uint64_t(n)); }
}  // namespace

AddingDataset::AddingDataset(int64_t steps, std::size_t examples, uint64_t seed)
    : steps_(steps), examples_(examples), seed_(seed) {
  RNNLAB_CHECK_INPUT(steps >= 2, "adding problem: steps (sequence length T) must be >= 2, got ",
                     steps);
  RNNLAB_CHECK_INPUT(examples >= 1, "adding problem: examples must be >= 1, got ", examples);
}

AddingDataset::Example AddingDataset::example(std::size_t i) const {
  RNNLAB_CHECK(i < examples_, "AddingDataset: index ", i, " out of range (", examples_,
               " examples)");
  std::mt19937_64 g(mix64(seed_ ^ mix64(0xADD1000000000000ull + i)));
  Example e;
  e.values.resize(static_cast<std::size_t>(steps_));
  for (auto& v : e.values) v = unit(g);
  const int64_t half = steps_ / 2;
  e.first = below(g, half);
  e.second = half + below(g, steps_ - half);
  e.target = e.values[e.first] + e.values[e.second];
  return e;
}

Batch AddingDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "AddingDataset::batch: no indices");
  std::vector<double> x(static_cast<std::size_t>(steps_ * B * 2), 0.0), y(indices.size());
  for (int64_t b = 0; b < B; ++b) {
    Example e = example(indices[b]);
    for (int64_t t = 0; t < steps_; ++t) x[(t * B + b) * 2] = e.values[t];
    x[(e.first * B + b) * 2 + 1] = 1.0;
    x[(e.second * B + b) * 2 + 1] = 1.0;
    y[b] = e.target;
  }
  Batch out;
  out.x = float_tensor(x, {steps_, B, 2}, dtype);
  out.lengths.assign(indices.size(), static_cast<int32_t>(steps_));
  out.y_value = float_tensor(y, {B, 1}, dtype);
  return out;
}

std::string AddingDataset::describe() const {
  return detail::concat("adding problem: ", examples_, " sequences of ", steps_,
                        " steps x (value U[0,1), marker), target = sum of the 2 marked values");
}

}  // namespace rnnlab
