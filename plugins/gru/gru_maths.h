// The GRU's per-element maths, written once for both fused kernels: the CPU row loops
// (gru_fused_cpu.cpp) and the CUDA kernels (gru_fused_cuda.cu) call these RNNLAB_HD functions
// for element j of a row, so the CPU tests check the exact expressions the GPU runs.
// Plain C++ (no rnnlab/cell.h): only rnnlab/hd_math.h and rnnlab/hd_blocks.h.
//
// A row of gates holds three blocks [r | z | n], each H wide (gru_cell.h); element j of a row
// is {row[j], row[H+j], row[2H+j]} (load_blocks<Gates<T>> / store_blocks).
//
// Forward, P_t and Q = h_{t-1} W_h + b_h of one element, and h_{t-1}:
//   r = σ(P_r + Q_r)   z = σ(P_z + Q_z)   n = tanh(P_n + r Q_n)   h_t = n + z (h_{t-1} - n)
// Backward, activations (r, z, n), Q_n, h_{t-1} and dh (into h_t):
//   dn' = dh (1-z)(1-n²)   dz' = dh (h_{t-1} - n) z(1-z)   dr' = dn' Q_n r(1-r)
//   dP_t = [dr', dz', dn']   dQ_t = [dr', dz', dn' r]   dh_{t-1} = dh z (+ dQ_t W_hᵀ: the GEMM)
#pragma once

#include <cstdint>

#include "rnnlab/hd_blocks.h"
#include "rnnlab/hd_math.h"

namespace rnnlab::gru {

// One element of the three gate blocks: pre-activation parts, activations or gradients.
template <typename T>
struct Gates {
  static constexpr int kBlocks = 3;  // a row of gates: load_blocks / store_blocks (hd_blocks.h)
  T r, z, n;
};

// Elementwise sum (the CUDA kernel's Q + b_h).
template <typename T>
RNNLAB_HD inline Gates<T> operator+(const Gates<T>& x, const Gates<T>& y) {
  return {x.r + y.r, x.z + y.z, x.n + y.n};
}

// p: P_t, q: Q (with b_h). Returns the activations (r, z, n); h_t = next_h(a, h_prev).
template <typename T>
RNNLAB_HD inline Gates<T> activate(const Gates<T>& p, const Gates<T>& q) {
  const T r = hd_math::sigmoid(p.r + q.r);
  const T z = hd_math::sigmoid(p.z + q.z);
  return {r, z, hd_math::tanh(p.n + r * q.n)};
}

template <typename T>
RNNLAB_HD inline T next_h(const Gates<T>& a, T h_prev) {
  return a.n + a.z * (h_prev - a.n);
}

// The gradient of one element. dP_t is returned; dQ_t = {dP.r, dP.z, dP.n · r} (dq_of).
// dh: into h_t on entry, the direct part of the gradient into h_{t-1} on exit.
template <typename T>
RNNLAB_HD inline Gates<T> backward(const Gates<T>& a, T qn, T h_prev, T& dh) {
  const T g = dh;
  const T dn = g * (T(1) - a.z) * (T(1) - a.n * a.n);
  const T dz = g * (h_prev - a.n) * a.z * (T(1) - a.z);
  const T dr = dn * qn * a.r * (T(1) - a.r);
  dh = g * a.z;
  return {dr, dz, dn};
}

// dQ_t from dP_t: r multiplies Q_n, so its block is scaled by r.
template <typename T>
RNNLAB_HD inline Gates<T> dq_of(const Gates<T>& dp, const Gates<T>& a) {
  return {dp.r, dp.z, dp.n * a.r};
}

}  // namespace rnnlab::gru
