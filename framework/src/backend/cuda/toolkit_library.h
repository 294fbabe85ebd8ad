// A CUDA toolkit library loaded at run time (cuBLAS, NVRTC): librnnlab_core links neither, so
// a CPU-only run never pays for them. Searched as `soname` on the normal library path, then in
// the toolkit's library directory found at configure time (RNNLAB_CUBLAS_DIR). Plain C++:
// included by .cu and .cpp files alike.
#pragma once

#include <dlfcn.h>

#include <string>

#include "rnnlab/error.h"

namespace rnnlab::cuda_toolkit {

// dlopen()s `soname` (e.g. "libnvrtc.so.13"); *file is the path that was loaded. The library
// stays loaded for the life of the process. Error naming `what` and dlerror() if it cannot.
inline void* open_library(const char* what, const std::string& soname, std::string* file) {
  void* lib = dlopen(soname.c_str(), RTLD_NOW | RTLD_LOCAL);
  *file = soname;
  const std::string first_error = lib ? "" : dlerror();
#ifdef RNNLAB_CUBLAS_DIR
  if (!lib) {
    *file = std::string(RNNLAB_CUBLAS_DIR) + "/" + soname;
    lib = dlopen(file->c_str(), RTLD_NOW | RTLD_LOCAL);
  }
#endif
  RNNLAB_CHECK(lib != nullptr, "cannot load ", what, " (", soname, "): ", first_error,
               lib ? "" : (std::string("; ") + dlerror()));
  return lib;
}

// fn = the symbol `name` of `lib`; Error naming the library if it lacks it.
template <typename F>
void bind_symbol(void* lib, const char* name, const char* what, const std::string& file, F& fn) {
  fn = reinterpret_cast<F>(dlsym(lib, name));
  RNNLAB_CHECK(fn != nullptr, what, " library ", file, " has no symbol ", name);
}

}  // namespace rnnlab::cuda_toolkit
