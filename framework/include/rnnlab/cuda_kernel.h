// What a CUDA kernel needs from rnnlab: the one stream every rnnlab kernel shares, the checks
// that turn a failed CUDA call or launch into rnnlab::Error naming the call, the error and
// where, launch geometry for grid-stride loops, and non-owning views for the backend's GEMM.
//
// Public (installed with the other headers): the CUDA backend (framework/src/backend/cuda/,
// cuBLAS checks in cuda_blas.h) and the fused kernels of cell plugins (plugins/*/ *_cuda.cu,
// in tree or out of tree) include it. Include it only from .cu files compiled by nvcc; the
// functions are defined in librnnlab_core when it is built with CUDA (RNNLAB_HAVE_CUDA).
// The per-element maths of a kernel go in a host/device header (rnnlab/hd_math.h).
//
// Ordering: every kernel, cuBLAS call and copy goes on cuda_stream(), a blocking stream (it
// also orders with the legacy default stream), so work is executed in issue order. That is what
// lets the caching allocator hand a freed block out again at once: any later use of it is
// queued after every earlier one. A plugin launches with <<<blocks, threads, 0, cuda_stream()>>>.
#pragma once

#include <cuda_runtime.h>

#include <cstdint>
#include <memory>

#include "rnnlab/error.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

// Creates the backend (stream, cuBLAS handle, pool) on first use; throws rnnlab::Error on failure.
cudaStream_t cuda_stream();

// Throws rnnlab::Error: "<call> failed: <name>: <description> (<file>:<line>)".
[[noreturn]] void cuda_fail(const char* call, const char* file, int line, const char* name,
                            const char* what);

// Debug mode: on when the environment has RNNLAB_CUDA_SYNC=1 at first use, or after
// cuda_set_debug_sync(true). Every RNNLAB_CUDA_LAUNCHED then synchronises the stream, so a fault
// inside a kernel is reported by that launch, naming the kernel, instead of by the next
// download under the download's name; and the backend's checks that need a read-back from the
// device (softmax_xent's class labels, gather_rows' ids) run. Off (the default), no kernel
// waits for the host: those inputs are checked on the host where they come from (the trainer
// checks labels and token ids of every batch), and a bad one only zeroes its own row.
bool cuda_debug_sync();
void cuda_set_debug_sync(bool on);

// Launch geometry for grid-stride loops over n elements.
constexpr int kCudaThreads = 256;
inline unsigned cuda_blocks(int64_t n, int threads = kCudaThreads) {
  int64_t b = (n + threads - 1) / threads;
  if (b < 1) b = 1;
  if (b > 65536) b = 65536;  // grid-stride loops cover the rest
  return static_cast<unsigned>(b);
}

// Non-owning view: elements [offset, offset + numel(shape)) of contiguous CUDA tensor `base`,
// shaped `shape` (e.g. a step's rows of a [T,B,N] buffer as a [B,N] operand of
// backend_for(Device::cuda).gemm). The view does not keep `base` alive: the caller holds `base`
// while the view is in use (make and use views inside one kernel function).
inline Tensor cuda_view(const Tensor& base, int64_t offset, Shape shape) {
  const int64_t n = shape_numel(shape);
  RNNLAB_CHECK(offset >= 0 && offset + n <= base.numel(), "cuda_view: elements [", offset, ", ",
               offset + n, ") outside a tensor of ", base.numel());
  auto s = std::make_shared<Storage>();  // empty release: memory not owned
  s->data =
      static_cast<char*>(base.raw()) + offset * static_cast<int64_t>(dtype_size(base.dtype()));
  s->bytes = static_cast<std::size_t>(n) * dtype_size(base.dtype());
  s->device = base.device();
  return Tensor(std::move(shape), base.dtype(), base.device(), std::move(s));
}

}  // namespace rnnlab

#define RNNLAB_CUDA_CHECK(call)                                                     \
  do {                                                                              \
    cudaError_t rnnlab_err_ = (call);                                               \
    if (rnnlab_err_ != cudaSuccess)                                                 \
      ::rnnlab::cuda_fail(#call, __FILE__, __LINE__, cudaGetErrorName(rnnlab_err_), \
                          cudaGetErrorString(rnnlab_err_));                         \
  } while (0)

// After a <<<...>>> launch: names the kernel in the error (launch configuration, bad image);
// in debug mode (cuda_debug_sync) also a fault while the kernel ran.
#define RNNLAB_CUDA_LAUNCHED(kernel_name)                                                  \
  do {                                                                                     \
    cudaError_t rnnlab_err_ = cudaGetLastError();                                          \
    if (rnnlab_err_ != cudaSuccess)                                                        \
      ::rnnlab::cuda_fail("launch of " kernel_name, __FILE__, __LINE__,                    \
                          cudaGetErrorName(rnnlab_err_), cudaGetErrorString(rnnlab_err_)); \
    if (::rnnlab::cuda_debug_sync()) {                                                     \
      rnnlab_err_ = cudaStreamSynchronize(::rnnlab::cuda_stream());                        \
      if (rnnlab_err_ != cudaSuccess)                                                      \
        ::rnnlab::cuda_fail("kernel " kernel_name " (RNNLAB_CUDA_SYNC)", __FILE__,         \
                            __LINE__, cudaGetErrorName(rnnlab_err_),                       \
                            cudaGetErrorString(rnnlab_err_));                              \
    }                                                                                      \
  } while (0)

// Device code: `RNNLAB_GRID_STRIDE(i, n) { ... }` runs the body for every i in [0, n) over the
// whole grid (launch with cuda_blocks(n) blocks of kCudaThreads).
#define RNNLAB_GRID_STRIDE(i, n)                                                         \
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); \
       i += static_cast<int64_t>(blockDim.x) * gridDim.x)
