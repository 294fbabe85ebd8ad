// Length classification (see data.h): random values, length U{1..max_len}, label 2L > max_len.
#include <algorithm>
#include <random>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"
#include "rnnlab/rng.h"

namespace rnnlab {

namespace {
double unit(std::mt19937_64& g) { return static_cast<double>(g() >> 11) * 0x1.0p-53; }
std::mt19937_64 generator(uint64_t seed, std::size_t i) {
  return std::mt19937_64(mix64(seed ^ mix64(0x1E6000000000000ull + i)));
}
}  // namespace

LengthDataset::LengthDataset(int64_t max_len, std::size_t examples, uint64_t seed)
    : max_len_(max_len), examples_(examples), seed_(seed) {
  RNNLAB_CHECK_INPUT(max_len >= 2, "length classification: max_len must be >= 2, got ", max_len);
  RNNLAB_CHECK_INPUT(examples >= 1, "length classification: examples must be >= 1, got ", examples);
}

int64_t LengthDataset::length(std::size_t i) const {
  RNNLAB_CHECK(i < examples_, "LengthDataset: index ", i, " out of range (", examples_,
               " examples)");
  std::mt19937_64 g = generator(seed_, i);
  return 1 + static_cast<int64_t>(g() % static_cast<uint64_t>(max_len_));
}

Batch LengthDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "LengthDataset::batch: no indices");
  Batch out;
  int64_t T = 0;
  for (std::size_t i : indices) {
    out.lengths.push_back(static_cast<int32_t>(length(i)));
    T = std::max<int64_t>(T, out.lengths.back());
  }
  std::vector<double> x(static_cast<std::size_t>(T * B), 0.0), y(indices.size());
  for (int64_t b = 0; b < B; ++b) {
    std::mt19937_64 g = generator(seed_, indices[b]);
    g();  // the length draw
    for (int64_t t = 0; t < out.lengths[b]; ++t) x[t * B + b] = unit(g);
    y[b] = label(indices[b]);
  }
  out.x = float_tensor(x, {T, B, 1}, dtype);
  out.y_value = float_tensor(y, {B, 1}, dtype);
  return out;
}

std::string LengthDataset::describe() const {
  return detail::concat("length classification: ", examples_, " sequences of length U{1..",
                        max_len_, "} of U[0,1) values, label length > ", max_len_, "/2");
}

}  // namespace rnnlab
