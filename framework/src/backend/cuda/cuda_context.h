// The CUDA context every rnnlab kernel shares: one stream, and the checks that turn a failed
// CUDA call into rnnlab::Error naming the call, the error and where (cuBLAS: cuda_blas.h).
//
// Used by the CUDA backend (framework/src/backend/cuda/*.cu) and by the fused CUDA kernels of
// the built-in plugins (plugins/*/ *_cuda.cu, which add framework/src to their include path).
// Only compiled when RNNLAB_HAVE_CUDA.
//
// Ordering: every kernel, cuBLAS call and copy goes on cuda_stream(), a blocking stream (it
// also orders with the legacy default stream), so work is executed in issue order. That is what
// lets the caching allocator hand a freed block out again at once: any later use of it is
// queued after every earlier one.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>

namespace rnnlab {

// Creates the backend (stream, cuBLAS handle, pool) on first use; throws rnnlab::Error on failure.
cudaStream_t cuda_stream();

// Throws rnnlab::Error: "<call> failed: <name>: <description> (<file>:<line>)".
[[noreturn]] void cuda_fail(const char* call, const char* file, int line, const char* name,
                            const char* what);

// Launch geometry for grid-stride loops over n elements.
constexpr int kCudaThreads = 256;
inline unsigned cuda_blocks(int64_t n, int threads = kCudaThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65536) b = 65536;  // grid-stride loops cover the rest
  return static_cast<unsigned>(b);
}

}  // namespace rnnlab

#define RNNLAB_CUDA_CHECK(call)                                                             \
  do {                                                                                      \
    cudaError_t rnnlab_err_ = (call);                                                       \
    if (rnnlab_err_ != cudaSuccess)                                                         \
      ::rnnlab::cuda_fail(#call, __FILE__, __LINE__, cudaGetErrorName(rnnlab_err_),         \
                          cudaGetErrorString(rnnlab_err_));                                 \
  } while (0)

// After a <<<...>>> launch: names the kernel in the error (launch configuration, bad image).
#define RNNLAB_CUDA_LAUNCHED(kernel_name)                                                   \
  do {                                                                                      \
    cudaError_t rnnlab_err_ = cudaGetLastError();                                           \
    if (rnnlab_err_ != cudaSuccess)                                                         \
      ::rnnlab::cuda_fail("launch of " kernel_name, __FILE__, __LINE__,                     \
                          cudaGetErrorName(rnnlab_err_), cudaGetErrorString(rnnlab_err_));  \
  } while (0)
