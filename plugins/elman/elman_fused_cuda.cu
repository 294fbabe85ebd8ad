// Fused Elman sequence kernel for CUDA: one tape node, the same maths as elman_fused_cpu.cpp
// (equations in elman_cell.h): both call the per-element functions of elman_maths.h.
//
// Forward, per step t: Q = h_{t-1} W_h (cuBLAS through the backend's gemm, on views into the
// sequence buffer), then ONE pointwise kernel, a thread per (b, j): h_t = act(P_t + Q), or the
// carried state on a padded row. The output h [T,B,H] is all that is saved.
// Backward, per step t = T-1..0: ONE pointwise kernel (dh += dHs_t; da_t = dh ⊙ act'(h_t);
// dh ← 0; padded rows: da_t = 0, dh passes through), then dh_{t-1} += da_t W_hᵀ (gemm).
// After the loop: dW_h += [h_0; h_1..h_{T-2}]ᵀ [da_0..da_{T-1}] (two GEMMs), dP += da.
// Only compiled when the plugin is built with CUDA (RNNLAB_HAVE_CUDA).
#include "elman_cell.h"
#include "rnnlab/cuda_kernel.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::elman {

namespace {

template <typename T>
__global__ void elman_forward_step(int64_t n, bool relu, const T* __restrict__ P,
                                   const T* __restrict__ Q, const T* __restrict__ h_prev,
                                   const T* __restrict__ Mk, int64_t h, T* __restrict__ H) {
  RNNLAB_GRID_STRIDE(e, n) {
    if (Mk && Mk[e / h] == T(0)) {
      H[e] = h_prev[e];
      continue;
    }
    const T pre = P[e] + Q[e];
    H[e] = relu ? activate<Act::relu>(pre) : activate<Act::tanh>(pre);
  }
}

template <typename T>
__global__ void elman_backward_step(int64_t n, bool relu, const T* __restrict__ H,
                                    const T* __restrict__ dH, const T* __restrict__ Mk, int64_t h,
                                    T* __restrict__ DH, T* __restrict__ DA) {
  RNNLAB_GRID_STRIDE(e, n) {
    const T g = DH[e] + dH[e];
    if (Mk && Mk[e / h] == T(0)) {
      DA[e] = T(0);
      DH[e] = g;
      continue;
    }
    const T hv = H[e];
    DA[e] = relu ? act_grad<Act::relu>(hv, g) : act_grad<Act::tanh>(hv, g);
    DH[e] = T(0);
  }
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const Var& h0, const Var& mask, Act act) {
  Backend& be = tape.backend();
  const int64_t steps = p.dim(0), batch = p.dim(1), h = p.dim(2), n = batch * h;
  const bool relu = act == Act::relu;
  const DType dt = p.dtype();
  Tensor hs = be.empty({steps, batch, h}, dt);
  Tensor q = be.empty({batch, h}, dt);
  const T* P = p.value().data<T>();
  const T* Mk = optional_value<T>(mask);
  for (int64_t t = 0; t < steps && n > 0; ++t) {
    Tensor h_prev = t == 0 ? h0.value() : cuda_view(hs, (t - 1) * n, {batch, h});
    be.gemm(false, false, 1.0, h_prev, w_h.value(), 0.0, q);
    elman_forward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        n, relu, P + t * n, q.data<T>(), h_prev.data<T>(), Mk ? Mk + t * batch : nullptr, h,
        hs.data<T>() + t * n);
    RNNLAB_CUDA_LAUNCHED("elman_forward_step");
  }
  std::vector<Var> inputs{p, w_h, h0};
  const bool has_mask = mask.valid();
  if (has_mask) inputs.push_back(mask);
  return tape.record(hs, inputs, [steps, batch, h, relu, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const int64_t n = batch * h;
    const DType dt = ctx.out().dtype();
    const Tensor& W = ctx.in(1);
    const T* Mk = optional_input<T>(ctx, 3, has_mask);
    const Tensor& hs = ctx.out();
    const T* dHs = ctx.grad_out().data<T>();
    Tensor da_all = be.empty({steps, batch, h}, dt);
    Tensor dh_t = be.empty({batch, h}, dt);
    be.fill(dh_t, 0.0);
    for (int64_t t = steps - 1; t >= 0 && n > 0; --t) {
      elman_backward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
          n, relu, hs.data<T>() + t * n, dHs + t * n, Mk ? Mk + t * batch : nullptr, h,
          dh_t.data<T>(), da_all.data<T>() + t * n);
      RNNLAB_CUDA_LAUNCHED("elman_backward_step");
      // dh_{t-1} += da_t W_hᵀ
      be.gemm(false, true, 1.0, cuda_view(da_all, t * n, {batch, h}), W, 1.0, dh_t);
    }
    if (ctx.needs(1) && n > 0 && steps > 0) {
      Tensor& dW = ctx.grad_in(1);
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const Tensor prev = s == PrevStates::initial ? ctx.in(2) : cuda_view(hs, 0, {k, h});
        be.gemm(true, false, 1.0, prev, cuda_view(da_all, g * h, {k, h}), 1.0, dW);
      });
    }
    accumulate_needed(ctx, {{0, da_all}, {2, dh_t}});
  });
}

}  // namespace

const RealKernels<ElmanKernel> elman_fused_cuda{run<float>, run<double>};

}  // namespace rnnlab::elman
