// GRU cell: composed step and plugin registration (maths in gru_cell.h).
#include "gru_cell.h"

#include "rnnlab/plugin_api.h"

namespace rnnlab::gru {

GruCell::GruCell(const CellArgs& a) : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  w_x_ = &a.params.create(a.prefix + "/W_x", {input_, 3 * hidden_});
  w_h_ = &a.params.create(a.prefix + "/W_h", {hidden_, 3 * hidden_});
  b_x_ = &a.params.create(a.prefix + "/b_x", {3 * hidden_});
  b_h_ = &a.params.create(a.prefix + "/b_h", {3 * hidden_});
  init::glorot(*w_x_, a.rng);
  init::orthogonal(*w_h_, a.rng, 3);
}

Var GruCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  return linear(x, tape.param(*w_x_), tape.param(*b_x_));
}

std::vector<Var> GruCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                               const CellContext&) {
  const int64_t h = hidden_;
  const Var& h_prev = state[0];
  Var q = linear(h_prev, tape.param(*w_h_), tape.param(*b_h_));
  Var r = sigmoid(add(slice(p_t, 1, 0, h), slice(q, 1, 0, h)));
  Var z = sigmoid(add(slice(p_t, 1, h, h), slice(q, 1, h, h)));
  Var n = tanh(add(slice(p_t, 1, 2 * h, h), mul(r, slice(q, 1, 2 * h, h))));
  return {add(n, mul(z, sub(h_prev, n)))};
}

Var GruCell::fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0,
                            const Var& mask, const CellContext&) {
  GruKernel* kernel =
      fused_kernel_for(tape, p.dtype(), "gru", gru_fused_cpu, RNNLAB_CUDA_KERNEL(gru_fused_cuda));
  return kernel ? kernel(tape, p, tape.param(*w_h_), tape.param(*b_h_), state0[0], mask) : Var{};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "gru";
  t.doc = "Gated recurrent unit (Cho et al. 2014), PyTorch form: r applied to W_h h + b_h";
  t.schema = {{"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"}};
  t.create = [](const CellArgs& a) { return std::make_unique<GruCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::gru

RNNLAB_PLUGIN("gru", "1.0.0", rnnlab::gru::register_cells)
