// Seeded RNG streams and parameter initializers (computed on the host in double, then
// uploaded in the parameter's dtype, so f32 and f64 runs start from the same numbers).
#include <cmath>
#include <functional>

#include "rnnlab/backend.h"
#include "rnnlab/parameter.h"
#include "rnnlab/rng.h"

namespace rnnlab {

Rng Rng::fork(const std::string& tag) const {
  uint64_t h = mix64(seed_);
  for (unsigned char c : tag) h = mix64(h ^ c);
  return Rng(h);
}

double Rng::uniform(double lo, double hi) {
  return lo + (hi - lo) * (static_cast<double>(engine_() >> 11) * 0x1.0p-53);
}

// Box-Muller on our own uniforms: std::normal_distribution differs between libraries.
double Rng::normal(double mean, double stddev) {
  double u1 = uniform(0.0, 1.0), u2 = uniform(0.0, 1.0);
  if (u1 < 1e-300) u1 = 1e-300;
  return mean + stddev * std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

namespace {
void set_values(Parameter& p, const std::vector<double>& v) {
  if (p.value.dtype() == DType::f64) {
    p.value = from_vector(v, p.value.shape(), p.value.device());
  } else {
    std::vector<float> f(v.begin(), v.end());
    p.value = from_vector(f, p.value.shape(), p.value.device());
  }
}
}  // namespace

namespace init {

void uniform(Parameter& p, Rng& rng, double a) {
  std::vector<double> v(static_cast<std::size_t>(p.value.numel()));
  for (auto& x : v) x = rng.uniform(-a, a);
  set_values(p, v);
}

void uniform(Parameter& p, Rng& rng, double lo, double hi) {
  RNNLAB_CHECK(lo < hi, "init::uniform of '", p.name, "': expected lo < hi, found [", lo, ", ",
               hi, ")");
  std::vector<double> v(static_cast<std::size_t>(p.value.numel()));
  for (auto& x : v) x = rng.uniform(lo, hi);
  set_values(p, v);
}

void glorot(Parameter& p, Rng& rng) {
  const Shape& s = p.value.shape();
  RNNLAB_CHECK(s.size() == 2, "glorot init needs a 2-D parameter, '", p.name, "' is ",
               shape_str(s));
  uniform(p, rng, std::sqrt(6.0 / static_cast<double>(s[0] + s[1])));
}

void orthogonal(Parameter& p, Rng& rng, int64_t blocks) {
  const Shape& s = p.value.shape();
  RNNLAB_CHECK(s.size() == 2 && s[1] % blocks == 0, "orthogonal init of '", p.name, "' ",
               shape_str(s), " in ", blocks, " blocks");
  int64_t rows = s[0], h = s[1] / blocks, cols = s[1];
  std::vector<double> out(static_cast<std::size_t>(rows * cols));
  for (int64_t blk = 0; blk < blocks; ++blk) {
    // Gram-Schmidt on the longer side's vectors of a Gaussian [rows, h] matrix.
    bool by_cols = rows >= h;  // orthonormal columns if possible, else orthonormal rows
    int64_t nvec = by_cols ? h : rows, len = by_cols ? rows : h;
    std::vector<std::vector<double>> vecs(static_cast<std::size_t>(nvec),
                                          std::vector<double>(static_cast<std::size_t>(len)));
    for (auto& vec : vecs) {
      for (auto& x : vec) x = rng.normal();
      for (int pass = 0; pass < 2; ++pass)
        for (auto* q = vecs.data(); q != &vec; ++q) {
          double d = 0;
          for (int64_t i = 0; i < len; ++i) d += vec[i] * (*q)[i];
          for (int64_t i = 0; i < len; ++i) vec[i] -= d * (*q)[i];
        }
      double nrm = 0;
      for (auto x : vec) nrm += x * x;
      nrm = std::sqrt(nrm);
      for (auto& x : vec) x /= nrm;
    }
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < h; ++c)
        out[static_cast<std::size_t>(r * cols + blk * h + c)] =
            by_cols ? vecs[c][r] : vecs[r][c];
  }
  set_values(p, out);
}

void constant(Parameter& p, double c) { backend_for(p.value.device()).fill(p.value, c); }

void constant_range(Parameter& p, int64_t offset, int64_t len, double c) {
  std::vector<double> v = to_vector<double>(p.value);
  RNNLAB_CHECK(offset >= 0 && offset + len <= static_cast<int64_t>(v.size()),
               "constant_range out of bounds for '", p.name, "'");
  for (int64_t i = offset; i < offset + len; ++i) v[static_cast<std::size_t>(i)] = c;
  set_values(p, v);
}

}  // namespace init
}  // namespace rnnlab
