// dtype dispatch and grain sizes shared by the CPU kernels.
#pragma once

#include "rnnlab/error.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

// Elementwise kernels smaller than this stay on one thread.
constexpr int64_t kGrain = 32768;
// Reductions add fixed chunks of this size, in order (thread-count independent results).
constexpr int64_t kReduceChunk = 16384;

template <typename F>
decltype(auto) dispatch_float(DType t, F&& f) {
  switch (t) {
    case DType::f32: return f(float{});
    case DType::f64: return f(double{});
    default: break;
  }
  throw Error(std::string("expected a float tensor (f32 or f64), found ") + dtype_name(t));
}

}  // namespace rnnlab
