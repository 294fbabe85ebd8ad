// Recurrent weighted average (Ostmeyer & Cowell 2019, "Machine learning on sequential data
// using a recurrent weighted average"), in the numerically stable running-max form.
//
//   u_t = x_t W_u + b_u                        W_u [I,H], b_u [H]
//   g_t = [x_t; h_{t-1}] W_g + b_g             W_g [I+H,H], b_g [H]
//   a_t = [x_t; h_{t-1}] W_a                   W_a [I+H,H]   (no bias: it cancels in n/d)
//   z_t = u_t ⊙ tanh(g_t)
//   m_t = max(m_{t-1}, a_t)                                             [B,H]
//   n_t = n_{t-1} ⊙ e^{m_{t-1}-m_t} + z_t ⊙ e^{a_t-m_t}                 [B,H]
//   d_t = d_{t-1} ⊙ e^{m_{t-1}-m_t} + e^{a_t-m_t}                       [B,H]
//   h_t = tanh(n_t / d_t)                      state (h, n, d, m), each [B,H]
//   h_0 = tanh(s)  (s [H] trainable, broadcast over the batch), n_0 = d_0 = 0, m_0 = -1e30.
//
// project_inputs: P = [u, x W_g[0:I] + b_g, x W_a[0:I]]  [T,B,3H]  (one GEMM for all steps);
// step adds [g, a] += h_{t-1} [W_g[I:], W_a[I:]]  (one [B,H]x[H,2H] GEMM per step).
//
// Why m_0 = -1e30 (a finite "minus infinity"): n_t/d_t is invariant to m (it only rescales
// numerator and denominator), so m_0 is purely a numerical choice. With m_0 below every logit,
// m_t is the true running max of a_1..a_t, every exponent is <= 0 and d_t >= 1 (the argmax term
// contributes e^0 = 1), so nothing overflows or underflows into 0/0 however large |a| grows.
// m_0 only enters through e^{m_0-m_1} = 0, which multiplies n_0 = d_0 = 0; it is a constant
// (no gradient), so no inf or NaN reaches any gradient. m_0 = 0 would instead make d_t
// underflow to 0 (0/0) whenever all logits so far are < -87 (float). -inf is avoided because
// the padding blend m·new + (1-m)·old would compute 0·inf = NaN.
//
// Paper/TensorFlow reference: W_u, b_u, W_g, b_g, W_a, s with the same shapes (their xh
// concatenation order is [x, h]). Init: W's Glorot, biases 0, s ~ N(0, 1).
// Fused kernels (rwa_fused_cpu.cpp, rwa_fused_cuda.cu): the recurrence in one node, backward by
// hand.
#pragma once

#include "rnnlab/cell.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::rwa {

inline constexpr double kInitialMax = -1e30;  // m_0

class RwaCell final : public Cell {
 public:
  explicit RwaCell(const CellArgs& args);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override {
    return {{"h", hidden_}, {"n", hidden_}, {"d", hidden_}, {"m", hidden_}};
  }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;
  // (tanh(s) broadcast, 0, 0, m_0); h_0 depends on the parameter s, so s gets a gradient.
  std::vector<Var> initial_state(Tape& tape, int64_t batch, DType dtype) override;
  bool has_fused(Device d) const override { return RNNLAB_FUSED_ON(d); }
  Var fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0, const Var& mask,
                     const CellContext& ctx) override;

 private:
  Var recurrent_weights(Tape& tape);  // [W_g[I:], W_a[I:]]  [H,2H]

  int64_t input_, hidden_;
  Parameter* w_u_;
  Parameter* b_u_;
  Parameter* w_g_;
  Parameter* b_g_;
  Parameter* w_a_;
  Parameter* s_;
};

// packed [T,B,4H] = (h_t, n_t, d_t, m_t) for every t. Inputs: P [T,B,3H], W_h [H,2H], the four
// initial states [B,H], mask [T,B,1] or an invalid Var.
using RwaKernel = Var(Tape& tape, const Var& p, const Var& w_h, const std::vector<Var>& state0,
                      const Var& mask);
// rwa_fused_cpu.cpp; rwa_fused_cuda.cu (defined only when the plugin is built with CUDA). Each holds the
// kernel for float and double; RwaCell::fused_sequence picks one (rnnlab/fused_kernel.h).
extern const RealKernels<RwaKernel> rwa_fused_cpu;
extern const RealKernels<RwaKernel> rwa_fused_cuda;

}  // namespace rnnlab::rwa
