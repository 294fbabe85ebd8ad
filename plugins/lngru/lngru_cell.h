// Layer-normalised GRU (Ba, Kiros & Hinton 2016, "Layer Normalization", arXiv:1607.06450: LN on
// the input and the recurrent pre-activations, as for their LSTM), in the gru plugin's
// (PyTorch's) form with the reset gate applied after the recurrent product.
//
//   P_t = LN(x_t W_x; α_x) + b_x               W_x [I,3H], α_x, b_x [3H]       (project_inputs)
//   Q   = LN(h_{t-1} W_h; α_h) + b_h           W_h [H,3H], α_h, b_h [3H]       [B,3H]
//   r = σ(P_r + Q_r)   z = σ(P_z + Q_z)   n = tanh(P_n + r ⊙ Q_n)
//   h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}                                           state (h) [B,H]
//   LN(v; α) = (v - mean(v)) / sqrt(var(v) + 1e-5) ⊙ α over v's last axis (ops_norm.h).
//
// Init: W_x Glorot, W_h orthogonal per gate, gains 1, biases 0. Composed step only (no kernel).
#pragma once

#include "rnnlab/cell.h"

namespace rnnlab::lngru {

class LnGruCell final : public Cell {
 public:
  explicit LnGruCell(const CellArgs& a);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}}; }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;

 private:
  int64_t input_, hidden_;
  Parameter *w_x_, *w_h_, *b_x_, *b_h_, *gain_x_, *gain_h_;
};

}  // namespace rnnlab::lngru
