// The small-M GEMM on a packed weight (PackedWeight, cpu_small_gemm.cpp) against a plain triple
// loop accumulated in double: M = 1..33 (the kernel's row blocks; with AVX2 the cblas fallback
// above 16), N around the 16-column panel (tails), odd K, alpha/beta as the cells use them (1/1,
// 1/0) and others, leading dimensions wider than the rows, B and Bᵀ; 1 and 2 threads; the
// AVX2 kernel and, where the CPU has it, the AVX-512 one.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <vector>

#include "backend/cpu/cpu_small_gemm.h"
#include "rnnlab/backend.h"
#include "rnnlab/cpu_kernels.h"

using namespace rnnlab;

namespace {

std::vector<float> random_vec(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> v(static_cast<std::size_t>(n));
  for (float& x : v) x = u(gen);
  return v;
}

// Checks PackedWeight<float>::gemm against the reference for one shape; returns whether it packed.
bool check(int64_t m, int64_t n, int64_t k, bool tb, float alpha, float beta, int64_t pad) {
  const int64_t lda = k + pad, ldb = (tb ? k : n) + pad, ldc = n + pad;
  const std::vector<float> a = random_vec(m * lda, 1u + static_cast<uint32_t>(m * 131 + n));
  const std::vector<float> b = random_vec((tb ? n : k) * ldb, 7u + static_cast<uint32_t>(k));
  std::vector<float> c = random_vec(m * ldc, 3u);
  const std::vector<float> c0 = c;
  const PackedWeight<float> w(tb, k, n, b.data(), ldb, m);
  w.gemm(m, alpha, a.data(), lda, beta, c.data(), ldc);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t j = 0; j < ldc; ++j) {
      const auto ij = static_cast<std::size_t>(i * ldc + j);
      if (j >= n) {  // padding of C: untouched
        REQUIRE(c[ij] == c0[ij]);
        continue;
      }
      double dot = 0, mag = 0;
      for (int64_t p = 0; p < k; ++p) {
        const double x = a[static_cast<std::size_t>(i * lda + p)];
        const double y = b[static_cast<std::size_t>(tb ? j * ldb + p : p * ldb + j)];
        dot += x * y;
        mag += std::fabs(x * y);
      }
      const double want = alpha * dot + (beta == 0.0f ? 0.0 : beta * double(c0[ij]));
      const double scale = std::fabs(alpha) * mag + std::fabs(beta * double(c0[ij])) + 1e-30;
      INFO("m=" << m << " n=" << n << " k=" << k << " tb=" << tb << " alpha=" << alpha
                << " beta=" << beta << " pad=" << pad << " at " << i << "," << j);
      // f32 accumulation: at most (k + 2) unit roundoffs of the sum of magnitudes
      REQUIRE(std::fabs(double(c[ij]) - want) <= double(k + 2) * 1.2e-7 * scale);
    }
  return w.packed();
}

struct Threads {
  explicit Threads(int n) : old(backend_for(Device::cpu).threads()) {
    backend_for(Device::cpu).set_threads(n);
  }
  ~Threads() { backend_for(Device::cpu).set_threads(old); }
  int old;
};

// Runs f once per kernel this CPU has (AVX2, and AVX-512 where present), then restores it.
template <typename F>
void each_isa(F&& f) {
  const small_gemm::Isa best = small_gemm::isa();
  for (small_gemm::Isa isa : {small_gemm::Isa::avx2, small_gemm::Isa::avx512}) {
    small_gemm::set_isa(isa);
    if (small_gemm::isa() != isa) continue;  // not on this CPU
    INFO("isa " << static_cast<int>(isa));
    f();
  }
  small_gemm::set_isa(best);
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("small gemm matches the triple loop for M 1 to 33") {
  each_isa([] {
    for (int threads : {1, 2}) {
      Threads th(threads);
      for (int64_t m = 1; m <= 33; ++m)
        for (bool tb : {false, true}) {
          check(m, 37, 29, tb, 1.0f, 1.0f, 0);
          check(m, 64, 33, tb, 1.0f, 0.0f, 3);
        }
    }
  });
}

TEST_CASE("small gemm tails alpha beta and leading dimensions") {
  Threads th(2);
  each_isa([] {
    for (int64_t n : {1, 7, 8, 9, 15, 16, 17, 31, 32, 33, 48, 100})
      for (int64_t k : {1, 2, 3, 17, 64})
        for (bool tb : {false, true})
          for (int64_t pad : {0, 5}) {
            CHECK(check(8, n, k, tb, 1.0f, 1.0f, pad));
            check(5, n, k, tb, 0.5f, -2.0f, pad);
            check(3, n, k, tb, -1.0f, 0.0f, pad);
          }
  });
}

TEST_CASE("small gemm at the cells' shapes") {
  each_isa([] {
    for (int threads : {1, 2}) {
      Threads th(threads);
      check(8, 1024, 256, false, 1.0f, 1.0f, 0);   // long: h W_h, LSTM
      check(8, 256, 1024, true, 1.0f, 1.0f, 0);    // long: dG W_hᵀ
      check(32, 1536, 512, false, 1.0f, 1.0f, 0);  // char LM, GRU
      check(16, 512, 128, true, 1.0f, 1.0f, 256);  // digits, strided like the packed states
    }
  });
}

TEST_CASE("small gemm beta zero ignores NaN in C") {
  const int64_t m = 4, n = 20, k = 9;
  const std::vector<float> a = random_vec(m * k, 1), b = random_vec(k * n, 2);
  std::vector<float> c(static_cast<std::size_t>(m * n), std::nanf(""));
  PackedWeight<float>(false, k, n, b.data(), n, m).gemm(m, 1.0f, a.data(), k, 0.0f, c.data(), n);
  for (float x : c) REQUIRE(std::isfinite(x));
}

TEST_CASE("small gemm double keeps cblas") {
  const std::vector<double> a{1, 2, 3, 4}, b{5, 6, 7, 8};  // [2,2] each
  std::vector<double> c(4, 1.0);
  const PackedWeight<double> w(true, 2, 2, b.data(), 2, 2);
  CHECK_FALSE(w.packed());
  w.gemm(2, 1.0, a.data(), 2, 1.0, c.data(), 2);  // A Bᵀ + 1
  CHECK(c == std::vector<double>{18, 24, 40, 54});
}

TEST_SUITE_END();
