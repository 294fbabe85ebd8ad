// Fused Elman sequence kernel for the CPU (maths in elman_cell.h; per element: elman_maths.h).
// W_h (and W_hᵀ in the backward) is packed once per sequence for the small-M kernel.
#include <cstring>

#include "elman_cell.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::elman {

namespace {

template <typename T>
RNNLAB_SIMD_CLONES void activate_row(T* x, int64_t n, bool relu) {
  if (relu)
    for (int64_t j = 0; j < n; ++j) x[j] = activate<Act::relu>(x[j]);
  else
    for (int64_t j = 0; j < n; ++j) x[j] = activate<Act::tanh>(x[j]);
}

// da = dh ⊙ act'(h)
template <typename T>
RNNLAB_SIMD_CLONES void act_grad_row(const T* h, const T* dh, T* da, int64_t n, bool relu) {
  if (relu)
    for (int64_t j = 0; j < n; ++j) da[j] = act_grad<Act::relu>(h[j], dh[j]);
  else
    for (int64_t j = 0; j < n; ++j) da[j] = act_grad<Act::tanh>(h[j], dh[j]);
}

template <typename T>
Var run(Tape& tape, const Var& p, const Var& w_h, const Var& h0, const Var& mask, Act act) {
  Backend& be = tape.backend();
  const int64_t steps = p.dim(0), batch = p.dim(1), h = p.dim(2);
  const bool relu = act == Act::relu;
  Tensor hs = be.empty({steps, batch, h}, p.dtype());
  const T* P = p.value().data<T>();
  const T* W = w_h.value().data<T>();
  const T* M = optional_value<T>(mask);
  T* Hs = hs.data<T>();
  const PackedWeight<T> w_pack(false, h, h, W, h, batch);  // packed once for the T steps
  for (int64_t t = 0; t < steps; ++t) {
    const T* h_prev = t == 0 ? h0.value().data<T>() : Hs + (t - 1) * batch * h;
    T* Ht = Hs + t * batch * h;
    std::memcpy(Ht, P + t * batch * h, sizeof(T) * batch * h);
    w_pack.gemm(batch, T(1), h_prev, h, T(1), Ht, h);
    for (int64_t b = 0; b < batch; ++b) {
      if (M && M[t * batch + b] == T(0))
        std::memcpy(Ht + b * h, h_prev + b * h, sizeof(T) * h);
      else
        activate_row<T>(Ht + b * h, h, relu);
    }
  }
  std::vector<Var> inputs{p, w_h, h0};
  const bool has_mask = mask.valid();
  if (has_mask) inputs.push_back(mask);
  return tape.record(hs, inputs, [steps, batch, h, relu, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    DType dt = ctx.out().dtype();
    const T* W = ctx.in(1).data<T>();
    const T* H0 = ctx.in(2).data<T>();
    const T* M = optional_input<T>(ctx, 3, has_mask);
    const T* Hs = ctx.out().data<T>();
    const T* dHs = ctx.grad_out().data<T>();
    Tensor da_all = be.empty({steps, batch, h}, dt);
    Tensor dh_t = be.empty({batch, h}, dt);
    be.fill(dh_t, 0.0);
    T* DA = da_all.data<T>();
    T* DH = dh_t.data<T>();
    const PackedWeight<T> wt_pack(true, h, h, W, h, batch);  // W_hᵀ, once for the T steps
    for (int64_t t = steps - 1; t >= 0; --t) {
      for (int64_t b = 0; b < batch; ++b) {
        int64_t row = t * batch + b;
        T* dh = DH + b * h;
        for (int64_t j = 0; j < h; ++j) dh[j] += dHs[row * h + j];
        if (M && M[row] == T(0)) {
          std::memset(DA + row * h, 0, sizeof(T) * h);
          continue;
        }
        act_grad_row<T>(Hs + row * h, dh, DA + row * h, h, relu);
        std::memset(dh, 0, sizeof(T) * h);
      }
      wt_pack.gemm(batch, T(1), DA + t * batch * h, h, T(1), DH, h);
    }
    if (ctx.needs(0)) ctx.accumulate(0, da_all);
    if (ctx.needs(1)) {
      T* dW = ctx.grad_in(1).data<T>();
      add_recurrent_weight_grad(steps, batch, [&](PrevStates s, int64_t g, int64_t k) {
        const T* prev = s == PrevStates::initial ? H0 : Hs;
        cpu_gemm(true, false, h, h, k, T(1), prev, h, DA + g * h, h, T(1), dW, h);
      });
    }
    accumulate_needed(ctx, {{2, dh_t}});
  });
}

}  // namespace

const RealKernels<ElmanKernel> elman_fused_cpu{run<float>, run<double>};

}  // namespace rnnlab::elman
