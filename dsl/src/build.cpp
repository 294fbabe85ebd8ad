// Items -> ExperimentSpec. Loads a file and its includes (resolved against the including
// file's folder; cycles and missing files are errors at the include), then folds every
// statement into the spec in source order:
//   seed/backend/data  a later scope (the experiment after an included file) replaces,
//                      twice in one scope is an error
//   train              merged by rnnlab::merge_train (rnnlab/spec_keys.h): key by key, steps
//                      and epochs replace each other, another optimizer replaces it with its
//                      arguments, the same one merges
//   model / sweep      appended; a duplicate model name or sweep key is an error
// Positional arguments are resolved here, against the schema of the layer or optimizer.
#include <filesystem>
#include <fstream>
#include <sstream>

#include "internal.h"

namespace rnnlab::dsl::detail {

namespace fs = std::filesystem;

namespace {

// A regular file of at most 16 MiB (not a folder, a FIFO or /dev/zero).
bool read_text(const std::string& path, std::string& out) {
  std::error_code ec;
  if (!fs::is_regular_file(path, ec) || fs::file_size(path, ec) > (16u << 20) || ec) return false;
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  out = ss.str();
  return true;
}

std::string canonical_key(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::path(path), ec);
  return ec ? fs::path(path).lexically_normal().string() : p.string();
}

std::string where(const SourceLoc& l) {
  return l.file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}

// Named and positional arguments of a call into `args`; positional ones take the schema's
// parameter names in order (`schema` is null when the callee is unknown: they are dropped, the
// unknown name is reported by the checks).
void call_args(Compiler& c, const ast::call& call, const ParsedFile& f, const SourceLoc& call_loc,
               ArgMap& args, const std::function<std::optional<std::vector<ParamSpec>>()>& schema,
               const std::string& callee) {
  if (!call.args) return;
  std::vector<std::pair<LocatedValue, const ast::arg*>> positional;
  bool named_seen = false;
  for (const ast::arg& a : *call.args) {
    const SourceLoc vloc = loc_of(a.val, f, call_loc);
    if (a.name) {
      named_seen = true;
      auto v = single_value(a.val, f, c.sink, call_loc);
      const SourceLoc nloc = f.loc(*a.name, vloc);
      if (args.count(a.name->name)) {
        c.sink.error(nloc, "argument " + sq(a.name->name) + " is given twice",
                     {"first given at " + where(c.name_loc_of(args.at(a.name->name)))});
        continue;
      }
      if (v) c.add_arg(args, a.name->name, ArgSpec{v->value, v->loc}, nloc);
    } else if (named_seen) {
      c.sink.error(vloc, "a positional argument cannot follow a named one",
                   {"write it as NAME: VALUE"});
    } else {
      auto v = single_value(a.val, f, c.sink, call_loc);
      if (v) positional.emplace_back(std::move(*v), &a);
    }
  }
  if (positional.empty()) return;
  const auto sch = schema();
  if (!sch) return;
  std::vector<std::string> names;
  for (const auto& p : *sch) names.push_back(p.name);
  for (std::size_t i = 0; i < positional.size(); ++i) {
    const SourceLoc& loc = positional[i].first.loc;
    if (i >= sch->size()) {
      c.sink.error(loc,
                   "too many arguments: " + sq(callee) + " takes at most " +
                       std::to_string(sch->size()),
                   {names.empty() ? callee + " takes no arguments"
                                  : "its parameters in order: " + join(names)});
      break;
    }
    const std::string& name = (*sch)[i].name;
    if (args.count(name)) {
      c.sink.error(loc, "argument " + sq(name) + " is given both by position and by name");
      continue;
    }
    c.add_arg(args, name, ArgSpec{positional[i].first.value, loc}, loc);
  }
}

void train_items(Compiler& c, const std::vector<ast::train_item>& items, const ParsedFile& f,
                 const SourceLoc& block_loc, TrainSpec& t) {
  for (const auto& item : items) {
    if (const auto* o = boost::get<ast::optimizer_item>(&item.get())) {
      const SourceLoc loc = f.loc(o->opt.name, f.loc(*o, block_loc));
      if (!t.optimizer.empty()) {
        c.sink.error(loc, "the optimizer is given twice in this block",
                     {"first given at " + where(t.optimizer_loc)});
        continue;
      }
      t.optimizer = o->opt.name.name;
      t.optimizer_loc = loc;
      const Catalog& cat = c.catalog;
      const std::string name = t.optimizer;
      call_args(c, o->opt, f, loc, t.optimizer_args,
                [&]() -> std::optional<std::vector<ParamSpec>> {
                  if (const auto* e = cat.find_optimizer(name)) return e->schema;
                  return std::nullopt;
                },
                name);
      continue;
    }
    const auto& s = boost::get<ast::setting>(item.get());
    const SourceLoc kloc = f.loc(s.key, f.loc(s, block_loc));
    if (t.settings.count(s.key.name)) {
      c.sink.error(kloc, sq(s.key.name) + " is given twice in this block",
                   {"first given at " + where(c.name_loc_of(t.settings.at(s.key.name)))});
      continue;
    }
    auto v = single_value(s.val, f, c.sink, kloc);
    if (v) c.add_arg(t.settings, s.key.name, ArgSpec{v->value, v->loc}, kloc);
  }
}

}  // namespace

void Compiler::add_arg(ArgMap& args, const std::string& name, ArgSpec value,
                       const SourceLoc& name_at) {
  ArgSpec& slot = args[name];
  slot = std::move(value);
  name_loc[&slot] = name_at;
}

SourceLoc Compiler::name_loc_of(const ArgSpec& a) const {
  auto it = name_loc.find(&a);
  return it == name_loc.end() ? a.loc : it->second;
}

void load_file(Compiler& c, const std::string& path, const std::string& text,
               std::vector<std::string>& include_stack) {
  std::vector<Diagnostic> errors;
  const std::size_t room = kMaxCollected - std::min(kMaxCollected, c.sink.diags.size());
  auto parsed = parse_file(path, text, errors, room);
  const bool parsed_ok = errors.empty();  // else structural errors would only be echoes
  for (auto& d : errors) c.sink.diags.push_back(std::move(d));
  const ParsedFile& f = *parsed;
  c.files.push_back(std::move(parsed));
  const bool is_main = include_stack.size() == 1;
  int scope = c.next_scope++;
  bool in_experiment = false, after_experiment = false;
  for (const ast::item& item : f.items) {
    if (const auto* inc = boost::get<ast::include_stmt>(&item.get())) {
      const SourceLoc loc = f.loc(inc->path, f.loc(*inc));
      if (in_experiment) {
        c.sink.error(loc, "include must come before the experiment, outside its braces");
        continue;
      }
      const fs::path target = fs::path(path).parent_path() / inc->path.text;
      const std::string tpath = target.lexically_normal().string();
      const std::string key = canonical_key(tpath);
      bool cycle = false;
      for (const auto& p : include_stack) cycle = cycle || canonical_key(p) == key;
      if (cycle) {
        std::vector<std::string> chain = include_stack;
        chain.push_back(tpath);
        c.sink.error(loc, "include cycle: " + join(chain, " -> "));
        continue;
      }
      std::string included;
      if (!read_text(tpath, included)) {
        c.sink.error(loc, "cannot open included file " + sq(inc->path.text),
                     {"looked for " + sq(tpath) + " (relative to the including file)"});
        continue;
      }
      include_stack.push_back(tpath);
      load_file(c, tpath, included, include_stack);
      include_stack.pop_back();
      continue;
    }
    if (const auto* e = boost::get<ast::experiment_open>(&item.get())) {
      const SourceLoc loc = f.loc(e->name, f.loc(*e));
      in_experiment = true;
      scope = c.next_scope++;
      if (!parsed_ok) continue;
      if (!is_main) {
        c.sink.error(loc, "an included file cannot declare an experiment",
                     {"included files hold shared blocks (data, train, model, ...)"});
      } else if (c.has_experiment) {
        c.sink.error(loc, "a file declares one experiment",
                     {"experiment " + sq(c.spec.name) + " is declared at " +
                      where(c.experiment_loc)});
      } else {
        c.has_experiment = true;
        c.spec.name = e->name.name;
        c.experiment_loc = loc;
      }
      continue;
    }
    if (const auto* b = boost::get<ast::close_brace>(&item.get())) {
      if (!in_experiment) {
        if (parsed_ok) c.sink.error(f.loc(*b), "unmatched '}'");
        continue;
      }
      in_experiment = false;
      after_experiment = true;
      continue;
    }
    if (after_experiment && !in_experiment && parsed_ok) {
      const SourceLoc loc = boost::apply_visitor(
          [&](const auto& n) { return f.loc(n); }, item.get());
      c.sink.error(loc, "statement after the end of the experiment",
                   {"move it inside the experiment's braces"});
      continue;
    }
    c.stmts.push_back({&item, &f, scope});
  }
}

void build_spec(Compiler& c) {
  std::map<std::string, std::pair<int, SourceLoc>> seen;  // seed/backend/data/train
  auto twice = [&](const std::string& what, int scope, const SourceLoc& loc) {
    auto it = seen.find(what);
    if (it != seen.end() && it->second.first == scope) {
      c.sink.error(loc, sq(what) + " is given twice",
                   {"first given at " + where(it->second.second)});
      return true;
    }
    seen[what] = {scope, loc};
    return false;
  };
  std::map<std::string, SourceLoc> sweep_keys;

  for (const auto& st : c.stmts) {
    const ParsedFile& f = *st.file;
    const ast::item& item = *st.item;
    if (const auto* s = boost::get<ast::simple_stmt>(&item.get())) {
      const SourceLoc loc = f.loc(*s);
      if (twice(s->keyword, st.scope, loc)) continue;
      auto v = single_value(s->val, f, c.sink, loc);
      if (v) c.add_arg(c.top, s->keyword, ArgSpec{v->value, v->loc}, loc);
    } else if (const auto* d = boost::get<ast::data_block>(&item.get())) {
      const SourceLoc loc = f.loc(d->source, f.loc(*d));
      if (twice("data", st.scope, f.loc(*d))) continue;
      c.has_data = true;
      c.spec.data = DataSpec{d->source.name, {}, loc};
      if (!d->settings) continue;
      for (const auto& s : *d->settings) {
        const SourceLoc kloc = f.loc(s.key, loc);
        if (c.spec.data.args.count(s.key.name)) {
          c.sink.error(kloc, sq(s.key.name) + " is given twice in this block",
                       {"first given at " + where(c.name_loc_of(c.spec.data.args.at(s.key.name)))});
          continue;
        }
        auto v = single_value(s.val, f, c.sink, kloc);
        if (v) c.add_arg(c.spec.data.args, s.key.name, ArgSpec{v->value, v->loc}, kloc);
      }
    } else if (const auto* m = boost::get<ast::model_decl>(&item.get())) {
      const SourceLoc loc = f.loc(m->name, f.loc(*m));
      bool dup = false;
      for (const auto& other : c.spec.models) {
        if (other.name != m->name.name) continue;
        c.sink.error(loc, "model " + sq(m->name.name) + " is defined twice",
                     {"first defined at " + where(other.loc)});
        dup = true;
      }
      if (dup) continue;
      c.spec.models.emplace_back();
      ModelSpec& model = c.spec.models.back();
      model.name = m->name.name;
      model.loc = loc;
      for (const auto& call : m->layers) {
        model.layers.emplace_back();
        LayerSpec& layer = model.layers.back();
        layer.kind = call.name.name;
        layer.loc = f.loc(call.name, f.loc(call, loc));
        const Catalog& cat = c.catalog;
        call_args(c, call, f, layer.loc, layer.args,
                  [&]() { return layer_schema_or_declared(cat, layer); }, layer.kind);
      }
      if (m->train) train_items(c, *m->train, f, loc, model.train_overrides);
    } else if (const auto* t = boost::get<ast::train_block>(&item.get())) {
      const SourceLoc loc = f.loc(*t);
      if (twice("train", st.scope, loc)) continue;
      if (!c.has_train) c.train_loc = loc;
      c.has_train = true;
      TrainSpec block;
      train_items(c, t->items, f, loc, block);
      // A later block over an earlier one (an included file's), by merge_train's rules.
      merge_train(c.spec.train, block, [&](ArgSpec& slot, const ArgSpec& from) {
        c.name_loc[&slot] = c.name_loc_of(from);
      });
    } else if (const auto* s = boost::get<ast::sweep_block>(&item.get())) {
      for (const auto& entry : s->items) {
        const SourceLoc kloc = f.loc(entry.key, f.loc(*s));
        if (auto it = sweep_keys.find(entry.key.text); it != sweep_keys.end()) {
          c.sink.error(kloc, "sweep key " + sq(entry.key.text) + " is given twice",
                       {"first given at " + where(it->second)});
          continue;
        }
        sweep_keys[entry.key.text] = kloc;
        auto values = value_list(entry.val, f, c.sink, kloc);
        if (!values) continue;
        SweepAxis axis{entry.key.text, {}, kloc};
        std::vector<SourceLoc> locs;
        for (auto& v : *values) {
          axis.values.push_back(std::move(v.value));
          locs.push_back(v.loc);
        }
        c.spec.sweep.push_back(std::move(axis));
        c.sweep_value_locs.push_back(std::move(locs));
      }
    }
  }
}

}  // namespace rnnlab::dsl::detail
