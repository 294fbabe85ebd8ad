// Index bookkeeping: train/test splits, seeded shuffles, batch samplers and the iterator that
// walks them across epochs. No tensors here.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

#include "rnnlab/data.h"
#include "rnnlab/rng.h"

namespace rnnlab {

namespace {

// Uniform integer in [0, bound) from a 64-bit engine, unbiased (rejection), identical on every
// standard library (std::uniform_int_distribution is not).
uint64_t bounded(std::mt19937_64& eng, uint64_t bound) {
  const uint64_t limit = UINT64_MAX - UINT64_MAX % bound;
  uint64_t r;
  do {
    r = eng();
  } while (r >= limit);
  return r % bound;
}

// The seed of epoch e's permutation: depends on (seed, e) only.
uint64_t epoch_seed(uint64_t seed, int64_t e) {
  return mix64(seed ^ mix64(0x65706f6368ull /* "epoch" */ + static_cast<uint64_t>(e)));
}

}  // namespace

void shuffle_indices(std::vector<std::size_t>& v, uint64_t seed) {
  std::mt19937_64 eng(seed);
  for (std::size_t i = v.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(bounded(eng, i));
    std::swap(v[i - 1], v[j]);
  }
}

Split split(std::size_t n, double test_fraction, uint64_t seed, bool shuffle) {
  RNNLAB_CHECK_INPUT(test_fraction >= 0.0 && test_fraction < 1.0,
                     "split: test fraction must be in [0, 1), got ", test_fraction);
  const auto n_test =
      static_cast<std::size_t>(std::llround(static_cast<double>(n) * test_fraction));
  RNNLAB_CHECK_INPUT(n == 0 || n_test < n, "split: test fraction ", test_fraction, " of ", n,
                     " examples leaves no training data");
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), std::size_t{0});
  if (shuffle) shuffle_indices(order, mix64(seed ^ 0x73706c6974ull /* "split" */));
  Split s;
  s.train.assign(order.begin(), order.end() - static_cast<std::ptrdiff_t>(n_test));
  s.test.assign(order.end() - static_cast<std::ptrdiff_t>(n_test), order.end());
  std::sort(s.train.begin(), s.train.end());
  std::sort(s.test.begin(), s.test.end());
  return s;
}

BatchSampler::BatchSampler(std::vector<std::size_t> pool, std::size_t batch_size, SampleOrder order,
                           uint64_t seed, bool drop_last)
    : pool_(std::move(pool)),
      batch_size_(batch_size),
      order_(order),
      seed_(seed),
      drop_last_(drop_last || order == SampleOrder::streams) {
  RNNLAB_CHECK_INPUT(batch_size_ > 0, "batch size must be at least 1");
  RNNLAB_CHECK_INPUT(!pool_.empty(), "cannot sample batches from an empty dataset");
  RNNLAB_CHECK_INPUT(!drop_last_ || pool_.size() >= batch_size_, "batch size ", batch_size_,
                     " is larger than the ", pool_.size(),
                     " examples available and incomplete batches are dropped");
}

BatchSampler BatchSampler::range(std::size_t n, std::size_t batch_size, SampleOrder order,
                                 uint64_t seed, bool drop_last) {
  std::vector<std::size_t> pool(n);
  std::iota(pool.begin(), pool.end(), std::size_t{0});
  return BatchSampler(std::move(pool), batch_size, order, seed, drop_last);
}

std::size_t BatchSampler::batches_per_epoch() const {
  const std::size_t n = pool_.size();
  return drop_last_ ? n / batch_size_ : (n + batch_size_ - 1) / batch_size_;
}

std::vector<std::vector<std::size_t>> BatchSampler::epoch(int64_t e) const {
  RNNLAB_CHECK(e >= 0, "epoch number must be >= 0, got ", e);
  const std::size_t nb = batches_per_epoch();
  std::vector<std::vector<std::size_t>> out;
  out.reserve(nb);
  if (order_ == SampleOrder::streams) {
    const std::size_t len = pool_.size() / batch_size_;  // items per stream = batches
    for (std::size_t k = 0; k < len; ++k) {
      std::vector<std::size_t> b(batch_size_);
      for (std::size_t r = 0; r < batch_size_; ++r) b[r] = pool_[r * len + k];
      out.push_back(std::move(b));
    }
    return out;
  }
  std::vector<std::size_t> order = pool_;
  if (order_ == SampleOrder::shuffled) shuffle_indices(order, epoch_seed(seed_, e));
  for (std::size_t k = 0; k < nb; ++k) {
    const std::size_t lo = k * batch_size_;
    const std::size_t hi = std::min(lo + batch_size_, order.size());
    out.emplace_back(order.begin() + static_cast<std::ptrdiff_t>(lo),
                     order.begin() + static_cast<std::ptrdiff_t>(hi));
  }
  return out;
}

BatchIterator::BatchIterator(BatchSampler sampler, int64_t epoch, std::size_t batch)
    : sampler_(std::move(sampler)), epoch_(0), batch_(0) {
  seek(epoch, batch);
}

void BatchIterator::seek(int64_t epoch, std::size_t batch) {
  RNNLAB_CHECK(epoch >= 0, "BatchIterator: epoch must be >= 0, got ", epoch);
  RNNLAB_CHECK(batch < sampler_.batches_per_epoch(), "BatchIterator: batch ", batch,
               " out of range, an epoch has ", sampler_.batches_per_epoch(), " batches");
  epoch_ = epoch;
  batch_ = batch;
  started_ = false;
}

void BatchIterator::load_epoch() {
  if (loaded_epoch_ == epoch_) return;
  batches_ = sampler_.epoch(epoch_);
  loaded_epoch_ = epoch_;
}

const std::vector<std::size_t>& BatchIterator::next() {
  load_epoch();
  const std::vector<std::size_t>& b = batches_[batch_];
  started_ = true;
  if (++batch_ == batches_.size()) {
    batch_ = 0;
    ++epoch_;  // batches_ (and so b) stays valid until the following next()
  }
  return b;
}

}  // namespace rnnlab
