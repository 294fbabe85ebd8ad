// ParameterStore: named parameters in creation order.
#include "rnnlab/parameter.h"

#include "rnnlab/backend.h"
#include "rnnlab/cell.h"

namespace rnnlab {

Parameter& ParameterStore::create(const std::string& name, const Shape& shape) {
  RNNLAB_CHECK_INPUT(find(name) == nullptr, "parameter '", name, "' is defined twice");
  auto p = std::make_unique<Parameter>();
  p->name = name;
  p->value = zeros(shape, dtype_, device_);
  params_.push_back(std::move(p));
  return *params_.back();
}

Parameter* ParameterStore::find(const std::string& name) {
  for (auto& p : params_)
    if (p->name == name) return p.get();
  return nullptr;
}

Parameter& ParameterStore::get(const std::string& name) {
  if (Parameter* p = find(name)) return *p;
  std::vector<std::string> names;
  for (auto& p : params_) names.push_back(p->name);
  std::string hint = closest_name(name, names);
  throw InputError("no parameter named '" + name + "'" +
                   (hint.empty() ? std::string() : " (did you mean '" + hint + "'?)"));
}

int64_t ParameterStore::numel() const {
  int64_t n = 0;
  for (auto& p : params_) n += p->value.numel();
  return n;
}

void ParameterStore::zero_grad() {
  for (auto& p : params_)
    if (p->grad.defined()) backend_for(device_).fill(p->grad, 0.0);
}

}  // namespace rnnlab
