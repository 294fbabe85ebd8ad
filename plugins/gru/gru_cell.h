// GRU cell (gate order r, z, n — PyTorch's form, reset gate applied after the matmul).
//
//   P_t = x_t W_x + b_x                  W_x [I,3H], b_x [3H]          (project_inputs)
//   Q   = h_{t-1} W_h + b_h              W_h [H,3H], b_h [3H]          [B,3H]
//   r = σ(P_r + Q_r)   z = σ(P_z + Q_z)   n = tanh(P_n + r ⊙ Q_n)
//   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}  = n + z ⊙ (h_{t-1} - n)           state (h) [B,H]
//
// PyTorch nn.GRU: weight_ih_l0 [3H,I] = W_xᵀ, weight_hh_l0 [3H,H] = W_hᵀ, bias_ih = b_x,
// bias_hh = b_h (b_h stays separate: r multiplies Q_n including its bias).
// Init: W_x Glorot, W_h orthogonal per gate, biases 0.
#pragma once

#include "rnnlab/cell.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::gru {

class GruCell final : public Cell {
 public:
  explicit GruCell(const CellArgs& args);
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
  Parameter* w_x_;
  Parameter* w_h_;
  Parameter* b_x_;
  Parameter* b_h_;
};

// packed [T,B,H] = h_t for every t. Inputs: P [T,B,3H], W_h, b_h, h0, mask [T,B,1] or invalid.
using GruKernel = Var(Tape& tape, const Var& p, const Var& w_h, const Var& b_h, const Var& h0,
                      const Var& mask);
// gru_fused_cpu.cpp; gru_fused_cuda.cu (defined only when the plugin is built with CUDA). Each holds the
// kernel for float and double; GruCell::fused_sequence picks one (rnnlab/fused_kernel.h).
extern const RealKernels<GruKernel> gru_fused_cpu;
extern const RealKernels<GruKernel> gru_fused_cuda;

}  // namespace rnnlab::gru
