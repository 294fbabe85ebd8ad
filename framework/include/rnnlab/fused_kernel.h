// The rules every fused sequence kernel of a cell shares, CPU (g++) or CUDA (nvcc, C++17):
// one home for the entry checks and for the recurrent weight gradient, so a cell's
// <cell>_fused_cpu.cpp and <cell>_fused_cuda.cu differ only in how they compute.
//
// Entry: a kernel file holds `template <typename T> Var run(...)` (T = float | double) and
// publishes both instances as a RealKernels table; the cell's fused_sequence is the one place
// that picks the device and the element type:
//   ElmanKernel* kernel = fused_kernel_for(tape, p.dtype(), "elman", elman_fused_cpu,
//                                          RNNLAB_CUDA_KERNEL(elman_fused_cuda));
//   return kernel ? kernel(tape, p, ...) : Var{};
//
// Weight gradient of a recurrence z_t = P_t + h_{t-1} W_h (W_h [H,N], h_{-1} = the initial
// state h0 [B,H], h_t = the state after step t, dG_t = ∂L/∂z_t [B,N], t = 0..T-1):
//   dW_h += Σ_t h_{t-1}ᵀ dG_t = h0ᵀ dG_0 + [h_0; ..; h_{T-2}]ᵀ [dG_1; ..; dG_{T-1}]
// i.e. two GEMMs: one over the B rows of h0, one over the (T-1)B rows of the saved states
// (steps 0..T-2) against the gradient rows from step 1 on. add_recurrent_weight_grad issues
// them in that order through the device's own GEMM (CPU: cpu_gemm on strided pointers; CUDA:
// Backend::gemm on cuda_view operands), so each side keeps its BLAS calls and its results.
// add_bias_grad and accumulate_needed are the rest of a backward's end.
// Public (installed): an out-of-tree cell's kernels use it the same way.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <utility>

#include "rnnlab/autodiff.h"
#include "rnnlab/backend.h"
#include "rnnlab/error.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

// A type tag for dispatch_real: `typename decltype(tag)::type` is the element type.
template <typename T>
struct RealTag {
  using type = T;
};

// fn(RealTag<double>{}) for f64, fn(RealTag<float>{}) for f32; any other dtype throws
// "<name>: expected f32 or f64, found <dtype>". Returns what fn returns.
template <typename Fn>
decltype(auto) dispatch_real(DType dtype, const char* name, Fn&& fn) {
  if (dtype == DType::f64) return std::forward<Fn>(fn)(RealTag<double>{});
  RNNLAB_CHECK(dtype == DType::f32, name, ": expected f32 or f64, found ", dtype_name(dtype));
  return std::forward<Fn>(fn)(RealTag<float>{});
}

// One fused kernel of a device, instantiated for both element types: Fn is the kernel's
// function type (the cell declares it once, e.g. `using ElmanKernel = Var(Tape&, ...)`).
// A kernel file defines `const RealKernels<ElmanKernel> elman_fused_cpu{run<float>,
// run<double>};` (declared `extern` in the cell's header).
template <typename Fn>
struct RealKernels {
  Fn* f32;
  Fn* f64;
  Fn* of(RealTag<float>) const { return f32; }
  Fn* of(RealTag<double>) const { return f64; }
  using Self = RealKernels;  // (names the type where Fn must not be deduced, e.g. from nullptr)
};

// The kernel a cell's fused_sequence runs: the tape's device's (cuda: null where the plugin was
// built without CUDA, see RNNLAB_CUDA_KERNEL), for `dtype`; null when that device has none.
// A dtype other than f32/f64 throws "<cell>_fused_<device>: expected f32 or f64, found <dtype>".
template <typename Fn>
Fn* fused_kernel_for(const Tape& tape, DType dtype, const char* cell, const RealKernels<Fn>& cpu,
                     const typename RealKernels<Fn>::Self* cuda) {
  const RealKernels<Fn>* kernels = tape.device() == Device::cpu ? &cpu : cuda;
  if (!kernels) return nullptr;
  const std::string name = std::string(cell) + "_fused_" + device_name(tape.device());
  return dispatch_real(dtype, name.c_str(), [&](auto real) { return kernels->of(real); });
}

// An optional input's data in a forward: null where it is absent (an empty Var: no mask, QRNN's
// c0 under f pooling), without touching the empty Var (Var::value() throws on one).
template <typename T>
const T* optional_value(const Var& v) {
  return v.valid() ? v.value().data<T>() : nullptr;
}

// Input k's data in a backward, or null where that optional input (e.g. the mask) is absent.
template <typename T>
const T* optional_input(const BackwardContext& ctx, int k, bool present) {
  return present ? ctx.in(k).data<T>() : nullptr;
}

// The end of a backward: ctx.accumulate(k, g) for each {k, g} whose input k needs a gradient,
// in the order given (g: a fresh tensor, see BackwardContext::accumulate).
inline void accumulate_needed(BackwardContext& ctx,
                              std::initializer_list<std::pair<int, Tensor>> grads) {
  for (const auto& [k, g] : grads)
    if (ctx.needs(k)) ctx.accumulate(k, g);
}

// A bias added to every row of a pre-activation z [.., N]: db [N] += Σ_rows dz.
inline void add_bias_grad(Backend& be, const Tensor& dz, Tensor& db) {
  be.reduce_acc(dz, Tensor{}, Broadcast{Broadcast::Kind::suffix}, 1.0, db);
}

// Which states a weight-gradient GEMM reads (see the header comment).
enum class PrevStates {
  initial,  // h0: B rows
  saved,    // the saved states of steps 0..T-2: the first (T-1)B rows of the sequence output
};

// dW_h += h0ᵀ dG_0 + [h_0; ..; h_{T-2}]ᵀ dG[1:T], as
//   add_atb(PrevStates::initial, /*first grad row*/ 0, /*rows*/ B);
//   add_atb(PrevStates::saved, B, (T-1)B)   (only when T > 1)
// where add_atb(states, g, k) must do dW_h += Aᵀ dG[g : g+k] (A = the k rows named by
// `states`, dG rows counted over the whole [T*B, N] gradient, beta = 1).
template <typename AddAtB>
void add_recurrent_weight_grad(int64_t steps, int64_t batch, AddAtB&& add_atb) {
  add_atb(PrevStates::initial, int64_t{0}, batch);
  if (steps > 1) add_atb(PrevStates::saved, batch, (steps - 1) * batch);
}

}  // namespace rnnlab

// A cell's CUDA kernel table where the plugin is built with its CUDA kernels (CMake defines
// RNNLAB_HAVE_CUDA for the plugin then: rnnlab_add_plugin's CUDA_SOURCES, in tree and out of
// tree), else null: the argument of fused_kernel_for.
#ifdef RNNLAB_HAVE_CUDA
#define RNNLAB_CUDA_KERNEL(kernels) (&(kernels))
#else
#define RNNLAB_CUDA_KERNEL(kernels) nullptr
#endif

// Cell::has_fused of a cell with a fused CPU kernel and a CUDA kernel table: the CPU always, CUDA
// where the plugin is built with its CUDA kernels (RNNLAB_HAVE_CUDA, as above).
#ifdef RNNLAB_HAVE_CUDA
#define RNNLAB_FUSED_ON(device) ((device) == ::rnnlab::Device::cpu || (device) == ::rnnlab::Device::cuda)
#else
#define RNNLAB_FUSED_ON(device) ((device) == ::rnnlab::Device::cpu)
#endif
