// Layer-normalised LSTM (Ba, Kiros & Hinton 2016, "Layer Normalization", arXiv:1607.06450,
// section 3.1 and appendix: LN on the input and recurrent pre-activations and on the cell).
//
//   P_t = LN(x_t W_x; α_x) + b                W_x [I,4H], α_x [4H], b [4H]   (project_inputs)
//   G   = P_t + LN(h_{t-1} W_h; α_h)           W_h [H,4H], α_h [4H]           [B,4H]
//   i = σ(G[:, 0:H])   f = σ(G[:, H:2H])   g = tanh(G[:, 2H:3H])   o = σ(G[:, 3H:4H])
//   c_t = f ⊙ c_{t-1} + i ⊙ g                  h_t = o ⊙ tanh(LN(c_t; α_c, β_c))   α_c, β_c [H]
//   state (h, c), each [B,H]; output h.
//   LN(v; α, β) = (v - mean(v)) / sqrt(var(v) + 1e-5) ⊙ α + β over v's last axis (ops_norm.h);
//   the two gate normalisations share the one bias b (each β would only add to it).
//
// Gate order i, f, g, o as the lstm plugin. Init: W_x Glorot, W_h orthogonal per gate, gains 1,
// b = 0 except the forget slice = forget_bias, β_c = 0. Composed step only (no kernel): the step
// compiler runs it where it can (`rnnlab cells -v` says whether it compiles).
#pragma once

#include "rnnlab/cell.h"

namespace rnnlab::lnlstm {

class LnLstmCell final : public Cell {
 public:
  explicit LnLstmCell(const CellArgs& a);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}, {"c", hidden_}}; }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;

 private:
  int64_t input_, hidden_;
  Parameter *w_x_, *w_h_, *b_, *gain_x_, *gain_h_, *gain_c_, *bias_c_;
};

}  // namespace rnnlab::lnlstm
