// LSTM cell: composed step and plugin registration (maths in lstm_cell.h).
#include "lstm_cell.h"

#include "rnnlab/plugin_api.h"

namespace rnnlab::lstm {

LstmCell::LstmCell(const CellArgs& a)
    : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  w_x_ = &a.params.create(a.prefix + "/W_x", {input_, 4 * hidden_});
  w_h_ = &a.params.create(a.prefix + "/W_h", {hidden_, 4 * hidden_});
  b_ = &a.params.create(a.prefix + "/b", {4 * hidden_});
  init::glorot(*w_x_, a.rng);
  init::orthogonal(*w_h_, a.rng, 4);
  init::constant_range(*b_, hidden_, hidden_, a.config.real("forget_bias"));
}

Var LstmCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return linear(x, tape.param(*w_x_), tape.param(*b_));
}

std::vector<Var> LstmCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                                const CellContext&) {
  const int64_t h = hidden_;
  Var g = add(p_t, matmul(state[0], tape.param(*w_h_)));
  Var i = sigmoid(slice(g, 1, 0, h));
  Var f = sigmoid(slice(g, 1, h, h));
  Var c_hat = tanh(slice(g, 1, 2 * h, h));
  Var o = sigmoid(slice(g, 1, 3 * h, h));
  Var c = add(mul(f, state[1]), mul(i, c_hat));
  return {mul(o, tanh(c)), c};
}

Var LstmCell::fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0,
                             const Var& mask, const CellContext&) {
  LstmKernel* kernel = fused_kernel_for(tape, p.dtype(), "lstm", lstm_fused_cpu,
                                        RNNLAB_CUDA_KERNEL(lstm_fused_cuda));
  return kernel ? kernel(tape, p, tape.param(*w_h_), state0[0], state0[1], mask) : Var{};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "lstm";
  t.doc = "Long short-term memory (Hochreiter & Schmidhuber 1997), PyTorch gate order i,f,g,o";
  t.schema = {
      {"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"},
      {"forget_bias", ParamType::real, 1.0, false, -10, 10, {}, "initial forget-gate bias"},
  };
  t.create = [](const CellArgs& a) { return std::make_unique<LstmCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::lstm

RNNLAB_PLUGIN("lstm", "1.0.0", rnnlab::lstm::register_cells)
