// Loading cell plugins (shared objects built with rnnlab_add_plugin, see plugin_api.h).
//
// load(file) opens one plugin and checks it, in order, each failure an InputError naming the
// file: the file exists; dlopen(RTLD_NOW|RTLD_LOCAL) succeeds (the dlerror() text is quoted,
// e.g. "invalid ELF header" for a file that is not a shared object); it exports
// `rnnlab_plugin_entry`; the entry returns non-null; api_version equals
// RNNLAB_PLUGIN_API_VERSION ("plugin X was built for plugin API version N, this rnnlab provides
// M"); struct_size matches; name, version and register_cells are set. Then register_cells runs
// against a scratch registry (an exception from it, e.g. a cell declared twice, becomes an
// InputError naming the file) and the cells are merged into the caller's registry only if
// none clashes with a cell already there (the message names both plugins and both files). A
// failed load leaves the registry unchanged. Loading the same file twice (same canonical path)
// is a no-op that returns the first result.
//
// Search path (search_path()), first to last:
//   1. the directories given on the command line (--plugin-path), in order;
//   2. the directories in $RNNLAB_PLUGIN_PATH, colon-separated, in order (empty entries
//      ignored);
//   3. the build tree's plugin directory (RNNLAB_DEFAULT_PLUGIN_DIR, <build>/plugins);
//   4. the install plugin directory (RNNLAB_INSTALL_PLUGIN_DIR, <prefix>/lib/rnnlab/plugins).
// Directories that do not exist are skipped, a directory listed twice is kept once, and the
// result holds canonical absolute paths.
//
// Precedence rule of load_search_path() -- EARLIER WINS, so a user's directory overrides the
// built-in cells:
//   * a file whose name (librnnlab_plugin_<x>.so) was already found in an earlier directory
//     is skipped without being opened (a stale install tree cannot break a fresh build tree);
//   * a plugin whose name (RnnlabPluginInfo::name) was already loaded is skipped;
//   * a cell that an earlier directory (or the registry before the call) already provides is
//     skipped: the earlier one wins; the plugin's other cells are still registered;
//   * two plugins in the SAME directory that register the same cell are an error.
// Every skip is recorded in notes() (for a verbose `rnnlab cells`). A directory given on the
// command line that does not exist is an InputError (a typo should not silently load the
// built-ins instead); nonexistent environment / default directories are skipped quietly.
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

struct LoadedPlugin {
  std::string name;                // RnnlabPluginInfo::name
  std::string version;             // RnnlabPluginInfo::version
  std::string file;                // canonical absolute path of the .so
  std::vector<std::string> cells;  // cells it registered (sorted; shadowed ones excluded)
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

  // The plugin directories to search, in order (see above); nonexistent ones skipped.
  static std::vector<std::string> search_path(const std::vector<std::string>& cli_dirs);

  // Loads the plugins of every directory of search_path(cli_dirs), earlier wins (see above).
  void load_search_path(const std::vector<std::string>& cli_dirs, CellRegistry& registry);

  // Every plugin loaded so far, in load order (references stay valid).
  const std::deque<LoadedPlugin>& plugins() const { return plugins_; }
  // What load_search_path() skipped and why, one line each.
  const std::vector<std::string>& notes() const { return notes_; }

  // The file-name pattern of a plugin: librnnlab_plugin_<name>.so
  static bool is_plugin_file_name(const std::string& file_name);

 private:
  struct Opened;  // an opened plugin that passed every check before register_cells
  static std::string canonical_file(const std::string& file);
  Opened open(const std::string& canonical_file);
  CellRegistry register_scratch(const Opened& o);
  // Adds the scratch registry's cells to `registry`. With cell_dir (search-path mode) a cell
  // already provided from another directory is skipped; otherwise any clash throws.
  const LoadedPlugin& merge(const Opened& o, const CellRegistry& scratch, CellRegistry& registry,
                            std::map<std::string, std::string>* cell_dir, const std::string& dir);
  const LoadedPlugin* find_plugin(const std::string& name) const;

  std::deque<LoadedPlugin> plugins_;
  std::map<std::string, std::size_t> by_file_;  // canonical path -> index in plugins_
  std::vector<void*> handles_;                  // never closed
  std::vector<std::string> notes_;
};

}  // namespace rnnlab
