// Fused LSTM sequence kernel for the CPU: the whole recurrence is one tape node.
//
// Forward, for t = 0..T-1:   G_t = P_t + h_{t-1} W_h   (GEMM [B,H]x[H,4H], beta = 1; W_h and,
//   in the backward, W_hᵀ are packed once per sequence for the small-M kernel: PackedWeight)
//   then per row b (parallel): gates, c_t, h_t (lstm_maths.h); a padded row copies the state.
//   Saved: activated gates A [T,B,4H] and the packed states (h_t, c_t) [T,B,2H] (the output).
// Backward, for t = T-1..0, with dh, dc the gradients flowing into state t:
//   dh += dpacked_h[t], dc += dpacked_c[t]
//   dG and dc_{t-1} per element (lstm_maths.h),  dh_{t-1} = dG W_hᵀ
//   (padded rows: dG = 0, dh/dc pass through)
// and after the loop, with all dG_t at hand, the weight gradient is ONE GEMM over all steps:
//   dW_h += [h_0; h_1..h_{T-2}]ᵀ [dG_0..dG_{T-1}],   dP += dG.
#include <cmath>
#include <cstring>

#include "lstm_cell.h"
#include "lstm_maths.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::lstm {

namespace {

template <typename T>
int64_t row_grain(int64_t h) {
  return std::max<int64_t>(1, 8192 / std::max<int64_t>(1, h));
}

// One row of the forward pointwise part (maths in lstm_maths.h). g holds pre-activations on
// entry, activations on exit.
template <typename T>
RNNLAB_SIMD_CLONES void forward_row(T* __restrict g, const T* __restrict c_prev,
                                    T* __restrict h_out, T* __restrict c_out, int64_t h) {
  for (int64_t j = 0; j < h; ++j) {
    const Gates<T> a = activate(load_blocks<Gates<T>>(g, h, j));
    const T c = next_c(a, c_prev[j]);
    store_blocks(g, h, j, a);
    c_out[j] = c;
    h_out[j] = next_h(a, c);
  }
}

// dc is read (gradient into c_t) and overwritten (gradient into c_{t-1}) in place.
template <typename T>
RNNLAB_SIMD_CLONES void backward_row(const T* __restrict a, const T* __restrict c_t,
                                     const T* __restrict c_prev, const T* __restrict dh_in,
                                     T* __restrict dc_io, T* __restrict dg, int64_t h) {
  for (int64_t j = 0; j < h; ++j) {
    T dc = dc_io[j];
    store_blocks(dg, h, j,
                 backward(load_blocks<Gates<T>>(a, h, j), c_t[j], c_prev[j], dh_in[j], dc));
    dc_io[j] = dc;
  }
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const Var& h0, const Var& c0, const Var& mask) {
  Backend& be = tape.backend();
  const Shape& ps = p.shape();
  const int64_t steps = ps[0], batch = ps[1], h4 = ps[2], h = h4 / 4;
  Tensor packed = be.empty({steps, batch, 2 * h}, p.dtype());
  Tensor gates = be.empty({steps, batch, h4}, p.dtype());
  const T* P = p.value().data<T>();
  const T* W = w_h.value().data<T>();
  const T* M = optional_value<T>(mask);
  T* S = packed.data<T>();
  T* A = gates.data<T>();
  const PackedWeight<T> w_pack(false, h, h4, W, h4, batch);  // packed once for the T steps
  for (int64_t t = 0; t < steps; ++t) {
    const T* h_prev = t == 0 ? h0.value().data<T>() : S + (t - 1) * batch * 2 * h;
    const T* c_prev = t == 0 ? c0.value().data<T>() : S + (t - 1) * batch * 2 * h + h;
    const int64_t ld_prev = t == 0 ? h : 2 * h;
    T* G = A + t * batch * h4;
    std::memcpy(G, P + t * batch * h4, sizeof(T) * batch * h4);
    w_pack.gemm(batch, T(1), h_prev, ld_prev, T(1), G, h4);
    T* St = S + t * batch * 2 * h;
    cpu_parallel_for(batch, row_grain<T>(h), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        T* out = St + b * 2 * h;
        if (M && M[t * batch + b] == T(0)) {
          std::memcpy(out, h_prev + b * ld_prev, sizeof(T) * h);
          std::memcpy(out + h, c_prev + b * ld_prev, sizeof(T) * h);
          continue;
        }
        forward_row<T>(G + b * h4, c_prev + b * ld_prev, out, out + h, h);
      }
    });
  }
  std::vector<Var> inputs{p, w_h, h0, c0};
  if (mask.valid()) inputs.push_back(mask);
  const bool has_mask = mask.valid();
  return tape.record(packed, inputs, [gates, steps, batch, h, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const int64_t h4 = 4 * h;
    const T* W = ctx.in(1).data<T>();
    const T* H0 = ctx.in(2).data<T>();
    const T* C0 = ctx.in(3).data<T>();
    const T* Mk = optional_input<T>(ctx, 4, has_mask);
    const T* S = ctx.out().data<T>();
    const T* A = gates.data<T>();
    const T* dS = ctx.grad_out().data<T>();
    Tensor dg_t = be.empty({steps, batch, h4}, ctx.out().dtype());
    Tensor dh_t = be.empty({batch, h}, ctx.out().dtype());
    Tensor dc_t = be.empty({batch, h}, ctx.out().dtype());
    be.fill(dh_t, 0.0);
    be.fill(dc_t, 0.0);
    T* DG = dg_t.data<T>();
    T* DH = dh_t.data<T>();
    T* DC = dc_t.data<T>();
    const PackedWeight<T> wt_pack(true, h4, h, W, h4, batch);  // W_hᵀ [4H,H], once for T steps
    for (int64_t t = steps - 1; t >= 0; --t) {
      const T* c_prev = t == 0 ? C0 : S + (t - 1) * batch * 2 * h + h;
      const int64_t ld_prev = t == 0 ? h : 2 * h;
      const T* St = S + t * batch * 2 * h;
      const T* dSt = dS + t * batch * 2 * h;
      T* DGt = DG + t * batch * h4;
      cpu_parallel_for(batch, row_grain<T>(h), [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          T* dh = DH + b * h;
          T* dc = DC + b * h;
          for (int64_t j = 0; j < h; ++j) {
            dh[j] += dSt[b * 2 * h + j];
            dc[j] += dSt[b * 2 * h + h + j];
          }
          if (Mk && Mk[t * batch + b] == T(0)) {
            std::memset(DGt + b * h4, 0, sizeof(T) * h4);
            continue;  // state passed through: dh, dc flow on unchanged
          }
          backward_row<T>(A + (t * batch + b) * h4, St + b * 2 * h + h, c_prev + b * ld_prev, dh,
                          dc, DGt + b * h4, h);
          std::memset(dh, 0, sizeof(T) * h);
        }
      });
      // dh_{t-1} += dG_t W_hᵀ
      wt_pack.gemm(batch, T(1), DGt, h4, T(1), DH, h);
    }
    if (ctx.needs(0)) ctx.accumulate(0, dg_t);
    if (ctx.needs(1)) {
      T* dW = ctx.grad_in(1).data<T>();
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const bool initial = s == PrevStates::initial;  // else h_t of the packed (h_t, c_t) rows
        cpu_gemm(true, false, h, h4, k, T(1), initial ? H0 : S, initial ? h : 2 * h, DG + g * h4,
                 h4, T(1), dW, h4);
      });
    }
    accumulate_needed(ctx, {{2, dh_t}, {3, dc_t}});
  });
}

}  // namespace

const RealKernels<LstmKernel> lstm_fused_cpu{run<float>, run<double>};

}  // namespace rnnlab::lstm
