// Shared helpers for the tests: random tensors, the built-in cell registry, temp dirs.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <string>

#include "rnnlab/backend.h"
#include "rnnlab/cell.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/rng.h"

namespace rnnlab::test {

inline Tensor rand_tensor(const Shape& shape, uint64_t seed, double lo = -1.0, double hi = 1.0,
                          DType dtype = DType::f64) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(shape_numel(shape)));
  for (auto& x : v) x = rng.uniform(lo, hi);
  return to_dtype(from_vector(v, shape), dtype);
}

// The built-in plugins (elman, lstm, gru, ...) loaded once from the build tree.
inline const CellRegistry& builtin_cells() {
  static CellRegistry registry;
  static PluginLoader loader;
  static bool loaded = [] {
    loader.load_dir(RNNLAB_PLUGIN_DIR, registry);
    return true;
  }();
  (void)loaded;
  return registry;
}

// ---- Test folders: the one home for the directories tests write into ----
// Every folder is under RNNLAB_TEST_OUTPUT_DIR (<build>/tests/out), never the system temp dir:
//   temp_dir(name)    <out>/<name>, created if missing and kept after the test (to inspect a
//                     failure); the same name is the same folder
//   fresh_dir(name)   temp_dir(name), emptied first
//   unique_dir(name)  a fresh folder of temp_dir(name) unique to this process and call: ctest
//                     runs test cases as parallel processes, so a name several cases or
//                     processes use needs it
//   ScratchDir        a unique_dir removed at scope exit (canonical path: plugin files compare
//                     paths)
inline std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::path(RNNLAB_TEST_OUTPUT_DIR) / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

inline std::string fresh_dir(const std::string& name) {
  const std::string dir = temp_dir(name);
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  return dir;
}

inline std::string unique_dir(const std::string& name) {
  static std::atomic<int> calls{0};
  return fresh_dir(name + "/p" + std::to_string(::getpid()) + "_" + std::to_string(++calls));
}

struct ScratchDir {
  std::filesystem::path path;
  explicit ScratchDir(const std::string& name = "scratch")
      : path(std::filesystem::canonical(unique_dir(name))) {}
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;
  std::string str() const { return path.string(); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

}  // namespace rnnlab::test
