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
//
// Usage: gemm_bench [--threads N] [--rounds R] [--shapes 8x256x1024,8x1024x256t,...]
#include <cstdio>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "rnnlab/backend.h"
#include "rnnlab/cpu_kernels.h"

#ifdef RNNLAB_HAVE_DNNL
#include <dnnl.h>
#include <omp.h>
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
    std::printf("threads %d\n%-14s %10s %10s %8s %8s %10s", be.threads(), "shape (MxKxN)",
                "cblas GF/s", "small GF/s", "ratio", "packed", "pack us");
#ifdef RNNLAB_HAVE_DNNL
    omp_set_num_threads(be.threads());
    std::printf(" %11s", "oneDNN GF/s");
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
      std::vector<double> old_s, new_s, dnnl_s;
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
      }
      const double flop = 2.0 * double(sh.m) * double(sh.k) * double(sh.n);
      const double g_old = flop / bench::median(old_s) * 1e-9;
      const double g_new = flop / bench::median(new_s) * 1e-9;
      std::printf("%-14s %10.1f %10.1f %8.2f %8s %10.1f", s.c_str(), g_old, g_new,
                  g_new / g_old, w.packed() ? "yes" : "no", pack_us);
      if (!dnnl_s.empty()) std::printf(" %11.1f", flop / bench::median(dnnl_s) * 1e-9);
      std::printf("\n");
      std::fflush(stdout);
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gemm_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
