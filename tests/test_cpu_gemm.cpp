// cpu_gemm (cpu_gemm.cpp): a large GEMM is cut into one tile per TBB thread, each a
// single-threaded OpenBLAS call. Checked: the result matches a triple loop in double for row
// and column tiles, every transpose, beta 0 and 1, a merged remainder, f32 and f64; row tiles
// give the one-thread call's bits (column tiles may not: cpu_gemm.cpp), and a run repeated
// on the same thread count gives the same bits.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <random>
#include <vector>

#include "rnnlab/backend.h"
#include "rnnlab/cpu_kernels.h"

using namespace rnnlab;

namespace {

template <typename T>
std::vector<T> random_vec(int64_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<T> u(T(-1), T(1));
  std::vector<T> v(static_cast<std::size_t>(n));
  for (T& x : v) x = u(gen);
  return v;
}

struct Case {
  int64_t m, n, k;
  bool ta, tb;
  double beta;
};

// C = op(A) op(B) + beta C on `threads` threads (A, B, C dense, row-major).
template <typename T>
std::vector<T> run(const Case& cs, int threads) {
  Backend& cpu = backend_for(Device::cpu);
  const int old = cpu.threads();
  cpu.set_threads(threads);
  const std::vector<T> a = random_vec<T>(cs.m * cs.k, 1), b = random_vec<T>(cs.k * cs.n, 2);
  std::vector<T> c = random_vec<T>(cs.m * cs.n, 3);
  cpu_gemm(cs.ta, cs.tb, cs.m, cs.n, cs.k, T(1), a.data(), cs.ta ? cs.m : cs.k, b.data(),
           cs.tb ? cs.k : cs.n, static_cast<T>(cs.beta), c.data(), cs.n);
  cpu.set_threads(old);
  return c;
}

bool same_bits(const auto& x, const auto& y) {
  return std::memcmp(x.data(), y.data(), x.size() * sizeof(x[0])) == 0;
}

// same_as_one_thread: whether 2 threads must give the 1-thread call's bits (row tiles).
template <typename T>
void check(const Case& cs, bool same_as_one_thread) {
  INFO("m=" << cs.m << " n=" << cs.n << " k=" << cs.k << " ta=" << cs.ta << " tb=" << cs.tb
            << " beta=" << cs.beta);
  const std::vector<T> one = run<T>(cs, 1), two = run<T>(cs, 2);
  CHECK(same_bits(two, run<T>(cs, 2)));
  if (same_as_one_thread) CHECK(same_bits(one, two));

  const std::vector<T> a = random_vec<T>(cs.m * cs.k, 1), b = random_vec<T>(cs.k * cs.n, 2),
                       c0 = random_vec<T>(cs.m * cs.n, 3);
  const double eps = sizeof(T) == 4 ? 1.2e-7 : 2.3e-16;
  double worst = 0;  // error / bound, the bound (k + 2) unit roundoffs of the magnitudes
  for (int64_t i = 0; i < cs.m; ++i)
    for (int64_t j = 0; j < cs.n; ++j) {
      double dot = 0, mag = 0;
      for (int64_t p = 0; p < cs.k; ++p) {
        const double x = a[static_cast<std::size_t>(cs.ta ? p * cs.m + i : i * cs.k + p)];
        const double y = b[static_cast<std::size_t>(cs.tb ? j * cs.k + p : p * cs.n + j)];
        dot += x * y;
        mag += std::fabs(x * y);
      }
      const double c = c0[static_cast<std::size_t>(i * cs.n + j)];
      const double want = dot + cs.beta * c;
      const double bound = double(cs.k + 2) * eps * (mag + std::fabs(cs.beta * c)) + 1e-300;
      const double got = two[static_cast<std::size_t>(i * cs.n + j)];
      worst = std::max(worst, std::fabs(got - want) / bound);
    }
  CHECK(worst <= 1.0);
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("cpu_gemm tiles match the triple loop and row tiles give the one-thread bits") {
  // 1000 rows: two row tiles (576 + 424), each above the direct-sgemm bound
  check<float>({1000, 300, 64, false, false, 0.0}, true);
  check<float>({1000, 300, 64, true, true, 1.0}, true);
  check<float>({1000, 300, 96, true, false, 1.0}, true);
  check<double>({1000, 300, 64, false, true, 1.0}, true);
  // column tiles: few rows (the weight gradient's shape, Xᵀ dY), or rows that balance worse
  // (777 = 576 + 201 rows against 192 + 108 columns)
  check<float>({128, 1536, 512, true, false, 1.0}, false);
  check<float>({130, 4096, 64, false, true, 0.0}, false);
  check<float>({777, 300, 700, true, false, 1.0}, false);
  // both remainders would be below the bound: one whole call
  check<float>({700, 200, 64, false, false, 0.0}, true);
  check<float>({64, 64, 64, false, false, 1.0}, true);
}

TEST_SUITE_END();
