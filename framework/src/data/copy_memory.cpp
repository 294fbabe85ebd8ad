// The copy-memory task (see data.h): S symbols at steps 0..S-1, blanks, the delimiter at step
// S+G-1, then S blank steps at which the S symbols are to be recalled, in order. Each example
// is generated from (seed, index) on demand.
#include <cmath>
#include <random>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"
#include "rnnlab/rng.h"

namespace rnnlab {

namespace {
// Uniform integer in [0, n) from mt19937_64 (std distributions differ between libraries).
int64_t below(std::mt19937_64& g, int64_t n) { return static_cast<int64_t>(g() % uint64_t(n)); }
}  // namespace

CopyMemoryDataset::CopyMemoryDataset(int64_t blanks, int64_t symbols, int64_t alphabet, Score score,
                                     std::size_t examples, uint64_t seed)
    : blanks_(blanks),
      symbols_(symbols),
      alphabet_(alphabet),
      score_(score),
      examples_(examples),
      seed_(seed) {
  RNNLAB_CHECK_INPUT(blanks >= 1, "copy memory: blanks (the delay T) must be >= 1, got ", blanks);
  RNNLAB_CHECK_INPUT(symbols >= 1, "copy memory: symbols (how many to recall) must be >= 1, got ",
                     symbols);
  RNNLAB_CHECK_INPUT(alphabet >= 2, "copy memory: alphabet (data symbol ids) must be >= 2, got ",
                     alphabet);
  RNNLAB_CHECK_INPUT(examples >= 1, "copy memory: examples must be >= 1, got ", examples);
}

double CopyMemoryDataset::baseline() const {
  const double recall = std::log(static_cast<double>(alphabet_));
  return score_ == Score::recall
             ? recall
             : static_cast<double>(symbols_) * recall / static_cast<double>(max_steps());
}

TokenExample CopyMemoryDataset::example(std::size_t i) const {
  RNNLAB_CHECK(i < examples_, "CopyMemoryDataset: index ", i, " out of range (", examples_,
               " examples)");
  std::mt19937_64 g(mix64(seed_ ^ mix64(0xC0B1000000000000ull + i)));
  const auto T = static_cast<std::size_t>(max_steps());
  const auto S = static_cast<std::size_t>(symbols_), G = static_cast<std::size_t>(blanks_);
  TokenExample e;
  e.tokens.assign(T, 0);
  e.targets.assign(T, score_ == Score::all ? 0 : kNotScored);
  for (std::size_t j = 0; j < S; ++j) {
    const auto s = static_cast<int32_t>(1 + below(g, alphabet_));
    e.tokens[j] = s;
    e.targets[S + G + j] = s;
  }
  e.tokens[S + G - 1] = delimiter();
  return e;
}

Batch TokenTaskDataset::batch(const std::vector<std::size_t>& indices, DType) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "batch of a memory task: no indices");
  const int64_t T = max_steps();
  std::vector<int32_t> x(static_cast<std::size_t>(T * B)), y(x.size());
  for (int64_t b = 0; b < B; ++b) {
    const TokenExample e = example(indices[static_cast<std::size_t>(b)]);
    for (int64_t t = 0; t < T; ++t) {
      x[static_cast<std::size_t>(t * B + b)] = e.tokens[static_cast<std::size_t>(t)];
      y[static_cast<std::size_t>(t * B + b)] = e.targets[static_cast<std::size_t>(t)];
    }
  }
  Batch out;
  out.x = from_vector(x, {T, B});
  out.y_class = from_vector(y, {T, B});
  out.lengths.assign(indices.size(), static_cast<int32_t>(T));
  return out;
}

std::string CopyMemoryDataset::describe() const {
  return detail::concat("copy memory: ", examples_, " sequences of ", symbols_,
                        " symbols (alphabet ", alphabet_, "), ", blanks_,
                        " blanks, delimiter, recall (T = ", max_steps(), ", vocab ", num_classes(),
                        ", scored: ", score_ == Score::recall ? "recall steps" : "all steps",
                        ", memoryless CE ", baseline(), ")");
}

}  // namespace rnnlab
