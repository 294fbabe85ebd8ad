// The MGU example's CUDA kernel, built OUT of the rnnlab tree from installed headers only
// (rnnlab/cuda_kernel.h, rnnlab/hd_math.h): rnnlab_add_plugin(... CUDA_SOURCES mgu_cuda.cu)
// compiles it with nvcc when a CUDA toolkit is found, else the plugin is built without it.
//
// The fused MGU update of one step, a thread per element of [B,H] (grid-stride loop):
//   f = σ(a_f),  h̃ = tanh(a_h),  h' = h + f ⊙ (h̃ - h)     a_f, a_h: the pre-activations
// with the same device functions every rnnlab kernel uses (hd_math: precise expf/tanhf), on
// the stream every rnnlab kernel shares, the launch checked (a failure throws rnnlab::Error).
// It is the forward half of a fused kernel; plugins/elman shows a whole one (forward, backward
// as one tape node, both devices; plugins/README.md "Fused kernels"). The plugin does not call
// it yet: the sdk test compiles, links and loads it (CI machines have no GPU to run it).
#include "rnnlab/cuda_kernel.h"
#include "rnnlab/hd_math.h"

namespace mgu {

namespace {

template <typename T>
__global__ void mgu_update(int64_t n, const T* __restrict__ a_f, const T* __restrict__ a_h,
                           const T* __restrict__ h, T* __restrict__ h_next) {
  RNNLAB_GRID_STRIDE(i, n) {
    const T f = rnnlab::hd_math::sigmoid(a_f[i]);
    const T h_hat = rnnlab::hd_math::tanh(a_h[i]);
    h_next[i] = h[i] + f * (h_hat - h[i]);
  }
}

}  // namespace

// h_next = the MGU update of h, all four contiguous CUDA tensors of one shape and f32.
void mgu_update_cuda(const rnnlab::Tensor& a_f, const rnnlab::Tensor& a_h, const rnnlab::Tensor& h,
                     rnnlab::Tensor& h_next) {
  const int64_t n = h.numel();
  if (n == 0) return;
  mgu_update<float><<<rnnlab::cuda_blocks(n), rnnlab::kCudaThreads, 0, rnnlab::cuda_stream()>>>(
      n, a_f.data<float>(), a_h.data<float>(), h.data<float>(), h_next.data<float>());
  RNNLAB_CUDA_LAUNCHED("mgu_update");
}

}  // namespace mgu
