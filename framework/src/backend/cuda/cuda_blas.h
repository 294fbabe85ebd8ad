// cuBLAS, loaded at run time. libcublas (+ libcublasLt) costs ~0.4 s and ~200 MB resident just
// to load, so librnnlab_core does not link it: the CUDA backend dlopens it the first time it is
// created (i.e. only when a GPU is used) and calls it through this table of function pointers.
// Searched as "libcublas.so.<major of the toolkit we compiled against>" on the normal library
// path, then in the toolkit's library directory found at configure time (RNNLAB_CUBLAS_DIR).
#pragma once

#include <cublas_v2.h>

namespace rnnlab::cublas {

struct Api {
  decltype(&cublasCreate_v2) create = nullptr;
  decltype(&cublasDestroy_v2) destroy = nullptr;
  decltype(&cublasSetStream_v2) set_stream = nullptr;
  decltype(&cublasSetMathMode) set_math_mode = nullptr;
  decltype(&cublasSgemm_v2) sgemm = nullptr;
  decltype(&cublasDgemm_v2) dgemm = nullptr;
  decltype(&cublasGetStatusName) status_name = nullptr;
  decltype(&cublasGetStatusString) status_string = nullptr;
};

// Loads the library on first call; throws rnnlab::Error naming the file and dlerror() if it
// cannot be loaded or lacks a symbol.
const Api& api();

}  // namespace rnnlab::cublas

namespace rnnlab {
// The backend's handle (bound to cuda_stream()); creates the backend on first use.
cublasHandle_t cuda_cublas_handle();
}  // namespace rnnlab

#define RNNLAB_CUBLAS_CHECK(call)                                                           \
  do {                                                                                      \
    cublasStatus_t rnnlab_st_ = (call);                                                     \
    if (rnnlab_st_ != CUBLAS_STATUS_SUCCESS)                                                \
      ::rnnlab::cuda_fail(#call, __FILE__, __LINE__,                                        \
                          ::rnnlab::cublas::api().status_name(rnnlab_st_),                  \
                          ::rnnlab::cublas::api().status_string(rnnlab_st_));               \
  } while (0)
