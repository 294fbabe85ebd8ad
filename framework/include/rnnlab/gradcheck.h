// Finite-difference gradient check (float64, CPU).
//
// For every element x_i of every checked tensor (the inputs and, if given, every parameter):
//   numeric_i  = (L(x + ε e_i) - L(x - ε e_i)) / 2ε
//   analytic_i = ∂L/∂x_i from one backward pass
//   error_i    = |analytic_i - numeric_i| / max(|analytic_i| + |numeric_i|, floor)
// The loss is rebuilt on a fresh tape for each evaluation, so `loss` must be a pure function of
// the tensors (deterministic: dropout off or seeded). Large tensors are checked on an evenly
// spread subset of at most `max_per_tensor` elements.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "rnnlab/autodiff.h"
#include "rnnlab/parameter.h"

namespace rnnlab {

struct GradCheckOptions {
  double eps = 1e-6;
  double floor = 1e-2;       // denominator floor: tiny gradients are compared absolutely
  double tolerance = 1e-6;   // pass if every error_i <= tolerance
  int64_t max_per_tensor = 64;
};

struct GradCheckResult {
  bool passed = true;
  double max_error = 0.0;
  std::string worst;    // "<tensor>[<index>]: analytic a, numeric n"
  int64_t checked = 0;  // elements compared
};

using LossFn = std::function<Var(Tape& tape, const std::vector<Var>& inputs)>;

// inputs: f64 CPU tensors passed to `loss` as leaves that require grad.
// params: optional store whose parameters are checked as well (values perturbed in place).
GradCheckResult gradcheck(const LossFn& loss, const std::vector<Tensor>& inputs,
                          ParameterStore* params = nullptr, GradCheckOptions opts = {});

}  // namespace rnnlab
