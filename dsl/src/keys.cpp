// Dotted keys, shared by sweep axes and --set overrides:
//   seed | backend | data.P | train.P | train.loss | train.optimizer | train.optimizer.P
//   | model.M.P (M's first cell) | model.M.layerK.P | model.M.train.P
// resolve_key finds what a key names and its schema entry, reporting a bad part at its column.
// apply_overrides parses each "key=value" with the value grammar and writes it into the spec
// (steps and epochs replace each other); the checks then see it like any written value.
#include <algorithm>
#include <cctype>

#include "internal.h"

namespace rnnlab::dsl::detail {

namespace {

const char* kKeyForms =
    "keys: seed, backend, data.PARAM, train.PARAM, train.optimizer.PARAM, model.NAME.PARAM, "
    "model.NAME.layerN.PARAM, model.NAME.train.PARAM";

struct Part {
  std::string text;
  std::size_t offset;
};

std::vector<Part> split(const std::string& key) {
  std::vector<Part> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t dot = key.find('.', start);
    parts.push_back({key.substr(start, dot - start), start});
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return parts;
}

const ParamSpec* find_spec(const std::vector<ParamSpec>& schema, const std::string& name) {
  for (const auto& s : schema)
    if (s.name == name) return &s;
  return nullptr;
}

std::vector<std::string> names_of(const std::vector<ParamSpec>& schema) {
  std::vector<std::string> out;
  for (const auto& s : schema) out.push_back(s.name);
  return out;
}

// A train setting of `t` (the experiment's or a model's overrides).
std::optional<KeyTarget> train_key(Compiler& c, TrainSpec& t, const std::vector<Part>& p,
                                   std::size_t i, const SourceLoc& loc) {
  const Catalog& cat = c.catalog;
  const SourceLoc at = ParsedFile::shifted(loc, p[i].offset);
  KeyTarget k;
  k.args = &t.settings;
  k.train = &t;
  k.name = p[i].text;
  if (p.size() == i + 1) {
    if (p[i].text == "loss") {
      k.spec = loss_spec(cat);
      return k;
    }
    if (p[i].text == "optimizer") {
      k.kind = KeyTarget::Kind::optimizer;
      k.spec = optimizer_spec(cat);
      return k;
    }
    if (const ParamSpec* s = find_spec(cat.train_settings(), p[i].text)) {
      k.spec = *s;
      return k;
    }
    std::vector<std::string> known = names_of(cat.train_settings());
    if (!find_spec(cat.train_settings(), "loss")) known.push_back("loss");
    known.push_back("optimizer");
    c.sink.error(at, "unknown train setting " + sq(p[i].text),
                 suggest(p[i].text, known, "train settings"));
    return std::nullopt;
  }
  if (p.size() == i + 2 && p[i].text == "optimizer") {
    std::string opt_name = t.optimizer.empty() ? c.spec.train.optimizer : t.optimizer;
    if (opt_name.empty()) opt_name = "adam";  // the runner's default
    const SchemaEntry* opt = cat.find_optimizer(opt_name);
    if (!opt) return std::nullopt;  // reported by the checks
    const SourceLoc pat = ParsedFile::shifted(loc, p[i + 1].offset);
    if (const ParamSpec* s = find_spec(opt->schema, p[i + 1].text)) {
      k.args = &t.optimizer_args;
      k.train = nullptr;
      k.name = p[i + 1].text;
      k.spec = *s;
      return k;
    }
    c.sink.error(pat, "unknown parameter " + sq(p[i + 1].text) + " of optimizer " + sq(opt_name),
                 suggest(p[i + 1].text, names_of(opt->schema),
                         "parameters of optimizer " + sq(opt_name)));
    return std::nullopt;
  }
  c.sink.error(loc, "unknown key", {kKeyForms});
  return std::nullopt;
}

std::optional<KeyTarget> layer_key(Compiler& c, LayerSpec& layer, const Part& p,
                                   const SourceLoc& loc, const std::string& where) {
  const auto schema = layer_schema(c.catalog, layer);
  if (!schema) return std::nullopt;  // unknown kind: reported by the checks
  const ParamSpec* s = find_spec(*schema, p.text);
  if (!s) {
    c.sink.error(ParsedFile::shifted(loc, p.offset),
                 "unknown parameter " + sq(p.text) + " of " + layer.kind + " (" + where + ")",
                 suggest(p.text, names_of(*schema), "parameters of " + layer.kind));
    return std::nullopt;
  }
  KeyTarget k;
  k.args = &layer.args;
  k.name = p.text;
  k.spec = *s;
  return k;
}

std::optional<KeyTarget> model_key(Compiler& c, const std::vector<Part>& p, const SourceLoc& loc) {
  if (p.size() < 3) {
    c.sink.error(loc, "unknown key", {kKeyForms});
    return std::nullopt;
  }
  auto& models = c.spec.models;
  auto it = std::find_if(models.begin(), models.end(),
                         [&](const ModelSpec& m) { return m.name == p[1].text; });
  if (it == models.end()) {
    std::vector<std::string> names;
    for (const auto& m : models) names.push_back(m.name);
    c.sink.error(ParsedFile::shifted(loc, p[1].offset), "unknown model " + sq(p[1].text),
                 suggest(p[1].text, names, "models"));
    return std::nullopt;
  }
  ModelSpec& m = *it;
  if (p.size() >= 4 && p[2].text == "train") return train_key(c, m.train_overrides, p, 3, loc);
  if (p.size() == 3) {
    for (std::size_t i = 0; i < m.layers.size(); ++i)
      if (is_cell(c.catalog, m.layers[i].kind))
        return layer_key(c, m.layers[i], p[2], loc,
                         "layer " + std::to_string(i) + " of model " + sq(m.name));
    c.sink.error(ParsedFile::shifted(loc, p[2].offset),
                 "model " + sq(m.name) + " has no cell to take " + sq(p[2].text),
                 {"name the layer: model." + m.name + ".layerN." + p[2].text});
    return std::nullopt;
  }
  const std::string& l = p[2].text;
  const bool layer_form = p.size() == 4 && l.size() > 5 && l.rfind("layer", 0) == 0 &&
                          std::all_of(l.begin() + 5, l.end(),
                                      [](char ch) { return std::isdigit((unsigned char)ch); });
  if (!layer_form) {
    c.sink.error(ParsedFile::shifted(loc, p[2].offset), "unknown key part " + sq(l),
                 {"after model." + m.name + " comes PARAM, layerN.PARAM or train.PARAM"});
    return std::nullopt;
  }
  const std::size_t idx = l.size() > 12 ? models.size() + m.layers.size()
                                        : static_cast<std::size_t>(std::stoull(l.substr(5)));
  if (idx >= m.layers.size()) {
    c.sink.error(ParsedFile::shifted(loc, p[2].offset),
                 "model " + sq(m.name) + " has no " + l,
                 {"its layers are layer0..layer" + std::to_string(m.layers.size() - 1)});
    return std::nullopt;
  }
  return layer_key(c, m.layers[idx], p[3], loc, l + " of model " + sq(m.name));
}

std::string trim(const std::string& s) {
  std::size_t a = 0, b = s.size();
  while (a < b && std::isspace(static_cast<unsigned char>(s[a]))) ++a;
  while (b > a && std::isspace(static_cast<unsigned char>(s[b - 1]))) --b;
  return s.substr(a, b - a);
}

bool valid_key(const std::string& key) {
  if (key.empty() || key.front() == '.' || key.back() == '.') return false;
  for (std::size_t i = 0; i < key.size(); ++i) {
    const char ch = key[i];
    if (ch == '.' && key[i + 1] == '.') return false;
    if (!(std::isalnum(static_cast<unsigned char>(ch)) || ch == '_' || ch == '.')) return false;
  }
  return true;
}

}  // namespace

std::optional<KeyTarget> resolve_key(Compiler& c, const std::string& key, const SourceLoc& loc) {
  const auto p = split(key);
  KeyTarget k;
  if (p.size() == 1 && p[0].text == "seed") {
    k.kind = KeyTarget::Kind::seed;
    k.spec = seed_spec();
    return k;
  }
  if (p.size() == 1 && p[0].text == "backend") {
    k.kind = KeyTarget::Kind::backend;
    k.spec = backend_spec();
    return k;
  }
  if (p[0].text == "train" && p.size() >= 2) return train_key(c, c.spec.train, p, 1, loc);
  if (p[0].text == "model") return model_key(c, p, loc);
  if (p[0].text == "data" && p.size() == 2) {
    const DataSourceType* src = c.catalog.find_data_source(c.spec.data.source);
    if (!src) {
      if (!c.has_data) c.sink.error(loc, "there is no data block to set " + sq(p[1].text) + " in");
      return std::nullopt;
    }
    if (const ParamSpec* s = find_spec(src->entry.schema, p[1].text)) {
      k.args = &c.spec.data.args;
      k.name = p[1].text;
      k.spec = *s;
      return k;
    }
    c.sink.error(ParsedFile::shifted(loc, p[1].offset),
                 "unknown parameter " + sq(p[1].text) + " of data source " +
                     sq(c.spec.data.source),
                 suggest(p[1].text, names_of(src->entry.schema),
                         "parameters of data source " + sq(c.spec.data.source)));
    return std::nullopt;
  }
  std::vector<std::string> notes;
  const std::string near = closest_name(p[0].text, {"seed", "backend", "data", "train", "model"});
  if (!near.empty() && near != p[0].text) notes.push_back("did you mean " + sq(near) + "?");
  notes.push_back(kKeyForms);
  c.sink.error(loc, "unknown key " + sq(key), notes);
  return std::nullopt;
}

void apply_overrides(Compiler& c, const std::vector<std::string>& overrides) {
  if (overrides.empty()) return;
  std::string text;
  for (std::size_t i = 0; i < overrides.size(); ++i) {
    std::string o = overrides[i];
    std::replace(o.begin(), o.end(), '\n', ' ');
    text += (i ? "\n" : "") + o;
  }
  c.files.push_back(std::make_unique<ParsedFile>("<--set>", text));
  ParsedFile& f = *c.files.back();
  std::size_t base = 0;
  for (std::size_t i = 0; i < overrides.size(); base += overrides[i].size() + 1, ++i) {
    const std::size_t line_end = base + overrides[i].size();
    const std::string s = text.substr(base, overrides[i].size());
    const std::size_t eq = s.find('=');
    if (eq == std::string::npos) {
      c.sink.error(f.loc_at(base + s.size()), "expected '=' in KEY=VALUE",
                   {"e.g. --set train.batch=32"});
      continue;
    }
    const std::string key = trim(s.substr(0, eq));
    std::size_t key_start = 0;
    while (key_start < eq && std::isspace(static_cast<unsigned char>(s[key_start]))) ++key_start;
    const SourceLoc key_loc = f.loc_at(base + key_start);
    if (!valid_key(key)) {
      c.sink.error(key_loc, "expected a key such as train.batch before '='", {kKeyForms});
      continue;
    }
    const auto target = resolve_key(c, key, key_loc);
    if (!target) continue;
    std::size_t vstart = base + eq + 1;
    while (vstart < line_end && std::isspace(static_cast<unsigned char>(text[vstart]))) ++vstart;
    ast::value parsed;
    std::size_t err = 0;
    std::optional<LocatedValue> v;
    if (parse_value(text, vstart, line_end, parsed, f.tag_offsets, err)) {
      v = single_value(parsed, f, c.sink, f.loc_at(vstart));
      if (!v) continue;
    } else if (target->spec.type == ParamType::string || target->spec.type == ParamType::choice) {
      v = LocatedValue{trim(text.substr(vstart, line_end - vstart)), f.loc_at(vstart)};
    } else {
      c.sink.error(f.loc_at(std::min(err, line_end)),
                   "expected a value after '=' (a number, string, true/false or name)");
      continue;
    }
    switch (target->kind) {
      case KeyTarget::Kind::seed:
      case KeyTarget::Kind::backend:
        c.add_arg(c.top, key, ArgSpec{v->value, v->loc}, key_loc);
        break;
      case KeyTarget::Kind::optimizer: {
        ParamValue value = v->value;
        if (check_value(c.sink, target->spec, value, "optimizer", v->loc)) {
          c.spec.train.optimizer = std::get<std::string>(value);
          c.spec.train.optimizer_loc = v->loc;
        }
        break;
      }
      case KeyTarget::Kind::arg:
        if (target->train && target->name == "steps") target->train->settings.erase("epochs");
        if (target->train && target->name == "epochs") target->train->settings.erase("steps");
        c.add_arg(*target->args, target->name, ArgSpec{v->value, v->loc}, key_loc);
        break;
    }
  }
}

}  // namespace rnnlab::dsl::detail
