// Fused GRU sequence kernel for CUDA: one tape node, the same maths as gru_fused_cpu.cpp: both
// call the per-element functions of gru_maths.h.
//
// Forward, per step t: Q = h_{t-1} W_h (cuBLAS through the backend's gemm, on views into the
// sequence buffers), then ONE pointwise kernel, a thread per (b, j) (coalesced along j): b_h is
// added there, r, z, n, h_t, the mask. Saved: activations (r, z, n) A [T,B,3H], Q_n + b_hn
// [T,B,H]; h_t [T,B,H] is the output.
// Backward, per step t = T-1..0: ONE pointwise kernel (dh += dHs_t, dP_t, dQ_t, dh ← dh ⊙ z;
// padded rows: dP_t = dQ_t = 0, dh passes through), then dh_{t-1} += dQ_t W_hᵀ (gemm).
// After the loop: dW_h += [h_0; h_1..h_{T-2}]ᵀ dQ (two GEMMs), db_h += Σ dQ, dP += dP.
// Only compiled when the plugin is built with CUDA (RNNLAB_HAVE_CUDA).
#include "gru_cell.h"
#include "gru_maths.h"
#include "rnnlab/cuda_kernel.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::gru {

namespace {

// Q [B,3H] = h_{t-1} W_h (without b_h). Writes A_t [B,3H], QN_t [B,H], H_t [B,H].
template <typename T>
__global__ void gru_forward_step(int64_t batch, int64_t h, const T* __restrict__ P,
                                 const T* __restrict__ Q, const T* __restrict__ Bh,
                                 const T* __restrict__ h_prev, const T* __restrict__ Mk,
                                 T* __restrict__ A, T* __restrict__ QN, T* __restrict__ H) {
  const int64_t n = batch * h, h3 = 3 * h;
  RNNLAB_GRID_STRIDE(e, n) {
    const int64_t b = e / h, j = e % h;
    if (Mk && Mk[b] == T(0)) {
      H[e] = h_prev[e];
      store_blocks(A + b * h3, h, j, Gates<T>{T(0), T(0), T(0)});  // not read by backward
      QN[e] = T(0);
      continue;
    }
    const Gates<T> q = load_blocks<Gates<T>>(Q + b * h3, h, j) + load_blocks<Gates<T>>(Bh, h, j);
    const Gates<T> a = activate(load_blocks<Gates<T>>(P + b * h3, h, j), q);
    store_blocks(A + b * h3, h, j, a);
    QN[e] = q.n;
    H[e] = next_h(a, h_prev[e]);
  }
}

// DH [B,H]: gradient into h_t on entry, the direct part of the gradient into h_{t-1} on exit.
template <typename T>
__global__ void gru_backward_step(int64_t batch, int64_t h, const T* __restrict__ A,
                                  const T* __restrict__ QN, const T* __restrict__ h_prev,
                                  const T* __restrict__ dH, const T* __restrict__ Mk,
                                  T* __restrict__ DH, T* __restrict__ DP, T* __restrict__ DQ) {
  const int64_t n = batch * h, h3 = 3 * h;
  RNNLAB_GRID_STRIDE(e, n) {
    const int64_t b = e / h, j = e % h;
    const T g = DH[e] + dH[e];
    if (Mk && Mk[b] == T(0)) {
      store_blocks(DP + b * h3, h, j, Gates<T>{T(0), T(0), T(0)});
      store_blocks(DQ + b * h3, h, j, Gates<T>{T(0), T(0), T(0)});
      DH[e] = g;
      continue;
    }
    const Gates<T> a = load_blocks<Gates<T>>(A + b * h3, h, j);
    T dh = g;
    const Gates<T> d = backward(a, QN[e], h_prev[e], dh);
    store_blocks(DP + b * h3, h, j, d);
    store_blocks(DQ + b * h3, h, j, dq_of(d, a));
    DH[e] = dh;
  }
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const Var& b_h, const Var& h0, const Var& mask) {
  Backend& be = tape.backend();
  const Shape& ps = p.shape();
  const int64_t steps = ps[0], batch = ps[1], h3 = ps[2], h = h3 / 3, n = batch * h;
  const DType dt = p.dtype();
  Tensor hs = be.empty({steps, batch, h}, dt);
  Tensor acts = be.empty({steps, batch, h3}, dt);
  Tensor qns = be.empty({steps, batch, h}, dt);
  Tensor q = be.empty({batch, h3}, dt);
  const T* P = p.value().data<T>();
  const T* Bh = b_h.value().data<T>();
  const T* Mk = optional_value<T>(mask);
  for (int64_t t = 0; t < steps && n > 0; ++t) {
    Tensor h_prev = t == 0 ? h0.value() : cuda_view(hs, (t - 1) * n, {batch, h});
    be.gemm(false, false, 1.0, h_prev, w_h.value(), 0.0, q);
    gru_forward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        batch, h, P + t * batch * h3, q.data<T>(), Bh, h_prev.data<T>(),
        Mk ? Mk + t * batch : nullptr, acts.data<T>() + t * batch * h3, qns.data<T>() + t * n,
        hs.data<T>() + t * n);
    RNNLAB_CUDA_LAUNCHED("gru_forward_step");
  }
  std::vector<Var> inputs{p, w_h, b_h, h0};
  const bool has_mask = mask.valid();
  if (has_mask) inputs.push_back(mask);
  return tape.record(hs, inputs, [acts, qns, steps, batch, h, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const int64_t h3 = 3 * h, n = batch * h;
    const DType dt = ctx.out().dtype();
    const Tensor& W = ctx.in(1);
    const T* H0 = ctx.in(3).data<T>();
    const T* Mk = optional_input<T>(ctx, 4, has_mask);
    const Tensor& hs = ctx.out();
    const T* dHs = ctx.grad_out().data<T>();
    Tensor dp_all = be.empty({steps, batch, h3}, dt);
    Tensor dq_all = be.empty({steps, batch, h3}, dt);
    Tensor dh_t = be.empty({batch, h}, dt);
    be.fill(dh_t, 0.0);
    for (int64_t t = steps - 1; t >= 0 && n > 0; --t) {
      const T* h_prev = t == 0 ? H0 : hs.data<T>() + (t - 1) * n;
      gru_backward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
          batch, h, acts.data<T>() + t * batch * h3, qns.data<T>() + t * n, h_prev, dHs + t * n,
          Mk ? Mk + t * batch : nullptr, dh_t.data<T>(), dp_all.data<T>() + t * batch * h3,
          dq_all.data<T>() + t * batch * h3);
      RNNLAB_CUDA_LAUNCHED("gru_backward_step");
      // dh_{t-1} += dQ_t W_hᵀ
      be.gemm(false, true, 1.0, cuda_view(dq_all, t * batch * h3, {batch, h3}), W, 1.0, dh_t);
    }
    if (ctx.needs(1) && n > 0 && steps > 0) {
      Tensor& dW = ctx.grad_in(1);
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const Tensor prev = s == PrevStates::initial ? ctx.in(3) : cuda_view(hs, 0, {k, h});
        be.gemm(true, false, 1.0, prev, cuda_view(dq_all, g * h3, {k, h3}), 1.0, dW);
      });
    }
    if (ctx.needs(2)) add_bias_grad(be, dq_all, ctx.grad_in(2));
    accumulate_needed(ctx, {{0, dp_all}, {3, dh_t}});
  });
}

}  // namespace

const RealKernels<GruKernel> gru_fused_cuda{run<float>, run<double>};

}  // namespace rnnlab::gru
