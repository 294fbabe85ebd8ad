// Shared pieces of the rnnlab commands: option parsing with usage errors, plugin loading,
// the .rnn compiler bridge, --set parsing and the exit-code convention.
//
// Exit codes: 0 ok; 1 a run failed (or was interrupted); 2 bad input or usage.
#pragma once

#include <boost/program_options.hpp>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"
#include "rnnlab/plugin_loader.h"

namespace rnnlab::cli {

namespace po = boost::program_options;

constexpr int kExitOk = 0;
constexpr int kExitRunFailed = 1;
constexpr int kExitBadInput = 2;

// A wrong command line (unknown option, missing argument): exit 2 with a hint to --help.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An InputError's text as printed: one that points into a .rnn file (located_message.h) as a
// compiler diagnostic -- `file:line:col: error: message`, the source line and a caret -- the
// rest as `error: message`. Ends with a newline.
std::string render_input_error(const std::string& what);

// Bad input whose message is already rendered (compiler diagnostics): printed as is, exit 2.
class DiagnosticsError : public InputError {
 public:
  using InputError::InputError;
};

using Args = std::vector<std::string>;

// Parses `args` (the words after the command name) into `vm`: `visible` options are shown by
// --help (which parse adds), `hidden` ones hold the positional arguments. po errors become
// UsageError. Returns false (after printing `usage` and the options) when --help was given.
bool parse(const std::string& command, const std::string& usage, const Args& args,
           po::options_description& visible, const po::options_description& hidden,
           const po::positional_options_description& positional, po::variables_map& vm);

// The positional argument `name` of `vm`, or a UsageError "missing WHAT".
void require_positional(const std::string& command, const po::variables_map& vm,
                        const std::string& name, const std::string& what);

// The cell registry filled from the plugin search path (--plugin-path dirs first). Plugin
// files that cannot be loaded are skipped with a "warning: skipped plugin file ..." line on
// stderr each (unless `quiet_warnings`: `cells` prints them itself). `cell_from` holds the
// user's picks for ambiguous cells, "CELL=PLUGIN" (a plugin name or .so file), applied after
// those of $RNNLAB_CELL_FROM by apply_cell_picks (rnnlab/plugin_loader.h); a pick that
// matches nothing is an InputError.
struct Plugins {
  CellRegistry cells;
  PluginLoader loader;
};
std::unique_ptr<Plugins> load_plugins(const std::vector<std::string>& plugin_dirs,
                                      const std::vector<std::string>& cell_from = {},
                                      bool quiet_warnings = false);
// The --cell-from option's help text (one place for every command).
extern const char* const kCellFromHelp;

// The .rnn compiler (dsl/): compiles `path` with `overrides` ("key=value"). On errors throws
// DiagnosticsError holding the rendered diagnostics; warnings go to stderr (or to `rendered`).
// `rendered` (optional) receives the rendered diagnostics text.
ExperimentSpec compile_experiment(const std::string& path, const Catalog& catalog,
                                  const std::vector<std::string>& overrides,
                                  std::string* rendered = nullptr);
// The same for .rnn text that claims to come from `path` (relative paths resolve against its
// folder), e.g. a run file's /config/resolved.
ExperimentSpec compile_experiment_text(const std::string& text, const std::string& path,
                                       const Catalog& catalog);

// "0.1.0 (git abc1234)"
std::string version_string();
std::string git_sha();

// The commands (one file each).
int cmd_run(const Args& args);
int cmd_check(const Args& args);
int cmd_cells(const Args& args);
int cmd_report(const Args& args);
int cmd_gradcheck(const Args& args);
int cmd_predict(const Args& args);
int cmd_verify(const Args& args);
int cmd_suite(const Args& args);

}  // namespace rnnlab::cli
