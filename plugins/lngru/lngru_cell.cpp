// Layer-normalised GRU: parameters, composed step, registration (maths in lngru_cell.h).
#include "lngru_cell.h"

#include "rnnlab/ops_norm.h"
#include "rnnlab/plugin_api.h"

namespace rnnlab::lngru {

LnGruCell::LnGruCell(const CellArgs& a)
    : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  const int64_t g = 3 * hidden_;
  w_x_ = &a.params.create(a.prefix + "/W_x", {input_, g});
  w_h_ = &a.params.create(a.prefix + "/W_h", {hidden_, g});
  b_x_ = &a.params.create(a.prefix + "/b_x", {g});
  b_h_ = &a.params.create(a.prefix + "/b_h", {g});
  gain_x_ = &a.params.create(a.prefix + "/gain_x", {g});
  gain_h_ = &a.params.create(a.prefix + "/gain_h", {g});
  init::glorot(*w_x_, a.rng);
  init::orthogonal(*w_h_, a.rng, 3);
  for (Parameter* p : {gain_x_, gain_h_}) init::constant_range(*p, 0, p->value.numel(), 1.0);
}

Var LnGruCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return layer_norm(matmul(x, tape.param(*w_x_)), tape.param(*gain_x_), tape.param(*b_x_));
}

std::vector<Var> LnGruCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                                 const CellContext&) {
  const Var& h = state[0];
  const Var q = layer_norm(matmul(h, tape.param(*w_h_)), tape.param(*gain_h_), tape.param(*b_h_));
  const Var r = sigmoid(add(slice(p_t, 1, 0, hidden_), slice(q, 1, 0, hidden_)));
  const Var z = sigmoid(add(slice(p_t, 1, hidden_, hidden_), slice(q, 1, hidden_, hidden_)));
  const Var n = tanh(add(slice(p_t, 1, 2 * hidden_, hidden_), mul(r, slice(q, 1, 2 * hidden_, hidden_))));
  return {lerp(n, h, z)};  // (1 - z) ⊙ n + z ⊙ h
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "lngru";
  t.doc = "Layer-normalised GRU (Ba et al. 2016): LN on the input and recurrent "
          "pre-activations; composed step";
  t.schema = {{"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"}};
  t.create = [](const CellArgs& a) { return std::make_unique<LnGruCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::lngru

RNNLAB_PLUGIN("lngru", "1.0.0", rnnlab::lngru::register_cells)
