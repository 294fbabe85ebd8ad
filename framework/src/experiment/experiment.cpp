// ExperimentSpec helpers (see experiment.h).
#include "rnnlab/experiment.h"

namespace rnnlab {

ParamMap values_of(const ArgMap& args) {
  ParamMap out;
  for (const auto& [name, arg] : args) out.emplace(name, arg.value);
  return out;
}

}  // namespace rnnlab
