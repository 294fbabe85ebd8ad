// Fused RWA sequence kernel for CUDA: one tape node, the same maths as rwa_fused_cpu.cpp: both
// call the per-element functions of rwa_maths.h (equations of forward and backward there).
//
// Forward, per step t: Q = h_{t-1} W_h (cuBLAS through the backend's gemm, on views into the
// sequence buffers), then ONE pointwise kernel, a thread per (b, j) (coalesced along j): the
// running-max update of (h, n, d, m) and the mask. Saved: (τ, a, α, β) [T,B,4H] and h_t again
// in a contiguous Hs [T,B,H] (the GEMM operand; the packed output interleaves h, n, d, m).
// Backward, per step t = T-1..0: ONE pointwise kernel (the packed gradient added into the
// running dh, dn, dd, dm; dP_t, dQ_t; padded rows: dP_t = dQ_t = 0, everything passes
// through), then dh_{t-1} += dQ_t W_hᵀ (gemm). After the loop: dW_h += [h_0; h_1..h_{T-2}]ᵀ dQ
// (two GEMMs), dP += dP.
// Only compiled when the plugin is built with CUDA (RNNLAB_HAVE_CUDA).
#include "rnnlab/cuda_kernel.h"
#include "rnnlab/fused_kernel.h"
#include "rwa_cell.h"
#include "rwa_maths.h"

namespace rnnlab::rwa {

namespace {

template <typename T>
__global__ void rwa_forward_step(int64_t batch, int64_t h, const T* __restrict__ P,
                                 const T* __restrict__ Q, Prev<T> pv, const T* __restrict__ Mk,
                                 T* __restrict__ S, T* __restrict__ A, T* __restrict__ H) {
  const int64_t n_el = batch * h;
  RNNLAB_GRID_STRIDE(e, n_el) {
    const int64_t b = e / h, j = e % h, o = b * pv.ld + j;
    T* out = S + b * 4 * h;
    T* save = A + b * 4 * h;
    const State<T> prev = pv.s.at(o);
    if (Mk && Mk[b] == T(0)) {
      store_blocks(out, h, j, prev);
      store_blocks(save, h, j, Saved<T>{T(0), T(0), T(0), T(0)});
      H[e] = prev.h;
      continue;
    }
    Saved<T> sv;
    const State<T> st = forward(P + b * 3 * h, Q + b * 2 * h, h, j, prev, sv);
    store_blocks(out, h, j, st);
    store_blocks(save, h, j, sv);
    H[e] = st.h;
  }
}

// grads (dh, dn, dd, dm), [B,H] each: the gradients into state t on entry, into state t-1 on
// exit (dh: its direct part, zero; the gemm adds dQ_t W_hᵀ afterwards).
template <typename T>
__global__ void rwa_backward_step(int64_t batch, int64_t h, const T* __restrict__ P,
                                  const T* __restrict__ A, const T* __restrict__ S, Prev<T> pv,
                                  const T* __restrict__ dS, const T* __restrict__ Mk,
                                  SplitState<T> grads, T* __restrict__ DP, T* __restrict__ DQ) {
  const int64_t n_el = batch * h;
  RNNLAB_GRID_STRIDE(e, n_el) {
    const int64_t b = e / h, j = e % h, o = b * pv.ld + j;
    State<T> g = grads.at(e) + load_blocks<State<T>>(dS + b * 4 * h, h, j);
    if (Mk && Mk[b] == T(0)) {
      store_input_grads(DP + b * 3 * h, DQ + b * 2 * h, h, j, InputGrads<T>{T(0), T(0), T(0)});
    } else {
      store_input_grads(DP + b * 3 * h, DQ + b * 2 * h, h, j,
                        backward(load_blocks<Saved<T>>(A + b * 4 * h, h, j), P[b * 3 * h + j],
                                 load_blocks<State<T>>(S + b * 4 * h, h, j), pv.s.at(o), g));
    }
    grads.set(e, g);
  }
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const std::vector<Var>& s0, const Var& mask) {
  Backend& be = tape.backend();
  const int64_t steps = p.dim(0), batch = p.dim(1), h = p.dim(2) / 3, n = batch * h;
  const DType dt = p.dtype();
  Tensor packed = be.empty({steps, batch, 4 * h}, dt);
  Tensor saved = be.empty({steps, batch, 4 * h}, dt);
  Tensor hs = be.empty({steps, batch, h}, dt);
  Tensor q = be.empty({batch, 2 * h}, dt);
  const T* P = p.value().data<T>();
  const T* Mk = optional_value<T>(mask);
  const T* init[4] = {s0[0].value().data<T>(), s0[1].value().data<T>(), s0[2].value().data<T>(),
                      s0[3].value().data<T>()};
  for (int64_t t = 0; t < steps && n > 0; ++t) {
    Tensor h_prev = t == 0 ? s0[0].value() : cuda_view(hs, (t - 1) * n, {batch, h});
    be.gemm(false, false, 1.0, h_prev, w_h.value(), 0.0, q);
    rwa_forward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        batch, h, P + t * batch * 3 * h, q.data<T>(),
        prev_state<T>(t, batch, h, init, packed.data<T>()), Mk ? Mk + t * batch : nullptr,
        packed.data<T>() + t * batch * 4 * h, saved.data<T>() + t * batch * 4 * h,
        hs.data<T>() + t * n);
    RNNLAB_CUDA_LAUNCHED("rwa_forward_step");
  }
  const bool has_mask = mask.valid();
  std::vector<Var> inputs{p, w_h, s0[0], s0[1], s0[2], s0[3]};
  if (has_mask) inputs.push_back(mask);
  return tape.record(packed, inputs, [saved, hs, steps, batch, h, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const DType dt = ctx.out().dtype();
    const int64_t n = batch * h;
    const T* P = ctx.in(0).data<T>();
    const Tensor& W = ctx.in(1);
    const T* init[4] = {ctx.in(2).data<T>(), ctx.in(3).data<T>(), ctx.in(4).data<T>(),
                        ctx.in(5).data<T>()};
    const T* Mk = optional_input<T>(ctx, 6, has_mask);
    const T* S = ctx.out().data<T>();
    const T* dS = ctx.grad_out().data<T>();
    Tensor dp_all = be.empty({steps, batch, 3 * h}, dt);
    Tensor dq_all = be.empty({steps, batch, 2 * h}, dt);
    Tensor grads[4];  // running dh, dn, dd, dm  [B,H]
    for (int k = 0; k < 4; ++k) {
      grads[k] = be.empty({batch, h}, dt);
      be.fill(grads[k], 0.0);
    }
    for (int64_t t = steps - 1; t >= 0 && n > 0; --t) {
      rwa_backward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
          batch, h, P + t * batch * 3 * h, saved.data<T>() + t * batch * 4 * h,
          S + t * batch * 4 * h, prev_state<T>(t, batch, h, init, S), dS + t * batch * 4 * h,
          Mk ? Mk + t * batch : nullptr,
          SplitState<T>{
              {grads[0].data<T>(), grads[1].data<T>(), grads[2].data<T>(), grads[3].data<T>()}},
          dp_all.data<T>() + t * batch * 3 * h, dq_all.data<T>() + t * batch * 2 * h);
      RNNLAB_CUDA_LAUNCHED("rwa_backward_step");
      // dh_{t-1} += dQ_t W_hᵀ
      be.gemm(false, true, 1.0, cuda_view(dq_all, t * batch * 2 * h, {batch, 2 * h}), W, 1.0,
              grads[0]);
    }
    if (ctx.needs(1) && n > 0 && steps > 0) {
      Tensor& dW = ctx.grad_in(1);
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const Tensor prev = s == PrevStates::initial ? ctx.in(2) : cuda_view(hs, 0, {k, h});
        be.gemm(true, false, 1.0, prev, cuda_view(dq_all, g * 2 * h, {k, 2 * h}), 1.0, dW);
      });
    }
    if (ctx.needs(0)) ctx.accumulate(0, dp_all);
    for (int k = 0; k < 4; ++k)
      if (ctx.needs(2 + k)) ctx.accumulate(2 + k, grads[k]);
  });
}

}  // namespace

const RealKernels<RwaKernel> rwa_fused_cuda{run<float>, run<double>};

}  // namespace rnnlab::rwa
