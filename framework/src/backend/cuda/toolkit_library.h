// A CUDA toolkit library loaded at run time (cuBLAS, NVRTC): librnnlab_core links neither, so
// a CPU-only run never pays for them. Searched as `soname` on the normal library path, then in
// the toolkit's library directory found at configure time (RNNLAB_CUBLAS_DIR). Plain C++:
// included by .cu and .cpp files alike.
#pragma once

#include <dlfcn.h>

#include <string>

#include "rnnlab/error.h"

namespace rnnlab::cuda_toolkit {

// One loaded library: `what` ("cuBLAS", "NVRTC") dlopen()ed as `soname` (e.g. "libnvrtc.so.13");
// `file` is the path that was loaded. It stays loaded for the life of the process. Errors name
// `what`, the file and dlerror().
class Library {
 public:
  Library(const char* what, const std::string& soname) : what_(what), file_(soname) {
    lib_ = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
    const std::string first_error = lib_ ? "" : dlerror();
#ifdef RNNLAB_CUBLAS_DIR
    if (!lib_) {
      file_ = std::string(RNNLAB_CUBLAS_DIR) + "/" + soname;
      lib_ = dlopen(file_.c_str(), RTLD_NOW | RTLD_LOCAL);
    }
#endif
    RNNLAB_CHECK(lib_ != nullptr, "cannot load ", what, " (", soname, "): ", first_error,
                 lib_ ? "" : (std::string("; ") + dlerror()));
  }
  // fn = the symbol `name`; Error naming the library if it lacks it.
  template <typename F>
  void bind(const char* name, F& fn) const {
    fn = reinterpret_cast<F>(dlsym(lib_, name));
    RNNLAB_CHECK(fn != nullptr, what_, " library ", file_, " has no symbol ", name);
  }

 private:
  const char* what_;
  std::string file_;
  void* lib_ = nullptr;
};

}  // namespace rnnlab::cuda_toolkit
