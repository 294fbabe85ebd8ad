// SRU cell: parameters, composed step, registration (maths in sru_cell.h).
#include "sru_cell.h"

#include "rnnlab/plugin_api.h"

namespace rnnlab::sru {

SruCell::SruCell(const CellArgs& a) : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  w_ = &a.params.create(a.prefix + "/W", {input_, 4 * hidden_});  // [W | W_f | W_r | W_s]
  b_ = &a.params.create(a.prefix + "/b", {4 * hidden_});
  v_f_ = &a.params.create(a.prefix + "/v_f", {hidden_});
  v_r_ = &a.params.create(a.prefix + "/v_r", {hidden_});
  init::glorot(*w_, a.rng);
  init::uniform(*v_f_, a.rng, 0.5);
  init::uniform(*v_r_, a.rng, 0.5);
}

Var SruCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return linear(x, tape.param(*w_), tape.param(*b_));
}

std::vector<Var> SruCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                               const CellContext&) {
  const int64_t h = hidden_;
  const Var& c = state[1];
  Var px = slice(p_t, 1, 0, h);
  Var f = sigmoid(add(slice(p_t, 1, h, h), mul(c, tape.param(*v_f_))));
  Var r = sigmoid(add(slice(p_t, 1, 2 * h, h), mul(c, tape.param(*v_r_))));
  Var c_new = add(px, mul(f, sub(c, px)));
  Var ps = slice(p_t, 1, 3 * h, h);
  Var h_new = add(ps, mul(r, sub(tanh(c_new), ps)));  // r tanh(c) + (1 - r) P_s
  return {h_new, c_new};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "sru";
  t.doc = "SRU (Lei et al. 2017): c_t = f c_{t-1} + (1-f) x~, h_t = r tanh(c_t) + (1-r) x_s, "
          "gates read c_{t-1} elementwise; composed step (run by the step compiler)";
  t.schema = {{"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"}};
  t.create = [](const CellArgs& a) { return std::make_unique<SruCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::sru

RNNLAB_PLUGIN("sru", "1.0.0", rnnlab::sru::register_cells)
