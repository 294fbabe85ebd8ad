// describe_spec: a plain .rnn-like rendering of a spec, used for /config/resolved when no DSL
// printer is given (tests, tools that build specs by hand).
#include <sstream>

#include "rnnlab/runner.h"

namespace rnnlab {

namespace {

std::string value_str(const ParamValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return "\"" + *s + "\"";
  return param_value_str(v);
}

std::string args_str(const ArgMap& args) {
  std::string out;
  for (const auto& [k, a] : args) out += (out.empty() ? "" : ", ") + k + ": " + value_str(a.value);
  return out;
}

void train_block(std::ostringstream& os, const TrainSpec& t, const std::string& indent) {
  for (const auto& [k, a] : t.settings) os << indent << k << " " << value_str(a.value) << "\n";
  if (!t.optimizer.empty())
    os << indent << "optimizer " << t.optimizer << "(" << args_str(t.optimizer_args) << ")\n";
}

}  // namespace

std::string describe_spec(const ExperimentSpec& spec) {
  std::ostringstream os;
  os << "experiment " << spec.name << " {\n";
  os << "  seed " << spec.seed << "\n  backend " << spec.backend << "\n";
  os << "  data " << spec.data.source << " { ";
  for (const auto& [k, a] : spec.data.args) os << k << " " << value_str(a.value) << " ";
  os << "}\n";
  for (const auto& m : spec.models) {
    os << "  model " << m.name << " = ";
    for (std::size_t i = 0; i < m.layers.size(); ++i)
      os << (i ? " -> " : "") << m.layers[i].kind << "(" << args_str(m.layers[i].args) << ")";
    if (!m.train_overrides.settings.empty() || !m.train_overrides.optimizer.empty()) {
      os << " {\n";
      train_block(os, m.train_overrides, "    ");
      os << "  }";
    }
    os << "\n";
  }
  os << "  train {\n";
  train_block(os, spec.train, "    ");
  os << "  }\n";
  if (!spec.sweep.empty()) {
    os << "  sweep {\n";
    for (const auto& a : spec.sweep) {
      os << "    " << a.key << ": [";
      for (std::size_t i = 0; i < a.values.size(); ++i)
        os << (i ? ", " : "") << value_str(a.values[i]);
      os << "]\n";
    }
    os << "  }\n";
  }
  os << "}\n";
  return os.str();
}

}  // namespace rnnlab
