// IndRNN, the independently recurrent neural network (Li, Li, Cook, Zhu & Gao, "Independently
// Recurrent Neural Network (IndRNN): Building A Longer and Deeper RNN", CVPR 2018,
// arXiv:1803.04831).
//
//   P   = x W + b                      W [I,H], b [H]        project_inputs, all steps: [T,B,H]
//   h_t = act(P_t + u ⊙ h_{t-1})       u [H] (one recurrent weight per unit), act = relu | tanh
//   state (h) [B,H]; output h.
//
// Each unit only sees its own past, so the step is elementwise ("diagonal"): no recurrent GEMM.
// No hand-written kernel: the step compiler (step_compiler.h) runs it as one whole-sequence
// kernel per row block. Init: W Glorot, u ~ U(u_min, u_max) (default U(-1, 1)), b = 0.
// Constraint (the paper's, for long sequences): with u_max_abs > 0 the optimizer clamps u to
// [-u_max_abs, u_max_abs] after every update (Parameter::max_abs), e.g. 2^(1/T) for ReLU.
#pragma once

#include "rnnlab/cell.h"

namespace rnnlab::indrnn {

class IndRnnCell final : public Cell {
 public:
  explicit IndRnnCell(const CellArgs& a);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}}; }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;

 private:
  int64_t input_, hidden_;
  bool relu_;
  Parameter *w_, *u_, *b_;
};

}  // namespace rnnlab::indrnn
