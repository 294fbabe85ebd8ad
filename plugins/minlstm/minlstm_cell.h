// minLSTM (Feng, Tung, Ahmed, Bengio & Hajimirsadeghi, "Were RNNs All We Needed?", 2024,
// arXiv:2410.01201): an LSTM whose gates and candidate do not read the previous state, with
// the forget and input gates normalised to sum to one (the paper's length-independent form).
//
//   P    = x [W_f | W_i | W_h] + [b_f | b_i | b_h]     [T,B,3H]   project_inputs, all steps
//   f_t  = σ(P_t[:, 0:H]),  i_t = σ(P_t[:, H:2H])       forget and input gates
//   h̃_t  = P_t[:, 2H:3H]                                candidate (linear, as in the paper)
//   i'_t = i_t / (f_t + i_t)                            f'_t = f_t / (f_t + i_t) = 1 - i'_t
//   h_t  = f'_t ⊙ h_{t-1} + i'_t ⊙ h̃_t                  = h_{t-1} + i'_t ⊙ (h̃_t - h_{t-1})
//   state (h) [B,H]; output h (no output gate, no cell state apart from h).
//
// The recurrence is elementwise and linear in h ("diagonal"); the paper evaluates it with a
// parallel scan, we run it through the step compiler (no hand-written kernel).
// Init: W Glorot, b = 0.
#pragma once

#include "rnnlab/cell.h"

namespace rnnlab::minlstm {

class MinLstmCell final : public Cell {
 public:
  explicit MinLstmCell(const CellArgs& a);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}}; }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;

 private:
  int64_t input_, hidden_;
  Parameter *w_, *b_;
};

}  // namespace rnnlab::minlstm
