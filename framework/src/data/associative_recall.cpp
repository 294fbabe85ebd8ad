// Multi-query associative recall (see data.h): N key-value pairs k_0 v_0 ... k_{N-1} v_{N-1},
// then Q queries, each a key of the pairs; the target at a query is its value. Each example is
// generated from (seed, index) on demand.
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

// The first k items of a seeded Fisher-Yates shuffle of 0..n-1: a uniform k-subset of 0..n-1
// in uniformly random order (k <= n).
std::vector<int64_t> draw_distinct(std::mt19937_64& g, int64_t n, int64_t k) {
  std::vector<int64_t> v(static_cast<std::size_t>(n));
  std::iota(v.begin(), v.end(), int64_t{0});
  for (int64_t j = 0; j < k; ++j) std::swap(v[j], v[j + below(g, n - j)]);
  v.resize(static_cast<std::size_t>(k));
  return v;
}
}  // namespace

AssociativeRecallDataset::AssociativeRecallDataset(int64_t pairs, int64_t keys, int64_t values,
                                                   int64_t queries, std::size_t examples,
                                                   uint64_t seed)
    : pairs_(pairs),
      keys_(keys),
      values_(values),
      queries_(queries),
      examples_(examples),
      seed_(seed) {
  RNNLAB_CHECK_INPUT(pairs >= 1, "associative recall: pairs must be >= 1, got ", pairs);
  RNNLAB_CHECK_INPUT(keys >= pairs, "associative recall: keys (key ids) must be >= pairs (", pairs,
                     ": the keys of a sequence are distinct), got ", keys);
  RNNLAB_CHECK_INPUT(values >= 2, "associative recall: values (value ids) must be >= 2, got ",
                     values);
  RNNLAB_CHECK_INPUT(queries >= 1, "associative recall: queries must be >= 1, got ", queries);
  RNNLAB_CHECK_INPUT(queries <= pairs, "associative recall: queries must be <= pairs (", pairs,
                     ": each query asks a different pair), got ", queries);
  RNNLAB_CHECK_INPUT(examples >= 1, "associative recall: examples must be >= 1, got ", examples);
}

double AssociativeRecallDataset::baseline() const { return std::log(static_cast<double>(values_)); }

TokenExample AssociativeRecallDataset::example(std::size_t i) const {
  RNNLAB_CHECK(i < examples_, "AssociativeRecallDataset: index ", i, " out of range (", examples_,
               " examples)");
  std::mt19937_64 g(mix64(seed_ ^ mix64(0xA55C000000000000ull + i)));
  const std::vector<int64_t> key = draw_distinct(g, keys_, pairs_);  // key j's offset in 0..K-1
  std::vector<int32_t> value(static_cast<std::size_t>(pairs_));
  for (auto& v : value) v = static_cast<int32_t>(first_value() + below(g, values_));
  const std::vector<int64_t> asked = draw_distinct(g, pairs_, queries_);
  const auto N = static_cast<std::size_t>(pairs_);
  TokenExample e;
  e.tokens.assign(static_cast<std::size_t>(max_steps()), 0);
  e.targets.assign(e.tokens.size(), kNotScored);
  for (std::size_t j = 0; j < N; ++j) {
    e.tokens[2 * j] = static_cast<int32_t>(1 + key[j]);
    e.tokens[2 * j + 1] = value[j];
  }
  for (std::size_t m = 0; m < asked.size(); ++m) {
    const auto j = static_cast<std::size_t>(asked[m]);
    e.tokens[2 * N + m] = static_cast<int32_t>(1 + key[j]);
    e.targets[2 * N + m] = value[j];
  }
  return e;
}

std::string AssociativeRecallDataset::describe() const {
  return detail::concat("associative recall: ", examples_, " sequences of ", pairs_,
                        " key-value pairs (", keys_, " keys, ", values_, " values), then ",
                        queries_, " queries (T = ", max_steps(), ", vocab ", num_classes(),
                        ", memoryless CE ", baseline(), ")");
}

}  // namespace rnnlab
