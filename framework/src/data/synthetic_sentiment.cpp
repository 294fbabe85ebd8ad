// The synthetic sentiment task (see data.h for the generative rule): K = 2*floor(L/50)+1
// sentiment words spread over the review, each possibly negated by a negation word a few steps
// before it, label = majority vote of the effective polarities.
#include <algorithm>
#include <random>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"
#include "rnnlab/rng.h"

namespace rnnlab {

namespace {
// Uniform integer in [lo, hi] (platform-independent).
int64_t uniform(std::mt19937_64& g, int64_t lo, int64_t hi) {
  return lo + static_cast<int64_t>(g() % static_cast<uint64_t>(hi - lo + 1));
}
}  // namespace

SyntheticSentimentDataset::SyntheticSentimentDataset(std::size_t examples, int64_t vocab,
                                                     int64_t min_len, int64_t max_len,
                                                     uint64_t seed)
    : examples_(examples), vocab_(vocab), min_len_(min_len), max_len_(max_len), seed_(seed) {
  RNNLAB_CHECK_INPUT(examples >= 1, "synthetic_sentiment: examples must be >= 1, got ", examples);
  RNNLAB_CHECK_INPUT(vocab >= 32,
                     "synthetic_sentiment: vocab must be >= 32 (25 reserved ids + "
                     "neutral words), got ",
                     vocab);
  RNNLAB_CHECK_INPUT(min_len >= 6, "synthetic_sentiment: min_len must be >= 6, got ", min_len);
  RNNLAB_CHECK_INPUT(max_len >= min_len, "synthetic_sentiment: max_len (", max_len,
                     ") must be >= min_len (", min_len, ")");
}

SyntheticSentimentDataset::Example SyntheticSentimentDataset::example(std::size_t i) const {
  RNNLAB_CHECK(i < examples_, "SyntheticSentimentDataset: index ", i, " out of range (", examples_,
               " examples)");
  std::mt19937_64 g(mix64(seed_ ^ mix64(0x5E47000000000000ull + i)));
  const int64_t L = uniform(g, min_len_, max_len_);
  Example e;
  e.tokens.resize(static_cast<std::size_t>(L));
  for (auto& t : e.tokens) t = static_cast<int32_t>(uniform(g, kNeutral, vocab_ - 1));
  int vote = 0;
  const int tone = (g() & 1) ? 1 : -1;  // the review's overall tone
  const int64_t K = segments(L);
  for (int64_t k = 0; k < K; ++k) {
    const int64_t start = k * L / K, end = (k + 1) * L / K;  // >= 6 steps (L >= 50 K / 3)
    const int64_t p = uniform(g, start + 1, end - 1);
    const int opinion = g() % 5 != 0 ? tone : -tone;  // agrees with the tone with probability 4/5
    const bool negated = (g() & 3) == 0;              // probability 1/4
    const int polarity = negated ? -opinion : opinion;  // the word written: "not good" = -1
    const int32_t word = static_cast<int32_t>((polarity > 0 ? kPositive : kNegative) +
                                              uniform(g, 0, kWordsPerPolarity - 1));
    e.tokens[p] = word;
    if (negated)
      e.tokens[uniform(g, std::max(start, p - kNegationReach), p - 1)] =
          static_cast<int32_t>(kNegation + uniform(g, 0, kNegationWords - 1));
    vote += opinion;
  }
  e.label = vote > 0 ? 1 : 0;
  return e;
}

Batch SyntheticSentimentDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "SyntheticSentimentDataset::batch: no indices");
  std::vector<Example> ex;
  ex.reserve(indices.size());
  int64_t T = 0;
  Batch out;
  for (std::size_t i : indices) {
    ex.push_back(example(i));
    out.lengths.push_back(static_cast<int32_t>(ex.back().tokens.size()));
    T = std::max<int64_t>(T, out.lengths.back());
  }
  std::vector<int32_t> x(static_cast<std::size_t>(T * B), TextVocabulary::kPad);
  std::vector<double> y(indices.size());
  for (int64_t b = 0; b < B; ++b) {
    const auto& s = ex[b].tokens;
    for (std::size_t t = 0; t < s.size(); ++t) x[static_cast<int64_t>(t) * B + b] = s[t];
    y[b] = ex[b].label;
  }
  out.x = from_vector(x, {T, B});
  out.y_value = float_tensor(y, {B, 1}, dtype);
  return out;
}

std::string SyntheticSentimentDataset::describe() const {
  return detail::concat("synthetic sentiment: ", examples_, " token sequences of length U{",
                        min_len_, "..", max_len_, "}, vocab ", vocab_,
                        ", label = majority of 2*floor(L/50)+1 (possibly negated) sentiment words");
}

}  // namespace rnnlab
