// Elman cell: composed step and plugin registration (maths in elman_cell.h).
#include "elman_cell.h"

#include "rnnlab/plugin_api.h"

namespace rnnlab::elman {

ElmanCell::ElmanCell(const CellArgs& a)
    : input_(a.input_size),
      hidden_(a.config.integer("hidden")),
      act_(a.config.choice("activation") == "relu" ? Act::relu : Act::tanh) {
  w_x_ = &a.params.create(a.prefix + "/W_x", {input_, hidden_});
  w_h_ = &a.params.create(a.prefix + "/W_h", {hidden_, hidden_});
  b_ = &a.params.create(a.prefix + "/b", {hidden_});
  init::glorot(*w_x_, a.rng);
  init::orthogonal(*w_h_, a.rng, 1);
}

Var ElmanCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return linear(x, tape.param(*w_x_), tape.param(*b_));
}

std::vector<Var> ElmanCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                                 const CellContext&) {
  Var pre = add(p_t, matmul(state[0], tape.param(*w_h_)));
  return {act_ == Act::tanh ? tanh(pre) : relu(pre)};
}

Var ElmanCell::fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0,
                              const Var& mask, const CellContext&) {
  ElmanKernel* kernel = fused_kernel_for(tape, p.dtype(), "elman", elman_fused_cpu,
                                         RNNLAB_CUDA_KERNEL(elman_fused_cuda));
  return kernel ? kernel(tape, p, tape.param(*w_h_), state0[0], mask, act_) : Var{};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "elman";
  t.doc = "Elman RNN: h_t = act(x_t W_x + h_{t-1} W_h + b)";
  t.schema = {
      {"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"},
      {"activation", ParamType::choice, std::string("tanh"), false, 0, 0, {"tanh", "relu"},
       "nonlinearity"},
  };
  t.create = [](const CellArgs& a) { return std::make_unique<ElmanCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::elman

RNNLAB_PLUGIN("elman", "1.0.0", rnnlab::elman::register_cells)
