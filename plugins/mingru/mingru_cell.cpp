// minGRU cell: parameters, composed step, registration (maths in mingru_cell.h).
#include "mingru_cell.h"

#include "rnnlab/plugin_api.h"

namespace rnnlab::mingru {

MinGruCell::MinGruCell(const CellArgs& a)
    : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  w_ = &a.params.create(a.prefix + "/W", {input_, 2 * hidden_});  // [W_z | W_h]
  b_ = &a.params.create(a.prefix + "/b", {2 * hidden_});          // [b_z | b_h]
  init::glorot(*w_, a.rng);
}

Var MinGruCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return linear(x, tape.param(*w_), tape.param(*b_));
}

std::vector<Var> MinGruCell::step(Tape&, const Var& p_t, const std::vector<Var>& state,
                                  const CellContext&) {
  const Var& h = state[0];
  Var z = sigmoid(slice(p_t, 1, 0, hidden_));
  Var h_tilde = slice(p_t, 1, hidden_, hidden_);
  return {add(h, mul(z, sub(h_tilde, h)))};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "mingru";
  t.doc = "minGRU (Feng et al. 2024): h_t = (1 - z_t) h_{t-1} + z_t (x_t W_h + b_h), "
          "z_t = sigmoid(x_t W_z + b_z); composed step (run by the step compiler)";
  t.schema = {{"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"}};
  t.create = [](const CellArgs& a) { return std::make_unique<MinGruCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::mingru

RNNLAB_PLUGIN("mingru", "1.0.0", rnnlab::mingru::register_cells)
