// The benchmarks' shared timing: a device sync, medians, comma lists, and the GEMM floor's
// per-call timing (one home for rnnlab_bench and lm_bench).
//
// time_gemm(ta, tb, m, n, k): median seconds per call of C[m,n] = op(A)[m,k] op(B)[k,n], f32,
// on the CPU through PackedWeight when A is not transposed (packed once, outside the timing:
// the small-M kernel where the step's recurrent GEMMs use it, else cpu_gemm, as in a step) or
// cpu_gemm (the core's OpenBLAS call, the same thread policy as a training step), or through
// the CUDA backend's gemm (cuBLAS), in batches of calls lasting >= ~2 ms; memoised per shape.
// A step's floor is Σ calls x time_gemm: what it would cost if all but its GEMMs were free.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#ifdef RNNLAB_HAVE_CUDA
#include <cuda_runtime.h>
#endif

#include "rnnlab/autodiff.h"
#include "rnnlab/backend.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/error.h"
#include "rnnlab/rng.h"
#include "rnnlab/tensor.h"

namespace rnnlab::bench {

using Clock = std::chrono::steady_clock;

// Waits until the device has finished all queued work (kernels run asynchronously on cuda).
inline void sync(Device d) {
#ifdef RNNLAB_HAVE_CUDA
  if (d == Device::cuda && cudaDeviceSynchronize() != cudaSuccess)
    throw Error("cudaDeviceSynchronize failed");
#else
  (void)d;
#endif
}

inline double ms_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
}

inline double median(std::vector<double> v) {
  if (v.empty()) return NAN;
  std::sort(v.begin(), v.end());
  std::size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}
inline double minimum(const std::vector<double>& v) {
  return v.empty() ? NAN : *std::min_element(v.begin(), v.end());
}


inline std::vector<std::string> split_list(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ','))
    if (!item.empty()) out.push_back(item);
  return out;
}

// ---------------------------------------------------------------- GEMM timing
struct GemmShape {
  const char* what;
  bool ta, tb;
  int64_t m, n, k;
  int64_t calls;  // per training step
  double flops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(n) * k; }
};

// Median seconds per call of C[m,n] = op(A) op(B) (+C), f32, through cpu_gemm (cpu) or the
// CUDA backend's gemm, i.e. cuBLAS (cuda; each batch of calls ends with a synchronisation).
inline double time_gemm(bool ta, bool tb, int64_t m, int64_t n, int64_t k, Device dev = Device::cpu) {
  static std::map<std::string, double> memo;
  std::string key = std::string(device_name(dev)) + std::to_string(ta) + std::to_string(tb) +
                    ":" + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
  if (auto it = memo.find(key); it != memo.end()) return it->second;
  Rng rng(7);
  std::vector<float> a(static_cast<std::size_t>(m * k)), b(static_cast<std::size_t>(k * n)),
      c(static_cast<std::size_t>(m * n), 0.0f);
  for (auto& x : a) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : b) x = static_cast<float>(rng.uniform(-1, 1));
  const int64_t lda = ta ? m : k, ldb = tb ? k : n;
  Tensor ta_t, tb_t, tc_t;
  if (dev != Device::cpu) {
    ta_t = from_vector(a, {ta ? k : m, ta ? m : k}, dev);
    tb_t = from_vector(b, {tb ? n : k, tb ? k : n}, dev);
    tc_t = from_vector(c, {m, n}, dev);
  }
  std::optional<PackedWeight<float>> packed;  // as the step runs it: CPU, A not transposed
  if (dev == Device::cpu && !ta) packed.emplace(tb, k, n, b.data(), ldb, m);
  auto call = [&] {
    if (packed)
      packed->gemm(m, 1.0f, a.data(), lda, 0.0f, c.data(), n);
    else if (dev == Device::cpu)
      cpu_gemm(ta, tb, m, n, k, 1.0f, a.data(), lda, b.data(), ldb, 0.0f, c.data(), n);
    else
      backend_for(dev).gemm(ta, tb, 1.0, ta_t, tb_t, 0.0, tc_t);
  };
  // Calls per batch so a batch lasts >= ~2 ms, then the median of the batches.
  for (int i = 0; i < 3; ++i) call();
  sync(dev);
  auto t0 = Clock::now();
  call();
  sync(dev);
  double one = std::max(1e-6, ms_since(t0));
  int per_batch = static_cast<int>(std::clamp(2.0 / one, 1.0, 10000.0));
  std::vector<double> per_call;
  auto start = Clock::now();
  for (int r = 0; r < 25 && (r < 5 || ms_since(start) < 150.0); ++r) {
    auto tb0 = Clock::now();
    for (int i = 0; i < per_batch; ++i) call();
    sync(dev);
    per_call.push_back(ms_since(tb0) / per_batch / 1e3);
  }
  double s = median(per_call);
  memo[key] = s;
  return s;
}

inline double gemm_gflops(bool ta, bool tb, int64_t m, int64_t n, int64_t k, Device dev) {
  return 2.0 * m * n * k / time_gemm(ta, tb, m, n, k, dev) / 1e9;
}


// One timed training step: Tape::reset, `forward(tape)` (returns the loss), Tape::backward,
// `update()` (the optimizer), each phase ended by a device sync; times in ms.
struct StepTimes {
  double fwd = 0, bwd = 0, opt = 0, total = 0, loss = 0;
};
template <typename Forward, typename Update>
StepTimes time_training_step(Tape& tape, Device dev, Forward&& forward, Update&& update) {
  const auto t0 = Clock::now();
  tape.reset();
  Var l = forward(tape);
  sync(dev);
  const auto t1 = Clock::now();
  tape.backward(l);
  sync(dev);
  const auto t2 = Clock::now();
  update();
  sync(dev);
  const auto t3 = Clock::now();
  auto ms = [](Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double, std::milli>(b - a).count();
  };
  return {ms(t0, t1), ms(t1, t2), ms(t2, t3), ms(t0, t3), item(l.value())};
}


// Medians of `reps` timed steps (`step()` returns a StepTimes): total (and its min and max),
// each phase, and the last step's loss.
struct RepSummary {
  double median_ms = NAN, min_ms = NAN, max_ms = NAN, fwd_ms = NAN, bwd_ms = NAN, opt_ms = NAN;
  double loss_last = NAN;
};
template <typename Step>
RepSummary time_reps(int reps, Step&& step) {
  std::vector<double> tot, fw, bw, op;
  RepSummary r;
  for (int i = 0; i < reps; ++i) {
    const StepTimes t = step();
    tot.push_back(t.total);
    fw.push_back(t.fwd);
    bw.push_back(t.bwd);
    op.push_back(t.opt);
    r.loss_last = t.loss;
  }
  r.median_ms = median(tot);
  r.min_ms = minimum(tot);
  r.max_ms = tot.empty() ? NAN : *std::max_element(tot.begin(), tot.end());
  r.fwd_ms = median(fw);
  r.bwd_ms = median(bw);
  r.opt_ms = median(op);
  return r;
}

// A bench's result row takes a RepSummary's figures (fields of the same names).
template <typename Row>
void take_summary(const RepSummary& t, Row& r) {
  r.loss_last = t.loss_last;
  r.median_ms = t.median_ms;
  r.min_ms = t.min_ms;
  r.fwd_ms = t.fwd_ms;
  r.bwd_ms = t.bwd_ms;
  r.opt_ms = t.opt_ms;
}

}  // namespace rnnlab::bench
