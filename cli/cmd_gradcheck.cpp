// rnnlab gradcheck CELL: runs the cell conformance suite (conformance.h) on one loaded cell and
// prints its report, for plugin authors.
#include <algorithm>
#include <cstdlib>
#include <iostream>

#include "cli_common.h"

#include "rnnlab/conformance.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab gradcheck CELL [--set KEY=VALUE]... [options]\n"
    "\n"
    "Runs the conformance checks of a loaded cell in float64 on the CPU: schema, shapes,\n"
    "finite-difference gradients (composed, fused and compiled), fused == composed,\n"
    "compiled == composed, masking, stateful carry and determinism. KEY=VALUE are the cell's\n"
    "own parameters (see rnnlab cells).\n"
    "\n"
    "exit status: 0 every check passed, 1 a check failed, 2 bad input (an unknown cell or\n"
    "parameter, a value out of range, an ambiguous cell: see --cell-from)";

// "hidden=8" -> {"hidden", 8}, typed by the cell's schema (a key it does not know is typed by
// its spelling and left for the schema check to report).
std::pair<std::string, ParamValue> parse_set(const std::string& kv, const CellType& cell) {
  const std::size_t eq = kv.find('=');
  if (eq == std::string::npos || eq == 0)
    throw UsageError("rnnlab gradcheck: --set expects KEY=VALUE, found '" + kv + "'");
  const std::string key = kv.substr(0, eq), text = kv.substr(eq + 1);
  const ParamSpec* spec = nullptr;
  for (const auto& s : cell.schema)
    if (s.name == key) spec = &s;
  auto as_int = [&](int64_t* out) {
    char* end = nullptr;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (text.empty() || *end) return false;
    *out = v;
    return true;
  };
  auto as_real = [&](double* out) {
    char* end = nullptr;
    double v = std::strtod(text.c_str(), &end);
    if (text.empty() || *end) return false;
    *out = v;
    return true;
  };
  int64_t i;
  double d;
  const ParamType type = spec ? spec->type : ParamType::string;
  if (type == ParamType::integer || (!spec && as_int(&i))) {
    if (!as_int(&i))
      throw InputError("--set " + kv + ": parameter '" + key + "' of cell '" + cell.name +
                       "' takes an integer");
    return {key, i};
  }
  if (type == ParamType::real || (!spec && as_real(&d))) {
    if (as_int(&i)) return {key, static_cast<double>(i)};
    if (!as_real(&d))
      throw InputError("--set " + kv + ": parameter '" + key + "' of cell '" + cell.name +
                       "' takes a real number");
    return {key, d};
  }
  if (type == ParamType::boolean || (!spec && (text == "true" || text == "false"))) {
    if (text != "true" && text != "false")
      throw InputError("--set " + kv + ": parameter '" + key + "' of cell '" + cell.name +
                       "' takes true or false");
    return {key, text == "true"};
  }
  return {key, text};
}

}  // namespace

int cmd_gradcheck(const Args& args) {
  po::options_description opts("options");
  std::string cell;
  std::vector<std::string> sets, plugin_dirs, cell_from;
  ConformanceOptions co;
  uint64_t seed = co.seed;
  opts.add_options()
      ("set", po::value(&sets)->composing(), "cell parameter KEY=VALUE (repeatable)")
      ("input", po::value(&co.input)->default_value(co.input), "input size I")
      ("hidden", po::value(&co.hidden)->default_value(co.hidden),
       "hidden size when the cell has a `hidden` parameter not given by --set")
      ("steps", po::value(&co.steps)->default_value(co.steps), "sequence length T")
      ("batch", po::value(&co.batch)->default_value(co.batch), "batch size B")
      ("seed", po::value(&seed)->default_value(seed), "seed of the random parameters and data")
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable)")
      ("cell-from", po::value(&cell_from)->composing(), kCellFromHelp);
  po::options_description hidden;
  hidden.add_options()("cell", po::value(&cell), "cell name");
  po::positional_options_description pos;
  pos.add("cell", 1);
  po::variables_map vm;
  if (!parse("gradcheck", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  require_positional("gradcheck", vm, "cell", "the cell name (see rnnlab cells)");
  if (co.input < 1 || co.hidden < 1 || co.steps < 1 || co.batch < 1)
    throw UsageError("rnnlab gradcheck: --input, --hidden, --steps and --batch must be >= 1");
  co.seed = seed;
  auto plugins = load_plugins(plugin_dirs, cell_from);
  const CellType& type = plugins->cells.get(cell);  // InputError with "did you mean"
  std::map<std::string, ParamValue> params;
  for (const auto& kv : sets) params.insert(parse_set(kv, type));
  // A parameter the cell does not have, or a bad value, is the user's typo: exit 2 with the
  // schema's message, not a "does not conform" from inside the suite.
  {
    const std::vector<ParamSpec> schema = plugins->cells.schema_for(cell, params);
    std::vector<std::string> known;
    for (const ParamSpec& s : schema) known.push_back(s.name);
    for (const auto& [key, value] : params) {
      const auto spec = std::find_if(schema.begin(), schema.end(),
                                     [&](const ParamSpec& s) { return s.name == key; });
      if (spec == schema.end()) {
        std::string msg = "--set " + key + "=...: cell '" + cell + "' has no parameter '" + key + "'";
        const std::string near = closest_name(key, known);
        if (!near.empty()) msg += " (did you mean '" + near + "'?)";
        std::string all;
        for (const auto& k : known) all += (all.empty() ? "" : ", ") + k;
        throw InputError(msg + "; its parameters: " + (all.empty() ? "none" : all));
      }
      if (const std::string err = check_param_value(*spec, value); !err.empty())
        throw InputError("--set " + key + "=" + param_value_str(value) + ": parameter '" + key +
                         "' of cell '" + cell + "': " + err);
    }
  }
  ConformanceReport report = run_conformance(plugins->cells, cell, params, co);
  std::cout << conformance_table(report);
  std::cout << "cell " << cell << ": " << (report.passed() ? "all checks passed" : "FAILED")
            << "\n";
  return report.passed() ? kExitOk : kExitRunFailed;
}

}  // namespace rnnlab::cli
