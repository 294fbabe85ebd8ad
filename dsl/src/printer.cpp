// print(): the canonical .rnn text of a spec. One statement per line, arguments by name,
// reals with a '.' or an exponent, words bare and other strings quoted, train settings with
// loss and optimizer first; compile_text(print(spec)) gives the same spec back.
#include "internal.h"

namespace rnnlab::dsl {

namespace {

std::string args_text(const ArgMap& args) {
  std::string out;
  for (const auto& [name, arg] : args)
    out += (out.empty() ? "" : ", ") + name + ": " + detail::literal(arg.value);
  return out;
}

std::string train_text(const TrainSpec& t) {
  std::string out;
  if (auto it = t.settings.find("loss"); it != t.settings.end())
    out += " loss " + detail::literal(it->second.value);
  if (!t.optimizer.empty()) {
    out += " optimizer " + t.optimizer;
    if (!t.optimizer_args.empty()) out.append("(").append(args_text(t.optimizer_args)).append(")");
  }
  for (const auto& [key, arg] : t.settings)
    if (key != "loss") out += " " + key + " " + detail::literal(arg.value);
  return "{" + out + " }";
}

}  // namespace

std::string print(const ExperimentSpec& spec) {
  std::string out = "experiment " + spec.name + " {\n";
  out += "  seed " + std::to_string(spec.seed) + "\n";
  out += "  backend " + detail::literal(spec.backend) + "\n";
  out += "  data " + spec.data.source;
  if (!spec.data.args.empty()) {
    out += " {";
    for (const auto& [key, arg] : spec.data.args)
      out += " " + key + " " + detail::literal(arg.value);
    out += " }";
  }
  out += "\n";
  for (const auto& m : spec.models) {
    out += "  model " + m.name + " =";
    for (std::size_t i = 0; i < m.layers.size(); ++i) {
      const LayerSpec& l = m.layers[i];
      out += (i ? " -> " : " ") + l.kind;
      if (!l.args.empty()) out.append("(").append(args_text(l.args)).append(")");
    }
    const TrainSpec& o = m.train_overrides;
    if (!o.settings.empty() || !o.optimizer.empty()) out.append(" ").append(train_text(o));
    out += "\n";
  }
  out += "  train " + train_text(spec.train) + "\n";
  if (!spec.sweep.empty()) {
    out += "  sweep {\n";
    for (const auto& axis : spec.sweep) {
      out += "    " + axis.key + ": [";
      for (std::size_t i = 0; i < axis.values.size(); ++i)
        out += (i ? ", " : "") + detail::literal(axis.values[i]);
      out += "]\n";
    }
    out += "  }\n";
  }
  return out + "}\n";
}

}  // namespace rnnlab::dsl
