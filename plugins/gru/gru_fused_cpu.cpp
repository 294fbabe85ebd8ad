// Fused GRU sequence kernel for the CPU (one tape node, backward by hand).
//
// Forward, t = 0..T-1:  Q_t = h_{t-1} W_h + b_h (GEMM), then per row: r, z, n, h_t (gru_maths.h).
//   W_h (and W_hᵀ in the backward) is packed once per sequence for the small-M kernel.
//   Saved: activations (r, z, n) A [T,B,3H], Q_n [T,B,H], and h_t [T,B,H] (the output).
// Backward, t = T-1..0, dh = gradient into h_t: per row dP_t, dQ_t and dh ⊙ z (gru_maths.h),
//   dh_{t-1} = dh ⊙ z + dQ_t W_hᵀ            (padded rows: dP = dQ = 0, dh passes through)
// After the loop: dW_h += [h_0..h_{T-2}]ᵀ dQ (one GEMM), db_h += Σ dQ, dP += dP.
#include <cstring>

#include "gru_cell.h"
#include "gru_maths.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::gru {

namespace {

int64_t row_grain(int64_t h) { return std::max<int64_t>(1, 8192 / std::max<int64_t>(1, h)); }

// One row of the forward pointwise part (maths in gru_maths.h).
template <typename T>
RNNLAB_SIMD_CLONES void forward_row(const T* __restrict p, const T* __restrict q,
                                    const T* __restrict h_prev, T* __restrict a, T* __restrict qn,
                                    T* __restrict h_out, int64_t h) {
  for (int64_t j = 0; j < h; ++j) {
    const Gates<T> q_j = load_blocks<Gates<T>>(q, h, j);
    const Gates<T> act = activate(load_blocks<Gates<T>>(p, h, j), q_j);
    store_blocks(a, h, j, act);
    qn[j] = q_j.n;
    h_out[j] = next_h(act, h_prev[j]);
  }
}

// dh is read (gradient into h_t) and overwritten with the direct part of dh_{t-1} in place.
template <typename T>
RNNLAB_SIMD_CLONES void backward_row(const T* __restrict a, const T* __restrict qn,
                                     const T* __restrict h_prev, T* __restrict dh, T* __restrict dp,
                                     T* __restrict dq, int64_t h) {
  for (int64_t j = 0; j < h; ++j) {
    const Gates<T> act = load_blocks<Gates<T>>(a, h, j);
    T g = dh[j];
    const Gates<T> d = backward(act, qn[j], h_prev[j], g);
    store_blocks(dp, h, j, d);
    store_blocks(dq, h, j, dq_of(d, act));
    dh[j] = g;
  }
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const Var& b_h, const Var& h0, const Var& mask) {
  Backend& be = tape.backend();
  const Shape& ps = p.shape();
  const int64_t steps = ps[0], batch = ps[1], h3 = ps[2], h = h3 / 3;
  Tensor hs = be.empty({steps, batch, h}, p.dtype());
  Tensor acts = be.empty({steps, batch, h3}, p.dtype());
  Tensor qns = be.empty({steps, batch, h}, p.dtype());
  Tensor q_t = be.empty({batch, h3}, p.dtype());
  const T* P = p.value().data<T>();
  const T* W = w_h.value().data<T>();
  const T* Bh = b_h.value().data<T>();
  const T* M = optional_value<T>(mask);
  T* Hs = hs.data<T>();
  T* A = acts.data<T>();
  T* QN = qns.data<T>();
  T* Q = q_t.data<T>();
  const PackedWeight<T> w_pack(false, h, h3, W, h3, batch);  // packed once for the T steps
  for (int64_t t = 0; t < steps; ++t) {
    const T* h_prev = t == 0 ? h0.value().data<T>() : Hs + (t - 1) * batch * h;
    for (int64_t b = 0; b < batch; ++b) std::memcpy(Q + b * h3, Bh, sizeof(T) * h3);
    w_pack.gemm(batch, T(1), h_prev, h, T(1), Q, h3);
    cpu_parallel_for(batch, row_grain(h), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        int64_t row = t * batch + b;
        if (M && M[row] == T(0)) {
          std::memcpy(Hs + row * h, h_prev + b * h, sizeof(T) * h);
          continue;
        }
        forward_row<T>(P + row * h3, Q + b * h3, h_prev + b * h, A + row * h3, QN + row * h,
                       Hs + row * h, h);
      }
    });
  }
  std::vector<Var> inputs{p, w_h, b_h, h0};
  const bool has_mask = mask.valid();
  if (has_mask) inputs.push_back(mask);
  return tape.record(hs, inputs, [acts, qns, steps, batch, h, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const int64_t h3 = 3 * h;
    DType dt = ctx.out().dtype();
    const T* W = ctx.in(1).data<T>();
    const T* H0 = ctx.in(3).data<T>();
    const T* M = optional_input<T>(ctx, 4, has_mask);
    const T* Hs = ctx.out().data<T>();
    const T* A = acts.data<T>();
    const T* QN = qns.data<T>();
    const T* dHs = ctx.grad_out().data<T>();
    Tensor dp_all = be.empty({steps, batch, h3}, dt);
    Tensor dq_all = be.empty({steps, batch, h3}, dt);
    Tensor dh_t = be.empty({batch, h}, dt);
    be.fill(dh_t, 0.0);
    T* DP = dp_all.data<T>();
    T* DQ = dq_all.data<T>();
    T* DH = dh_t.data<T>();
    const PackedWeight<T> wt_pack(true, h3, h, W, h3, batch);  // W_hᵀ [3H,H], once for T steps
    for (int64_t t = steps - 1; t >= 0; --t) {
      const T* h_prev = t == 0 ? H0 : Hs + (t - 1) * batch * h;
      cpu_parallel_for(batch, row_grain(h), [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          int64_t row = t * batch + b;
          T* dh = DH + b * h;
          for (int64_t j = 0; j < h; ++j) dh[j] += dHs[row * h + j];
          if (M && M[row] == T(0)) {
            std::memset(DP + row * h3, 0, sizeof(T) * h3);
            std::memset(DQ + row * h3, 0, sizeof(T) * h3);
            continue;
          }
          backward_row<T>(A + row * h3, QN + row * h, h_prev + b * h, dh, DP + row * h3,
                          DQ + row * h3, h);
        }
      });
      wt_pack.gemm(batch, T(1), DQ + t * batch * h3, h3, T(1), DH, h);
    }
    if (ctx.needs(0)) ctx.accumulate(0, dp_all);
    if (ctx.needs(1)) {
      T* dW = ctx.grad_in(1).data<T>();
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const T* prev = s == PrevStates::initial ? H0 : Hs;
        cpu_gemm(true, false, h, h3, k, T(1), prev, h, DQ + g * h3, h3, T(1), dW, h3);
      });
    }
    if (ctx.needs(2)) add_bias_grad(be, dq_all, ctx.grad_in(2));
    accumulate_needed(ctx, {{3, dh_t}});
  });
}

}  // namespace

const RealKernels<GruKernel> gru_fused_cpu{run<float>, run<double>};

}  // namespace rnnlab::gru
