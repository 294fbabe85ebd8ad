// Dotted keys of sweep axes and --set overrides. What a key names is rnnlab::resolve_key's
// (rnnlab/spec_keys.h, shared with the runner, so `rnnlab check` and `rnnlab run` agree): here
// its KeyError becomes a diagnostic at the bad part's column. apply_overrides parses each
// "key=value" with the value grammar and writes it into the spec by the same module's rules
// (steps and epochs replace each other, another optimizer drops the old one's arguments); the
// checks then see it like any written value.
#include <algorithm>
#include <cctype>

#include "internal.h"

namespace rnnlab::dsl::detail {

namespace {

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
  KeyResolution r = rnnlab::resolve_key(c.spec, key, c.catalog);
  if (r.error) {
    c.sink.error(ParsedFile::shifted(loc, r.error->offset), r.error->message, r.error->notes);
    return std::nullopt;
  }
  if (!r.target->spec) return std::nullopt;  // its owner is unknown: reported by the checks
  return r.target;
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
    } else if (target->spec->type == ParamType::string ||
               target->spec->type == ParamType::choice) {
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
        if (check_value(c.sink, *target->spec, value, "optimizer", v->loc)) {
          set_optimizer(*target->train, std::get<std::string>(value), v->loc);
          target->train->optimizer_loc = v->loc;
        }
        break;
      }
      case KeyTarget::Kind::arg:
        c.name_loc[&write_key_arg(*target, ArgSpec{v->value, v->loc})] = key_loc;
        break;
    }
  }
}

}  // namespace rnnlab::dsl::detail
