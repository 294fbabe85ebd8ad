// LSTM cell (gate order i, f, g, o — PyTorch's order).
//
//   P_t = x_t W_x + b                       W_x [I,4H], b [4H]       (project_inputs, all t)
//   G   = P_t + h_{t-1} W_h                 W_h [H,4H]               [B,4H]
//   i = σ(G[:, 0:H])   f = σ(G[:, H:2H])   g = tanh(G[:, 2H:3H])   o = σ(G[:, 3H:4H])
//   c_t = f ⊙ c_{t-1} + i ⊙ g              h_t = o ⊙ tanh(c_t)      state (h, c), each [B,H]
//
// PyTorch nn.LSTM: weight_ih_l0 [4H,I] = W_xᵀ, weight_hh_l0 [4H,H] = W_hᵀ, b = b_ih + b_hh.
// Init: W_x Glorot, W_h orthogonal per gate, b = 0 except the forget slice = forget_bias.
// Fused kernels (lstm_fused_cpu.cpp, lstm_fused_cuda.cu): the recurrence in one node, backward
// by hand.
#pragma once

#include "rnnlab/cell.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::lstm {

class LstmCell final : public Cell {
 public:
  explicit LstmCell(const CellArgs& args);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}, {"c", hidden_}}; }
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
  Parameter* b_;
};

// packed [T,B,2H] = (h_t, c_t) for every t. Inputs: P [T,B,4H], W_h, h0, c0, mask [T,B,1] or
// an invalid Var.
using LstmKernel = Var(Tape& tape, const Var& p, const Var& w_h, const Var& h0, const Var& c0,
                       const Var& mask);
// lstm_fused_cpu.cpp; lstm_fused_cuda.cu (defined only when the plugin is built with CUDA). Each holds the
// kernel for float and double; LstmCell::fused_sequence picks one (rnnlab/fused_kernel.h).
extern const RealKernels<LstmKernel> lstm_fused_cpu;
extern const RealKernels<LstmKernel> lstm_fused_cuda;

}  // namespace rnnlab::lstm
