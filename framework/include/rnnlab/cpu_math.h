// Vectorizable scalar math for CPU kernels (backend and plugins' fused kernels).
//
// std::exp/std::tanh are not auto-vectorized by GCC without -ffast-math, which made sigmoid/tanh
// the bottleneck of every cell. `vexp(float)` is the Cephes range reduction
//   x = n ln2 + r,  |r| <= ln2/2,  e^x = 2^n * p(r)
// with a degree-6 polynomial (relative error < 2e-7 on [-87, 88]), written with plain
// arithmetic and bit casts so loops over it vectorize. Double precision uses libm (gradient
// checks run in f64 and want exact reference values).
//
// RNNLAB_SIMD_CLONES on a function compiles it for AVX-512, AVX2 and baseline x86-64 and picks
// one at load time, so binaries stay portable and still use the wide units.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__)
#define RNNLAB_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define RNNLAB_SIMD_CLONES
#endif

namespace rnnlab::cpu_math {

// The float with the bits of i. std::bit_cast in C++20 (every rnnlab target); memcpy where
// the header is parsed as C++17 (the host side of nvcc, which compiles CUDA at C++17 and
// includes this header through hd_math.h; no kernel runs the host side).
inline float float_from_bits(int32_t i) {
#if defined(__cpp_lib_bit_cast)
  return std::bit_cast<float>(i);
#else
  float f;
  std::memcpy(&f, &i, sizeof f);
  return f;
#endif
}

// exp's range rule for float, the same on both devices (hd_math::exp): NaN stays NaN, an input
// above kExpMaxF overflows to +inf, one below kExpMinF underflows to 0 (the polynomial below
// covers exactly [kExpMinF, kExpMaxF]: the smallest normal float to the largest power of two
// whose exponent it can build). The selects after the polynomial keep it vectorizable.
inline constexpr float kExpMaxF = 88.3762626647949f;
inline constexpr float kExpMinF = -87.3365478515625f;

inline float vexp(float in) {
  float x = std::min(kExpMaxF, std::max(kExpMinF, in));
  // Vectorizes only with -fno-trapping-math -fno-math-errno (the float->int conversion and
  // floor); the rnnlab::core target passes both to everything that links it.
  float fx = std::floor(x * 1.44269504088896341f + 0.5f);
  x = x - fx * 0.693359375f + fx * 2.12194440e-4f;
  float z = x * x;
  float y = 1.9875691500E-4f;
  y = y * x + 1.3981999507E-3f;
  y = y * x + 8.3334519073E-3f;
  y = y * x + 4.1665795894E-2f;
  y = y * x + 1.6666665459E-1f;
  y = y * x + 5.0000001201E-1f;
  y = y * z + x + 1.0f;
  int32_t n = static_cast<int32_t>(fx);
  float pow2n = float_from_bits(static_cast<int32_t>((n + 127) << 23));
  const float r = y * pow2n;
  return in != in ? in : in > kExpMaxF ? float_from_bits(0x7f800000) : in < kExpMinF ? 0.0f : r;
}
inline double vexp(double x) { return std::exp(x); }

inline float sigmoid(float x) { return 1.0f / (1.0f + vexp(-x)); }
inline double sigmoid(double x) { return 1.0 / (1.0 + std::exp(-x)); }

// tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|); absolute error < 2e-7.
inline float tanh(float x) {
  float e = vexp(-2.0f * std::fabs(x));
  return std::copysign((1.0f - e) / (1.0f + e), x);
}
inline double tanh(double x) { return std::tanh(x); }

}  // namespace rnnlab::cpu_math
