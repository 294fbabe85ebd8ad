// nstep: a stack of any registered cell, n layers, optionally bidirectional (Chainer's
// NStepLSTM / PyTorch's nn.LSTM(num_layers, bidirectional) for every cell).
//
//   x⁰ = x                                            [T,B,I]
//   for layer k = 0..L-1, direction d ∈ {fwd, bwd}:
//     fwd:  y_k,fwd = Recurrent(cell_k,fwd)(x^k)          outputs [T,B,H], zero on padding
//     bwd:  y_k,bwd = R(Recurrent(cell_k,bwd)(R(x^k)))    R = reverse each sequence over its
//                                                         own valid length (padding stays put)
//     x^{k+1} = dropout_k([y_k,fwd ; y_k,bwd])          [T,B,D·H], D = 2 if bidirectional;
//                                                         dropout only between layers, only
//                                                         in training (PyTorch's semantics)
//   outputs = x^L                                     [T,B,D·H]
//   last    = [h_fwd at each sequence's last step ; h_bwd after reading back to t = 0]  [B,D·H]
//
// Every (layer, direction) is an inner Recurrent over its own cell, so where the inner cell has
// a fused kernel (and `fused` is true) each one is ONE fused sequence node: the fast path.
// Layer k > 0 takes D·H inputs. Parameters: <prefix>/l<k>/… and <prefix>/l<k>_reverse/….
//
// State (the order of state_specs() and of the final state): layer-major, forward before
// reverse, then the inner cell's own state order; e.g. lstm, 2 layers, bidirectional:
//   l0/h, l0/c, l0_reverse/h, l0_reverse/c, l1/h, l1/c, l1_reverse/h, l1_reverse/c   each [B,H]
// The reverse direction's final state is its state after reading the sequence back to t = 0.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/recurrent.h"

namespace rnnlab::nstep {

// nstep's own parameter names; an inner cell parameter with one of these names is exposed as
// cell_<name> (see nstep_schema.cpp).
extern const std::vector<std::string> kOwnParams;

class NStepCell final : public Cell {
 public:
  // inner: the cell to stack; inner_params: its parameters (already validated).
  NStepCell(const CellArgs& args, const std::string& inner,
            const std::map<std::string, ParamValue>& inner_params);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return specs_; }
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;
  Var output(const std::vector<Var>& state) const override;
  std::vector<Var> initial_state(Tape& tape, int64_t batch, DType dtype) override;
  bool runs_whole_sequence() const override { return true; }
  // A bidirectional stack sees later steps; a one-way stack is as causal as its cell.
  bool causal() const override {
    return dirs_ == 1 && (units_.empty() || units_.front().rnn->cell().causal());
  }
  SequenceResult run_sequence(Tape& tape, const Var& x, const std::vector<int32_t>& lengths,
                              const std::vector<Var>& state0, const CellContext& ctx) override;
  void reset_state() override;
  void save_carry(const std::string& prefix, NamedTensors& out) const override;
  void load_carry(const std::string& prefix, const NamedTensors& in) override;

 private:
  struct Unit {  // one (layer, direction)
    std::unique_ptr<Recurrent> rnn;
    std::size_t offset = 0;  // its first tensor in the packed state list
    std::size_t count = 0;   // how many state tensors it has
  };
  std::vector<Var> unit_state(const Unit& u, const std::vector<Var>& state) const;

  int64_t input_, hidden_, layers_, dirs_;
  double dropout_;
  std::vector<Unit> units_;  // units_[k * dirs_ + d]
  std::vector<StateSpec> specs_;
};

// Row index for reversing each sequence over its own length, i32 [T,B] as row numbers of the
// [T*B, F] view: ids[t,b] = (len_b-1-t)·B + b for t < len_b, else t·B + b (padding stays).
// lengths empty = all T. Applying it twice is the identity.
Tensor reverse_index(const std::vector<int32_t>& lengths, int64_t steps, int64_t batch,
                     Device device);
// y[t,b] = x[ids[t,b] as (t',b')]  for x [T,B,F]: a row gather with a scatter-add backward.
Var reverse_by_length(const Var& x, const Var& ids);

}  // namespace rnnlab::nstep
