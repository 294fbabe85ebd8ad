// Seeded randomness. A run is reproducible from its seed: every consumer derives its own
// stream with `fork(tag)`, so adding a consumer does not shift the numbers of the others.
//
// Initializers (fill a parameter on the host, then upload):
//   uniform(a)      U(-a, a)
//   glorot          U(-sqrt(6/(fan_in+fan_out)), +...)   for W [fan_in, fan_out]
//   orthogonal      each [fan_in, H] gate block of W gets orthonormal columns (Gram-Schmidt
//                   on Gaussian samples), the standard init for recurrent weights
//   constant(c)     every element c (e.g. forget-gate bias 1)
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rnnlab/tensor.h"

namespace rnnlab {

class Rng {
 public:
  explicit Rng(uint64_t seed = 0) : seed_(seed), engine_(seed) {}
  uint64_t seed() const { return seed_; }
  // A child stream determined by (seed, tag) only.
  Rng fork(const std::string& tag) const;
  double uniform(double lo, double hi);
  double normal(double mean = 0.0, double stddev = 1.0);
  uint64_t next_u64() { return engine_(); }
  // A fresh seed for counter-based kernels (dropout masks).
  uint64_t next_seed() { return engine_(); }
  std::mt19937_64& engine() { return engine_; }

 private:
  uint64_t seed_;
  std::mt19937_64 engine_;
};

// 64-bit mix (splitmix64 finaliser): the counter-based generator behind dropout masks.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}
// Uniform [0,1) from (seed, index).
inline double counter_uniform(uint64_t seed, uint64_t index) {
  return static_cast<double>(mix64(seed ^ mix64(index)) >> 11) * 0x1.0p-53;
}

struct Parameter;

namespace init {
void uniform(Parameter& p, Rng& rng, double a);  // U(-a, a)
void uniform(Parameter& p, Rng& rng, double lo, double hi);  // U(lo, hi), lo < hi
void glorot(Parameter& p, Rng& rng);
// W [rows, blocks*H]: each [rows, H] block orthogonal (rows <= H) or with orthonormal rows.
void orthogonal(Parameter& p, Rng& rng, int64_t blocks);
void constant(Parameter& p, double c);
// Sets elements [offset, offset+len) of a 1-D parameter to c (forget-gate bias).
void constant_range(Parameter& p, int64_t offset, int64_t len, double c);
}  // namespace init

}  // namespace rnnlab
