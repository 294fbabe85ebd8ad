// Shared internals of the .rnn compiler (not installed): the diagnostic sink, literal
// conversion (values.cpp), key resolution for sweeps and --set (keys.cpp), schema checks
// (check.cpp) and the state the compiler builds up (Compiler).
#pragma once

#include <cstddef>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ast.h"
#include "parser.h"
#include "rnnlab/dsl/compile.h"
#include "rnnlab/spec_keys.h"

namespace rnnlab::dsl::detail {

constexpr std::size_t kMaxErrors = 20;      // reported per compile
constexpr std::size_t kMaxCollected = 200;  // collected before sorting into source order
constexpr std::size_t kMaxRangeValues = 10000;

// Collects errors (at most kMaxErrors).
struct Sink {
  std::vector<Diagnostic> diags;
  void error(const SourceLoc& loc, std::string message, std::vector<std::string> notes = {});
  bool full() const { return diags.size() >= kMaxCollected; }
};

std::string join(const std::vector<std::string>& v, const std::string& sep = ", ");
std::string sq(const std::string& s);  // 'x'
// suggest(), the "did you mean" notes, is rnnlab::suggest (rnnlab/spec_keys.h).

// ---- values.cpp: literals -> ParamValue
struct LocatedValue {
  ParamValue value;
  SourceLoc loc;
};
SourceLoc loc_of(const ast::value& v, const ParsedFile& f, const SourceLoc& fallback);
// A single scalar (lists and ranges are errors: they belong in a sweep).
std::optional<LocatedValue> single_value(const ast::value& v, const ParsedFile& f, Sink& sink,
                                         const SourceLoc& fallback);
// A scalar, a list or an expanded range: the values of a sweep axis.
std::optional<std::vector<LocatedValue>> value_list(const ast::value& v, const ParsedFile& f,
                                                    Sink& sink, const SourceLoc& fallback);

// ---- the compiler's state while it builds and checks one spec
struct Compiler {
  explicit Compiler(const Catalog& c) : catalog(c) {}
  const Catalog& catalog;
  Sink sink;
  std::vector<std::unique_ptr<ParsedFile>> files;  // [0] = main file; "<--set>" last
  ExperimentSpec spec;
  SourceLoc experiment_loc, train_loc;
  bool has_experiment = false, has_data = false, has_train = false;
  ArgMap top;                                    // "seed", "backend" as written
  std::map<const ArgSpec*, SourceLoc> name_loc;  // where each argument's name was written
  std::vector<std::vector<SourceLoc>> sweep_value_locs;  // per axis, per value
  struct Stmt {
    const ast::item* item;
    const ParsedFile* file;
    int scope;  // statements of one block scope (a file's top level, the experiment)
  };
  std::vector<Stmt> stmts;  // every statement, includes expanded in place
  int next_scope = 0;

  void add_arg(ArgMap& args, const std::string& name, ArgSpec value, const SourceLoc& name_at);
  SourceLoc name_loc_of(const ArgSpec& a) const;
};

// ---- schemas (check.cpp); a layer's schema, is_cell and the seed/backend/loss/optimizer
// schemas are rnnlab's (rnnlab/spec_keys.h), shared with the runner.
// Checks args against a schema: unknown names, bad values (normalised: integers given for
// reals become reals), missing required ones. `owner` names it in messages ("lstm").
void check_args(Compiler& c, ArgMap& args, const std::vector<ParamSpec>& schema,
                const std::string& owner, const SourceLoc& owner_loc);
// Reports a value that fails its spec at `loc` (the "did you mean" goes into a note).
bool check_value(Sink& sink, const ParamSpec& spec, ParamValue& v, const std::string& what,
                 const SourceLoc& loc);
void check_spec(Compiler& c);  // everything: data, models, shapes, train, sweep

// ---- keys.cpp: sweep and --set keys, resolved by rnnlab::resolve_key (rnnlab/spec_keys.h).
// The target of `key` (written at `loc`), or nullopt: a bad key is reported at its bad part;
// a key whose owner is unknown (a layer kind, optimizer, data source) is left to the checks.
std::optional<KeyTarget> resolve_key(Compiler& c, const std::string& key, const SourceLoc& loc);
void apply_overrides(Compiler& c, const std::vector<std::string>& overrides);

// ---- build.cpp: items -> spec (positional args resolved, merges across includes)
void load_file(Compiler& c, const std::string& path, const std::string& text,
               std::vector<std::string>& include_stack);
void build_spec(Compiler& c);

}  // namespace rnnlab::dsl::detail
