// Shared pieces of the rnnlab commands (see cli_common.h).
#include "cli_common.h"

#include <fstream>
#include <iostream>
#include <sstream>

#include "rnnlab/dsl/compile.h"
#include "rnnlab/located_message.h"
#include "rnnlab/runner.h"
#include "rnnlab_git_sha.h"  // generated at build time (cli/CMakeLists.txt)

namespace rnnlab::cli {

bool parse(const std::string& command, const std::string& usage, const Args& args,
           po::options_description& visible, const po::options_description& hidden,
           const po::positional_options_description& positional, po::variables_map& vm) {
  visible.add_options()("help,h", "show this help");
  po::options_description all;
  all.add(visible).add(hidden);
  try {
    po::store(po::command_line_parser(args).options(all).positional(positional).run(), vm);
    if (vm.count("help")) {
      std::cout << usage << "\n\n" << visible << "\n";
      return false;
    }
    po::notify(vm);
  } catch (const po::error& e) {
    throw UsageError("rnnlab " + command + ": " + e.what() + "\nTry 'rnnlab " + command +
                     " --help'.");
  }
  return true;
}

void require_positional(const std::string& command, const po::variables_map& vm,
                        const std::string& name, const std::string& what) {
  if (!vm.count(name))
    throw UsageError("rnnlab " + command + ": missing " + what + "\nTry 'rnnlab " + command +
                     " --help'.");
}

const char* const kCellFromHelp =
    "CELL=PLUGIN: which plugin (its name or .so file) provides a cell that several plugins "
    "register (repeatable; also $RNNLAB_CELL_FROM=CELL=PLUGIN,...)";

std::unique_ptr<Plugins> load_plugins(const std::vector<std::string>& plugin_dirs,
                                      const std::vector<std::string>& cell_from,
                                      bool quiet_warnings) {
  auto p = std::make_unique<Plugins>();
  p->loader.load_search_path(plugin_dirs, p->cells);
  if (!quiet_warnings)
    for (const std::string& w : p->loader.warnings()) std::cerr << "warning: " << w << "\n";
  apply_cell_picks(p->cells, cell_from);
  return p;
}

namespace {
ExperimentSpec spec_or_throw(const dsl::CompileResult& r, const std::string& path,
                             std::string* rendered) {
  if (rendered) *rendered = r.rendered;
  if (!r.ok) {
    std::size_t errors = 0;
    for (const auto& d : r.diagnostics) errors += d.severity == dsl::Diagnostic::Severity::error;
    throw DiagnosticsError(r.rendered + (r.rendered.empty() || r.rendered.back() == '\n' ? "" : "\n") +
                     std::to_string(errors) + " error" + (errors == 1 ? "" : "s") + " in " + path);
  }
  if (!r.rendered.empty() && !rendered) std::cerr << r.rendered;
  return r.spec;
}
}  // namespace

ExperimentSpec compile_experiment(const std::string& path, const Catalog& catalog,
                                  const std::vector<std::string>& overrides,
                                  std::string* rendered) {
  return spec_or_throw(dsl::compile_file(path, catalog, overrides), path, rendered);
}

ExperimentSpec compile_experiment_text(const std::string& text, const std::string& path,
                                       const Catalog& catalog) {
  return spec_or_throw(dsl::compile_text(text, path, catalog), path, nullptr);
}

std::string git_sha() { return RNNLAB_GIT_SHA; }

std::string version_string() { return std::string(RNNLAB_VERSION) + " (git " + git_sha() + ")"; }

std::string render_input_error(const std::string& what) {
  const std::size_t nl = what.find('\n');
  const std::string first = what.substr(0, nl);
  const std::string rest = nl == std::string::npos ? "" : what.substr(nl + 1) + "\n";
  const auto located = split_loc_prefix(first);
  std::ifstream file(located ? located->loc.file : std::string());
  if (!located || !file) return "error: " + what + "\n";
  std::ostringstream text;
  text << file.rdbuf();
  dsl::Diagnostic d;
  d.loc = located->loc;
  d.message = located->message;
  return dsl::render(d, text.str()) + rest;
}

}  // namespace rnnlab::cli
