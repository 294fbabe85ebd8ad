// IndRNN cell: parameters, composed step, registration (maths in indrnn_cell.h).
#include "indrnn_cell.h"

#include "rnnlab/error.h"
#include "rnnlab/plugin_api.h"

namespace rnnlab::indrnn {

IndRnnCell::IndRnnCell(const CellArgs& a)
    : input_(a.input_size),
      hidden_(a.config.integer("hidden")),
      relu_(a.config.choice("activation") == "relu") {
  w_ = &a.params.create(a.prefix + "/W", {input_, hidden_});
  u_ = &a.params.create(a.prefix + "/u", {hidden_});
  b_ = &a.params.create(a.prefix + "/b", {hidden_});
  init::glorot(*w_, a.rng);
  const double u_lo = a.config.real("u_min"), u_hi = a.config.real("u_max");
  if (!(u_lo < u_hi))
    throw InputError("indrnn: u_min must be below u_max, found " + std::to_string(u_lo) +
                     " and " + std::to_string(u_hi));
  init::uniform(*u_, a.rng, u_lo, u_hi);
  u_->max_abs = a.config.real("u_max_abs");  // 0: unconstrained
}

Var IndRnnCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return linear(x, tape.param(*w_), tape.param(*b_));
}

std::vector<Var> IndRnnCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                                  const CellContext&) {
  Var pre = add(p_t, mul(state[0], tape.param(*u_)));
  return {relu_ ? relu(pre) : tanh(pre)};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "indrnn";
  t.doc = "IndRNN (Li et al. 2018): h_t = act(x_t W + u * h_{t-1} + b), one recurrent weight "
          "per unit; composed step (run by the step compiler)";
  t.schema = {
      {"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"},
      {"activation", ParamType::choice, std::string("relu"), false, 0, 0, {"relu", "tanh"},
       "nonlinearity"},
      {"u_min", ParamType::real, -1.0, false, -2, 2, {}, "recurrent weights u ~ U(u_min, u_max) at init"},
      {"u_max", ParamType::real, 1.0, false, -2, 2, {}, "(the paper's adding runs: U(0, 1))"},
      {"u_max_abs", ParamType::real, 0.0, false, 0, 10, {},
       "> 0: the optimizer keeps |u| <= u_max_abs (the paper: 2^(1/T) for ReLU); 0: none"},
  };
  t.create = [](const CellArgs& a) { return std::make_unique<IndRnnCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::indrnn

RNNLAB_PLUGIN("indrnn", "1.0.0", rnnlab::indrnn::register_cells)
