// describe_spec and spec_literal: the canonical .rnn text of a spec (format in spec_text.h).
#include "rnnlab/spec_text.h"

#include <cctype>

namespace rnnlab {

namespace {

std::string args_text(const ArgMap& args) {
  std::string out;
  for (const auto& [name, arg] : args)
    out += (out.empty() ? "" : ", ") + name + ": " + spec_literal(arg.value);
  return out;
}

std::string train_text(const TrainSpec& t) {
  std::string out;
  if (auto it = t.settings.find("loss"); it != t.settings.end())
    out += " loss " + spec_literal(it->second.value);
  if (!t.optimizer.empty()) {
    out += " optimizer " + t.optimizer;
    if (!t.optimizer_args.empty()) out.append("(").append(args_text(t.optimizer_args)).append(")");
  }
  for (const auto& [key, arg] : t.settings)
    if (key != "loss") out += " " + key + " " + spec_literal(arg.value);
  return "{" + out + " }";
}

}  // namespace

std::string spec_literal(const ParamValue& v) {
  const auto* s = std::get_if<std::string>(&v);
  if (!s) return param_value_str(v);
  bool ident = !s->empty() && (std::isalpha(static_cast<unsigned char>((*s)[0])) || (*s)[0] == '_');
  for (char ch : *s) ident = ident && (std::isalnum(static_cast<unsigned char>(ch)) || ch == '_');
  if (ident && *s != "true" && *s != "false") return *s;
  std::string out = "\"";
  for (char ch : *s) {
    if (ch == '"' || ch == '\\') out += '\\';
    if (ch == '\n') {
      out += "\\n";
      continue;
    }
    if (ch == '\t') {
      out += "\\t";
      continue;
    }
    out += ch;
  }
  return out + "\"";
}

std::string describe_spec(const ExperimentSpec& spec) {
  std::string out = "experiment " + spec.name + " {\n";
  out += "  seed " + std::to_string(spec.seed) + "\n";
  out += "  backend " + spec_literal(spec.backend) + "\n";
  out += "  data " + spec.data.source;
  if (!spec.data.args.empty()) {
    out += " {";
    for (const auto& [key, arg] : spec.data.args)
      out += " " + key + " " + spec_literal(arg.value);
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
        out += (i ? ", " : "") + spec_literal(axis.values[i]);
      out += "]\n";
    }
    out += "  }\n";
  }
  return out + "}\n";
}

}  // namespace rnnlab
