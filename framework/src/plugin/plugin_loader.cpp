// PluginLoader: dlopen, check and register cell plugins. The rules (checks, search path,
// precedence, handle lifetime) are documented in rnnlab/plugin_loader.h.
#include "rnnlab/plugin_loader.h"

#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <map>
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
#include "rnnlab/version.h"

// The build tree: where librnnlab_core.so is built and where the built-in plugins land. Used
// only when the loaded core IS that build tree's core (an installed core never looks here).
#ifndef RNNLAB_BUILD_CORE_DIR
#define RNNLAB_BUILD_CORE_DIR ""
#endif
#ifndef RNNLAB_BUILD_PLUGIN_DIR
#define RNNLAB_BUILD_PLUGIN_DIR ""
#endif

namespace fs = std::filesystem;

namespace rnnlab {

namespace {

constexpr const char* kPrefix = "librnnlab_plugin_";
constexpr const char* kSuffix = ".so";
constexpr int kProbeTimeoutMs = 30000;  // no progress for this long: the file hangs

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

// librnnlab_plugin_<x>.so -> x
std::string name_from_file(const std::string& file) {
  const std::string base = fs::path(file).filename().string();
  if (!PluginLoader::is_plugin_file_name(base)) return base;
  const std::size_t p = std::string(kPrefix).size(), s = std::string(kSuffix).size();
  return base.substr(p, base.size() - p - s);
}

// "major.minor" of a version string ("0.1.0" -> "0.1").
std::string major_minor(const std::string& v) {
  const std::size_t a = v.find('.');
  if (a == std::string::npos) return v;
  const std::size_t b = v.find('.', a + 1);
  return b == std::string::npos ? v : v.substr(0, b);
}

void write_all(int fd, const std::string& s) {
  std::size_t off = 0;
  while (off < s.size()) {
    const ssize_t n = ::write(fd, s.data() + off, s.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    off += static_cast<std::size_t>(n);
  }
}

// The child's side of the probe: loads files[from..] as the real load would and reports
// "B <i>\n" before and "E <i>\n" after each. Never returns.
[[noreturn]] void probe_child(const std::vector<std::string>& files, std::size_t from, int fd) {
  // The host's crash handlers (a test framework's, a crash reporter's) must not run here: a
  // plugin that crashes should simply end this child with the signal.
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGTERM, SIGINT})
    ::signal(sig, SIG_DFL);
  for (std::size_t i = from; i < files.size(); ++i) {
    write_all(fd, "B " + std::to_string(i) + "\n");
    try {
      if (void* h = dlopen(files[i].c_str(), RTLD_NOW | RTLD_LOCAL)) {
        if (void* sym = dlsym(h, RNNLAB_PLUGIN_ENTRY_SYMBOL)) {
          using EntryFn = const RnnlabPluginInfo* (*)();
          const RnnlabPluginInfo* info = reinterpret_cast<EntryFn>(sym)();
          if (info && info->api_version == RNNLAB_PLUGIN_API_VERSION &&
              info->struct_size == sizeof(RnnlabPluginInfo) && info->register_cells) {
            CellRegistry scratch;
            scratch.set_origin(info->name ? info->name : "", "", files[i]);
            info->register_cells(scratch);
          }
        }
      }
    } catch (...) {
      // an exception is an ordinary load failure: the real load reports it
    }
    write_all(fd, "E " + std::to_string(i) + "\n");
  }
  ::_exit(0);
}

std::string signal_text(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* descr = strsignal(sig);
  std::string s = "signal " + std::to_string(sig);
  if (abbrev) s += " (SIG" + std::string(abbrev) + (descr ? std::string(": ") + descr : "") + ")";
  return s;
}

// Probes `files` in forked children (see plugin_loader.h: checked loading). Returns, for each
// file that killed its child, why.
std::map<std::string, std::string> probe(const std::vector<std::string>& files) {
  std::map<std::string, std::string> fatal;
  if (files.empty()) return fatal;
  if (const char* e = std::getenv("RNNLAB_PLUGIN_PROBE"); e && std::string(e) == "0") return fatal;
  std::size_t from = 0;
  while (from < files.size()) {
    int fds[2];
    if (::pipe(fds) != 0) return fatal;  // cannot probe: load unprobed
    std::fflush(nullptr);                // the child must not flush our buffers again
    const pid_t pid = ::fork();
    if (pid < 0) {
      ::close(fds[0]);
      ::close(fds[1]);
      return fatal;
    }
    if (pid == 0) {
      ::close(fds[0]);
      probe_child(files, from, fds[1]);
    }
    ::close(fds[1]);
    std::string buf;
    long begun = -1;
    std::size_t ended = from;  // files[from, ended) passed
    bool timed_out = false;
    for (;;) {
      pollfd pfd{fds[0], POLLIN, 0};
      const int r = ::poll(&pfd, 1, kProbeTimeoutMs);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        timed_out = true;
        break;
      }
      char chunk[256];
      const ssize_t n = ::read(fds[0], chunk, sizeof chunk);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;  // EOF: the child exited
      buf.append(chunk, static_cast<std::size_t>(n));
      for (std::size_t nl; (nl = buf.find('\n')) != std::string::npos; buf.erase(0, nl + 1)) {
        const std::string line = buf.substr(0, nl);
        const long idx = std::strtol(line.c_str() + 2, nullptr, 10);
        if (line[0] == 'B') begun = idx;
        if (line[0] == 'E') ended = static_cast<std::size_t>(idx) + 1;
      }
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (ended >= files.size()) break;  // every file passed
    // The child died (or hung) in files[ended] (begun == ended) or before reporting anything.
    const std::size_t bad = begun >= 0 && static_cast<std::size_t>(begun) >= ended
                                ? static_cast<std::size_t>(begun)
                                : ended;
    // A signal someone else sent (Ctrl-C or a kill of the process group, the OOM killer) says
    // nothing about the plugin: it is loaded unprobed, as it would have been without a probe.
    const bool crash_signal =
        WIFSIGNALED(status) && (WTERMSIG(status) == SIGABRT || WTERMSIG(status) == SIGSEGV ||
                                WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGFPE ||
                                WTERMSIG(status) == SIGILL || WTERMSIG(status) == SIGTRAP ||
                                WTERMSIG(status) == SIGSYS);
    if (!timed_out && WIFSIGNALED(status) && !crash_signal) {
      from = bad + 1;
      continue;
    }
    std::string why;
    if (timed_out)
      why = "loading it did not finish within " + std::to_string(kProbeTimeoutMs / 1000) +
            " s (a hang in its static constructors or register_cells)";
    else if (WIFSIGNALED(status))
      why = "loading it killed the process with " + signal_text(WTERMSIG(status)) +
            " (in its static constructors or register_cells)";
    else if (WIFEXITED(status))
      why = "loading it ended the process with exit status " +
            std::to_string(WEXITSTATUS(status)) + " (exit() in its static constructors or "
            "register_cells)";
    else
      why = "loading it ended the process abnormally";
    fatal[files[bad]] = why;
    from = bad + 1;
  }
  return fatal;
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
  // The C++ classes a plugin uses (CellRegistry, CellType, Tape, ...) change layout between
  // rnnlab versions while the C struct stays the same: the plugin must have been built with the
  // headers of this core's major.minor.
  const std::string core = RNNLAB_VERSION_STRING;
  if (!info->core_version || major_minor(info->core_version) != major_minor(core))
    throw InputError("plugin " + file + " was built with the headers of rnnlab " +
                     (info->core_version ? std::string(info->core_version) : "(unknown)") +
                     ", this is rnnlab " + core + " (plugins must match its major.minor version "
                     "" + major_minor(core) + "); rebuild the plugin against this rnnlab");
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
                                        CellRegistry& registry, bool strict) {
  std::vector<std::string> clashes;
  for (const std::string& cell : scratch.names()) {
    const CellType* have = registry.find(cell);
    if (!have) continue;
    if (strict)
      throw InputError("cell '" + cell + "' is registered twice: by " + describe(*have) +
                       " and by " + describe(*scratch.find(cell)));
    clashes.push_back(cell);
  }
  {
    OriginGuard guard(registry, o.name, o.version, o.file);
    for (const std::string& cell : scratch.names()) registry.add_alternative(*scratch.find(cell));
  }
  for (const std::string& cell : clashes) notes_.push_back(registry.ambiguity(cell));
  plugins_.push_back(LoadedPlugin{o.name, o.version, o.file, scratch.names()});
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
  if (const auto fatal = probe({path}); !fatal.empty())
    throw InputError("plugin " + path + ": " + fatal.begin()->second);
  return load_probed(path, registry);
}

const LoadedPlugin& PluginLoader::load_probed(const std::string& path, CellRegistry& registry) {
  if (auto it = by_file_.find(path); it != by_file_.end()) return plugins_[it->second];
  const Opened o = open(path);
  if (const LoadedPlugin* p = find_plugin(o.name))
    throw InputError("plugin " + path + ": a plugin named '" + o.name +
                     "' is already loaded from " + p->file);
  const CellRegistry scratch = register_scratch(o);
  return merge(o, scratch, registry, true);
}

std::vector<const LoadedPlugin*> PluginLoader::load_dir(const std::string& dir,
                                                        CellRegistry& registry) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError("plugin directory " + dir + ": " +
                     (fs::exists(dir, ec) ? "not a directory" : "no such directory"));
  std::vector<std::string> files;
  for (const std::string& f : plugin_files(dir)) files.push_back(canonical_file(f));
  const std::map<std::string, std::string> fatal = probe(files);  // one child for the folder
  std::vector<const LoadedPlugin*> out;
  for (const std::string& f : files) {
    if (auto it = fatal.find(f); it != fatal.end())
      throw InputError("plugin " + f + ": " + it->second);
    out.push_back(&load_probed(f, registry));
  }
  return out;
}

std::string PluginLoader::core_library_file() {
  Dl_info info{};
  // The address of a function of this library: dladdr names the file it was loaded from.
  if (dladdr(reinterpret_cast<void*>(&PluginLoader::core_library_file), &info) == 0 ||
      !info.dli_fname || !*info.dli_fname)
    return "";
  std::error_code ec;
  const fs::path p = fs::canonical(info.dli_fname, ec);
  return ec ? std::string(info.dli_fname) : p.string();
}

std::vector<PluginSearchDir> PluginLoader::search_dirs(const std::vector<std::string>& cli_dirs) {
  std::vector<PluginSearchDir> out;
  for (const std::string& d : cli_dirs) out.push_back({d, "--plugin-path", false});
  if (const char* env = std::getenv("RNNLAB_PLUGIN_PATH")) {
    std::string s = env;
    std::size_t start = 0;
    while (start <= s.size()) {
      std::size_t end = s.find(':', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) out.push_back({s.substr(start, end - start), "RNNLAB_PLUGIN_PATH", false});
      start = end + 1;
    }
  }
  const std::string core = core_library_file();
  if (!core.empty()) {
    const fs::path core_dir = fs::path(core).parent_path();
    std::error_code ec;
    const std::string build_core = std::string(RNNLAB_BUILD_CORE_DIR);
    if (!build_core.empty() && fs::equivalent(core_dir, build_core, ec) && !ec)
      out.push_back({RNNLAB_BUILD_PLUGIN_DIR, "the build tree of the core library " + core, false});
    else
      out.push_back({(core_dir / "rnnlab" / "plugins").string(),
                     "beside the core library " + core, false});
  }
  for (PluginSearchDir& d : out) {
    std::error_code ec;
    d.exists = fs::is_directory(d.dir, ec);
    if (d.exists) d.dir = canonical_dir(d.dir);
  }
  return out;
}

std::vector<std::string> PluginLoader::search_path(const std::vector<std::string>& cli_dirs) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (const PluginSearchDir& d : search_dirs(cli_dirs))
    if (d.exists && seen.insert(d.dir).second) out.push_back(d.dir);
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
  // Every candidate file in search order, each canonical file once.
  std::vector<std::string> files;
  std::set<std::string> seen;
  for (const std::string& dir : search_path(cli_dirs)) {
    for (const std::string& f : plugin_files(dir)) {
      std::string path;
      try {
        path = canonical_file(f);
      } catch (const InputError& e) {
        warnings_.push_back(std::string("skipped ") + e.what());
        continue;
      }
      if (by_file_.count(path) || !seen.insert(path).second) continue;
      files.push_back(path);
    }
  }
  const std::map<std::string, std::string> fatal = probe(files);
  auto skip = [&](const std::string& path, const std::string& why) {
    warnings_.push_back("skipped plugin file " + path + ": " + why);
    registry.add_unloadable(name_from_file(path), path + ": " + why);
  };
  for (const std::string& path : files) {
    if (auto it = fatal.find(path); it != fatal.end()) {
      skip(path, it->second);
      continue;
    }
    try {
      const Opened o = open(path);
      if (const LoadedPlugin* p = find_plugin(o.name)) {
        if (file_sha256(p->file) == file_sha256(path)) {
          notes_.push_back("skipped " + path + ": an identical copy of plugin '" + o.name +
                           "' loaded from " + p->file);
          continue;
        }
      }
      const CellRegistry scratch = register_scratch(o);
      merge(o, scratch, registry, false);
    } catch (const InputError& e) {
      // The message names the file; strip a leading "plugin <path>: " to avoid saying it twice.
      std::string msg = e.what();
      const std::string lead = "plugin " + path + ": ";
      if (msg.rfind(lead, 0) == 0) msg = msg.substr(lead.size());
      skip(path, msg);
    }
  }
}

}  // namespace rnnlab
