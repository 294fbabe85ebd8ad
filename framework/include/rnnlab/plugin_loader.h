// Loading cell plugins (shared objects built with rnnlab_add_plugin, see plugin_api.h).
//
// load(file) opens one plugin and checks it, in order, each failure an InputError naming the
// file: the file exists; it survives a probe load in a child process (see "Checked loading");
// dlopen(RTLD_NOW|RTLD_LOCAL) succeeds (the dlerror() text is quoted, e.g. "invalid ELF
// header" for a file that is not a shared object); it exports `rnnlab_plugin_entry`; the entry
// returns non-null; api_version equals RNNLAB_PLUGIN_API_VERSION ("plugin X was built for
// plugin API version N, this rnnlab provides M"); struct_size matches; name, version and
// register_cells are set; core_version (the rnnlab version whose headers the plugin was built
// with) has this core's major.minor. Then register_cells runs against a scratch registry (an
// exception from it, e.g. a cell declared twice, becomes an InputError naming the file) and
// the cells are merged into the caller's registry only if none clashes with a cell already
// there (the message names both plugins and both files). A failed load leaves the registry
// unchanged. Loading the same file twice (same canonical path) is a no-op returning the first
// result.
//
// Checked loading. dlopen runs the plugin's static constructors inside this process, so a
// plugin that calls abort(), crashes or exit()s while loading would kill every command, with no
// word about which file did it. Before a file is dlopen'ed here, it is therefore loaded once in a
// fork()ed child process that does exactly what the real load does (dlopen, the entry point,
// the checks, register_cells into a scratch registry) and reports its progress through a pipe.
// A file during which the child dies (a crash signal such as SIGABRT or SIGSEGV, exit(), or no
// progress within 30 s; a signal sent from outside, e.g. Ctrl-C to the process group, blames
// no plugin) is not loaded here: load() throws an InputError naming the file and the signal or exit status,
// load_search_path() skips it with a warning. One child probes all files of a search path (a
// new child continues after a file that killed one), which costs a few milliseconds per
// command. What the probe cannot catch: a plugin that behaves differently in the real load, and
// crashes inside a cell's methods at run time. RNNLAB_PLUGIN_PROBE=0 turns the probe off (for
// debugging a plugin's constructors under gdb).
//
// Search path (search_dirs()), first to last:
//   1. the directories given on the command line (--plugin-path), in order;
//   2. the directories in $RNNLAB_PLUGIN_PATH, colon-separated, in order (empty entries
//      ignored);
//   3. the plugin directory that belongs to the loaded core library, found from the core's own
//      file (dladdr), so an installed prefix still works after it is moved: for an installed
//      <prefix>/lib/librnnlab_core.so.X it is <prefix>/lib/rnnlab/plugins; for the core of a
//      build tree (<build>/framework) the build tree's <build>/plugins.
// No path is compiled in. Directories that do not exist are skipped, a directory listed twice
// is kept once, and search_path() holds canonical absolute paths.
//
// load_search_path() -- one bad file never blocks the rest, and nothing is shadowed silently:
//   * a file that fails any check above (not a shared object, wrong API, aborts while loading,
//     register_cells throws, ...) is SKIPPED with a warning naming it (warnings()); its name
//     (librnnlab_plugin_<x>.so) is recorded in the registry, so asking for cell <x> later fails
//     with the reason instead of "unknown cell";
//   * the same file reached twice (a symlink, a directory listed twice) is loaded once; a
//     byte-identical copy of an already loaded plugin (same name and SHA-256) is skipped with a
//     note (an install tree that holds the same build as RNNLAB_PLUGIN_PATH);
//   * a cell name registered by two different files, in any directories, is AMBIGUOUS (see
//     CellRegistry): both are kept and listed, and using the name fails naming both files until
//     the user picks one (pick(): --cell-from / $RNNLAB_CELL_FROM in the CLI);
//   * a directory given on the command line that does not exist is an InputError (a typo should
//     not silently load the built-ins instead); nonexistent environment / default directories
//     are skipped quietly.
//
// Lifetime: a plugin's code (vtables, factories) must outlive every Cell and CellType made from
// it, so handles are NEVER dlclose()d: they stay open for the life of the process, also after
// the PluginLoader is destroyed. A PluginLoader serves one CellRegistry; it is not
// thread-safe.
#pragma once

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace rnnlab {

class CellRegistry;
struct ModelSpec;
class RunFile;

struct LoadedPlugin {
  std::string name;                // RnnlabPluginInfo::name
  std::string version;             // RnnlabPluginInfo::version
  std::string file;                // canonical absolute path of the .so
  std::vector<std::string> cells;  // cells it registered (sorted; ambiguous ones included)
};

// One directory of the search path, for `rnnlab cells -v`.
struct PluginSearchDir {
  std::string dir;     // as given (canonical when it exists)
  std::string origin;  // "--plugin-path", "RNNLAB_PLUGIN_PATH", "core library (FILE)", ...
  bool exists = false;
};

class PluginLoader {
 public:
  PluginLoader() = default;
  PluginLoader(const PluginLoader&) = delete;
  PluginLoader& operator=(const PluginLoader&) = delete;
  ~PluginLoader() = default;  // handles intentionally stay open (see above)

  // Loads one plugin file and registers its cells. Throws InputError (see above).
  const LoadedPlugin& load(const std::string& file, CellRegistry& registry);

  // Loads every librnnlab_plugin_*.so in `dir`, in sorted file-name order, with load()'s
  // rules (any clash is an error). Throws InputError if `dir` is not a directory.
  std::vector<const LoadedPlugin*> load_dir(const std::string& dir, CellRegistry& registry);

  // Every directory of the search path, in order, also those that do not exist (see above).
  static std::vector<PluginSearchDir> search_dirs(const std::vector<std::string>& cli_dirs);
  // The existing ones, canonical, each once.
  static std::vector<std::string> search_path(const std::vector<std::string>& cli_dirs);
  // The file of the loaded librnnlab_core (dladdr), canonical; "" if unknown.
  static std::string core_library_file();

  // Loads the plugins of every directory of search_path(cli_dirs) (see above).
  void load_search_path(const std::vector<std::string>& cli_dirs, CellRegistry& registry);

  // Every plugin loaded so far, in load order (references stay valid).
  const std::deque<LoadedPlugin>& plugins() const { return plugins_; }
  // Plugin files load_search_path() skipped because they are broken, one line each naming the
  // file and the reason (a command prints them as warnings).
  const std::vector<std::string>& warnings() const { return warnings_; }
  // Everything else worth a line in a verbose listing (identical copies, ambiguous cells).
  const std::vector<std::string>& notes() const { return notes_; }

  // The file-name pattern of a plugin: librnnlab_plugin_<name>.so
  static bool is_plugin_file_name(const std::string& file_name);

 private:
  struct Opened;  // an opened plugin that passed every check before register_cells
  static std::string canonical_file(const std::string& file);
  Opened open(const std::string& canonical_file);
  const LoadedPlugin& load_probed(const std::string& canonical_file, CellRegistry& registry);
  CellRegistry register_scratch(const Opened& o);
  // Adds the scratch registry's cells to `registry`: strict (any clash throws) or, for the
  // search path, a clash with another file makes the name ambiguous.
  const LoadedPlugin& merge(const Opened& o, const CellRegistry& scratch, CellRegistry& registry,
                            bool strict);
  const LoadedPlugin* find_plugin(const std::string& name) const;

  std::deque<LoadedPlugin> plugins_;
  std::map<std::string, std::size_t> by_file_;  // canonical path -> index in plugins_
  std::vector<void*> handles_;                  // never closed
  std::vector<std::string> warnings_;
  std::vector<std::string> notes_;
};

// The user's picks for cells that several plugins register (CellRegistry::pick), each
// "CELL=PLUGIN" (a plugin name or .so file): first those of $RNNLAB_CELL_FROM (comma-separated,
// empty entries skipped), then `cell_from` (the command line's --cell-from). InputError naming
// where a malformed pick came from; pick()'s InputError for one that matches nothing.
// (framework/src/plugin/cell_picks.cpp)
void apply_cell_picks(CellRegistry& registry, const std::vector<std::string>& cell_from);

// SHA-256 of a file as 64 lowercase hex digits (what `sha256sum` prints). InputError when the
// file cannot be read.
std::string file_sha256(const std::string& path);

}  // namespace rnnlab
