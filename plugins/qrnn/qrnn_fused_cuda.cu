// Fused QRNN pooling for CUDA: the whole recurrence over time is one tape node, the same maths
// as qrnn_fused_cpu.cpp: both call the per-element functions of qrnn_maths.h (the equations of
// every pooling mode are in its header).
//
// One thread per (batch row b, hidden unit j), i.e. per element of a [B,H] state, walking the
// time axis sequentially; consecutive threads take consecutive j, so every load and store of a
// step is coalesced along the hidden axis. The state lives in registers: each step reads the
// gates P[t,b,:] once and writes the packed state S[t,b,:] once (the memory-bound optimum).
// Forward:  one kernel for all T steps. Backward: one kernel for all T steps, dh/dc in
// registers, dP accumulated (+=) only when P wants a gradient, dh0/dc0 added at the end.
// Padded rows (mask 0): forward copies the state, backward passes dh/dc through, dP gets 0.
// Only compiled when the plugin is built with CUDA (RNNLAB_HAVE_CUDA).
#include "qrnn_cell.h"
#include "rnnlab/backend.h"
#include "rnnlab/cuda_kernel.h"
#include "rnnlab/error.h"

namespace rnnlab::qrnn {

namespace {

// c_prev: the previous c (pooling f: h). For pooling f the packed row is [h]; else [h, c].
template <typename T, Pooling M>
__global__ void qrnn_forward_kernel(PoolingDims d, const T* __restrict__ P,
                                    const T* __restrict__ H0, const T* __restrict__ C0,
                                    const T* __restrict__ Mk, T* __restrict__ S) {
  const int64_t n = d.batch * d.h, h = d.h;
  const int64_t c_off = M == Pooling::f ? 0 : h;
  RNNLAB_GRID_STRIDE(e, n) {
    const int64_t b = e / h, j = e % h;
    T hv = H0[e];
    T cv = M == Pooling::f ? hv : C0[e];
    for (int64_t t = 0; t < d.steps; ++t) {
      const int64_t row = t * d.batch + b;
      T* out = S + row * d.width;
      if (Mk == nullptr || Mk[row] != T(0)) {
        const Gates<T> g = load_gates<M>(P + row * d.gates, h, j);
        cv = next_c<M>(g, cv);
        hv = next_h<M>(g, cv);
      }
      out[j] = hv;
      if constexpr (M != Pooling::f) out[c_off + j] = cv;
    }
  }
}

// dS: gradient of the packed states. DP (may be null: P needs no gradient) += dP.
// DH0, DC0 (may be null) += the gradients of h0, c0.
template <typename T, Pooling M>
__global__ void qrnn_backward_kernel(PoolingDims d, const T* __restrict__ P,
                                     const T* __restrict__ H0, const T* __restrict__ C0,
                                     const T* __restrict__ Mk, const T* __restrict__ S,
                                     const T* __restrict__ dS, T* __restrict__ DP,
                                     T* __restrict__ DH0, T* __restrict__ DC0) {
  const int64_t n = d.batch * d.h, h = d.h;
  const int64_t c_off = M == Pooling::f ? 0 : h;
  RNNLAB_GRID_STRIDE(e, n) {
    const int64_t b = e / h, j = e % h;
    T dh = T(0), dc = T(0);
    for (int64_t t = d.steps - 1; t >= 0; --t) {
      const int64_t row = t * d.batch + b;
      const T* g_row = dS + row * d.width;
      dh += g_row[j];
      if constexpr (M != Pooling::f) dc += g_row[c_off + j];
      if (Mk != nullptr && Mk[row] == T(0)) continue;
      const T c_prev =
          t == 0 ? (M == Pooling::f ? H0[e] : C0[e]) : S[(row - d.batch) * d.width + c_off + j];
      const T c_t = M == Pooling::f ? T(0) : S[row * d.width + c_off + j];
      const Gates<T> dp = backward<M>(load_gates<M>(P + row * d.gates, h, j), c_prev, c_t, dh, dc);
      if (DP) add_gates<M>(DP + row * d.gates, h, j, dp);
    }
    if (DH0) DH0[e] += dh;
    if constexpr (M != Pooling::f) {
      if (DC0) DC0[e] += dc;
    }
  }
}

template <typename T, Pooling M>
Var run(Tape& tape, const Var& p, const Var& h0, const Var& c0, const Var& mask) {
  Backend& be = tape.backend();
  const PoolingDims d = pooling_dims(M, p, h0, "qrnn_fused_cuda");
  Tensor packed = be.empty({d.steps, d.batch, d.width}, p.dtype());
  const bool has_c = M != Pooling::f, has_mask = mask.valid();
  const int64_t n = d.batch * d.h;
  if (n > 0 && d.steps > 0) {
    qrnn_forward_kernel<T, M><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        d, p.value().data<T>(), h0.value().data<T>(), has_c ? optional_value<T>(c0) : nullptr,
        optional_value<T>(mask), packed.data<T>());
    RNNLAB_CUDA_LAUNCHED("qrnn_forward_kernel");
  }

  std::vector<Var> inputs{p, h0};
  if (has_c) inputs.push_back(c0);
  if (has_mask) inputs.push_back(mask);
  return tape.record(packed, inputs, [d, has_c, has_mask](BackwardContext& ctx) {
    const int c_in = has_c ? 2 : -1, m_in = has_c ? 3 : 2;
    const int64_t n = d.batch * d.h;
    if (n == 0 || d.steps == 0) return;
    T* DP = ctx.needs(0) ? ctx.grad_in(0).data<T>() : nullptr;
    T* DH0 = ctx.needs(1) ? ctx.grad_in(1).data<T>() : nullptr;
    T* DC0 = has_c && ctx.needs(c_in) ? ctx.grad_in(c_in).data<T>() : nullptr;
    qrnn_backward_kernel<T, M><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        d, ctx.in(0).data<T>(), ctx.in(1).data<T>(), optional_input<T>(ctx, c_in, has_c),
        optional_input<T>(ctx, m_in, has_mask), ctx.out().data<T>(), ctx.grad_out().data<T>(), DP,
        DH0, DC0);
    RNNLAB_CUDA_LAUNCHED("qrnn_backward_kernel");
  });
}

}  // namespace

const QrnnKernels qrnn_fused_cuda = RNNLAB_QRNN_KERNELS(run);

}  // namespace rnnlab::qrnn
