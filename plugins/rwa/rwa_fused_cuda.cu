// Fused RWA sequence kernel for CUDA: one tape node, the same maths as rwa_fused_cpu.cpp
// (equations of forward and backward in its header).
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
#include "backend/cuda/cuda_common.cuh"
#include "backend/cuda/cuda_view.h"
#include "rwa_cell.h"

namespace rnnlab::rwa {

namespace {

using cuda_detail::d_exp;
using cuda_detail::d_tanh;

// The previous state (h, n, d, m): the initial states (ld H) or packed row t-1 (ld 4H).
template <typename T>
struct Prev {
  const T* h;
  const T* n;
  const T* d;
  const T* m;
  int64_t ld;
};

template <typename T>
__global__ void rwa_forward_step(int64_t batch, int64_t h, const T* __restrict__ P,
                                 const T* __restrict__ Q, Prev<T> pv, const T* __restrict__ Mk,
                                 T* __restrict__ S, T* __restrict__ A, T* __restrict__ H) {
  const int64_t n_el = batch * h;
  RNNLAB_GRID_STRIDE(e, n_el) {
    const int64_t b = e / h, j = e % h, o = b * pv.ld + j;
    T* out = S + b * 4 * h;
    T* save = A + b * 4 * h;
    if (Mk && Mk[b] == T(0)) {
      out[j] = pv.h[o];
      out[h + j] = pv.n[o];
      out[2 * h + j] = pv.d[o];
      out[3 * h + j] = pv.m[o];
      save[j] = save[h + j] = save[2 * h + j] = save[3 * h + j] = T(0);
      H[e] = pv.h[o];
      continue;
    }
    const T* p = P + b * 3 * h;
    const T* q = Q + b * 2 * h;
    const T tg = d_tanh(p[h + j] + q[j]);
    const T a = p[2 * h + j] + q[h + j];
    const T z = p[j] * tg;
    const T m_prev = pv.m[o];
    const T m = m_prev >= a ? m_prev : a;
    const T alpha = d_exp(m_prev - m);
    const T beta = d_exp(a - m);
    const T n = pv.n[o] * alpha + z * beta;
    const T d = pv.d[o] * alpha + beta;
    const T hv = d_tanh(n / d);
    out[j] = hv;
    out[h + j] = n;
    out[2 * h + j] = d;
    out[3 * h + j] = m;
    save[j] = tg;
    save[h + j] = a;
    save[2 * h + j] = alpha;
    save[3 * h + j] = beta;
    H[e] = hv;
  }
}

// DH, DN, DD, DM [B,H]: the gradients into state t on entry, into state t-1 on exit (dh: its
// direct part, zero; the gemm adds dQ_t W_hᵀ afterwards).
template <typename T>
__global__ void rwa_backward_step(int64_t batch, int64_t h, const T* __restrict__ P,
                                  const T* __restrict__ A, const T* __restrict__ S, Prev<T> pv,
                                  const T* __restrict__ dS, const T* __restrict__ Mk,
                                  T* __restrict__ DH, T* __restrict__ DN, T* __restrict__ DD,
                                  T* __restrict__ DM, T* __restrict__ DP, T* __restrict__ DQ) {
  const int64_t n_el = batch * h;
  RNNLAB_GRID_STRIDE(e, n_el) {
    const int64_t b = e / h, j = e % h, o = b * pv.ld + j;
    const T* g_row = dS + b * 4 * h;
    const T dh = DH[e] + g_row[j];
    const T dn = DN[e] + g_row[h + j];
    const T dd = DD[e] + g_row[2 * h + j];
    const T dm = DM[e] + g_row[3 * h + j];
    T* dp = DP + b * 3 * h;
    T* dq = DQ + b * 2 * h;
    if (Mk && Mk[b] == T(0)) {
      dp[j] = dp[h + j] = dp[2 * h + j] = T(0);
      dq[j] = dq[h + j] = T(0);
      DH[e] = dh;
      DN[e] = dn;
      DD[e] = dd;
      DM[e] = dm;
      continue;
    }
    const T* save = A + b * 4 * h;
    const T* s_t = S + b * 4 * h;
    const T tg = save[j], a = save[h + j], alpha = save[2 * h + j], beta = save[3 * h + j];
    const T u = P[b * 3 * h + j], z = u * tg;
    const T ht = s_t[j], n = s_t[h + j], d = s_t[2 * h + j];
    const T r = n / d;
    const T dr_d = dh * (T(1) - ht * ht) / d;
    const T dn_t = dn + dr_d;
    const T dd_t = dd - dr_d * r;
    const T dalpha = dn_t * pv.n[o] + dd_t * pv.d[o];
    const T dbeta = dn_t * z + dd_t;
    const T dz = dn_t * beta;
    const T g_max = dm - dalpha * alpha - dbeta * beta;
    const bool prev_wins = pv.m[o] >= a;
    const T da = dbeta * beta + (prev_wins ? T(0) : g_max);
    const T dg = dz * u * (T(1) - tg * tg);
    dp[j] = dz * tg;
    dp[h + j] = dg;
    dp[2 * h + j] = da;
    dq[j] = dg;
    dq[h + j] = da;
    DM[e] = dalpha * alpha + (prev_wins ? g_max : T(0));
    DN[e] = dn_t * alpha;
    DD[e] = dd_t * alpha;
    DH[e] = T(0);
  }
}

template <typename T>
Prev<T> prev_state(int64_t t, int64_t batch, int64_t h, const T* const init[4], const T* S) {
  if (t == 0) return {init[0], init[1], init[2], init[3], h};
  const T* row = S + (t - 1) * batch * 4 * h;
  return {row, row + h, row + 2 * h, row + 3 * h, 4 * h};
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
  const T* Mk = mask.valid() ? mask.value().data<T>() : nullptr;
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
    const T* Mk = has_mask ? ctx.in(6).data<T>() : nullptr;
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
          Mk ? Mk + t * batch : nullptr, grads[0].data<T>(), grads[1].data<T>(), grads[2].data<T>(),
          grads[3].data<T>(), dp_all.data<T>() + t * batch * 3 * h,
          dq_all.data<T>() + t * batch * 2 * h);
      RNNLAB_CUDA_LAUNCHED("rwa_backward_step");
      // dh_{t-1} += dQ_t W_hᵀ
      be.gemm(false, true, 1.0, cuda_view(dq_all, t * batch * 2 * h, {batch, 2 * h}), W, 1.0,
              grads[0]);
    }
    if (ctx.needs(1) && n > 0 && steps > 0) {
      Tensor& dW = ctx.grad_in(1);
      be.gemm(true, false, 1.0, ctx.in(2), cuda_view(dq_all, 0, {batch, 2 * h}), 1.0, dW);
      if (steps > 1)
        be.gemm(true, false, 1.0, cuda_view(hs, 0, {(steps - 1) * batch, h}),
                cuda_view(dq_all, batch * 2 * h, {(steps - 1) * batch, 2 * h}), 1.0, dW);
    }
    if (ctx.needs(0)) ctx.accumulate(0, dp_all);
    for (int k = 0; k < 4; ++k)
      if (ctx.needs(2 + k)) ctx.accumulate(2 + k, grads[k]);
  });
}

}  // namespace

Var rwa_fused_cuda(Tape& tape, const Var& p, const Var& w_h, const std::vector<Var>& state0,
                   const Var& mask) {
  RNNLAB_CHECK(tape.device() == Device::cuda, "rwa_fused_cuda on a ", device_name(tape.device()),
               " tape");
  RNNLAB_CHECK(state0.size() == 4, "rwa_fused_cuda: expected 4 initial states (h, n, d, m), got ",
               state0.size());
  if (p.dtype() == DType::f64) return run<double>(tape, p, w_h, state0, mask);
  RNNLAB_CHECK(p.dtype() == DType::f32, "rwa_fused_cuda: expected f32 or f64, found ",
               dtype_name(p.dtype()));
  return run<float>(tape, p, w_h, state0, mask);
}

}  // namespace rnnlab::rwa
