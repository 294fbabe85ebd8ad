// gemm_bench: the small-M GEMM (PackedWeight, framework/src/backend/cpu/cpu_small_gemm.cpp)
// against cpu_gemm (OpenBLAS) on the recurrent GEMM shapes, f32, in GFLOP/s.
//
// A shape is MxKxN: C[M,N] += A[M,K] B[K,N] (beta = 1, like the cells' step); a trailing `t`
// means B is stored [N,K] and used transposed (the backward dh = dG W_hᵀ). For each shape the
// two sides run in interleaved rounds (cblas, packed, cblas, ...); each round times a batch of
// calls lasting >= ~5 ms; we print the median over rounds of each side, their ratio, and the
// one-off cost of packing B. RNNLAB_SMALL_GEMM=force packs at every M (the crossover sweep).
// Built with oneDNN (libdnnl-dev: bench/CMakeLists.txt), a third side times oneDNN's
// dnnl_sgemm (row-major, its own OpenMP threads, set to the same count) in the same rounds.
// Built with libxsmm (libxsmm-dev 1.17: bench/CMakeLists.txt), a fourth side times its JIT
// kernel the way a recurrent GEMM would use it: libxsmm_smmdispatch once per shape, outside the
// timing (beta 1, no prefetch), then one kernel call per GEMM. libxsmm is column-major, so it
// computes Cᵀ = Bᵀ Aᵀ (operands swapped: its m = N, n = M). For a `t` shape B would need
// libxsmm's TRANS_A, which 1.17's JIT does not generate (dispatch returns null), so B is
// transposed once outside the timing (as PackedWeight packs once) and the kernel is the
// non-transposed one. A kernel call is single-threaded: from PackedWeight's 1M
// multiply-adds the N columns are split in 16-aligned ranges, one kernel per range, over the
// backend's threads (cpu_parallel_for, as PackedWeight). Before timing, its result is checked
// against cpu_gemm on random inputs (max |diff| <= 1e-4 x max |C|, else abort); a shape
// libxsmm does not dispatch prints n/a.
//
// Usage: gemm_bench [--threads N] [--rounds R] [--shapes 8x256x1024,8x1024x256t,...]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "rnnlab/backend.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/rng.h"

#ifdef RNNLAB_HAVE_DNNL
#include <dnnl.h>
#include <omp.h>
#endif
#ifdef RNNLAB_HAVE_XSMM
#include <libxsmm.h>
#endif

using namespace rnnlab;
using rnnlab::bench::Clock;

namespace {

struct Shape3 {
  int64_t m, k, n;
  bool tb;
};

Shape3 parse(std::string s) {
  Shape3 r{0, 0, 0, false};
  if (!s.empty() && s.back() == 't') {
    r.tb = true;
    s.pop_back();
  }
  if (std::sscanf(s.c_str(), "%ldx%ldx%ld", &r.m, &r.k, &r.n) != 3 || r.m < 1 || r.k < 1 ||
      r.n < 1)
    throw Error("bad shape '" + s + "' (want MxKxN[t])");
  return r;
}

// Seconds per call of f, from a batch of calls lasting >= ~5 ms.
template <typename F>
double per_call(F&& f) {
  int64_t calls = 1;
  for (;;) {
    const auto t0 = Clock::now();
    for (int64_t i = 0; i < calls; ++i) f();
    const double ms = bench::ms_since(t0);
    if (ms >= 5.0) return ms * 1e-3 / double(calls);
    calls *= ms < 0.5 ? 10 : 2;
  }
}

#ifdef RNNLAB_HAVE_XSMM
// C[M,N] += A[M,K] op(B)[K,N] (row-major) through libxsmm's JIT kernels: Cᵀ = op(B)ᵀ Aᵀ in
// its column-major terms, N split into `parts` 16-aligned column ranges (one kernel each).
class XsmmGemm {
 public:
  XsmmGemm(const Shape3& sh, const float* b, int threads) : sh_(sh), b_(b) {
    if (sh.tb) {  // B is [N,K]: op(B) = Bᵀ, transposed once here into [K,N]
      bt_.resize(static_cast<std::size_t>(sh.k * sh.n));
      for (int64_t j = 0; j < sh.n; ++j)
        for (int64_t p = 0; p < sh.k; ++p) bt_[p * sh.n + j] = b[j * sh.k + p];
      b_ = bt_.data();
    }
    const int64_t parts =
        threads > 1 && sh.m * sh.k * sh.n >= (int64_t(1) << 20) && sh.n >= 32 ? threads : 1;
    for (int64_t t = 0; t <= parts; ++t)
      col_.push_back(t == parts ? sh.n : sh.n * t / parts / 16 * 16);
    const float alpha = 1.0f, beta = 1.0f;
    const int flags = LIBXSMM_GEMM_FLAG_NONE, prefetch = LIBXSMM_GEMM_PREFETCH_NONE;
    const libxsmm_blasint lda = sh.n, ldb = sh.k, ldc = sh.n;
    for (int64_t t = 0; t < parts; ++t) {
      const libxsmm_smmfunction f = libxsmm_smmdispatch(col_[t + 1] - col_[t], sh.m, sh.k, &lda,
                                                        &ldb, &ldc, &alpha, &beta, &flags,
                                                        &prefetch);
      if (f == nullptr) ok_ = false;
      kern_.push_back(f);
    }
  }
  bool ok() const { return ok_; }
  int64_t parts() const { return static_cast<int64_t>(kern_.size()); }
  void operator()(const float* a, float* c) const {
    if (kern_.size() == 1) {
      kern_[0](b_, a, c);
      return;
    }
    cpu_parallel_for(parts(), 1, [&](int64_t t0, int64_t t1) {
      for (int64_t t = t0; t < t1; ++t) kern_[t](b_ + col_[t], a, c + col_[t]);
    });
  }

 private:
  Shape3 sh_;
  const float* b_;
  std::vector<float> bt_;
  std::vector<int64_t> col_;
  std::vector<libxsmm_smmfunction> kern_;
  bool ok_ = true;
};

// libxsmm's result against cpu_gemm's on random A, B, C (beta 1): throws past 1e-4 x max |C|.
void check_xsmm(const Shape3& sh, int threads) {
  Rng rng(12345);
  auto fill = [&](std::vector<float>& v, std::size_t n) {
    v.resize(n);
    for (float& x : v) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  };
  std::vector<float> a, b, c;
  fill(a, static_cast<std::size_t>(sh.m * sh.k));
  fill(b, static_cast<std::size_t>(sh.k * sh.n));
  fill(c, static_cast<std::size_t>(sh.m * sh.n));
  std::vector<float> ref = c;
  cpu_gemm(false, sh.tb, sh.m, sh.n, sh.k, 1.0f, a.data(), sh.k, b.data(), sh.tb ? sh.k : sh.n,
           1.0f, ref.data(), sh.n);
  const XsmmGemm x(sh, b.data(), threads);
  x(a.data(), c.data());
  double diff = 0.0, scale = 0.0;
  for (std::size_t i = 0; i < c.size(); ++i) {
    diff = std::max(diff, double(std::fabs(c[i] - ref[i])));
    scale = std::max(scale, double(std::fabs(ref[i])));
  }
  if (!(diff <= 1e-4 * scale))
    throw Error("libxsmm differs from cpu_gemm at " + std::to_string(sh.m) + "x" +
                std::to_string(sh.k) + "x" + std::to_string(sh.n) + (sh.tb ? "t" : "") +
                ": max |diff| " + std::to_string(diff) + ", max |C| " + std::to_string(scale));
}
#endif

}  // namespace

int main(int argc, char** argv) {
  int threads = 0, rounds = 7;
  std::string shapes = "8x256x1024,8x1024x256t,16x128x512,16x512x128t,32x512x1536,32x1536x512t,"
                       "64x256x1024,64x1024x256t";
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw Error(a + " needs a value");
        return argv[++i];
      };
      if (a == "--threads") threads = std::stoi(value());
      else if (a == "--rounds") rounds = std::stoi(value());
      else if (a == "--shapes") shapes = value();
      else throw Error("usage: gemm_bench [--threads N] [--rounds R] [--shapes MxKxN[t],...]");
    }
    Backend& be = backend_for(Device::cpu);
    if (threads > 0) be.set_threads(threads);
#ifdef RNNLAB_HAVE_XSMM
    libxsmm_init();
    std::printf("libxsmm %s, target %s\n", LIBXSMM_CONFIG_VERSION, libxsmm_get_target_arch());
#endif
    std::printf("threads %d\n%-14s %10s %10s %8s %8s %10s", be.threads(), "shape (MxKxN)",
                "cblas GF/s", "small GF/s", "ratio", "packed", "pack us");
#ifdef RNNLAB_HAVE_DNNL
    omp_set_num_threads(be.threads());
    std::printf(" %11s", "oneDNN GF/s");
#endif
#ifdef RNNLAB_HAVE_XSMM
    std::printf(" %11s", "xsmm GF/s");
#endif
    std::printf("\n");
    for (const std::string& s : bench::split_list(shapes)) {
      const Shape3 sh = parse(s);
      const int64_t ldb = sh.tb ? sh.k : sh.n;
      std::vector<float> a(static_cast<std::size_t>(sh.m * sh.k), 0.5f);
      std::vector<float> b(static_cast<std::size_t>(sh.k * sh.n), 0.25f);
      std::vector<float> c(static_cast<std::size_t>(sh.m * sh.n), 0.0f);
      const auto t0 = Clock::now();
      const PackedWeight<float> w(sh.tb, sh.k, sh.n, b.data(), ldb, sh.m);
      const double pack_us = bench::ms_since(t0) * 1e3;
      std::vector<double> old_s, new_s, dnnl_s, xsmm_s;
#ifdef RNNLAB_HAVE_XSMM
      const XsmmGemm xsmm(sh, b.data(), be.threads());
      if (xsmm.ok()) check_xsmm(sh, be.threads());
#endif
      for (int r = 0; r < rounds; ++r) {
        old_s.push_back(per_call([&] {
          cpu_gemm(false, sh.tb, sh.m, sh.n, sh.k, 1.0f, a.data(), sh.k, b.data(), ldb, 1.0f,
                   c.data(), sh.n);
        }));
        new_s.push_back(per_call([&] {
          w.gemm(sh.m, 1.0f, a.data(), sh.k, 1.0f, c.data(), sh.n);
        }));
#ifdef RNNLAB_HAVE_DNNL
        dnnl_s.push_back(per_call([&] {
          if (dnnl_sgemm('N', sh.tb ? 'T' : 'N', sh.m, sh.n, sh.k, 1.0f, a.data(), sh.k, b.data(),
                         ldb, 1.0f, c.data(), sh.n) != dnnl_success)
            throw Error("dnnl_sgemm failed");
        }));
#endif
#ifdef RNNLAB_HAVE_XSMM
        if (xsmm.ok()) xsmm_s.push_back(per_call([&] { xsmm(a.data(), c.data()); }));
#endif
      }
      const double flop = 2.0 * double(sh.m) * double(sh.k) * double(sh.n);
      const double g_old = flop / bench::median(old_s) * 1e-9;
      const double g_new = flop / bench::median(new_s) * 1e-9;
      std::printf("%-14s %10.1f %10.1f %8.2f %8s %10.1f", s.c_str(), g_old, g_new,
                  g_new / g_old, w.packed() ? "yes" : "no", pack_us);
      if (!dnnl_s.empty()) std::printf(" %11.1f", flop / bench::median(dnnl_s) * 1e-9);
#ifdef RNNLAB_HAVE_XSMM
      if (xsmm_s.empty()) std::printf(" %11s", "n/a");
      else std::printf(" %11.1f", flop / bench::median(xsmm_s) * 1e-9);
#endif
      std::printf("\n");
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gemm_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
