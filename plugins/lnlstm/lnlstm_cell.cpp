// Layer-normalised LSTM: parameters, composed step, registration (maths in lnlstm_cell.h).
#include "lnlstm_cell.h"

#include "rnnlab/ops_norm.h"
#include "rnnlab/plugin_api.h"

namespace rnnlab::lnlstm {

LnLstmCell::LnLstmCell(const CellArgs& a)
    : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  const int64_t g = 4 * hidden_;
  w_x_ = &a.params.create(a.prefix + "/W_x", {input_, g});
  w_h_ = &a.params.create(a.prefix + "/W_h", {hidden_, g});
  b_ = &a.params.create(a.prefix + "/b", {g});
  gain_x_ = &a.params.create(a.prefix + "/gain_x", {g});
  gain_h_ = &a.params.create(a.prefix + "/gain_h", {g});
  gain_c_ = &a.params.create(a.prefix + "/gain_c", {hidden_});
  bias_c_ = &a.params.create(a.prefix + "/bias_c", {hidden_});
  init::glorot(*w_x_, a.rng);
  init::orthogonal(*w_h_, a.rng, 4);
  init::constant_range(*b_, hidden_, hidden_, a.config.real("forget_bias"));
  for (Parameter* p : {gain_x_, gain_h_, gain_c_}) init::constant_range(*p, 0, p->value.numel(), 1.0);
}

Var LnLstmCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return layer_norm(matmul(x, tape.param(*w_x_)), tape.param(*gain_x_), tape.param(*b_));
}

std::vector<Var> LnLstmCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                                  const CellContext&) {
  const Var& h = state[0];
  const Var& c = state[1];
  const Var gates = add(p_t, layer_norm(matmul(h, tape.param(*w_h_)), tape.param(*gain_h_), Var{}));
  const Var i = sigmoid(slice(gates, 1, 0, hidden_));
  const Var f = sigmoid(slice(gates, 1, hidden_, hidden_));
  const Var g = tanh(slice(gates, 1, 2 * hidden_, hidden_));
  const Var o = sigmoid(slice(gates, 1, 3 * hidden_, hidden_));
  const Var c_new = add(mul(f, c), mul(i, g));
  const Var h_new =
      mul(o, tanh(layer_norm(c_new, tape.param(*gain_c_), tape.param(*bias_c_))));
  return {h_new, c_new};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "lnlstm";
  t.doc = "Layer-normalised LSTM (Ba et al. 2016): LN on the input and recurrent "
          "pre-activations and on the cell state; composed step";
  t.schema = {
      {"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"},
      {"forget_bias", ParamType::real, 1.0, false, -10, 10, {}, "initial forget-gate bias"},
  };
  t.create = [](const CellArgs& a) { return std::make_unique<LnLstmCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::lnlstm

RNNLAB_PLUGIN("lnlstm", "1.0.0", rnnlab::lnlstm::register_cells)
