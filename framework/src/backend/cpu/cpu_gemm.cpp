// CPU backend: GEMM through cblas (OpenBLAS).
#include <cblas.h>

#include <atomic>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"

namespace rnnlab {

namespace {
// OpenBLAS threads every GEMM above a tiny size, and for RNN-sized GEMMs (16x128x512) the
// fork/join costs more than the second core gives. Below kThreadedMacs multiply-adds we run
// OpenBLAS on one thread; above it, on the backend's budget. openblas_set_num_threads is only
// called when the wanted count changes.
constexpr int64_t kThreadedMacs = int64_t(1) << 22;

std::atomic<int> g_blas_threads{-1};  // what OpenBLAS was last told (-1: unknown)

void pick_blas_threads(int64_t m, int64_t n, int64_t k) {
  int want = m * n * k < kThreadedMacs ? 1 : cpu_backend().threads();
  if (want != g_blas_threads.load(std::memory_order_relaxed)) {
    openblas_set_num_threads(want);
    g_blas_threads.store(want, std::memory_order_relaxed);
  }
}
}  // namespace

void cpu_blas_threads_changed() { g_blas_threads.store(-1); }

void cpu_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
              int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  pick_blas_threads(m, n, k);
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

void cpu_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
              int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  pick_blas_threads(m, n, k);
  cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans,
              static_cast<int>(m), static_cast<int>(n), static_cast<int>(k), alpha, a,
              static_cast<int>(lda), b, static_cast<int>(ldb), beta, c, static_cast<int>(ldc));
}

// A, B, C viewed as 2-D: [numel/last, last].
void CpuBackend::gemm(bool ta, bool tb, double alpha, const Tensor& a, const Tensor& b,
                      double beta, Tensor& c) {
  RNNLAB_CHECK(a.dtype() == b.dtype() && b.dtype() == c.dtype(), "gemm dtypes differ");
  int64_t ar = a.numel() / a.dim(-1), ac = a.dim(-1);
  int64_t br = b.numel() / b.dim(-1), bc = b.dim(-1);
  int64_t m = ta ? ac : ar, k = ta ? ar : ac;
  int64_t kb = tb ? bc : br, n = tb ? br : bc;
  RNNLAB_CHECK(k == kb, "gemm inner dimensions differ: ", shape_str(a.shape()),
               ta ? "^T" : "", " x ", shape_str(b.shape()), tb ? "^T" : "");
  RNNLAB_CHECK(c.numel() == m * n && c.dim(-1) == n, "gemm output ", shape_str(c.shape()),
               " is not [", m, ",", n, "]");
  dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    cpu_gemm(ta, tb, m, n, k, static_cast<T>(alpha), a.data<T>(), ac, b.data<T>(), bc,
             static_cast<T>(beta), c.data<T>(), n);
  });
}

}  // namespace rnnlab
