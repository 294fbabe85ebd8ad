// SRU, the simple recurrent unit (Lei, Zhang, Wang, Dai & Artzi, "Simple Recurrent Units for
// Highly Parallelizable Recurrence", EMNLP 2018; arXiv:1709.02755, 2017), with the per-unit
// state vectors v_f, v_r of the published version:
//
//   P   = x [W | W_f | W_r | W_s] + [b_x | b_f | b_r | b_s]        [T,B,4H]  project_inputs
//   f_t = σ(P_f + v_f ⊙ c_{t-1})                    forget gate
//   r_t = σ(P_r + v_r ⊙ c_{t-1})                    reset (highway) gate
//   c_t = f_t ⊙ c_{t-1} + (1 - f_t) ⊙ P_x           = P_x + f_t ⊙ (c_{t-1} - P_x)
//   h_t = r_t ⊙ tanh(c_t) + (1 - r_t) ⊙ P_s         highway to the (projected) input
//   state (h, c) [B,H] each; output h.
// P_s = x W_s + b_s is the paper's highway input projected to H units (the paper uses x itself
// when I = H). b_x and b_s start at 0 like every bias; b_f, b_r too.
//
// c enters only elementwise ("diagonal"), h is not read by the step; no hand-written kernel:
// the step compiler runs the whole sequence per row block. Init: W Glorot, v ~ U(-0.5, 0.5).
#pragma once

#include "rnnlab/cell.h"

namespace rnnlab::sru {

class SruCell final : public Cell {
 public:
  explicit SruCell(const CellArgs& a);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}, {"c", hidden_}}; }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;

 private:
  int64_t input_, hidden_;
  Parameter *w_, *b_, *v_f_, *v_r_;
};

}  // namespace rnnlab::sru
