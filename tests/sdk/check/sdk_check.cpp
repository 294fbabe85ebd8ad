// rnnlab_sdk_check MGU_DIR PLUGIN_DIR: with the installed core, load the plugins of the search
// path ($RNNLAB_PLUGIN_PATH = MGU_DIR, then the plugin folder the core finds beside itself),
// check that mgu came from MGU_DIR and the built-in cells from the installed PLUGIN_DIR, and run
// the conformance suite on mgu and on nstep stacking mgu. Exit 0 when everything conforms.
// It also views a tensor through the installed rnnlab/xview.h: xtensor, which that header
// includes, comes with find_package(rnnlab).
#include <filesystem>
#include <iostream>

#include "rnnlab/backend.h"
#include "rnnlab/conformance.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/xview.h"

namespace fs = std::filesystem;

int main(int argc, char** argv) try {
  if (argc != 3) {
    std::cerr << "usage: rnnlab_sdk_check MGU_DIR PLUGIN_DIR\n";
    return 2;
  }
  const rnnlab::Tensor t = rnnlab::from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2});
  if (rnnlab::as_xtensor<float>(t)(1, 0) != 3.0f) {
    std::cerr << "as_xtensor<float>(t)(1, 0) should be 3\n";
    return 1;
  }
  rnnlab::CellRegistry registry;
  rnnlab::PluginLoader loader;
  loader.load_search_path({}, registry);
  bool ok = true;
  auto expect_from = [&](const std::string& cell, const char* dir) {
    const rnnlab::CellType* t = registry.find(cell);
    const std::string want = fs::canonical(dir).string();
    if (!t || fs::path(t->file).parent_path().string() != want) {
      std::cerr << "cell '" << cell << "' should come from " << want << ", found "
                << (t ? t->file : std::string("nothing")) << "\n";
      ok = false;
    }
  };
  expect_from("mgu", argv[1]);
  expect_from("lstm", argv[2]);
  expect_from("nstep", argv[2]);
  if (!ok) return 1;
  using Params = std::map<std::string, rnnlab::ParamValue>;
  const Params stacked{
      {"cell", std::string("mgu")}, {"layers", int64_t{2}}, {"bidirectional", true}};
  for (const auto& [cell, params] :
       {std::pair{std::string("mgu"), Params{}}, std::pair{std::string("nstep"), stacked}}) {
    const rnnlab::ConformanceReport r = rnnlab::run_conformance(registry, cell, params);
    std::cout << rnnlab::conformance_table(r);
    ok = ok && r.passed();
  }
  return ok ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "rnnlab_sdk_check: " << e.what() << "\n";
  return 1;
}
