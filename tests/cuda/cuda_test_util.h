// Helpers of rnnlab_cuda_tests: moving tensors between devices, the parity error measure.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <vector>

#include "rnnlab/backend.h"
#include "test_util.h"

namespace rnnlab {
// From rnnlab/cuda_kernel.h (which needs nvcc's include path; this file is plain C++).
bool cuda_debug_sync();
void cuda_set_debug_sync(bool on);
}  // namespace rnnlab

namespace rnnlab::cuda_test {

inline Backend& cpu() { return backend_for(Device::cpu); }
inline Backend& gpu() { return backend_for(Device::cuda); }

// A copy of t on `d` (same dtype, same shape), through host bytes.
inline Tensor to_device(const Tensor& t, Device d) {
  Backend& src = backend_for(t.device());
  std::vector<unsigned char> bytes(t.bytes());
  src.download(t, bytes.data());
  Tensor out = backend_for(d).empty(t.shape(), t.dtype());
  backend_for(d).upload(bytes.data(), out);
  return out;
}
inline Tensor on_gpu(const Tensor& t) { return to_device(t, Device::cuda); }

inline Tensor rand_t(const Shape& s, uint64_t seed, DType dt, double lo = -1.0, double hi = 1.0) {
  return test::rand_tensor(s, seed, lo, hi, dt);
}

// max_i |got_i - want_i| / max(max_i |want_i|, 1e-30): the error relative to the reference's
// scale (values near zero would make elementwise relative errors meaningless).
inline double rel_err(const Tensor& got, const Tensor& want) {
  auto g = to_vector<double>(got), w = to_vector<double>(want);
  REQUIRE(g.size() == w.size());
  double diff = 0, scale = 0;
  for (std::size_t i = 0; i < g.size(); ++i) {
    if (std::isnan(w[i]) != std::isnan(g[i])) return INFINITY;
    if (std::isnan(w[i])) continue;
    if (std::isinf(w[i]) || std::isinf(g[i])) {
      if (w[i] != g[i]) return INFINITY;
      continue;
    }
    diff = std::max(diff, std::fabs(g[i] - w[i]));
    scale = std::max(scale, std::fabs(w[i]));
  }
  return diff / std::max(scale, 1e-30);
}

// Debug mode (cuda_kernel.h) for one scope.
struct DebugSync {
  DebugSync() { cuda_set_debug_sync(true); }
  ~DebugSync() { cuda_set_debug_sync(false); }
  DebugSync(const DebugSync&) = delete;
  DebugSync& operator=(const DebugSync&) = delete;
};

inline double tol(DType dt) { return dt == DType::f32 ? 1e-5 : 1e-12; }

inline bool bits_equal(const Tensor& a, const Tensor& b) {
  if (a.bytes() != b.bytes() || a.dtype() != b.dtype()) return false;
  std::vector<unsigned char> x(a.bytes()), y(b.bytes());
  backend_for(a.device()).download(a, x.data());
  backend_for(b.device()).download(b, y.data());
  return x == y;
}

}  // namespace rnnlab::cuda_test
