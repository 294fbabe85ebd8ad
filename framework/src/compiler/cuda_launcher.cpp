// Step compiler: the CUDA KernelDevice (launch.h, cuda_kernel_device; scan.h,
// cuda_scan_kernel_device). The emitted source (emit_cuda.cpp, emit_scan_cuda.cpp) is compiled at run time with NVRTC for the current device's architecture
// (cubin, --fmad=false: no contraction, like the CPU executor), loaded with the runtime's
// library API (cudaLibraryLoadData), and its kernels are launched on cuda_stream() with
// block_threads() threads per block; GEMMs are cuBLAS calls (row-major, as cuda_gemm.cu).
// Modules are cached by source text for the life of the process.
//
// NVRTC, like cuBLAS (cuda_blas.h), is not linked but dlopen'ed on first use
// ("libnvrtc.so.<CUDA major>", then the toolkit's library directory), so a process that never
// compiles a step on a GPU never loads it. A failure to load or compile throws rnnlab::Error;
// the step compiler then falls back to composed with that reason.
//
// Plain C++ (g++), not nvcc: it includes the compiler's internal headers (C++20). Only the
// host parts of the CUDA headers are used.
#include "compiler/launch.h"
#include "compiler/scan.h"

#include "rnnlab/error.h"

#ifdef RNNLAB_HAVE_CUDA

#include <cuda_runtime.h>
#include <dlfcn.h>
#include <nvrtc.h>

#include <map>
#include <mutex>

#include "backend/cuda/cuda_blas.h"
#include "backend/cuda/toolkit_library.h"
#include "rnnlab/cuda_kernel.h"

namespace rnnlab::compiler {

namespace {

struct Nvrtc {
  decltype(&nvrtcCreateProgram) create = nullptr;
  decltype(&nvrtcCompileProgram) compile = nullptr;
  decltype(&nvrtcGetProgramLogSize) log_size = nullptr;
  decltype(&nvrtcGetProgramLog) log = nullptr;
  decltype(&nvrtcGetCUBINSize) cubin_size = nullptr;
  decltype(&nvrtcGetCUBIN) cubin = nullptr;
  decltype(&nvrtcDestroyProgram) destroy = nullptr;
  decltype(&nvrtcGetErrorString) error_string = nullptr;
};

Nvrtc load_nvrtc() {
  const cuda_toolkit::Library lib("NVRTC", "libnvrtc.so." + std::to_string(CUDART_VERSION / 1000));
  Nvrtc n;  // stays loaded for the life of the process
  lib.bind("nvrtcCreateProgram", n.create);
  lib.bind("nvrtcCompileProgram", n.compile);
  lib.bind("nvrtcGetProgramLogSize", n.log_size);
  lib.bind("nvrtcGetProgramLog", n.log);
  lib.bind("nvrtcGetCUBINSize", n.cubin_size);
  lib.bind("nvrtcGetCUBIN", n.cubin);
  lib.bind("nvrtcDestroyProgram", n.destroy);
  lib.bind("nvrtcGetErrorString", n.error_string);
  return n;
}

const Nvrtc& nvrtc() {
  static const Nvrtc n = load_nvrtc();
  return n;
}

void nvrtc_check(nvrtcResult r, const char* call) {
  if (r != NVRTC_SUCCESS) throw Error(std::string(call) + " failed: " + nvrtc().error_string(r));
}

}  // namespace

std::vector<char> nvrtc_compile(const std::string& source, int sm) {
  const Nvrtc& api = nvrtc();
  nvrtcProgram prog = nullptr;
  nvrtc_check(api.create(&prog, source.c_str(), "rnnlab_step.cu", 0, nullptr, nullptr),
              "nvrtcCreateProgram");
  const std::string arch = "--gpu-architecture=sm_" + std::to_string(sm);
  const char* opts[] = {arch.c_str(), "--fmad=false"};
  const nvrtcResult rc = api.compile(prog, 2, opts);
  if (rc != NVRTC_SUCCESS) {
    std::size_t n = 0;
    api.log_size(prog, &n);
    std::string log(n, '\0');
    if (n) api.log(prog, log.data());
    api.destroy(&prog);
    throw Error(std::string("NVRTC cannot compile the emitted step (") + api.error_string(rc) +
                "): " + log);
  }
  std::size_t n = 0;
  nvrtc_check(api.cubin_size(prog, &n), "nvrtcGetCUBINSize");
  std::vector<char> cubin(n);
  nvrtc_check(api.cubin(prog, cubin.data()), "nvrtcGetCUBIN");
  api.destroy(&prog);
  return cubin;
}

namespace {

// One compiled source: the loaded library and its kernels by name.
class Module {
 public:
  explicit Module(const std::string& source) {
    int dev = 0, major = 0, minor = 0;
    RNNLAB_CUDA_CHECK(cudaGetDevice(&dev));
    RNNLAB_CUDA_CHECK(cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, dev));
    RNNLAB_CUDA_CHECK(cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, dev));
    const std::vector<char> cubin = nvrtc_compile(source, major * 10 + minor);
    RNNLAB_CUDA_CHECK(
        cudaLibraryLoadData(&lib_, cubin.data(), nullptr, nullptr, 0, nullptr, nullptr, 0));
  }
  Module(const Module&) = delete;
  Module& operator=(const Module&) = delete;
  // Unloading at process exit can run after the runtime is torn down: the library stays.

  cudaKernel_t kernel(const std::string& name) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = kernels_.find(name);
    if (it != kernels_.end()) return it->second;
    cudaKernel_t k = nullptr;
    RNNLAB_CUDA_CHECK(cudaLibraryGetKernel(&k, lib_, name.c_str()));
    kernels_[name] = k;
    return k;
  }

 private:
  cudaLibrary_t lib_ = nullptr;
  std::mutex mu_;
  std::map<std::string, cudaKernel_t> kernels_;
};

std::shared_ptr<Module> module_for(const std::string& source) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<Module>> cache;
  std::lock_guard<std::mutex> lock(mu);
  auto it = cache.find(source);
  if (it != cache.end()) return it->second;
  auto m = std::make_shared<Module>(source);
  cache[source] = m;
  return m;
}

class CudaKernelDevice final : public KernelDevice {
 public:
  CudaKernelDevice(std::shared_ptr<Module> m, DType dtype) : module_(std::move(m)), dtype_(dtype) {}
  Backend& backend() override { return backend_for(Device::cuda); }
  int block_threads() const override { return 128; }
  void launch(const std::string& name, int64_t grid, void** args) override {
    const cudaKernel_t k = module_->kernel(name);
    cudaError_t err = cudaLaunchKernel(reinterpret_cast<const void*>(k),
                                       dim3(static_cast<unsigned>(grid)),
                                       dim3(static_cast<unsigned>(block_threads())), args, 0,
                                       cuda_stream());
    if (err == cudaSuccess && cuda_debug_sync()) err = cudaStreamSynchronize(cuda_stream());
    if (err != cudaSuccess) {
      std::string call = "kernel ";
      call += name;
      cuda_fail(call.c_str(), __FILE__, __LINE__, cudaGetErrorName(err), cudaGetErrorString(err));
    }
  }
  void gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, const void* a, int64_t lda,
            const void* b, int64_t ldb, double beta, void* c, int64_t ldc) override {
    if (m == 0 || n == 0) return;
    // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T (cuda_gemm.cu).
    const cublasOperation_t ob = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t oa = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
    const auto i = [](int64_t v) { return static_cast<int>(v); };
    cublasHandle_t h = cuda_cublas_handle();
    if (dtype_ == DType::f64) {
      const double alpha = 1.0;
      RNNLAB_CUBLAS_CHECK(cublas::api().dgemm(h, ob, oa, i(n), i(m), i(k), &alpha,
                                              static_cast<const double*>(b), i(ldb),
                                              static_cast<const double*>(a), i(lda), &beta,
                                              static_cast<double*>(c), i(ldc)));
    } else {
      const float alpha = 1.0f, fbeta = static_cast<float>(beta);
      RNNLAB_CUBLAS_CHECK(cublas::api().sgemm(h, ob, oa, i(n), i(m), i(k), &alpha,
                                              static_cast<const float*>(b), i(ldb),
                                              static_cast<const float*>(a), i(lda), &fbeta,
                                              static_cast<float*>(c), i(ldc)));
    }
  }

 private:
  std::shared_ptr<Module> module_;
  DType dtype_;
};

}  // namespace

std::shared_ptr<KernelDevice> cuda_kernel_device(const Program& prog, const std::string& name) {
  return std::make_shared<CudaKernelDevice>(module_for(emit_cuda(prog, name)), prog.dtype);
}

std::shared_ptr<KernelDevice> cuda_scan_kernel_device(const ScanPlan& plan, const std::string& name) {
  return std::make_shared<CudaKernelDevice>(module_for(emit_scan_cuda(plan, name)), plan.dtype);
}

}  // namespace rnnlab::compiler

#else

namespace rnnlab::compiler {
std::vector<char> nvrtc_compile(const std::string&, int) {
  throw Error("NVRTC: rnnlab was built without CUDA");
}
std::shared_ptr<KernelDevice> cuda_kernel_device(const Program&, const std::string&) {
  throw Error("the compiled path on CUDA: rnnlab was built without CUDA");
}
std::shared_ptr<KernelDevice> cuda_scan_kernel_device(const ScanPlan&, const std::string&) {
  throw Error("the scan path on CUDA: rnnlab was built without CUDA");
}
}  // namespace rnnlab::compiler

#endif
