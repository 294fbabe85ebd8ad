// Fused RWA sequence kernel for the CPU: the whole recurrence is one tape node.
//
// Forward, t = 0..T-1:  Q_t = h_{t-1} W_h (GEMM [B,H]x[H,2H]), then per row b (parallel) the
//   running-max update of (h, n, d, m) per element (rwa_maths.h, with the equations).
//   Saved: (τ, a, α, β) [T,B,4H]; the packed states (h, n, d, m) [T,B,4H] are the output.
// Backward, t = T-1..0, with dh, dn, dd, dm the gradients flowing into state t: per row
//   dP_t = [du, dg, da], dQ_t = [dg, da] and the gradients into state t-1 (rwa_maths.h), then
//   dh_{t-1} = dQ_t W_hᵀ          (padded rows: dP = dQ = 0 and every gradient passes through)
// After the loop: dW_h += [h_0; h_1..h_{T-2}]ᵀ [dQ_0..dQ_{T-1}] (one GEMM), dP += dP.
#include <algorithm>
#include <cstring>

#include "rnnlab/cpu_kernels.h"
#include "rnnlab/error.h"
#include "rnnlab/fused_kernel.h"
#include "rwa_cell.h"
#include "rwa_maths.h"

namespace rnnlab::rwa {

namespace {

int64_t row_grain(int64_t h) { return std::max<int64_t>(1, 4096 / std::max<int64_t>(1, h)); }

// One row of one step (maths in rwa_maths.h). p, q: the rows of P_t and Q; prev: the previous
// state from element o on; out: this step's packed row; save: (τ, a, α, β).
template <typename T>
RNNLAB_SIMD_CLONES void forward_row(const T* p, const T* q, Prev<T> prev, int64_t o, T* out,
                                    T* save, int64_t h) {
  for (int64_t j = 0; j < h; ++j) {
    Saved<T> sv;
    store_blocks(out, h, j, forward(p, q, h, j, prev.s.at(o + j), sv));
    store_blocks(save, h, j, sv);
  }
}

// grads (dh, dn, dd, dm) from element gi on: the gradients into state t on entry, into state
// t-1 on exit (dh zeroed: the GEMM adds dQ W_hᵀ afterwards).
template <typename T>
RNNLAB_SIMD_CLONES void backward_row(const T* p, const T* save, const T* s_t, Prev<T> prev,
                                     int64_t o, SplitState<T> grads, int64_t gi, T* dp, T* dq,
                                     int64_t h) {
  for (int64_t j = 0; j < h; ++j) {
    State<T> g = grads.at(gi + j);
    store_input_grads(dp, dq, h, j,
                      backward(load_blocks<Saved<T>>(save, h, j), p[j],
                               load_blocks<State<T>>(s_t, h, j), prev.s.at(o + j), g));
    grads.set(gi + j, g);
  }
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const std::vector<Var>& s0, const Var& mask) {
  Backend& be = tape.backend();
  const int64_t steps = p.dim(0), batch = p.dim(1), h = p.dim(2) / 3;
  const DType dt = p.dtype();
  Tensor packed = be.empty({steps, batch, 4 * h}, dt);
  Tensor saved = be.empty({steps, batch, 4 * h}, dt);
  Tensor q_t = be.empty({batch, 2 * h}, dt);
  const T* P = p.value().data<T>();
  const T* W = w_h.value().data<T>();
  const T* Mk = optional_value<T>(mask);
  const T* init[4] = {s0[0].value().data<T>(), s0[1].value().data<T>(), s0[2].value().data<T>(),
                      s0[3].value().data<T>()};
  T* S = packed.data<T>();
  T* A = saved.data<T>();
  T* Q = q_t.data<T>();
  for (int64_t t = 0; t < steps; ++t) {
    Prev<T> pv = prev_state<T>(t, batch, h, init, S);
    cpu_gemm(false, false, batch, 2 * h, h, T(1), pv.s.k[0], pv.ld, W, 2 * h, T(0), Q, 2 * h);
    cpu_parallel_for(batch, row_grain(h), [&](int64_t b0, int64_t b1) {
      for (int64_t b = b0; b < b1; ++b) {
        const int64_t row = t * batch + b, o = b * pv.ld;
        T* out = S + row * 4 * h;
        if (Mk && Mk[row] == T(0)) {
          for (int k = 0; k < 4; ++k) std::memcpy(out + k * h, pv.s.k[k] + o, sizeof(T) * h);
          std::memset(A + row * 4 * h, 0, sizeof(T) * 4 * h);
          continue;
        }
        forward_row<T>(P + row * 3 * h, Q + b * 2 * h, pv, o, out, A + row * 4 * h, h);
      }
    });
  }
  const bool has_mask = mask.valid();
  std::vector<Var> inputs{p, w_h, s0[0], s0[1], s0[2], s0[3]};
  if (has_mask) inputs.push_back(mask);
  return tape.record(packed, inputs, [saved, steps, batch, h, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const DType dt = ctx.out().dtype();
    const T* P = ctx.in(0).data<T>();
    const T* W = ctx.in(1).data<T>();
    const T* init[4] = {ctx.in(2).data<T>(), ctx.in(3).data<T>(), ctx.in(4).data<T>(),
                        ctx.in(5).data<T>()};
    const T* Mk = optional_input<T>(ctx, 6, has_mask);
    const T* S = ctx.out().data<T>();
    const T* A = saved.data<T>();
    const T* dS = ctx.grad_out().data<T>();
    Tensor dp_all = be.empty({steps, batch, 3 * h}, dt);
    Tensor dq_all = be.empty({steps, batch, 2 * h}, dt);
    Tensor grads[4];  // running dh, dn, dd, dm  [B,H]
    SplitState<T> G;
    for (int k = 0; k < 4; ++k) {
      grads[k] = be.empty({batch, h}, dt);
      be.fill(grads[k], 0.0);
      G.k[k] = grads[k].data<T>();
    }
    T* DP = dp_all.data<T>();
    T* DQ = dq_all.data<T>();
    for (int64_t t = steps - 1; t >= 0; --t) {
      Prev<T> pv = prev_state<T>(t, batch, h, init, S);
      cpu_parallel_for(batch, row_grain(h), [&](int64_t b0, int64_t b1) {
        for (int64_t b = b0; b < b1; ++b) {
          const int64_t row = t * batch + b, o = b * pv.ld;
          const T* g_row = dS + row * 4 * h;
          for (int k = 0; k < 4; ++k)
            for (int64_t j = 0; j < h; ++j) G.k[k][b * h + j] += g_row[k * h + j];
          if (Mk && Mk[row] == T(0)) {
            std::memset(DP + row * 3 * h, 0, sizeof(T) * 3 * h);
            std::memset(DQ + row * 2 * h, 0, sizeof(T) * 2 * h);
            continue;
          }
          backward_row<T>(P + row * 3 * h, A + row * 4 * h, S + row * 4 * h, pv, o, G, b * h,
                          DP + row * 3 * h, DQ + row * 2 * h, h);
        }
      });
      // dh_{t-1} += dQ_t W_hᵀ
      cpu_gemm(false, true, batch, h, 2 * h, T(1), DQ + t * batch * 2 * h, 2 * h, W, 2 * h, T(1),
               G.k[0], h);
    }
    if (ctx.needs(0)) be.axpby(1.0, dp_all, 1.0, ctx.grad_in(0));
    if (ctx.needs(1)) {
      T* dW = ctx.grad_in(1).data<T>();
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const bool initial = s == PrevStates::initial;  // else h_t of the packed (h, n, d, m) rows
        cpu_gemm(true, false, h, 2 * h, k, T(1), initial ? init[0] : S, initial ? h : 4 * h,
                 DQ + g * 2 * h, 2 * h, T(1), dW, 2 * h);
      });
    }
    for (int k = 0; k < 4; ++k)
      if (ctx.needs(2 + k)) be.axpby(1.0, grads[k], 1.0, ctx.grad_in(2 + k));
  });
}

}  // namespace

const RealKernels<RwaKernel> rwa_fused_cpu{run<float>, run<double>};

}  // namespace rnnlab::rwa
