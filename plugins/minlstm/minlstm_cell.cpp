// minLSTM cell: parameters, composed step, registration (maths in minlstm_cell.h).
#include "minlstm_cell.h"

#include "rnnlab/plugin_api.h"

namespace rnnlab::minlstm {

MinLstmCell::MinLstmCell(const CellArgs& a)
    : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  w_ = &a.params.create(a.prefix + "/W", {input_, 3 * hidden_});  // [W_f | W_i | W_h]
  b_ = &a.params.create(a.prefix + "/b", {3 * hidden_});          // [b_f | b_i | b_h]
  init::glorot(*w_, a.rng);
}

Var MinLstmCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return linear(x, tape.param(*w_), tape.param(*b_));
}

std::vector<Var> MinLstmCell::step(Tape&, const Var& p_t, const std::vector<Var>& state,
                                   const CellContext&) {
  const Var& h = state[0];
  Var f = sigmoid(slice(p_t, 1, 0, hidden_));
  Var i = sigmoid(slice(p_t, 1, hidden_, hidden_));
  Var h_tilde = slice(p_t, 1, 2 * hidden_, hidden_);
  Var i_norm = div(i, add(f, i));  // i' = i / (f + i); f' = 1 - i'
  return {add(h, mul(i_norm, sub(h_tilde, h)))};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "minlstm";
  t.doc = "minLSTM (Feng et al. 2024): h_t = f'_t h_{t-1} + i'_t (x_t W_h + b_h), gates "
          "f, i = sigmoid(x_t W + b) normalised to f' + i' = 1; composed step (run by the step "
          "compiler)";
  t.schema = {{"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"}};
  t.create = [](const CellArgs& a) { return std::make_unique<MinLstmCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::minlstm

RNNLAB_PLUGIN("minlstm", "1.0.0", rnnlab::minlstm::register_cells)
