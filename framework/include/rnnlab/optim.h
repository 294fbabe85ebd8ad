// Optimizers: SGD, momentum, Adam, RMSprop (update maths in backend.h / UpdateRule), with
// global gradient-norm clipping:  n = sqrt(Σ_p ||g_p||²);  if clip > 0 and n > clip, every
// gradient is scaled by clip / n. A non-finite gradient norm stops training with an Error.
// A parameter with max_abs > 0 is clamped to [-max_abs, max_abs] after its update.
#pragma once

#include <string>

#include "rnnlab/backend.h"
#include "rnnlab/parameter.h"

namespace rnnlab {

// "sgd" | "momentum" | "adam" | "rmsprop"; throws InputError with the known names.
UpdateRule::Kind update_kind_from_name(const std::string& name);
const char* update_kind_name(UpdateRule::Kind k);

class Optimizer {
 public:
  explicit Optimizer(UpdateRule rule, double clip_norm = 0.0) : rule_(rule), clip_(clip_norm) {}
  // Applies one update to every parameter that has a gradient, then zeroes the gradients.
  // Returns the gradient norm before clipping.
  double step(ParameterStore& params);
  const UpdateRule& rule() const { return rule_; }
  UpdateRule& rule() { return rule_; }
  int64_t steps_taken() const { return rule_.step - 1; }

 private:
  UpdateRule rule_;
  double clip_;
};

}  // namespace rnnlab
