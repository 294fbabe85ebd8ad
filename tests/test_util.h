// Shared helpers for the tests: random tensors, the built-in cell registry, temp dirs.
#pragma once

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

inline std::string temp_dir(const std::string& name) {
  auto dir = std::filesystem::path(RNNLAB_TEST_OUTPUT_DIR) / name;
  std::filesystem::create_directories(dir);
  return dir.string();
}

}  // namespace rnnlab::test
