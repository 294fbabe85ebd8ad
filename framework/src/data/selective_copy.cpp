// The selective-copy task (see data.h): K data symbols at random increasing positions among L
// noise steps, then K marker steps at which the symbols are to be recalled, in order. Each
// example is generated from (seed, index) on demand.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"
#include "rnnlab/rng.h"

namespace rnnlab {

namespace {
// Uniform integer in [0, n) from mt19937_64 (std distributions differ between libraries).
int64_t below(std::mt19937_64& g, int64_t n) { return static_cast<int64_t>(g() % uint64_t(n)); }
}  // namespace

SelectiveCopyDataset::SelectiveCopyDataset(int64_t steps, int64_t tokens, int64_t alphabet,
                                           std::size_t examples, uint64_t seed)
    : steps_(steps), tokens_(tokens), alphabet_(alphabet), examples_(examples), seed_(seed) {
  RNNLAB_CHECK_INPUT(tokens >= 1, "selective copy: tokens (symbols to copy) must be >= 1, got ",
                     tokens);
  RNNLAB_CHECK_INPUT(steps >= tokens, "selective copy: steps (input positions L) must be >= ",
                     "tokens (K = ", tokens, ": the symbols need distinct positions), got ", steps);
  RNNLAB_CHECK_INPUT(alphabet >= 2, "selective copy: alphabet (data symbol ids) must be >= 2, got ",
                     alphabet);
  RNNLAB_CHECK_INPUT(examples >= 1, "selective copy: examples must be >= 1, got ", examples);
}

double SelectiveCopyDataset::baseline() const { return std::log(static_cast<double>(alphabet_)); }

TokenExample SelectiveCopyDataset::example(std::size_t i) const {
  RNNLAB_CHECK(i < examples_, "SelectiveCopyDataset: index ", i, " out of range (", examples_,
               " examples)");
  std::mt19937_64 g(mix64(seed_ ^ mix64(0x5E1C000000000000ull + i)));
  const auto L = static_cast<std::size_t>(steps_), K = static_cast<std::size_t>(tokens_);
  // A uniform K-subset of 0..L-1: the first K draws of a Fisher-Yates shuffle, then sorted.
  std::vector<std::size_t> pos(L);
  std::iota(pos.begin(), pos.end(), std::size_t{0});
  for (std::size_t j = 0; j < K; ++j)
    std::swap(pos[j], pos[j + static_cast<std::size_t>(below(g, static_cast<int64_t>(L - j)))]);
  pos.resize(K);
  std::sort(pos.begin(), pos.end());
  TokenExample e;
  e.tokens.assign(L + K, kBlank);
  e.targets.assign(L + K, kNotScored);
  for (std::size_t j = 0; j < K; ++j) {
    const auto s = static_cast<int32_t>(kFirstSymbol + below(g, alphabet_));
    e.tokens[pos[j]] = s;
    e.tokens[L + j] = kMarker;
    e.targets[L + j] = s;
  }
  return e;
}

std::string SelectiveCopyDataset::describe() const {
  return detail::concat("selective copy: ", examples_, " sequences of ", tokens_,
                        " symbols (alphabet ", alphabet_, ") at random positions among ", steps_,
                        " noise steps, then ", tokens_, " recall steps (T = ", max_steps(),
                        ", vocab ", num_classes(), ", memoryless CE ", baseline(), ")");
}

}  // namespace rnnlab
