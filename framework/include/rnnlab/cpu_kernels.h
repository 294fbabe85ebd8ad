// Building blocks for CPU kernels written outside the core (e.g. a plugin's fused sequence
// kernel): the core's thread pool and GEMM, on raw row-major pointers.
#pragma once

#include <cstdint>
#include <functional>

namespace rnnlab {

// Runs f(begin, end) over [0, n) in chunks of at least `grain` on the core's TBB arena; stays
// on the calling thread when n is small or one thread is configured.
void cpu_parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& f);

// C[m,n] = alpha op(A) op(B) + beta C  (row-major, leading dimensions in elements).
void cpu_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc);
void cpu_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
              const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
              int64_t ldc);

}  // namespace rnnlab
