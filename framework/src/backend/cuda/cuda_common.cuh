// Helpers shared by the CUDA backend's .cu files: dtype dispatch, device math overloads for
// float/double, the broadcast index map, a device scratch buffer. Device code only where marked.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <string>

#include "backend/cpu/cpu_dispatch.h"  // dispatch_float: a dtype switch, no CPU code
#include "backend/cuda/cuda_backend.h"
#include "rnnlab/cuda_kernel.h"  // stream, checked calls, RNNLAB_GRID_STRIDE
#include "rnnlab/hd_math.h"      // exp's range rule, shared with the CPU

namespace rnnlab::cuda_detail {

// ---- math overloads (the CUDA math library's precise functions, no fast-math; exp with the
// range rule both devices share, hd_math.h) ----
__device__ inline float d_exp(float x) { return hd_math::exp(x); }
__device__ inline double d_exp(double x) { return hd_math::exp(x); }
__device__ inline float d_log(float x) { return logf(x); }
__device__ inline double d_log(double x) { return log(x); }
__device__ inline float d_log1p(float x) { return log1pf(x); }
__device__ inline double d_log1p(double x) { return log1p(x); }
__device__ inline float d_tanh(float x) { return tanhf(x); }
__device__ inline double d_tanh(double x) { return tanh(x); }
__device__ inline float d_sqrt(float x) { return sqrtf(x); }
__device__ inline double d_sqrt(double x) { return sqrt(x); }
__device__ inline float d_fabs(float x) { return fabsf(x); }
__device__ inline double d_fabs(double x) { return fabs(x); }
template <typename T>
__device__ inline T d_sigmoid(T x) {
  return T(1) / (T(1) + d_exp(-x));
}

// Index into b for element i of a (backend.h): none b[i], suffix b[i % nb], prefix b[i / inner].
struct BIndex {
  int kind;  // 0 none, 1 suffix, 2 prefix
  int64_t nb, inner;
  __device__ int64_t operator()(int64_t i) const {
    return kind == 0 ? i : kind == 1 ? i % nb : i / inner;
  }
};
inline BIndex make_bindex(Broadcast bc, int64_t n, int64_t nb) {
  int k = bc.kind == Broadcast::Kind::none ? 0 : bc.kind == Broadcast::Kind::suffix ? 1 : 2;
  return BIndex{k, nb > 0 ? nb : 1, nb > 0 ? n / nb : 1};
}

// Host-side argument checks shared by the kernels.
inline void check_cuda(const Tensor& t, const char* what) {
  RNNLAB_CHECK(t.defined() && t.device() == Device::cuda, "cuda backend: ", what,
               " is not a cuda tensor (", t.defined() ? device_name(t.device()) : "undefined",
               ")");
}
inline void check_same(const Tensor& a, const Tensor& b, const char* op) {
  RNNLAB_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ (", dtype_name(a.dtype()), " and ",
               dtype_name(b.dtype()), ")");
}

}  // namespace rnnlab::cuda_detail

namespace rnnlab::cuda_detail {

// Sum of v over the block, the same value returned to every thread. blockDim.x must be a power
// of two <= kCudaThreads and every thread must call it. Fixed tree order: deterministic.
template <typename A>
__device__ inline A block_sum(A v) {
  __shared__ A buf[kCudaThreads];
  const unsigned t = threadIdx.x;
  buf[t] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] += buf[t + s];
    __syncthreads();
  }
  A r = buf[0];
  __syncthreads();  // buf may be reused by the next call
  return r;
}

template <typename A>
__device__ inline A block_max(A v) {
  __shared__ A buf[kCudaThreads];
  const unsigned t = threadIdx.x;
  buf[t] = v;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s && buf[t + s] > buf[t]) buf[t] = buf[t + s];
    __syncthreads();
  }
  A r = buf[0];
  __syncthreads();
  return r;
}

// Reads one value of a scalar device tensor inside a kernel (no host round trip).
template <typename T>
__device__ inline T scalar_at(const T* p) {
  return p[0];
}

}  // namespace rnnlab::cuda_detail
