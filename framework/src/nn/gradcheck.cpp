// Central-difference gradient check (see gradcheck.h).
#include "rnnlab/gradcheck.h"

#include <cmath>
#include <sstream>

namespace rnnlab {

namespace {

struct Target {
  std::string name;
  Tensor value;     // perturbed in place (f64, CPU)
  Tensor analytic;  // gradient from backward
};

double evaluate(const LossFn& loss, const std::vector<Tensor>& inputs, std::vector<Var>* leaves,
                Tape& tape, bool grads) {
  tape.reset();
  std::vector<Var> vs;
  for (const Tensor& t : inputs) vs.push_back(tape.leaf(t, grads));
  Var l = loss(tape, vs);
  double v = item(l.value());
  if (grads) {
    tape.backward(l);
    if (leaves) *leaves = vs;
  }
  return v;
}

}  // namespace

GradCheckResult gradcheck(const LossFn& loss, const std::vector<Tensor>& inputs,
                          ParameterStore* params, GradCheckOptions opts) {
  for (const Tensor& t : inputs)
    RNNLAB_CHECK(t.dtype() == DType::f64 && t.device() == Device::cpu,
                 "gradcheck needs f64 CPU inputs, found ", dtype_name(t.dtype()));
  std::vector<Tensor> work;
  for (const Tensor& t : inputs) work.push_back(clone(t));
  Tape tape(Device::cpu);

  // Analytic gradients.
  if (params) params->zero_grad();
  std::vector<Var> leaves;
  evaluate(loss, work, &leaves, tape, true);
  std::vector<Target> targets;
  for (std::size_t k = 0; k < work.size(); ++k) {
    Tensor g = tape.grad(leaves[k]);
    targets.push_back({"input" + std::to_string(k), work[k],
                       g.defined() ? clone(g) : zeros(work[k].shape(), DType::f64)});
  }
  if (params)
    for (auto& p : params->all()) {
      RNNLAB_CHECK(p->value.dtype() == DType::f64, "gradcheck needs f64 parameters");
      targets.push_back({p->name, p->value,
                         p->grad.defined() ? clone(p->grad) : zeros(p->value.shape(), DType::f64)});
    }

  GradCheckResult res;
  for (Target& t : targets) {
    double* x = t.value.data<double>();
    const double* a = t.analytic.data<double>();
    int64_t n = t.value.numel();
    int64_t stride = std::max<int64_t>(1, n / std::max<int64_t>(1, opts.max_per_tensor));
    for (int64_t i = 0; i < n; i += stride) {
      double keep = x[i];
      x[i] = keep + opts.eps;
      double up = evaluate(loss, work, nullptr, tape, false);
      x[i] = keep - opts.eps;
      double down = evaluate(loss, work, nullptr, tape, false);
      x[i] = keep;
      double num = (up - down) / (2 * opts.eps);
      double err = std::fabs(a[i] - num) / std::max(std::fabs(a[i]) + std::fabs(num), opts.floor);
      ++res.checked;
      if (!(err <= res.max_error) || res.worst.empty()) {
        if (err > res.max_error || res.worst.empty() || std::isnan(err)) {
          res.max_error = std::isnan(err) ? INFINITY : err;
          std::ostringstream os;
          os << t.name << "[" << i << "]: analytic " << a[i] << ", numeric " << num;
          res.worst = os.str();
        }
      }
    }
  }
  res.passed = res.max_error <= opts.tolerance;
  if (params) params->zero_grad();
  tape.reset();
  return res;
}

}  // namespace rnnlab
