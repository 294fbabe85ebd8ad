// minGRU (Feng, Tung, Ahmed, Bengio & Hajimirsadeghi, "Were RNNs All We Needed?", 2024,
// arXiv:2410.01201): a GRU whose gate and candidate do not read the previous state.
//
//   P   = x [W_z | W_h] + [b_z | b_h]          [T,B,2H]   project_inputs, all steps at once
//   z_t = σ(P_t[:, 0:H])                       update gate
//   h̃_t = P_t[:, H:2H]                         candidate (linear, as in the paper's minGRU)
//   h_t = (1 - z_t) ⊙ h_{t-1} + z_t ⊙ h̃_t      = h_{t-1} + z_t ⊙ (h̃_t - h_{t-1})
//   state (h) [B,H]; output h.
//
// The recurrence is elementwise ("diagonal"); the paper evaluates it with a parallel scan, we
// run it sequentially in time but parallel over batch × hidden through the step compiler (no
// hand-written kernel). Init: W Glorot, b = 0.
#pragma once

#include "rnnlab/cell.h"

namespace rnnlab::mingru {

class MinGruCell final : public Cell {
 public:
  explicit MinGruCell(const CellArgs& a);
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

}  // namespace rnnlab::mingru
