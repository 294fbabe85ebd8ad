// Conformance harness: builds the cell under test in float64 and holds the fixed data.
#include "conformance_harness.h"

#include <cmath>
#include <cstdio>
#include <functional>

#include "rnnlab/backend.h"
#include "rnnlab/rng.h"

namespace rnnlab::conformance {

Tensor rand_f64(const Shape& shape, uint64_t seed, double lo, double hi) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  for (double& e : v) e = rng.uniform(lo, hi);
  return from_vector(v, shape);
}

namespace {
bool has_param(const std::vector<ParamSpec>& schema, const std::string& name, ParamType type) {
  for (const ParamSpec& s : schema)
    if (s.name == name && s.type == type) return true;
  return false;
}
}  // namespace

Harness::Harness(const CellRegistry& r, std::string c, std::map<std::string, ParamValue> given,
                 const ConformanceOptions& o)
    : registry(r), cell(std::move(c)), params(std::move(given)), opt(o) {
  RNNLAB_CHECK_INPUT(o.input >= 1 && o.hidden >= 1 && o.steps >= 1 && o.batch >= 1,
                     "conformance options: input, hidden, steps and batch must be >= 1");
  if (!params.count("hidden") &&
      has_param(registry.schema_for(cell, params), "hidden", ParamType::integer))
    params["hidden"] = o.hidden;
  schema = registry.schema_for(cell, params);
  fused_switch = has_param(schema, "fused", ParamType::boolean);
  for (int64_t b = 0; b < o.batch; ++b) {
    const int64_t drop = o.batch == 1 ? 0 : (b * (o.steps - 1) + (o.batch - 1) / 2) / (o.batch - 1);
    lengths.push_back(static_cast<int32_t>(o.steps - drop));
  }
  x = rand_f64({o.steps, o.batch, o.input}, mix64(o.seed ^ 0x78), -1.0, 1.0);
  const std::unique_ptr<Net> probe = make(true, false, false);
  whole_sequence = probe->rnn->cell().runs_whole_sequence();
  fused_switch = fused_switch && whole_sequence;
  has_fused = whole_sequence ? fused_switch : probe->rnn->cell().has_fused(Device::cpu);
}

std::unique_ptr<Net> Harness::make(bool fused, bool stateful, bool randomize) const {
  return make_path(fused ? RecurrentPath::automatic : RecurrentPath::composed, stateful, randomize);
}

std::unique_ptr<Net> Harness::make_path(RecurrentPath path, bool stateful, bool randomize) const {
  auto net = std::make_unique<Net>();
  std::map<std::string, ParamValue> p = params;
  const bool fused = path != RecurrentPath::composed;
  if (fused_switch) p["fused"] = fused;
  Rng rng(opt.seed);
  std::unique_ptr<Cell> c =
      registry.create(cell, p, opt.input, net->params, "m/layer0/" + cell, rng);
  net->rnn = std::make_unique<Recurrent>(std::move(c), Recurrent::Options{stateful, fused, path});
  if (randomize)
    for (const auto& prm : net->params.all())
      prm->value = rand_f64(prm->value.shape(),
                            mix64(opt.seed ^ std::hash<std::string>{}(prm->name)), -0.6, 0.6);
  return net;
}

Var weighted_loss(Tape& tape, const Recurrent::Output& o) {
  Var l = sum(mul(o.outputs, tape.constant(rand_f64(o.outputs.shape(), 101, -1, 1))));
  l = add(l, sum(mul(o.last, tape.constant(rand_f64(o.last.shape(), 102, -1, 1)))));
  for (std::size_t k = 0; k < o.final_state.size(); ++k)
    l = add(l, sum(mul(o.final_state[k],
                       tape.constant(rand_f64(o.final_state[k].shape(), 200 + k, -1, 1)))));
  return l;
}

std::vector<Tensor> warm_state(const Harness& h, Net& net) {
  const Tensor xw = rand_f64({3, h.opt.batch, h.opt.input}, mix64(h.opt.seed ^ 0x3a), -1.0, 1.0);
  Tape t;
  Recurrent::Output o = net.rnn->forward(t, t.constant(xw), {}, {});
  std::vector<Tensor> s;
  for (const Var& v : o.final_state) s.push_back(clone(v.value()));
  return s;
}

Pass run_pass(const Harness& h, Net& net, const CellContext& ctx) {
  Pass p;
  Tape t;
  Var x = t.leaf(h.x);
  std::vector<Var> s0;
  for (Tensor& s : warm_state(h, net)) s0.push_back(t.leaf(s));
  net.params.zero_grad();
  Recurrent::Output o = net.rnn->forward(t, x, h.lengths, ctx, s0);
  p.values = {o.outputs.value(), o.last.value()};
  for (const Var& s : o.final_state) p.values.push_back(s.value());
  t.backward(weighted_loss(t, o));
  p.tape_size = t.size();
  auto grad = [&](const Var& v) {
    const Tensor& g = t.grad(v);
    return g.defined() ? clone(g) : zeros(v.shape(), DType::f64);
  };
  p.grads.push_back(grad(x));
  for (const Var& s : s0) p.grads.push_back(grad(s));
  for (const auto& prm : net.params.all())
    p.grads.push_back(prm->grad.defined() ? clone(prm->grad)
                                          : zeros(prm->value.shape(), DType::f64));
  net.params.zero_grad();
  return p;
}

double max_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b) {
  if (a.size() != b.size()) return INFINITY;
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, max_abs_diff(a[i], b[i]));
  return m;
}

Tensor slice_tensor(const Tensor& x, int axis, int64_t start, int64_t len) {
  Tape t;
  return clone(slice(t.constant(x), axis, start, len).value());
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  if (!a.defined() || !b.defined() || a.shape() != b.shape()) return INFINITY;
  const std::vector<double> x = to_vector<double>(a), y = to_vector<double>(b);
  double m = 0.0;
  for (std::size_t i = 0; i < x.size(); ++i) {
    const double d = std::fabs(x[i] - y[i]);
    m = std::isnan(d) ? INFINITY : std::max(m, d);
  }
  return m;
}

bool all_finite(const Tensor& t) {
  for (double v : to_vector<double>(t))
    if (!std::isfinite(v)) return false;
  return true;
}

std::string sci(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1e", v);
  return buf;
}

}  // namespace rnnlab::conformance
