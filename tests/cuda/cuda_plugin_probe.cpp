// rnnlab_cuda_plugin_probe: the plugin loader's fork probe (plugin_loader.h, "Checked loading")
// with CUDA-linked plugins, in a process that already holds a CUDA context.
//
// Why a program of its own: the probe dlopens each plugin in a fork()ed child before the real
// load. A plugin built with CUDA kernels registers its fat binary with the CUDA runtime from
// its static constructors, so that runs in a child whose parent has initialised CUDA, which
// does not survive fork(). In rnnlab_cuda_tests the plugins may already be mapped by the time a
// test case runs (then the child's dlopen runs no constructor); here nothing is loaded before
// the context exists.
//
// Checked, in order (each failure: a line on stderr, exit 1):
//   1. a CUDA context and a kernel run (fill, then download) before any plugin is loaded;
//   2. every built-in plugin loads through the probe (load_dir throws naming the file and the
//      signal or exit status otherwise), with no warning;
//   3. the cells built with CUDA kernels (elman, lstm, gru, qrnn, rwa) report has_fused(cuda);
//   4. CUDA still works in this process after the children: a second fill + download.
// No usable CUDA device: "skipped: no CUDA device (<why>)" and exit 77 (ctest: Skipped).
#include <cstdio>
#include <exception>
#include <map>
#include <string>
#include <vector>

#include "builtin_plugins.h"
#include "rnnlab/backend.h"
#include "rnnlab/cell.h"
#include "rnnlab/parameter.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/rng.h"

using namespace rnnlab;

namespace {

int fail(const std::string& what) {
  std::fprintf(stderr, "rnnlab_cuda_plugin_probe: %s\n", what.c_str());
  return 1;
}

// Fills n floats with v on the GPU and reads them back; true when every one is v.
bool gpu_fill_roundtrip(int64_t n, float v) {
  Backend& gpu = backend_for(Device::cuda);
  Tensor t = gpu.empty({n}, DType::f32);
  gpu.fill(t, v);
  std::vector<float> host(static_cast<std::size_t>(n));
  gpu.download(t, host.data());
  for (float x : host)
    if (x != v) return false;
  return true;
}

}  // namespace

int main() {
  std::string why;
  if (!backend_available(Device::cuda, &why)) {
    std::printf("skipped: no CUDA device (%s)\n", why.c_str());
    return 77;
  }
  try {
    if (!gpu_fill_roundtrip(1 << 20, 1.5f)) return fail("a fill on the GPU read back wrong");

    CellRegistry registry;
    PluginLoader loader;
    loader.load_dir(RNNLAB_PLUGIN_DIR, registry);
    for (const std::string& w : loader.warnings()) return fail("plugin warning: " + w);
    const std::vector<std::string> names = registry.names();
    for (const std::string& p : test::builtin_plugin_names()) {
      bool found = false;
      for (const std::string& n : names) found = found || n == p;
      if (!found) return fail("built-in cell '" + p + "' missing after the probe");
    }

    ParameterStore store(Device::cuda, DType::f32);
    Rng rng(1);
    for (const char* cell : {"elman", "lstm", "gru", "qrnn", "rwa"}) {
      const std::map<std::string, ParamValue> params{{"hidden", int64_t{16}}};
      auto c = registry.create(cell, params, 8, store, std::string("probe/") + cell, rng);
      if (!c->has_fused(Device::cuda))
        return fail(std::string(cell) + ": no CUDA kernel after the probe (has_fused(cuda) false)");
    }

    if (!gpu_fill_roundtrip(1 << 20, -2.25f))
      return fail("a fill on the GPU read back wrong after the probe's children");
  } catch (const std::exception& e) {
    return fail(e.what());
  }
  std::printf("rnnlab_cuda_plugin_probe: every built-in plugin loaded through the fork probe "
              "after the CUDA context; CUDA kernels present, CUDA usable after\n");
  return 0;
}
