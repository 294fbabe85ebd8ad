// CUDA backend: GEMM through cuBLAS (loaded at run time, cuda_blas.h).
//
//   C[m,n] = alpha * op(A) * op(B) + beta * C,   A, B, C row-major, viewed as 2-D by their last dim.
//
// cuBLAS is column-major, and a row-major matrix read column-major is its transpose. So the
// row-major product is computed as the column-major  C^T[n,m] = op(B)^T * op(A)^T : cuBLAS gets
// B first (op = trans_b, ld = B's row length), then A (op = trans_a, ld = A's row length), and
// ldc = n. Full fp32/fp64 math (no TF32, see the handle's math mode in cuda_memory.cu).
#include <dlfcn.h>

#include <string>

#include "backend/cuda/cuda_blas.h"
#include "backend/cuda/toolkit_library.h"
#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

namespace cublas {

namespace {
Api load() {
  const cuda_toolkit::Library lib("cuBLAS", "libcublas.so." + std::to_string(CUBLAS_VER_MAJOR));
  Api a;  // the library stays loaded for the life of the process
  lib.bind("cublasCreate_v2", a.create);
  lib.bind("cublasDestroy_v2", a.destroy);
  lib.bind("cublasSetStream_v2", a.set_stream);
  lib.bind("cublasSetMathMode", a.set_math_mode);
  lib.bind("cublasSgemm_v2", a.sgemm);
  lib.bind("cublasDgemm_v2", a.dgemm);
  lib.bind("cublasGetStatusName", a.status_name);
  lib.bind("cublasGetStatusString", a.status_string);
  return a;
}
}  // namespace

const Api& api() {
  static const Api a = load();
  return a;
}

}  // namespace cublas

namespace {
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ob, cublasOperation_t oa, int n,
                         int m, int k, float alpha, const float* b, int ldb, const float* a,
                         int lda, float beta, float* c, int ldc) {
  return cublas::api().sgemm(h, ob, oa, n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc);
}
cublasStatus_t gemm_call(cublasHandle_t h, cublasOperation_t ob, cublasOperation_t oa, int n,
                         int m, int k, double alpha, const double* b, int ldb, const double* a,
                         int lda, double beta, double* c, int ldc) {
  return cublas::api().dgemm(h, ob, oa, n, m, k, &alpha, b, ldb, a, lda, &beta, c, ldc);
}
}  // namespace

void CudaBackend::gemm(bool ta, bool tb, double alpha, const Tensor& a, const Tensor& b,
                       double beta, Tensor& c) {
  RNNLAB_CHECK(a.dtype() == b.dtype() && b.dtype() == c.dtype(), "gemm dtypes differ");
  cuda_detail::check_cuda(a, "gemm A");
  cuda_detail::check_cuda(b, "gemm B");
  cuda_detail::check_cuda(c, "gemm C");
  int64_t ar = a.numel() / a.dim(-1), ac = a.dim(-1);
  int64_t br = b.numel() / b.dim(-1), bc = b.dim(-1);
  int64_t m = ta ? ac : ar, k = ta ? ar : ac;
  int64_t kb = tb ? bc : br, n = tb ? br : bc;
  RNNLAB_CHECK(k == kb, "gemm inner dimensions differ: ", shape_str(a.shape()),
               ta ? "^T" : "", " x ", shape_str(b.shape()), tb ? "^T" : "");
  RNNLAB_CHECK(c.numel() == m * n && c.dim(-1) == n, "gemm output ", shape_str(c.shape()),
               " is not [", m, ",", n, "]");
  constexpr int64_t kIntMax = 2147483647;
  RNNLAB_CHECK(m <= kIntMax && n <= kIntMax && k <= kIntMax && ac <= kIntMax && bc <= kIntMax,
               "gemm dimensions exceed cuBLAS's 32-bit sizes: [", m, ",", k, "] x [", k, ",", n,
               "]");
  if (m == 0 || n == 0) return;
  const cublasOperation_t oa = ta ? CUBLAS_OP_T : CUBLAS_OP_N;
  const cublasOperation_t ob = tb ? CUBLAS_OP_T : CUBLAS_OP_N;
  // lda/ldb must be >= 1 even for an empty operand (k == 0: C = beta C).
  const int lda = static_cast<int>(std::max<int64_t>(1, ac));
  const int ldb = static_cast<int>(std::max<int64_t>(1, bc));
  dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    RNNLAB_CUBLAS_CHECK(gemm_call(cuda_cublas_handle(), ob, oa, static_cast<int>(n), static_cast<int>(m),
                                  static_cast<int>(k), static_cast<T>(alpha), b.data<T>(), ldb,
                                  a.data<T>(), lda, static_cast<T>(beta), c.data<T>(),
                                  static_cast<int>(n)));
  });
}

}  // namespace rnnlab
