// Optimizer step: norm, clip, update, zero.
#include "rnnlab/optim.h"

#include <cmath>
#include <vector>

namespace rnnlab {

UpdateRule::Kind update_kind_from_name(const std::string& name) {
  if (name == "sgd") return UpdateRule::Kind::sgd;
  if (name == "momentum") return UpdateRule::Kind::momentum;
  if (name == "adam") return UpdateRule::Kind::adam;
  if (name == "rmsprop") return UpdateRule::Kind::rmsprop;
  throw InputError("unknown optimizer '" + name + "' (known: adam, momentum, rmsprop, sgd)");
}

const char* update_kind_name(UpdateRule::Kind k) {
  switch (k) {
    case UpdateRule::Kind::sgd: return "sgd";
    case UpdateRule::Kind::momentum: return "momentum";
    case UpdateRule::Kind::adam: return "adam";
    case UpdateRule::Kind::rmsprop: return "rmsprop";
  }
  return "?";
}

double Optimizer::step(ParameterStore& params) {
  Backend& be = backend_for(params.device());
  double sq = 0.0;
  for (auto& p : params.all())
    if (p->grad.defined()) sq += be.sum_squares(p->grad);
  double norm = std::sqrt(sq);
  if (!std::isfinite(norm))
    throw Error("non-finite gradient (norm " + std::to_string(norm) +
                ") at optimizer step " + std::to_string(rule_.step) +
                ": training diverged; lower the learning rate or clip gradients");
  UpdateRule r = rule_;
  r.grad_scale = (clip_ > 0.0 && norm > clip_) ? clip_ / norm : 1.0;
  // Every parameter with a gradient is one group: one pass (apply_updates) updates it and
  // zeroes its gradient, which was ParameterStore::zero_grad's separate pass.
  std::vector<Backend::UpdateTarget> group;
  for (auto& p : params.all()) {
    if (!p->grad.defined()) continue;
    if (r.kind != UpdateRule::Kind::sgd && !p->slot1.defined())
      p->slot1 = zeros(p->value.shape(), p->value.dtype(), p->value.device());
    if (r.kind == UpdateRule::Kind::adam && !p->slot2.defined())
      p->slot2 = zeros(p->value.shape(), p->value.dtype(), p->value.device());
    group.push_back({&p->value, &p->grad, &p->slot1, &p->slot2, p->max_abs});
  }
  be.apply_updates(r, group);
  ++rule_.step;
  return norm;
}

}  // namespace rnnlab
