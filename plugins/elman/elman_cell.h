// Elman RNN cell.
//
//   P_t = x_t W_x + b                W_x [I,H], b [H]        (project_inputs, all t)
//   h_t = act(P_t + h_{t-1} W_h)     W_h [H,H]               act = tanh (default) | relu
//
// PyTorch nn.RNN: weight_ih_l0 [H,I] = W_xᵀ, weight_hh_l0 [H,H] = W_hᵀ, b = b_ih + b_hh,
// nonlinearity = act. Init: W_x Glorot, W_h orthogonal, b = 0.
// Fused kernels (elman_fused_cpu.cpp, elman_fused_cuda.cu; per element: elman_maths.h):
// forward h_t per step; backward da = dh ⊙ act'(h_t), dh_{t-1} = da W_hᵀ, and after the loop
// dW_h += [h_0..h_{T-2}]ᵀ [da_0..da_{T-1}], dP += da.
#pragma once

#include "elman_maths.h"  // Act and the per-element maths of the fused kernels
#include "rnnlab/cell.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::elman {

class ElmanCell final : public Cell {
 public:
  explicit ElmanCell(const CellArgs& args);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}}; }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;
  bool has_fused(Device d) const override { return RNNLAB_FUSED_ON(d); }
  Var fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0, const Var& mask,
                     const CellContext& ctx) override;

 private:
  int64_t input_, hidden_;
  Act act_;
  Parameter* w_x_;
  Parameter* w_h_;
  Parameter* b_;
};

using ElmanKernel = Var(Tape& tape, const Var& p, const Var& w_h, const Var& h0, const Var& mask,
                        Act act);
// elman_fused_cpu.cpp; elman_fused_cuda.cu (defined only when the plugin is built with CUDA). Each holds the
// kernel for float and double; ElmanCell::fused_sequence picks one (rnnlab/fused_kernel.h).
extern const RealKernels<ElmanKernel> elman_fused_cpu;
extern const RealKernels<ElmanKernel> elman_fused_cuda;

}  // namespace rnnlab::elman
