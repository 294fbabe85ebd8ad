// The step compiler's CUDA C (step_compiler.h: emit_cuda_step) compiled with NVRTC for every
// compilable built-in cell (f32 programs, batch 2). NVRTC needs no device, so this runs on every
// machine with a CUDA toolkit; a compile error fails with NVRTC's log. The kernels run without
// a device in tests/test_step_compiler_shim.cpp (host shim, against the CPU executor), and on
// one in test_cuda_compiled.cpp (the launcher of compiler/launch.h).
#include <nvrtc.h>

#include <cstdio>
#include <string>

#include "builtin_plugins.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/step_compiler.h"

int main() {
  using namespace rnnlab;
  CellRegistry registry;
  PluginLoader loader;
  loader.load_dir(RNNLAB_PLUGIN_DIR, registry);
  int failures = 0, compiled = 0;
  for (const std::string& name : test::builtin_step_cells()) {
    const char* cell = name.c_str();
    std::string why;
    const std::string src = emit_cuda_step(registry, cell, {}, &why);
    if (src.empty()) {
      std::printf("%s: no CUDA C (%s)\n", cell, why.c_str());
      ++failures;
      continue;
    }
    nvrtcProgram prog;
    if (nvrtcCreateProgram(&prog, src.c_str(), (std::string(cell) + ".cu").c_str(), 0, nullptr,
                           nullptr) != NVRTC_SUCCESS) {
      std::printf("%s: nvrtcCreateProgram failed\n", cell);
      ++failures;
      continue;
    }
    const char* opts[] = {"--gpu-architecture=compute_80", "-default-device"};
    const nvrtcResult rc = nvrtcCompileProgram(prog, 2, opts);
    std::size_t log_size = 0;
    nvrtcGetProgramLogSize(prog, &log_size);
    std::string log(log_size, '\0');
    nvrtcGetProgramLog(prog, log.data());
    std::size_t ptx_size = 0;
    if (rc == NVRTC_SUCCESS) nvrtcGetPTXSize(prog, &ptx_size);
    nvrtcDestroyProgram(&prog);
    if (rc != NVRTC_SUCCESS || ptx_size == 0) {
      std::printf("%s: NVRTC failed: %s\n%s\n--- source ---\n%s\n", cell, nvrtcGetErrorString(rc),
                  log.c_str(), src.c_str());
      ++failures;
      continue;
    }
    std::printf("%s: %zu bytes of CUDA C -> %zu bytes of PTX\n", cell, src.size(), ptx_size);
    ++compiled;
  }
  std::printf("%d cells compiled with NVRTC, %d failures\n",
              compiled, failures);
  return failures == 0 && compiled > 0 ? 0 : 1;
}
