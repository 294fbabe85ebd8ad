// CPU backend: GEMM through cblas (OpenBLAS).
#include <cblas.h>

#include <algorithm>
#include <type_traits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"

namespace rnnlab {

namespace {
// Who runs a GEMM's threads: TBB, never OpenBLAS's own pool. OpenBLAS is set to one thread
// (CpuBackend::set_threads), and a large GEMM is cut here into one tile per TBB thread, each a
// single-threaded cblas call. Why: after a threaded call, OpenBLAS's idle workers spin in
// sched_yield for 2^28 cycles (~0.1 s, its THREAD_TIMEOUT), taking the cores from TBB's
// elementwise kernels that run between GEMMs; on 2 cores that cost the fused LSTM at `big`
// 15-35 % of its step (bench/README.md, "OpenBLAS's spinning workers").
//
// Tiles and bits. Cut into rows at multiples of kRowPanel, every element of C goes through
// the same micro-kernel and k order as in the one-thread call, so 1 and N threads give
// identical bits (measured for OpenBLAS's Haswell, Zen, SandyBridge, SkylakeX and Cooperlake
// kernels: test_cpu_gemm.cpp). Cut into columns (multiples of kColPanel), OpenBLAS's edge
// kernels move and the last bits may differ from the one-thread call (as they did with
// OpenBLAS's own threads; still the same run to run). Rows are taken unless their panels
// balance the threads worse than columns by more than kRowSlack (a weight gradient Xᵀ dY of
// 512 rows: 384 + 128 rows, against 1024 + 1024 columns).
// No tile is below kDirectMacs: OpenBLAS's AVX-512 "direct" sgemm (NN, alpha 1, beta 0, fewer
// multiply-adds) would otherwise take a tile that the whole call does not.
constexpr int64_t kDirectMacs = int64_t(28) * 512 * 512;  // sgemm_direct_performant's bound
constexpr int64_t kRowPanel = 192, kColPanel = 64;
constexpr double kRowSlack = 0.1;

// A cut of len rows (or columns) into tiles of `step` (the last: the remainder), none below
// `least`; balance = the largest tile over len / threads (1: perfect).
struct Cut {
  int64_t tiles = 1, step = 0;
  double balance = 1e300;
};

Cut cut(int64_t len, int64_t panel, int64_t least, int64_t threads) {
  Cut c;
  c.step = std::max(least, (len + threads - 1) / threads);
  c.step = (c.step + panel - 1) / panel * panel;
  c.tiles = (len + c.step - 1) / c.step;
  if (c.tiles > 1 && len - (c.tiles - 1) * c.step < least) --c.tiles;  // merged
  if (c.tiles > 1) {
    const int64_t largest = std::max(c.step, len - (c.tiles - 1) * c.step);
    c.balance = static_cast<double>(largest * threads) / static_cast<double>(len);
  }
  return c;
}

// One single-threaded cblas call, row-major.
template <typename T>
void blas_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
               int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  const CBLAS_TRANSPOSE opa = ta ? CblasTrans : CblasNoTrans, opb = tb ? CblasTrans : CblasNoTrans;
  const auto i = [](int64_t v) { return static_cast<int>(v); };
  if constexpr (std::is_same_v<T, float>)
    cblas_sgemm(CblasRowMajor, opa, opb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                i(ldc));
  else
    cblas_dgemm(CblasRowMajor, opa, opb, i(m), i(n), i(k), alpha, a, i(lda), b, i(ldb), beta, c,
                i(ldc));
}

// C = alpha op(A) op(B) + beta C, row-major, on TBB's threads (see above).
template <typename T>
void tiled_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, T alpha, const T* a,
                int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  if (m == 0 || n == 0) return;
  const int64_t threads = cpu_backend().threads();
  Cut rows, cols;  // tiles of whole panels, none below kDirectMacs
  if (threads > 1 && k > 0) {
    rows = cut(m, kRowPanel, (kDirectMacs + n * k - 1) / (n * k), threads);
    cols = cut(n, kColPanel, (kDirectMacs + m * k - 1) / (m * k), threads);
  }
  const bool by_rows = rows.balance <= cols.balance + kRowSlack;
  const int64_t tiles = by_rows ? rows.tiles : cols.tiles, step = by_rows ? rows.step : cols.step;
  const int64_t len = by_rows ? m : n;
  if (tiles == 1) {
    blas_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    return;
  }
  cpu_parallel_for(tiles, 1, [&](int64_t t0, int64_t t1) {
    for (int64_t t = t0; t < t1; ++t) {
      const int64_t s = t * step, e = t + 1 == tiles ? len : s + step;
      if (by_rows)  // rows s..e of C: rows of op(A)
        blas_gemm(ta, tb, e - s, n, k, alpha, ta ? a + s : a + s * lda, lda, b, ldb, beta,
                  c + s * ldc, ldc);
      else  // columns s..e of C: columns of op(B)
        blas_gemm(ta, tb, m, e - s, k, alpha, a, lda, tb ? b + s * ldb : b + s, ldb, beta, c + s,
                  ldc);
    }
  });
}
}  // namespace

void cpu_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
              int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  tiled_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void cpu_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, double alpha, const double* a,
              int64_t lda, const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  tiled_gemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
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
