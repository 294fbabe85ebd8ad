// Conformance: float64 finite-difference gradient check of the whole unrolled, variable-length
// sequence (see conformance.h), composed, fused or compiled path.
//
//   run 1: L(x, s0, θ) with an explicit initial state s0 given as leaves: checks ∂L/∂x, ∂L/∂s0,
//          ∂L/∂θ for every parameter θ;
//   run 2: L(x, θ) from the cell's own initial state (covers a trainable initial state).
// Both in training mode with a fixed seed (stochastic cells are then a fixed function).
#include <memory>

#include "conformance_harness.h"
#include "rnnlab/gradcheck.h"

namespace rnnlab::conformance {

namespace {

// "input0[7]: …" -> "x[7]: …", "input2[1]: …" -> "s0/c[1]: …"
std::string readable(const std::string& worst, const std::vector<StateSpec>& specs) {
  if (worst.rfind("input", 0) != 0) return worst;
  const std::size_t end = worst.find('[');
  const int k = std::stoi(worst.substr(5, end - 5));
  const std::string name = k == 0 ? "x" : "s0/" + specs[static_cast<std::size_t>(k - 1)].name;
  return name + worst.substr(end);
}

}  // namespace

ConformanceCheck check_gradient(const Harness& h, RecurrentPath path) {
  ConformanceCheck c{std::string("gradient (") + path_name(path) + ")", false, ""};
  std::unique_ptr<Net> net = h.make_path(path);
  const CellContext ctx = h.train_ctx();
  const std::vector<StateSpec> specs = net->rnn->cell().state_specs();
  GradCheckOptions opts;
  opts.max_per_tensor = 1000;

  std::vector<Tensor> inputs{h.x};
  for (Tensor& s : warm_state(h, *net)) inputs.push_back(s);
  LossFn with_state = [&](Tape& t, const std::vector<Var>& in) {
    std::vector<Var> s0(in.begin() + 1, in.end());
    return weighted_loss(t, net->rnn->forward(t, in[0], h.lengths, ctx, s0));
  };
  LossFn own_state = [&](Tape& t, const std::vector<Var>& in) {
    return weighted_loss(t, net->rnn->forward(t, in[0], h.lengths, ctx));
  };
  GradCheckResult a = gradcheck(with_state, inputs, &net->params, opts);
  GradCheckResult b = gradcheck(own_state, {h.x}, &net->params, opts);
  const GradCheckResult& worst = b.max_error > a.max_error ? b : a;
  if (path == RecurrentPath::compiled && net->rnn->path_ran() != RecurrentPath::compiled) {
    c.passed = true;
    c.detail = "skipped: " + net->rnn->path_note();
    return c;
  }
  c.passed = a.passed && b.passed && a.checked > 0;
  c.detail = "max rel err " + sci(worst.max_error) + " over " +
             std::to_string(a.checked + b.checked) + " elements; worst " +
             readable(worst.worst, specs);
  return c;
}

}  // namespace rnnlab::conformance
