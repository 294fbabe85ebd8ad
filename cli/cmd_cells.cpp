// rnnlab cells: the loaded cell plugins (name, version, file) and every cell's parameter
// schema; --json for tools. A cell that several plugins register is listed under each of them,
// marked ambiguous; -v adds every directory searched, in order, and the loader's notes.
#include <iostream>
#include <sstream>

#include "cli_common.h"
#include "report_format.h"  // json_str, json_num
#include "rnnlab/cell_params.h"
#include "rnnlab/step_compiler.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab cells [--json] [-v] [--plugin-path DIR]... [--cell-from CELL=PLUGIN]...\n"
    "\n"
    "Lists the cell plugins found on the plugin search path (--plugin-path, then\n"
    "$RNNLAB_PLUGIN_PATH, then the plugin folder of the rnnlab installation: <prefix>/lib/\n"
    "rnnlab/plugins beside the core library, or the build tree's plugins/) with each cell's\n"
    "parameters: name, type, default, range and a one-line description. A cell that two\n"
    "plugins register is shown under both, marked AMBIGUOUS (commands that use it fail until\n"
    "one is picked with --cell-from). Plugin files that cannot be loaded are listed as\n"
    "skipped. -v also prints every folder searched, in order, the loader's notes, and whether the\n"
    "step compiler compiles each cell's step (else why it falls back to composed).";

std::string json_value(const ParamValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) return json_str(*s);
  return param_value_str(v);
}

std::string range_text(const ParamSpec& p) {
  if (p.type == ParamType::choice) {
    std::string s;
    for (const auto& c : p.choices) s += (s.empty() ? "" : "|") + c;
    return s;
  }
  if (p.type != ParamType::integer && p.type != ParamType::real) return "";
  const bool lo = std::isfinite(p.min), hi = std::isfinite(p.max);
  auto num = [&](double x) {
    return p.type == ParamType::integer ? std::to_string(static_cast<int64_t>(x))
                                        : param_value_str(x);
  };
  std::string out;
  if (lo && hi) out.append("[").append(num(p.min)).append(", ").append(num(p.max)).append("]");
  else if (lo) out.append(">= ").append(num(p.min));
  else if (hi) out.append("<= ").append(num(p.max));
  return out;
}

// The plugin's own type of `cell` (for an ambiguous name the registry holds several).
const CellType* own_type(const Plugins& p, const std::string& cell, const std::string& file) {
  for (const CellType* c : p.cells.candidates(cell))
    if (c->file == file) return c;
  return nullptr;
}

void print_json(const Plugins& p) {
  std::cout << "{\"plugins\": [";
  bool first_plugin = true;
  for (const auto& lp : p.loader.plugins()) {
    std::cout << (first_plugin ? "" : ",") << "\n  {\"name\": " << json_str(lp.name)
              << ", \"version\": " << json_str(lp.version) << ", \"file\": "
              << json_str(lp.file) << ", \"cells\": [";
    first_plugin = false;
    bool first_cell = true;
    for (const auto& cname : lp.cells) {
      const CellType* c = own_type(p, cname, lp.file);
      if (!c) continue;
      std::cout << (first_cell ? "" : ",") << "\n    {\"name\": " << json_str(c->name)
                << ", \"doc\": " << json_str(c->doc) << ", \"ambiguous\": "
                << (p.cells.ambiguity(cname).empty() ? "false" : "true") << ", \"params\": [";
      first_cell = false;
      const std::vector<ParamSpec> schema = listed_schema(p.cells, *c);
      for (std::size_t i = 0; i < schema.size(); ++i) {
        const ParamSpec& s = schema[i];
        std::cout << (i ? ", " : "") << "\n      {\"name\": " << json_str(s.name)
                  << ", \"type\": \"" << param_type_name(s.type) << "\", \"required\": "
                  << (s.required ? "true" : "false") << ", \"default\": "
                  << (s.required ? "null" : json_value(s.default_value))
                  << ", \"min\": " << json_num(s.min) << ", \"max\": " << json_num(s.max)
                  << ", \"choices\": [";
        for (std::size_t k = 0; k < s.choices.size(); ++k)
          std::cout << (k ? ", " : "") << json_str(s.choices[k]);
        std::cout << "], \"doc\": " << json_str(s.doc) << "}";
      }
      std::cout << "]}";
    }
    std::cout << "]}";
  }
  std::cout << "\n], \"skipped\": [";
  for (std::size_t i = 0; i < p.loader.warnings().size(); ++i)
    std::cout << (i ? ", " : "") << json_str(p.loader.warnings()[i]);
  std::cout << "]}\n";
}

void print_text(const Plugins& p, bool verbose, const std::vector<std::string>& plugin_dirs) {
  if (verbose) {
    std::cout << "plugin folders searched, in order:\n";
    for (const PluginSearchDir& d : PluginLoader::search_dirs(plugin_dirs))
      std::cout << "  " << d.dir << "  (" << d.origin << ")" << (d.exists ? "" : "  [does not exist]")
                << "\n";
  }
  if (p.loader.plugins().empty()) std::cout << "no cell plugins found\n";
  for (const auto& lp : p.loader.plugins()) {
    std::cout << "plugin " << lp.name << " " << lp.version << "  (" << lp.file << ")\n";
    for (const auto& cname : lp.cells) {
      const CellType* c = own_type(p, cname, lp.file);
      if (!c) continue;
      std::cout << "  cell " << c->name << " — " << c->doc << "\n";
      if (const auto cands = p.cells.candidates(cname); cands.size() > 1) {
        std::cout << "    AMBIGUOUS: also registered by";
        for (const CellType* o : cands)
          if (o != c) std::cout << " plugin '" << o->plugin << "' (" << o->file << ")";
        std::cout << "; pick one with --cell-from " << cname << "=<plugin>\n";
      }
      if (verbose) {  // the step compiler's verdict for the default configuration
        std::string why, program;
        try {
          why = compile_check(p.cells, cname, {}, &program);
        } catch (const std::exception& e) {
          why = std::string("not checked: ") + e.what();
        }
        std::cout << "    step compiler: "
                  << (why.empty() ? "compiles (" + program + ")" : "composed (" + why + ")") << "\n";
        // Whether it is a linear recurrence the scan path runs (and which states), or why not.
        if (why.empty()) {
          std::string scan;
          try {
            scan = scan_check(p.cells, cname);
          } catch (const std::exception& e) {
            scan = std::string("scan not checked: ") + e.what();
          }
          std::cout << "    " << scan << "\n";
        }
      }
      for (const auto& s : listed_schema(p.cells, *c)) {
        std::string def = s.required ? "required" : "default " + param_value_str(s.default_value);
        std::string range = range_text(s);
        std::printf("    %-14s %-8s %-22s %-18s %s\n", s.name.c_str(), param_type_name(s.type),
                    def.c_str(), range.c_str(), s.doc.c_str());
      }
    }
  }
  for (const auto& w : p.loader.warnings()) std::cout << "warning: " << w << "\n";
  if (verbose)
    for (const auto& n : p.loader.notes()) std::cout << "note: " << n << "\n";
  std::fflush(stdout);
}

}  // namespace

int cmd_cells(const Args& args) {
  po::options_description opts("options");
  std::vector<std::string> plugin_dirs, cell_from;
  opts.add_options()
      ("json", "machine-readable output")
      ("verbose,v", "also print every plugin folder searched, in order, and the loader's notes")
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable)")
      ("cell-from", po::value(&cell_from)->composing(), kCellFromHelp);
  po::positional_options_description pos;
  po::variables_map vm;
  if (!parse("cells", kUsage, args, opts, po::options_description(), pos, vm)) return kExitOk;
  auto plugins = load_plugins(plugin_dirs, cell_from, /*quiet_warnings=*/true);
  if (vm.count("json"))
    print_json(*plugins);
  else
    print_text(*plugins, vm.count("verbose") > 0, plugin_dirs);
  return kExitOk;
}

}  // namespace rnnlab::cli
