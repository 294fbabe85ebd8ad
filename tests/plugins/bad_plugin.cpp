// Broken test plugins, one per loader check; CMake builds this file once per TP_* mode:
//   TP_WRONG_API      api_version 999
//   TP_BAD_SIZE       struct_size that is not sizeof(RnnlabPluginInfo)
//   TP_NO_ENTRY       exports no rnnlab_plugin_entry
//   TP_NULL_ENTRY     rnnlab_plugin_entry() returns nullptr
//   TP_NULL_NAME      name is nullptr
//   TP_NULL_REGISTER  register_cells is nullptr
//   TP_THROW          register_cells throws std::runtime_error
//   TP_OLD_CORE       built with the headers of another rnnlab version (core_version 0.0.7)
//   TP_ABORT          a static constructor calls abort() while the library is loaded
//   TP_EXIT           register_cells calls exit(3)
//   TP_THROW_INT      registers cell "tp_throw_int" whose factory does `throw 42` (not a
//                     std::exception: the CLI must still say what was thrown)
#include <cstdlib>
#include <memory>
#include <stdexcept>

#include "rnnlab/cell.h"
#include "rnnlab/plugin_api.h"

namespace {
[[maybe_unused]] void register_nothing(rnnlab::CellRegistry&) {}
[[maybe_unused]] void register_throws(rnnlab::CellRegistry&) {
  throw std::runtime_error("boom from register_cells");
}
}  // namespace

#define TP_EXPORT extern "C" __attribute__((visibility("default")))

#if defined(TP_WRONG_API)
TP_EXPORT const RnnlabPluginInfo* rnnlab_plugin_entry() {
  static const RnnlabPluginInfo info{999u, sizeof(RnnlabPluginInfo), "tp_wrong_api", "1.0",
                                     &register_nothing, RNNLAB_VERSION_STRING};
  return &info;
}
#elif defined(TP_BAD_SIZE)
TP_EXPORT const RnnlabPluginInfo* rnnlab_plugin_entry() {
  static const RnnlabPluginInfo info{RNNLAB_PLUGIN_API_VERSION, 12u, "tp_bad_size", "1.0",
                                     &register_nothing, RNNLAB_VERSION_STRING};
  return &info;
}
#elif defined(TP_NO_ENTRY)
TP_EXPORT int tp_not_an_entry() { return 42; }
#elif defined(TP_NULL_ENTRY)
TP_EXPORT const RnnlabPluginInfo* rnnlab_plugin_entry() { return nullptr; }
#elif defined(TP_NULL_NAME)
TP_EXPORT const RnnlabPluginInfo* rnnlab_plugin_entry() {
  static const RnnlabPluginInfo info{RNNLAB_PLUGIN_API_VERSION, sizeof(RnnlabPluginInfo), nullptr,
                                     "1.0", &register_nothing, RNNLAB_VERSION_STRING};
  return &info;
}
#elif defined(TP_NULL_REGISTER)
TP_EXPORT const RnnlabPluginInfo* rnnlab_plugin_entry() {
  static const RnnlabPluginInfo info{RNNLAB_PLUGIN_API_VERSION, sizeof(RnnlabPluginInfo),
                                     "tp_null_register", "1.0", nullptr, RNNLAB_VERSION_STRING};
  return &info;
}
#elif defined(TP_THROW)
RNNLAB_PLUGIN("tp_throw", "1.0", register_throws)
#elif defined(TP_OLD_CORE)
TP_EXPORT const RnnlabPluginInfo* rnnlab_plugin_entry() {
  static const RnnlabPluginInfo info{RNNLAB_PLUGIN_API_VERSION, sizeof(RnnlabPluginInfo),
                                     "tp_old_core", "1.0", &register_nothing, "0.0.7"};
  return &info;
}
#elif defined(TP_ABORT)
namespace {
struct AbortOnLoad {
  AbortOnLoad() { std::abort(); }
} abort_on_load;
}  // namespace
RNNLAB_PLUGIN("tp_abort", "1.0", register_nothing)
#elif defined(TP_EXIT)
namespace {
void register_exits(rnnlab::CellRegistry&) { std::exit(3); }
}  // namespace
RNNLAB_PLUGIN("tp_exit", "1.0", register_exits)
#elif defined(TP_THROW_INT)
namespace {
void register_throw_int(rnnlab::CellRegistry& r) {
  rnnlab::CellType t;
  t.name = "tp_throw_int";
  t.doc = "test cell whose factory throws an int";
  t.create = [](const rnnlab::CellArgs&) -> std::unique_ptr<rnnlab::Cell> { throw 42; };
  r.add(t);
}
}  // namespace
RNNLAB_PLUGIN("tp_throw_int", "1.0", register_throw_int)
#else
#error "define one TP_* mode"
#endif
