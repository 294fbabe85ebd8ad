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
// So the equations are written once and each device keeps its own accurate primitives; the
// CPU tests of a cell run the very expressions its CUDA kernel runs.
//
// Use inside RNNLAB_HD functions or CPU code; plain C++ and nvcc (C++17 or later) both parse it.
#pragma once

#include "rnnlab/cpu_math.h"

#if defined(__CUDACC__)
#define RNNLAB_HD __host__ __device__
#else
#define RNNLAB_HD
#endif

namespace rnnlab::hd_math {

RNNLAB_HD inline float exp(float x) {
#if defined(__CUDA_ARCH__)
  return expf(x);
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
  return 1.0f / (1.0f + expf(-x));
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

}  // namespace rnnlab::hd_math
