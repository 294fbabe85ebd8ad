// Fused LSTM sequence kernel for CUDA: the whole recurrence is one tape node, the same maths as
// lstm_fused_cpu.cpp: both call the per-element functions of lstm_maths.h.
//
// Forward, per step t: Q = h_{t-1} W_h (cuBLAS through the backend's gemm, on views into the
// sequence buffers), then ONE pointwise kernel, a thread per (b, j) (coalesced along j):
// G = P_t + Q, gates, c_t, h_t, the mask. Saved: activated gates A [T,B,4H], h_t also in a
// contiguous Hs [T,B,H] (the GEMM operand; the packed output [T,B,2H] interleaves h and c).
// Backward, per step t = T-1..0: ONE pointwise kernel (dh += dS_h, dc += dS_c, dG_t, dc_{t-1},
// dh zeroed; padded rows: dG_t = 0, dh and dc pass through), then dh_{t-1} += dG_t W_hᵀ (gemm).
// After the loop: dW_h += [h_0; h_1..h_{T-2}]ᵀ [dG_0..dG_{T-1}] (two GEMMs), dP += dG.
// Only compiled when the plugin is built with CUDA (RNNLAB_HAVE_CUDA).
#include "lstm_cell.h"
#include "lstm_maths.h"
#include "rnnlab/cuda_kernel.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::lstm {

namespace {

// Q [B,4H] = h_{t-1} W_h. Writes A_t [B,4H], S_t [B,2H] (h, c), H_t [B,H].
template <typename T>
__global__ void lstm_forward_step(int64_t batch, int64_t h, const T* __restrict__ P,
                                  const T* __restrict__ Q, const T* __restrict__ h_prev,
                                  const T* __restrict__ c_prev, int64_t ld_c,
                                  const T* __restrict__ Mk, T* __restrict__ A, T* __restrict__ S,
                                  T* __restrict__ H) {
  const int64_t n = batch * h, h4 = 4 * h;
  RNNLAB_GRID_STRIDE(e, n) {
    const int64_t b = e / h, j = e % h;
    T* s = S + b * 2 * h;
    if (Mk && Mk[b] == T(0)) {
      const T hp = h_prev[e], cp = c_prev[b * ld_c + j];
      s[j] = hp;
      s[h + j] = cp;
      H[e] = hp;
      // not read by backward for a padded row; keep it defined
      store_blocks(A + b * h4, h, j, Gates<T>{T(0), T(0), T(0), T(0)});
      continue;
    }
    const Gates<T> a =
        activate(load_blocks<Gates<T>>(P + b * h4, h, j) + load_blocks<Gates<T>>(Q + b * h4, h, j));
    const T c = next_c(a, c_prev[b * ld_c + j]);
    store_blocks(A + b * h4, h, j, a);
    const T hv = next_h(a, c);
    s[j] = hv;
    s[h + j] = c;
    H[e] = hv;
  }
}

// DH, DC [B,H]: gradients into state t on entry, (the direct part of) state t-1 on exit.
template <typename T>
__global__ void lstm_backward_step(int64_t batch, int64_t h, const T* __restrict__ A,
                                   const T* __restrict__ S, const T* __restrict__ c_prev,
                                   int64_t ld_c, const T* __restrict__ dS, const T* __restrict__ Mk,
                                   T* __restrict__ DH, T* __restrict__ DC, T* __restrict__ DG) {
  const int64_t n = batch * h, h4 = 4 * h;
  RNNLAB_GRID_STRIDE(e, n) {
    const int64_t b = e / h, j = e % h;
    const T dh = DH[e] + dS[b * 2 * h + j];
    const T dc_in = DC[e] + dS[b * 2 * h + h + j];
    T* dg = DG + b * h4;
    if (Mk && Mk[b] == T(0)) {
      store_blocks(dg, h, j, Gates<T>{T(0), T(0), T(0), T(0)});
      DH[e] = dh;
      DC[e] = dc_in;
      continue;
    }
    T dc = dc_in;
    store_blocks(dg, h, j,
                 backward(load_blocks<Gates<T>>(A + b * h4, h, j), S[b * 2 * h + h + j],
                          c_prev[b * ld_c + j], dh, dc));
    DC[e] = dc;
    DH[e] = T(0);
  }
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const Var& h0, const Var& c0, const Var& mask) {
  Backend& be = tape.backend();
  const Shape& ps = p.shape();
  const int64_t steps = ps[0], batch = ps[1], h4 = ps[2], h = h4 / 4, n = batch * h;
  const DType dt = p.dtype();
  Tensor packed = be.empty({steps, batch, 2 * h}, dt);
  Tensor gates = be.empty({steps, batch, h4}, dt);
  Tensor hs = be.empty({steps, batch, h}, dt);
  Tensor q = be.empty({batch, h4}, dt);
  const Tensor& P = p.value();
  const Tensor& W = w_h.value();
  const T* Mk = optional_value<T>(mask);
  for (int64_t t = 0; t < steps && n > 0; ++t) {
    Tensor h_prev = t == 0 ? h0.value() : cuda_view(hs, (t - 1) * n, {batch, h});
    be.gemm(false, false, 1.0, h_prev, W, 0.0, q);
    const T* c_prev = t == 0 ? c0.value().data<T>() : packed.data<T>() + (t - 1) * 2 * n + h;
    lstm_forward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        batch, h, P.data<T>() + t * batch * h4, q.data<T>(), h_prev.data<T>(), c_prev,
        t == 0 ? h : 2 * h, Mk ? Mk + t * batch : nullptr, gates.data<T>() + t * batch * h4,
        packed.data<T>() + t * 2 * n, hs.data<T>() + t * n);
    RNNLAB_CUDA_LAUNCHED("lstm_forward_step");
  }
  std::vector<Var> inputs{p, w_h, h0, c0};
  const bool has_mask = mask.valid();
  if (has_mask) inputs.push_back(mask);
  return tape.record(packed, inputs, [gates, hs, steps, batch, h, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const int64_t h4 = 4 * h, n = batch * h;
    const DType dt = ctx.out().dtype();
    const Tensor& W = ctx.in(1);
    const Tensor& c0 = ctx.in(3);
    const T* Mk = optional_input<T>(ctx, 4, has_mask);
    const T* S = ctx.out().data<T>();
    const T* dS = ctx.grad_out().data<T>();
    Tensor dg_all = be.empty({steps, batch, h4}, dt);
    Tensor dh_t = be.empty({batch, h}, dt);
    Tensor dc_t = be.empty({batch, h}, dt);
    be.fill(dh_t, 0.0);
    be.fill(dc_t, 0.0);
    for (int64_t t = steps - 1; t >= 0 && n > 0; --t) {
      const T* c_prev = t == 0 ? c0.data<T>() : S + (t - 1) * 2 * n + h;
      lstm_backward_step<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
          batch, h, gates.data<T>() + t * batch * h4, S + t * 2 * n, c_prev, t == 0 ? h : 2 * h,
          dS + t * 2 * n, Mk ? Mk + t * batch : nullptr, dh_t.data<T>(), dc_t.data<T>(),
          dg_all.data<T>() + t * batch * h4);
      RNNLAB_CUDA_LAUNCHED("lstm_backward_step");
      // dh_{t-1} += dG_t W_hᵀ
      be.gemm(false, true, 1.0, cuda_view(dg_all, t * batch * h4, {batch, h4}), W, 1.0, dh_t);
    }
    if (ctx.needs(1) && n > 0 && steps > 0) {
      Tensor& dW = ctx.grad_in(1);
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const Tensor prev = s == PrevStates::initial ? ctx.in(2) : cuda_view(hs, 0, {k, h});
        be.gemm(true, false, 1.0, prev, cuda_view(dg_all, g * h4, {k, h4}), 1.0, dW);
      });
    }
    accumulate_needed(ctx, {{0, dg_all}, {2, dh_t}, {3, dc_t}});
  });
}

}  // namespace

const RealKernels<LstmKernel> lstm_fused_cuda{run<float>, run<double>};

}  // namespace rnnlab::lstm
