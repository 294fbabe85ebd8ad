// The Elman cell's per-element maths, written once for both fused kernels: the CPU row loops
// (elman_fused_cpu.cpp) and the CUDA kernels (elman_fused_cuda.cu) call these RNNLAB_HD
// functions, so the CPU tests check the exact expressions the GPU runs.
// Plain C++ (no rnnlab/cell.h): only rnnlab/hd_math.h.
//
// Forward, pre = P_t + h_{t-1} W_h of one element:  h_t = act(pre)
// Backward, from h_t and dh (into h_t):             da = dh ⊙ act'(pre), written through h_t:
//   tanh: dh (1 - h_t²)     relu: dh if h_t > 0, else 0
// (dh_{t-1} = da W_hᵀ is the caller's GEMM.) The activation is a template argument so a CPU
// loop over a row has no branch inside and vectorizes.
#pragma once

#include "rnnlab/hd_math.h"

namespace rnnlab::elman {

enum class Act { tanh, relu };

template <Act A, typename T>
RNNLAB_HD inline T activate(T pre) {
  if constexpr (A == Act::relu)
    return pre > T(0) ? pre : T(0);
  else
    return hd_math::tanh(pre);
}

template <Act A, typename T>
RNNLAB_HD inline T act_grad(T h, T dh) {
  if constexpr (A == Act::relu)
    return h > T(0) ? dh : T(0);
  else
    return dh * (T(1) - h * h);
}

}  // namespace rnnlab::elman
