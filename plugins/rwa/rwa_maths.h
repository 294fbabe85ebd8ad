// The RWA's per-element maths, written once for both fused kernels: the CPU row loops
// (rwa_fused_cpu.cpp) and the CUDA kernels (rwa_fused_cuda.cu) call these RNNLAB_HD functions
// for element j of a row, so the CPU tests check the exact expressions the GPU runs.
// Plain C++ (no rnnlab/cell.h): only rnnlab/hd_math.h and rnnlab/hd_blocks.h.
//
// Rows are blocks H wide: P_t [u | g | a] (input parts), Q = h_{t-1} W_h [g | a], the packed
// state [h | n | d | m], the saved forward values [τ | a | α | β]; element j of a row is
// {row[j], row[H+j], ...}.
// Forward, one element (rwa_cell.h), with g = P_g + Q_g and a = P_a + Q_a:
//   τ = tanh g, z = u τ, m = max(m_{t-1}, a), α = e^{m_{t-1}-m}, β = e^{a-m},
//   n = n_{t-1} α + z β, d = d_{t-1} α + β, h = tanh(n/d).
// Backward, with dh, dn, dd, dm the gradients flowing into state t:
//   r = n/d, dr = dh (1-h²), dn' = dn + dr/d, dd' = dd - (dr/d) r
//   dα = dn' n_{t-1} + dd' d_{t-1}     dβ = dn' z + dd'     dz = dn' β
//   G = dm - dα α - dβ β  (what reaches m through the max), routed to m_{t-1} if m_{t-1} >= a
//   da = dβ β (+ G)   dm_{t-1} = dα α (+ G)   dn_{t-1} = dn' α   dd_{t-1} = dd' α
//   du = dz τ   dg = dz u (1-τ²)   dP_t = [du, dg, da]   dQ_t = [dg, da]
//   dh_{t-1}: 0 here; the caller's GEMM adds dQ_t W_hᵀ.
#pragma once

#include <cstdint>
#include <type_traits>

#include "rnnlab/hd_blocks.h"
#include "rnnlab/hd_math.h"

namespace rnnlab::rwa {

// One element of the state (h, n, d, m) or of its gradient.
template <typename T>
struct State {
  static constexpr int kBlocks = 4;  // a packed row: load_blocks / store_blocks (hd_blocks.h)
  T h, n, d, m;
};

// One element of what the forward pass saves for the backward: (τ, a, α, β).
template <typename T>
struct Saved {
  static constexpr int kBlocks = 4;
  T tg, a, alpha, beta;
};

// One element of the input gradients: dP_t = [du | dg | da], dQ_t = [dg | da].
template <typename T>
struct InputGrads {
  T du, dg, da;
};

template <typename T>
RNNLAB_HD inline void store_input_grads(T* dp, T* dq, int64_t h, int64_t j,
                                        const InputGrads<T>& g) {
  dp[j] = g.du;
  dp[h + j] = g.dg;
  dp[2 * h + j] = g.da;
  dq[j] = g.dg;
  dq[h + j] = g.da;
}

// Elementwise sum (the CUDA kernel adds the packed gradient of step t to the running one).
template <typename T>
RNNLAB_HD inline State<T> operator+(const State<T>& x, const State<T>& y) {
  return {x.h + y.h, x.n + y.n, x.d + y.d, x.m + y.m};
}

// A state (h, n, d, m) or its gradient kept in four separate buffers with one index: the four
// initial states or packed row t-1 (see prev_state), the running gradients [B,H] each.
template <typename T>
struct SplitState {
  T* k[4];
  RNNLAB_HD State<std::remove_const_t<T>> at(int64_t i) const {
    return {k[0][i], k[1][i], k[2][i], k[3][i]};
  }
  RNNLAB_HD void set(int64_t i, const State<T>& s) const {
    k[0][i] = s.h;
    k[1][i] = s.n;
    k[2][i] = s.d;
    k[3][i] = s.m;
  }
};

// The previous state: the four initial states (ld H) or packed row t-1 (ld 4H). Element o =
// b·ld + j of each block is the previous state of (b, j).
template <typename T>
struct Prev {
  SplitState<const T> s;
  int64_t ld;
};

template <typename T>
Prev<T> prev_state(int64_t t, int64_t batch, int64_t h, const T* const init[4], const T* S) {
  if (t == 0) return {{{init[0], init[1], init[2], init[3]}}, h};
  const T* row = S + (t - 1) * batch * 4 * h;
  return {{{row, row + h, row + 2 * h, row + 3 * h}}, 4 * h};
}

// One forward step of one element. p: the row of P_t, q: the row of Q; prev: the previous
// state. Returns the new state; `save` gets (τ, a, α, β).
template <typename T>
RNNLAB_HD inline State<T> forward(const T* p, const T* q, int64_t h, int64_t j,
                                  const State<T>& prev, Saved<T>& save) {
  const T tg = hd_math::tanh(p[h + j] + q[j]);
  const T a = p[2 * h + j] + q[h + j];
  const T z = p[j] * tg;
  const T m = prev.m >= a ? prev.m : a;
  const T alpha = hd_math::exp(prev.m - m);
  const T beta = hd_math::exp(a - m);
  const T n = prev.n * alpha + z * beta;
  const T d = prev.d * alpha + beta;
  save = {tg, a, alpha, beta};
  return {hd_math::tanh(n / d), n, d, m};
}

// One backward step of one element. s: (τ, a, α, β), u = P_u, st: state t, prev: state t-1.
// g: the gradient into state t on entry, into state t-1 on exit (dh: 0, see above).
template <typename T>
RNNLAB_HD inline InputGrads<T> backward(const Saved<T>& s, T u, const State<T>& st,
                                        const State<T>& prev, State<T>& g) {
  const T z = u * s.tg;
  const T r = st.n / st.d;
  const T dr_d = g.h * (T(1) - st.h * st.h) / st.d;
  const T dn_t = g.n + dr_d;
  const T dd_t = g.d - dr_d * r;
  const T dalpha = dn_t * prev.n + dd_t * prev.d;
  const T dbeta = dn_t * z + dd_t;
  const T dz = dn_t * s.beta;
  const T g_max = g.m - dalpha * s.alpha - dbeta * s.beta;
  const bool prev_wins = prev.m >= s.a;
  const T da = dbeta * s.beta + (prev_wins ? T(0) : g_max);
  const T dg = dz * u * (T(1) - s.tg * s.tg);
  g = {T(0), dn_t * s.alpha, dd_t * s.alpha, dalpha * s.alpha + (prev_wins ? g_max : T(0))};
  return {dz * s.tg, dg, da};
}

}  // namespace rnnlab::rwa
