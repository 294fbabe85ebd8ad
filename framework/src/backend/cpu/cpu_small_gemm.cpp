// Small-M GEMM on a packed weight: C[m,n] = alpha A[m,k] op(B)[k,n] + beta C (float32).
//
// The recurrent GEMM of a cell step, h_{t-1} W_h ([B,H] x [H,G]) and its backward
// dG_t W_hᵀ ([B,G] x [G,H]), has a small M (the batch) and the same B at every step.
// OpenBLAS packs B again at every call and is tuned for large M; here B is packed once per
// sequence (PackedWeight) and a register-blocked kernel runs each step.
//
// Packing: op(B) [k,n] is cut into panels of NR = 16 columns; panel q holds
//   panel_q[p*16 + c] = op(B)[p, 16q + c]   (p < k, c < 16; columns past n are 0)
// so one row p of a panel is 64 contiguous bytes (two ymm), read once per row block.
// Kernel: an MR x 16 block of C (MR <= 6) lives in 2*MR ymm accumulators; for each p, two
// loads of the panel row, MR broadcasts of A[i,p] and 2*MR FMAs. M is cut into
// ceil(M/6) row blocks of even size (M = 8: 4 + 4; M = 32: 6,6,5,5,5,5). Loop order: panel
// outer (its k*64 bytes stay in L1 across the row blocks), row blocks inner. The last panel
// stores its n mod 16 columns with masked loads/stores (nothing outside C is touched).
// AVX-512 (where the CPU has it; same panels): a block of MR <= 8 rows x 2 panels (32 columns)
// in 16 zmm accumulators, rows cut into ceil(M/8) even blocks, masked stores for the tail.
// Threads: the panels are split in contiguous ranges, one per backend thread (cpu_parallel_for)
// above kParallelMacs; each C element is computed by one thread in one order, so results do
// not depend on the thread count.
//
// Dispatch (PackedWeight's constructor, the one home of the rule): pack when the type is float,
// the CPU has AVX2 and FMA (checked at run time; the kernel is compiled for it with a target
// attribute, the build stays portable), m <= kMaxSmallM[512] (measured, bench/README.md
// "Small-M GEMM"); otherwise gemm() calls cpu_gemm (cblas). RNNLAB_SMALL_GEMM=0 turns the
// kernel off (A/B runs in one binary), =force uses it at any m (to measure the crossover).
#include <immintrin.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_small_gemm.h"
#include "rnnlab/cpu_kernels.h"

namespace rnnlab {

namespace {

constexpr int64_t NR = 16;
constexpr int kMaxMR = 6;
// Largest M that packs (measured, bench/README.md "Small-M GEMM"): the AVX2 kernel (~100
// GFLOP/s a core) loses to OpenBLAS's AVX-512 one from M = 24-32; the AVX-512 kernel (~210)
// still beat it at M = 128 on one core, kept to the batch sizes measured in full steps.
constexpr int64_t kMaxSmallM = 16, kMaxSmallM512 = 64;
// Below this many multiply-adds one thread: in full 2-thread steps, splitting 8x256x256 (long
// Elman) and 16x128x384 (digits GRU) cost 18-25 % of the step (bench/README.md, "Small-M GEMM").
constexpr int64_t kParallelMacs = int64_t(1) << 20;

// RNNLAB_SMALL_GEMM: 0 = never pack (cblas only), force = pack at any m (to measure the
// crossover, bench/gemm_bench.cpp), avx2 = the AVX2 kernel even where AVX-512 is there;
// unset = the rule above.
enum class Mode { off, rule, force };
struct Config {
  Mode mode = Mode::off;
  small_gemm::Isa isa = small_gemm::Isa::none;
};
small_gemm::Isa best_isa() {
  if (__builtin_cpu_supports("avx512f")) return small_gemm::Isa::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return small_gemm::Isa::avx2;
  return small_gemm::Isa::none;
}
Config& config() {
  static Config cfg = [] {
    Config c;
    c.isa = best_isa();
    const char* env = std::getenv("RNNLAB_SMALL_GEMM");
    const std::string e = env ? env : "";
    if (e == "avx2" && c.isa == small_gemm::Isa::avx512) c.isa = small_gemm::Isa::avx2;
    c.mode = c.isa == small_gemm::Isa::none || e == "0" ? Mode::off
             : e == "force"                            ? Mode::force
                                                       : Mode::rule;
    return c;
  }();
  return cfg;
}
bool use_small(int64_t m) {
  const Mode mode = config().isa == small_gemm::Isa::none ? Mode::off : config().mode;
  const int64_t max_m = config().isa == small_gemm::Isa::avx512 ? kMaxSmallM512 : kMaxSmallM;
  return mode == Mode::force || (mode == Mode::rule && m <= max_m);
}

// Lanes [0, w) of an 8-lane mask (w may be <= 0 or >= 8).
__attribute__((target("avx2,fma"))) inline __m256i lane_mask(int64_t w) {
  const __m256i idx = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  const int lanes = static_cast<int>(std::clamp<int64_t>(w, 0, 8));
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(lanes), idx);
}

// C[0:MR, 0:cols] = alpha A[0:MR, 0:k] panel + beta C  (cols <= 16; beta == 0: C not read).
template <int MR>
__attribute__((target("avx2,fma"))) void micro(int64_t k, const float* a, int64_t lda,
                                               const float* panel, float alpha, float beta,
                                               float* c, int64_t ldc, int64_t cols) {
  // Every loop over i is unrolled so the accumulators stay in registers.
  __m256 acc[MR][2];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) acc[i][0] = acc[i][1] = _mm256_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    const __m256 b0 = _mm256_load_ps(panel + p * NR);
    const __m256 b1 = _mm256_load_ps(panel + p * NR + 8);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i * lda + p);
      acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
      acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
    }
  }
  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  if (cols == NR) {
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc;
      __m256 r0 = _mm256_mul_ps(acc[i][0], va), r1 = _mm256_mul_ps(acc[i][1], va);
      if (beta != 0.0f) {
        r0 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci), r0);
        r1 = _mm256_fmadd_ps(vb, _mm256_loadu_ps(ci + 8), r1);
      }
      _mm256_storeu_ps(ci, r0);
      _mm256_storeu_ps(ci + 8, r1);
    }
    return;
  }
  const __m256i m0 = lane_mask(cols), m1 = lane_mask(cols - 8);
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i) {
    float* ci = c + i * ldc;
    __m256 r0 = _mm256_mul_ps(acc[i][0], va), r1 = _mm256_mul_ps(acc[i][1], va);
    if (beta != 0.0f) {
      r0 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci, m0), r0);
      r1 = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8, m1), r1);
    }
    _mm256_maskstore_ps(ci, m0, r0);
    _mm256_maskstore_ps(ci + 8, m1, r1);
  }
}

using Micro = void (*)(int64_t, const float*, int64_t, const float*, float, float, float*,
                       int64_t, int64_t);
constexpr Micro kMicro[kMaxMR + 1] = {nullptr,  micro<1>, micro<2>, micro<3>,
                                      micro<4>, micro<5>, micro<6>};

// AVX-512: C[0:MR, 0:cols] = alpha A[0:MR, 0:k] [panel_0 .. panel_{NP-1}] + beta C, one zmm
// per row and panel (MR <= 8, NP <= 2: up to 16 accumulators of the 32 zmm); cols <= 16 NP.
template <int MR, int NP>
__attribute__((target("avx512f"))) void micro512(int64_t k, const float* a, int64_t lda,
                                                 const float* panel, int64_t pstride,
                                                 float alpha, float beta, float* c, int64_t ldc,
                                                 int64_t cols) {
  __m512 acc[MR][NP];
#pragma GCC unroll 8
  for (int i = 0; i < MR; ++i)
#pragma GCC unroll 2
    for (int j = 0; j < NP; ++j) acc[i][j] = _mm512_setzero_ps();
  for (int64_t p = 0; p < k; ++p) {
    __m512 b[NP];
#pragma GCC unroll 2
    for (int j = 0; j < NP; ++j) b[j] = _mm512_load_ps(panel + j * pstride + p * NR);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i * lda + p]);
#pragma GCC unroll 2
      for (int j = 0; j < NP; ++j) acc[i][j] = _mm512_fmadd_ps(ai, b[j], acc[i][j]);
    }
  }
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 2
  for (int j = 0; j < NP; ++j) {
    const int64_t w = std::clamp<int64_t>(cols - j * NR, 0, NR);
    const __mmask16 mask = static_cast<__mmask16>((1u << w) - 1u);
#pragma GCC unroll 8
    for (int i = 0; i < MR; ++i) {
      float* ci = c + i * ldc + j * NR;
      __m512 r = _mm512_mul_ps(acc[i][j], va);
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask, ci), r);
      _mm512_mask_storeu_ps(ci, mask, r);
    }
  }
}

constexpr int kMaxMR512 = 8;
using Micro512 = void (*)(int64_t, const float*, int64_t, const float*, int64_t, float, float,
                          float*, int64_t, int64_t);
constexpr Micro512 kMicro512[2][kMaxMR512 + 1] = {
    {nullptr, micro512<1, 1>, micro512<2, 1>, micro512<3, 1>, micro512<4, 1>, micro512<5, 1>,
     micro512<6, 1>, micro512<7, 1>, micro512<8, 1>},
    {nullptr, micro512<1, 2>, micro512<2, 2>, micro512<3, 2>, micro512<4, 2>, micro512<5, 2>,
     micro512<6, 2>, micro512<7, 2>, micro512<8, 2>}};

// Panels [q0, q1) of C = alpha A op(B) + beta C.
void run_panels(int64_t q0, int64_t q1, int64_t m, int64_t n, int64_t k, float alpha,
                const float* a, int64_t lda, const float* panels, float beta, float* c,
                int64_t ldc) {
  if (config().isa == small_gemm::Isa::avx512) {  // two panels (32 columns) per kernel call
    const int64_t blocks = (m + kMaxMR512 - 1) / kMaxMR512;
    for (int64_t q = q0; q < q1; q += 2) {
      const int64_t np = std::min<int64_t>(2, q1 - q);
      const int64_t cols = std::min(np * NR, n - q * NR);
      int64_t r0 = 0;
      for (int64_t blk = 0; blk < blocks; ++blk) {
        const int64_t r1 = m * (blk + 1) / blocks;
        kMicro512[np - 1][r1 - r0](k, a + r0 * lda, lda, panels + q * k * NR, k * NR, alpha,
                                   beta, c + r0 * ldc + q * NR, ldc, cols);
        r0 = r1;
      }
    }
    return;
  }
  const int64_t blocks = (m + kMaxMR - 1) / kMaxMR;
  for (int64_t q = q0; q < q1; ++q) {
    const float* panel = panels + q * k * NR;
    const int64_t cols = std::min(NR, n - q * NR);
    int64_t r0 = 0;
    for (int64_t blk = 0; blk < blocks; ++blk) {
      const int64_t r1 = m * (blk + 1) / blocks;  // even split, each block <= kMaxMR rows
      kMicro[r1 - r0](k, a + r0 * lda, lda, panel, alpha, beta, c + r0 * ldc + q * NR, ldc,
                      cols);
      r0 = r1;
    }
  }
}

}  // namespace

namespace small_gemm {
Isa isa() { return config().isa; }
void set_isa(Isa want) {
  const Isa best = best_isa();
  config().isa = want == Isa::avx512 && best != Isa::avx512 ? best
                 : want == Isa::avx2 && best == Isa::none   ? best
                                                            : want;
}
}  // namespace small_gemm

template <typename T>
PackedWeight<T>::PackedWeight(bool trans_b, int64_t k, int64_t n, const T* b, int64_t ldb,
                              int64_t max_m)
    : trans_b_(trans_b), k_(k), n_(n), ldb_(ldb), b_(b) {
  if constexpr (std::is_same_v<T, float>) {  // float64 keeps cblas: the pack is a view of B
    if (k <= 0 || n <= 0 || !use_small(max_m)) return;
    const int64_t np = (n + NR - 1) / NR;
    // From the backend's block cache: a fresh allocation faults its pages in at every sequence
    // (about 3 ms per MB on the test machines, more than the digits step). 64-byte aligned
    // start: each panel row is one cache line; the tail panel's padding columns are zeroed.
    storage_ = cpu_backend().empty({np * k * NR + NR}, DType::f32);
    const auto addr = reinterpret_cast<std::uintptr_t>(storage_.data<float>());
    float* dst = storage_.data<float>() + ((64 - addr % 64) % 64) / sizeof(float);
    if (n % NR) std::memset(dst + (np - 1) * k * NR, 0, sizeof(float) * static_cast<std::size_t>(k * NR));
    for (int64_t q = 0; q < np; ++q) {
      float* panel = dst + q * k * NR;
      const int64_t cols = std::min(NR, n - q * NR);
      if (trans_b) {  // op(B)[p, j] = B[j, p]: row j of B is column j of op(B)
        for (int64_t cc = 0; cc < cols; ++cc) {
          const float* src = b + (q * NR + cc) * ldb;
          for (int64_t p = 0; p < k; ++p) panel[p * NR + cc] = src[p];
        }
      } else {
        for (int64_t p = 0; p < k; ++p)
          std::memcpy(panel + p * NR, b + p * ldb + q * NR, sizeof(float) * cols);
      }
    }
    panels_ = dst;
  }
}

template <typename T>
void PackedWeight<T>::gemm(int64_t m, T alpha, const T* a, int64_t lda, T beta, T* c,
                           int64_t ldc) const {
  if (m <= 0 || n_ <= 0) return;
  if constexpr (std::is_same_v<T, float>) {
    if (panels_ && use_small(m)) {
      const int64_t np = (n_ + NR - 1) / NR;
      const int64_t threads = std::min<int64_t>(cpu_backend().threads(), np);
      if (threads <= 1 || m * n_ * k_ < kParallelMacs) {
        run_panels(0, np, m, n_, k_, alpha, a, lda, panels_, beta, c, ldc);
        return;
      }
      cpu_parallel_for(threads, 1, [&](int64_t t0, int64_t t1) {
        run_panels(np * t0 / threads, np * t1 / threads, m, n_, k_, alpha, a, lda, panels_, beta,
                   c, ldc);
      });
      return;
    }
  }
  cpu_gemm(false, trans_b_, m, n_, k_, alpha, a, lda, b_, ldb_, beta, c, ldc);
}

template class PackedWeight<float>;
template class PackedWeight<double>;

}  // namespace rnnlab
