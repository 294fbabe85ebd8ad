// RWA cell: parameters, initial state, the composed step and plugin registration (maths and
// the choice of m_0 in rwa_cell.h).
#include "rwa_cell.h"

#include "rnnlab/backend.h"
#include "rnnlab/plugin_api.h"

namespace rnnlab::rwa {

RwaCell::RwaCell(const CellArgs& a) : input_(a.input_size), hidden_(a.config.integer("hidden")) {
  const std::string& p = a.prefix;
  w_u_ = &a.params.create(p + "/W_u", {input_, hidden_});
  b_u_ = &a.params.create(p + "/b_u", {hidden_});
  w_g_ = &a.params.create(p + "/W_g", {input_ + hidden_, hidden_});
  b_g_ = &a.params.create(p + "/b_g", {hidden_});
  w_a_ = &a.params.create(p + "/W_a", {input_ + hidden_, hidden_});
  s_ = &a.params.create(p + "/s", {hidden_});
  init::glorot(*w_u_, a.rng);
  init::glorot(*w_g_, a.rng);
  init::glorot(*w_a_, a.rng);
  std::vector<double> s(static_cast<std::size_t>(hidden_));
  for (double& v : s) v = a.rng.normal(0.0, 1.0);
  s_->value = to_dtype(from_vector(s, {hidden_}, s_->value.device()), s_->value.dtype());
}

Var RwaCell::project_inputs(Tape& tape, const Var& x, const CellContext&) {
  const int64_t i = input_;
  Var w_x = concat(
      {tape.param(*w_u_), slice(tape.param(*w_g_), 0, 0, i), slice(tape.param(*w_a_), 0, 0, i)},
      1);  // [I,3H]
  Var no_bias = tape.constant(zeros({hidden_}, x.dtype(), tape.device()));
  Var bias = concat({tape.param(*b_u_), tape.param(*b_g_), no_bias}, 0);  // [3H]
  return add(matmul(x, w_x), bias);
}

Var RwaCell::recurrent_weights(Tape& tape) {
  return concat(
      {slice(tape.param(*w_g_), 0, input_, hidden_), slice(tape.param(*w_a_), 0, input_, hidden_)},
      1);
}

std::vector<Var> RwaCell::step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                               const CellContext&) {
  const int64_t h = hidden_;
  const Var &h_prev = state[0], &n_prev = state[1], &d_prev = state[2], &m_prev = state[3];
  Var q = matmul(h_prev, recurrent_weights(tape));  // [B,2H]
  Var u = slice(p_t, 1, 0, h);
  Var g = add(slice(p_t, 1, h, h), slice(q, 1, 0, h));
  Var a = add(slice(p_t, 1, 2 * h, h), slice(q, 1, h, h));
  Var z = mul(u, tanh(g));
  Var m = maximum(m_prev, a);
  Var rescale = exp(sub(m_prev, m));  // e^{m_{t-1}-m_t} <= 1
  Var weight = exp(sub(a, m));        // e^{a_t-m_t} <= 1
  Var n = add(mul(n_prev, rescale), mul(z, weight));
  Var d = add(mul(d_prev, rescale), weight);
  return {tanh(div(n, d)), n, d, m};
}

std::vector<Var> RwaCell::initial_state(Tape& tape, int64_t batch, DType dtype) {
  const Shape shape{batch, hidden_};
  Var h0 = add(tape.constant(zeros(shape, dtype, tape.device())), tanh(tape.param(*s_)));
  return {h0, tape.constant(zeros(shape, dtype, tape.device())),
          tape.constant(zeros(shape, dtype, tape.device())),
          tape.constant(full(shape, dtype, kInitialMax, tape.device()))};
}

Var RwaCell::fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0,
                            const Var& mask, const CellContext&) {
  RNNLAB_CHECK(state0.size() == 4, "rwa fused kernel: expected 4 initial states (h, n, d, m), got ",
               state0.size());
  RwaKernel* kernel =
      fused_kernel_for(tape, p.dtype(), "rwa", rwa_fused_cpu, RNNLAB_CUDA_KERNEL(rwa_fused_cuda));
  return kernel ? kernel(tape, p, recurrent_weights(tape), state0, mask) : Var{};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "rwa";
  t.doc = "Recurrent weighted average (Ostmeyer & Cowell 2019), running-max stable form";
  t.schema = {{"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"}};
  t.create = [](const CellArgs& a) { return std::make_unique<RwaCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::rwa

RNNLAB_PLUGIN("rwa", "1.0.0", rnnlab::rwa::register_cells)
