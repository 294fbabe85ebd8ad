// A KernelDevice (compiler/launch.h) that runs the step compiler's emitted CUDA C on the CPU:
// the source is compiled as host C++ through compiler/cuda_host_shim.h (c++ on PATH, into a
// temporary .so that is dlopen'ed), kernels run through the shim's fiber scheduler, GEMMs
// through cpu_gemm, buffers are CPU tensors. The test of the emitter and the launch contract.
#pragma once

#include <dlfcn.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

#include "compiler/launch.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/error.h"

namespace rnnlab::test {

class ShimKernelDevice final : public compiler::KernelDevice {
 public:
  // Compiles `source` (emit_cuda output); `threads` per block (small and odd, so the
  // block-strided loops wrap and barriers matter).
  ShimKernelDevice(const std::string& source, DType dtype, int threads)
      : dtype_(dtype), threads_(threads) {
    namespace fs = std::filesystem;
    std::string tmpl = (fs::temp_directory_path() / "rnnlab_shim_XXXXXX").string();
    if (!mkdtemp(tmpl.data())) throw Error("shim: cannot make a temporary directory");
    dir_ = tmpl;
    const std::string src = dir_ + "/kernels.cu", so = dir_ + "/kernels.so";
    std::ofstream(src) << source;
    std::string cmd = "c++ -std=c++20 -O0 -fPIC -shared -x c++ -DRNNLAB_CUDA_HOST_SHIM -include ";
    cmd += RNNLAB_SOURCE_DIR;
    cmd += "/framework/src/compiler/cuda_host_shim.h -o " + so + " " + src + " 2> " + dir_ +
           "/log.txt";
    if (std::system(cmd.c_str()) != 0) {
      std::ifstream log(dir_ + "/log.txt");
      const std::string text((std::istreambuf_iterator<char>(log)), {});
      throw Error("shim: the emitted source does not compile as host C++:\n" + text);
    }
    lib_ = dlopen(so.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!lib_) throw Error(std::string("shim: dlopen: ") + dlerror());
    run_ = reinterpret_cast<Run>(dlsym(lib_, "rnnlab_shim_launch"));
    if (!run_) throw Error("shim: no rnnlab_shim_launch");
  }
  ~ShimKernelDevice() override {
    if (lib_) dlclose(lib_);
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  ShimKernelDevice(const ShimKernelDevice&) = delete;
  ShimKernelDevice& operator=(const ShimKernelDevice&) = delete;

  Backend& backend() override { return backend_for(Device::cpu); }
  int block_threads() const override { return threads_; }
  void launch(const std::string& name, int64_t grid, void** args) override {
    auto entry = reinterpret_cast<void (*)(void**)>(dlsym(lib_, (name + "_host").c_str()));
    if (!entry) throw Error("shim: no kernel " + name);
    if (run_(entry, args, grid, threads_) != 0)
      throw Error("shim: kernel " + name + " passed __syncthreads divergently");
    ++launches_;
  }
  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
            const void* b, int64_t ldb, double beta, void* c, int64_t ldc) override {
    if (dtype_ == DType::f64)
      cpu_gemm(ta, tb, m, n, k, 1.0, static_cast<const double*>(a), lda,
               static_cast<const double*>(b), ldb, beta, static_cast<double*>(c), ldc);
    else
      cpu_gemm(ta, tb, m, n, k, 1.0f, static_cast<const float*>(a), lda,
               static_cast<const float*>(b), ldb, static_cast<float>(beta),
               static_cast<float*>(c), ldc);
  }
  int64_t launches() const { return launches_; }

 private:
  using Run = int (*)(void (*)(void**), void**, long long, int);
  DType dtype_;
  int threads_;
  std::string dir_;
  void* lib_ = nullptr;
  Run run_ = nullptr;
  int64_t launches_ = 0;
};

}  // namespace rnnlab::test
