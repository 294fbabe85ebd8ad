// Host/device scalar maths: one source for the per-element equations of a fused cell kernel,
// compiled for the CPU row loops (g++) and for the CUDA kernels (nvcc).
//
// RNNLAB_HD marks a function for both: `__host__ __device__` under nvcc, nothing under a plain
// C++ compiler (so a cell's maths header, e.g. plugins/lstm/lstm_maths.h, is ordinary C++ in
// its *_fused_cpu.cpp and device code in its *_fused_cuda.cu).
//
// hd_math::exp / sigmoid / tanh pick, per side, the function each side has always used:
//   CPU (host code)      cpu_math::vexp / sigmoid / tanh (vectorizable; float: |err| < 2e-7,
//                        double: libm) — see cpu_math.h;
//   CUDA (device code)   the CUDA math library's precise expf/exp, tanhf/tanh (no fast-math),
//                        sigmoid(x) = 1 / (1 + exp(-x)) — the same as the CUDA backend.
// Both follow one range rule for float exp (cpu_math.h, kExpMinF / kExpMaxF): NaN stays NaN,
// above kExpMaxF is +inf, below kExpMinF is 0, so exp(100) is inf and sigmoid's tails and the
// divergence checks agree between devices. The CUDA backend's own exp (cuda_common.cuh) is
// this function.
// So the equations are written once and each device keeps its own accurate primitives; the
// CPU tests of a cell run the very expressions its CUDA kernel runs.
//
// Use inside RNNLAB_HD functions or CPU code; plain C++ and nvcc (C++17 or later) both parse it.
#pragma once

#include <cstdint>

#include "rnnlab/cpu_math.h"

#if defined(__CUDACC__)
#define RNNLAB_HD __host__ __device__
#else
#define RNNLAB_HD
#endif

namespace rnnlab::hd_math {

RNNLAB_HD inline float exp(float x) {
#if defined(__CUDA_ARCH__)
  return x != x                      ? x
         : x > cpu_math::kExpMaxF    ? __int_as_float(0x7f800000)
         : x < cpu_math::kExpMinF    ? 0.0f
                                     : expf(x);
#else
  return cpu_math::vexp(x);
#endif
}
RNNLAB_HD inline double exp(double x) {
#if defined(__CUDA_ARCH__)
  return ::exp(x);
#else
  return cpu_math::vexp(x);
#endif
}

RNNLAB_HD inline float sigmoid(float x) {
#if defined(__CUDA_ARCH__)
  return 1.0f / (1.0f + exp(-x));
#else
  return cpu_math::sigmoid(x);
#endif
}
RNNLAB_HD inline double sigmoid(double x) {
#if defined(__CUDA_ARCH__)
  return 1.0 / (1.0 + ::exp(-x));
#else
  return cpu_math::sigmoid(x);
#endif
}

RNNLAB_HD inline float tanh(float x) {
#if defined(__CUDA_ARCH__)
  return tanhf(x);
#else
  return cpu_math::tanh(x);
#endif
}
RNNLAB_HD inline double tanh(double x) {
#if defined(__CUDA_ARCH__)
  return ::tanh(x);
#else
  return cpu_math::tanh(x);
#endif
}

// log, log1p, sqrt and fabs: the C library's on both sides (the CUDA math library's precise
// functions, float overloads included, on the device; libm's on the host).
#if defined(__CUDA_ARCH__)
#define RNNLAB_HD_LIBM(F) \
  template <typename T>   \
  RNNLAB_HD inline T F(T x) { return ::F(x); }
#else
#define RNNLAB_HD_LIBM(F) \
  template <typename T>   \
  RNNLAB_HD inline T F(T x) { return std::F(x); }
#endif
RNNLAB_HD_LIBM(log)
RNNLAB_HD_LIBM(log1p)
RNNLAB_HD_LIBM(sqrt)
RNNLAB_HD_LIBM(fabs)
#undef RNNLAB_HD_LIBM

// argmax's order, the same on both devices (Backend::argmax_rows): NaN ranks above every number
// (the first NaN wins, as numpy's argmax), equal values go to the lower index. True when value
// v at index i beats the best so far (best at index bi; bi < 0: none yet).
template <typename T>
RNNLAB_HD inline bool argmax_beats(T v, int64_t i, T best, int64_t bi) {
  if (bi < 0) return true;
  const bool v_nan = v != v, best_nan = best != best;
  if (v_nan || best_nan) return v_nan && (!best_nan || i < bi);
  return v > best || (v == best && i < bi);
}

}  // namespace rnnlab::hd_math
