// Building blocks for CPU kernels written outside the core (e.g. a plugin's fused sequence
// kernel): the core's thread pool and GEMM, on raw row-major pointers.
#pragma once

#include <cstdint>
#include <functional>

#include "rnnlab/tensor.h"

namespace rnnlab {

// Runs f(begin, end) over [0, n) in chunks of at least `grain` on the core's TBB arena; stays
// on the calling thread when n is small or one thread is configured.
void cpu_parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& f);

// C[m,n] = alpha op(A) op(B) + beta C  (row-major, leading dimensions in elements). OpenBLAS,
// single-threaded; a large call is cut into one tile per TBB thread (cpu_gemm.cpp), so it may
// be called from inside cpu_parallel_for.
void cpu_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha,
              const float* a, int64_t lda, const float* b, int64_t ldb, float beta, float* c,
              int64_t ldc);
void cpu_gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha,
              const double* a, int64_t lda, const double* b, int64_t ldb, double beta, double* c,
              int64_t ldc);

// A weight B used by many GEMMs with a small M, e.g. the recurrent weight over one sequence:
//   C[m,n] = alpha A[m,k] op(B)[k,n] + beta C   (A row-major, not transposed; op(B) = B or Bᵀ).
// The constructor packs op(B) for the small-M kernel (cpu_small_gemm.cpp) when that is faster
// (float32; AVX-512 and max_m <= 64, or AVX2+FMA and max_m <= 16: the CPU's widest kernel,
// checked at run time), else keeps a view and gemm() calls cpu_gemm: callers
// always use gemm(). B must outlive the object and not change while it is used. m of each call
// should be <= max_m (a larger m is correct, through cpu_gemm).
template <typename T>
class PackedWeight {
 public:
  PackedWeight(bool trans_b, int64_t k, int64_t n, const T* b, int64_t ldb, int64_t max_m);
  PackedWeight(const PackedWeight&) = delete;
  PackedWeight& operator=(const PackedWeight&) = delete;
  void gemm(int64_t m, T alpha, const T* a, int64_t lda, T beta, T* c, int64_t ldc) const;
  bool packed() const { return panels_ != nullptr; }  // false: gemm() is cpu_gemm

 private:
  bool trans_b_;
  int64_t k_, n_, ldb_;
  const T* b_;
  Tensor storage_;             // the panels (block-cache memory), undefined when not packed
  const T* panels_ = nullptr;  // 64-byte aligned, inside storage_
};
extern template class PackedWeight<float>;
extern template class PackedWeight<double>;

}  // namespace rnnlab
