// The plugin ABI. A plugin is a shared object that exports exactly one symbol,
// `rnnlab_plugin_entry`, returning a pointer to a static RnnlabPluginInfo. The loader checks,
// in order: the file opens (dlopen RTLD_NOW|RTLD_LOCAL), the symbol exists, api_version equals
// the core's RNNLAB_PLUGIN_API_VERSION, struct_size matches, name/version/register_cells are
// set; only then does it call register_cells. Each failure is its own message naming the file.
//
// Write a plugin:
//   static void register_cells(rnnlab::CellRegistry& r) { r.add({...}); }
//   RNNLAB_PLUGIN("mycell", "1.0.0", register_cells)
// and build it with the CMake function rnnlab_add_plugin(mycell SOURCES mycell.cpp).
#pragma once

#include <cstdint>

// Bump on any change to the cell API or to this struct.
#define RNNLAB_PLUGIN_API_VERSION 1u

namespace rnnlab {
class CellRegistry;
}

extern "C" {
struct RnnlabPluginInfo {
  uint32_t api_version;  // must stay the first member
  uint32_t struct_size;  // sizeof(RnnlabPluginInfo) as the plugin saw it
  const char* name;
  const char* version;
  void (*register_cells)(rnnlab::CellRegistry&);
};
}

#define RNNLAB_PLUGIN_ENTRY_SYMBOL "rnnlab_plugin_entry"

#define RNNLAB_PLUGIN(NAME, VERSION, REGISTER_FN)                                       \
  extern "C" __attribute__((visibility("default"))) const RnnlabPluginInfo*             \
  rnnlab_plugin_entry() {                                                               \
    static const RnnlabPluginInfo info{RNNLAB_PLUGIN_API_VERSION, sizeof(RnnlabPluginInfo), \
                                       NAME, VERSION, &REGISTER_FN};                     \
    return &info;                                                                       \
  }
