// PluginLoader: dlopen, check and register cell plugins. The rules (checks, search path,
// precedence, handle lifetime) are documented in rnnlab/plugin_loader.h.
#include "rnnlab/plugin_loader.h"

#include <dlfcn.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <string>
#include <system_error>
#include <utility>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"
#include "rnnlab/plugin_api.h"

#ifndef RNNLAB_DEFAULT_PLUGIN_DIR
#define RNNLAB_DEFAULT_PLUGIN_DIR ""
#endif
#ifndef RNNLAB_INSTALL_PLUGIN_DIR
#define RNNLAB_INSTALL_PLUGIN_DIR ""
#endif

namespace fs = std::filesystem;

namespace rnnlab {

namespace {

constexpr const char* kPrefix = "librnnlab_plugin_";
constexpr const char* kSuffix = ".so";

std::string describe(const CellType& t) {
  if (t.plugin.empty() && t.file.empty()) return "the host program";
  std::string s = "plugin '" + t.plugin + "'";
  if (!t.version.empty()) s += " " + t.version;
  if (!t.file.empty()) s += " (" + t.file + ")";
  return s;
}

// Sets the registry's origin for the duration of a scope.
class OriginGuard {
 public:
  OriginGuard(CellRegistry& r, const std::string& name, const std::string& version,
              const std::string& file)
      : r_(r) {
    r_.set_origin(name, version, file);
  }
  ~OriginGuard() { r_.set_origin("", "", ""); }
  OriginGuard(const OriginGuard&) = delete;
  OriginGuard& operator=(const OriginGuard&) = delete;

 private:
  CellRegistry& r_;
};

// Plugin files of a directory, sorted by file name.
std::vector<std::string> plugin_files(const std::string& dir) {
  std::vector<std::string> files;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    if (!PluginLoader::is_plugin_file_name(name)) continue;
    std::error_code ec2;
    if (!fs::is_regular_file(it->path(), ec2)) continue;  // follows symlinks
    files.push_back(it->path().string());
  }
  if (ec) throw InputError("cannot list plugin directory " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end(), [](const std::string& a, const std::string& b) {
    return fs::path(a).filename() < fs::path(b).filename();
  });
  return files;
}

std::string canonical_dir(const std::string& dir) {
  std::error_code ec;
  fs::path p = fs::canonical(dir, ec);
  return ec ? fs::absolute(dir).lexically_normal().string() : p.string();
}

}  // namespace

// An opened plugin that passed every check before register_cells.
struct PluginLoader::Opened {
  std::string name, version, file;
  void (*register_cells)(CellRegistry&) = nullptr;
};

bool PluginLoader::is_plugin_file_name(const std::string& n) {
  const std::string p = kPrefix, s = kSuffix;
  return n.size() > p.size() + s.size() && n.compare(0, p.size(), p) == 0 &&
         n.compare(n.size() - s.size(), s.size(), s) == 0;
}

PluginLoader::Opened PluginLoader::open(const std::string& file) {
  dlerror();  // clear
  void* handle = dlopen(file.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* err = dlerror();
    throw InputError("plugin " + file + ": cannot load it as a shared object: " +
                     (err ? err : "unknown dlopen error"));
  }
  // Never closed: static constructors of the plugin have run and its code may be referenced.
  handles_.push_back(handle);

  dlerror();
  void* sym = dlsym(handle, RNNLAB_PLUGIN_ENTRY_SYMBOL);
  if (!sym)
    throw InputError("plugin " + file +
                     ": it does not export '" RNNLAB_PLUGIN_ENTRY_SYMBOL
                     "', so it is not an rnnlab plugin (define one with RNNLAB_PLUGIN(...) "
                     "and build it with rnnlab_add_plugin)");
  using EntryFn = const RnnlabPluginInfo* (*)();
  auto entry = reinterpret_cast<EntryFn>(sym);
  const RnnlabPluginInfo* info = nullptr;
  try {
    info = entry();
  } catch (const std::exception& e) {
    throw InputError("plugin " + file + ": " RNNLAB_PLUGIN_ENTRY_SYMBOL "() threw: " + e.what());
  } catch (...) {
    throw InputError("plugin " + file +
                     ": " RNNLAB_PLUGIN_ENTRY_SYMBOL "() threw an unknown exception");
  }
  if (!info)
    throw InputError("plugin " + file + ": " RNNLAB_PLUGIN_ENTRY_SYMBOL "() returned null");
  // api_version is the one field whose position every version agrees on.
  if (info->api_version != RNNLAB_PLUGIN_API_VERSION)
    throw InputError("plugin " + file + " was built for plugin API version " +
                     std::to_string(info->api_version) + ", this rnnlab provides " +
                     std::to_string(RNNLAB_PLUGIN_API_VERSION) +
                     "; rebuild the plugin against this rnnlab");
  if (info->struct_size != sizeof(RnnlabPluginInfo))
    throw InputError("plugin " + file + ": its RnnlabPluginInfo is " +
                     std::to_string(info->struct_size) + " bytes, this rnnlab expects " +
                     std::to_string(sizeof(RnnlabPluginInfo)) +
                     " (built against a different plugin_api.h); rebuild the plugin");
  if (!info->name || !*info->name)
    throw InputError("plugin " + file + ": RnnlabPluginInfo::name is " +
                     (info->name ? "empty" : "null"));
  if (!info->version || !*info->version)
    throw InputError("plugin " + file + ": RnnlabPluginInfo::version is " +
                     (info->version ? "empty" : "null"));
  if (!info->register_cells)
    throw InputError("plugin " + file + ": RnnlabPluginInfo::register_cells is null");
  return Opened{info->name, info->version, file, info->register_cells};
}

CellRegistry PluginLoader::register_scratch(const Opened& o) {
  CellRegistry scratch;
  OriginGuard guard(scratch, o.name, o.version, o.file);
  try {
    o.register_cells(scratch);
  } catch (const std::exception& e) {
    throw InputError("plugin '" + o.name + "' " + o.version + " (" + o.file +
                     "): registering its cells failed: " + e.what());
  } catch (...) {
    throw InputError("plugin '" + o.name + "' " + o.version + " (" + o.file +
                     "): registering its cells failed with an unknown exception");
  }
  return scratch;
}

const LoadedPlugin& PluginLoader::merge(const Opened& o, const CellRegistry& scratch,
                                        CellRegistry& registry,
                                        std::map<std::string, std::string>* cell_dir,
                                        const std::string& dir) {
  std::vector<std::string> take;
  for (const std::string& cell : scratch.names()) {
    const CellType* have = registry.find(cell);
    if (!have) {
      take.push_back(cell);
      continue;
    }
    const CellType& mine = *scratch.find(cell);
    const bool shadowable =
        cell_dir != nullptr && (!cell_dir->count(cell) || cell_dir->at(cell) != dir);
    if (!shadowable)
      throw InputError("cell '" + cell + "' is registered twice: by " + describe(*have) +
                       " and by " + describe(mine));
    notes_.push_back("cell '" + cell + "' of " + describe(mine) + " is shadowed by " +
                     describe(*have) + ", which comes earlier in the plugin search path");
  }
  {
    OriginGuard guard(registry, o.name, o.version, o.file);
    for (const std::string& cell : take) {
      registry.add(*scratch.find(cell));
      if (cell_dir) (*cell_dir)[cell] = dir;
    }
  }
  plugins_.push_back(LoadedPlugin{o.name, o.version, o.file, take});
  by_file_[o.file] = plugins_.size() - 1;
  return plugins_.back();
}

const LoadedPlugin* PluginLoader::find_plugin(const std::string& name) const {
  for (const auto& p : plugins_)
    if (p.name == name) return &p;
  return nullptr;
}

std::string PluginLoader::canonical_file(const std::string& file) {
  std::error_code ec;
  const fs::file_status st = fs::status(file, ec);
  if (ec || !fs::exists(st)) throw InputError("plugin " + file + ": no such file");
  if (fs::is_directory(st))
    throw InputError("plugin " + file + ": is a directory, expected a shared object (.so)");
  fs::path p = fs::canonical(file, ec);
  if (ec) throw InputError("plugin " + file + ": " + ec.message());
  return p.string();
}

const LoadedPlugin& PluginLoader::load(const std::string& file, CellRegistry& registry) {
  const std::string path = canonical_file(file);
  if (auto it = by_file_.find(path); it != by_file_.end()) return plugins_[it->second];
  const Opened o = open(path);
  if (const LoadedPlugin* p = find_plugin(o.name))
    throw InputError("plugin " + path + ": a plugin named '" + o.name +
                     "' is already loaded from " + p->file);
  const CellRegistry scratch = register_scratch(o);
  return merge(o, scratch, registry, nullptr, "");
}

std::vector<const LoadedPlugin*> PluginLoader::load_dir(const std::string& dir,
                                                        CellRegistry& registry) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("plugin directory " + dir + ": " +
                     (fs::exists(dir, ec) ? "not a directory" : "no such directory"));
  std::vector<const LoadedPlugin*> out;
  for (const std::string& f : plugin_files(dir)) out.push_back(&load(f, registry));
  return out;
}

std::vector<std::string> PluginLoader::search_path(const std::vector<std::string>& cli_dirs) {
  std::vector<std::string> candidates(cli_dirs.begin(), cli_dirs.end());
  if (const char* env = std::getenv("RNNLAB_PLUGIN_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) candidates.push_back(s.substr(start, end - start));
      start = end + 1;
    }
  }
  candidates.push_back(RNNLAB_DEFAULT_PLUGIN_DIR);
  candidates.push_back(RNNLAB_INSTALL_PLUGIN_DIR);

  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const std::string& d : candidates) {
    if (d.empty()) continue;
    std::error_code ec;
    if (!fs::is_directory(d, ec)) continue;
    std::string c = canonical_dir(d);
    if (seen.insert(c).second) out.push_back(std::move(c));
  }
  return out;
}

void PluginLoader::load_search_path(const std::vector<std::string>& cli_dirs,
                                    CellRegistry& registry) {
  for (const std::string& d : cli_dirs) {
    std::error_code ec;
    if (!fs::is_directory(d, ec))
      throw InputError("plugin directory " + d + " (from --plugin-path): " +
                       (fs::exists(d, ec) ? "not a directory" : "no such directory"));
  }
  // Cells present before the call count as coming from an earlier directory.
  std::map<std::string, std::string> cell_dir;
  std::map<std::string, std::string> dir_of_file_name;  // librnnlab_plugin_x.so -> its dir
  for (const std::string& dir : search_path(cli_dirs)) {
    for (const std::string& f : plugin_files(dir)) {
      const std::string base = fs::path(f).filename().string();
      if (auto it = dir_of_file_name.find(base); it != dir_of_file_name.end()) {
        notes_.push_back("skipped " + f + ": " + base + " was already found in " + it->second);
        continue;
      }
      dir_of_file_name[base] = dir;
      const std::string path = canonical_file(f);
      if (by_file_.count(path)) continue;  // loaded before (load() or an earlier call)
      const Opened o = open(path);
      if (const LoadedPlugin* p = find_plugin(o.name)) {
        notes_.push_back("skipped " + path + ": plugin '" + o.name + "' is already loaded from " +
                         p->file);
        continue;
      }
      const CellRegistry scratch = register_scratch(o);
      merge(o, scratch, registry, &cell_dir, dir);
    }
  }
}

}  // namespace rnnlab
