// The built-in plugins as CMake registers them (plugins/CMakeLists.txt: rnnlab_builtin_plugins,
// passed as the compile definition RNNLAB_BUILTIN_PLUGINS="elman,lstm,..."), so no test writes
// the list out by hand and a new plugin folder is covered by the tests that loop over it.
// Each built-in plugin registers the cell of its own name (test_plugin_loader.cpp checks it).
#pragma once

#include <string>
#include <vector>

#ifndef RNNLAB_BUILTIN_PLUGINS
#error "RNNLAB_BUILTIN_PLUGINS must be defined (tests/CMakeLists.txt: rnnlab_builtin_plugins)"
#endif

namespace rnnlab::test {

// In the order of plugins/CMakeLists.txt.
inline std::vector<std::string> builtin_plugin_names() {
  std::vector<std::string> names;
  std::string cur;
  for (const char* c = RNNLAB_BUILTIN_PLUGINS;; ++c) {
    if (*c == ',' || *c == '\0') {
      if (!cur.empty()) names.push_back(cur);
      cur.clear();
      if (*c == '\0') break;
    } else {
      cur += *c;
    }
  }
  return names;
}

// The built-in cells with a step of their own, which the step compiler compiles: all but
// nstep, which stacks other cells (and is compiled layer by layer, see test_step_compiler.cpp).
inline std::vector<std::string> builtin_step_cells() {
  std::vector<std::string> cells;
  for (const std::string& name : builtin_plugin_names())
    if (name != "nstep") cells.push_back(name);
  return cells;
}

}  // namespace rnnlab::test
