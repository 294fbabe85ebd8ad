// The LSTM's per-element maths, written once for both fused kernels: the CPU row loops
// (lstm_fused_cpu.cpp) and the CUDA kernels (lstm_fused_cuda.cu) call these RNNLAB_HD
// functions for element j of a row, so the CPU tests check the exact expressions the GPU runs.
// Plain C++ (no rnnlab/cell.h): only rnnlab/hd_math.h and rnnlab/hd_blocks.h.
//
// A row of gates holds four blocks [i | f | g | o], each H wide (lstm_cell.h); element j of a
// row is {row[j], row[H+j], row[2H+j], row[3H+j]} (load_blocks<Gates<T>> / store_blocks).
//
// Forward, pre-activations G (= P_t + h_{t-1} W_h) and c_{t-1} of one element:
//   i = σ(G_i)  f = σ(G_f)  g = tanh(G_g)  o = σ(G_o)
//   c_t = f c_{t-1} + i g      h_t = o tanh(c_t)
// Backward, activated gates, c_t, c_{t-1}, dh (into h_t) and dc (into c_t):
//   dc' = dc + dh o (1 - tanh²c_t)
//   dG  = [dc' g i(1-i), dc' c_{t-1} f(1-f), dc' i (1-g²), dh tanh(c_t) o(1-o)]
//   dc_{t-1} = dc' f   (dh_{t-1} = dG W_hᵀ is the caller's GEMM)
#pragma once

#include <cstdint>

#include "rnnlab/hd_blocks.h"
#include "rnnlab/hd_math.h"

namespace rnnlab::lstm {

// One element of the four gate blocks: pre-activations, activations or their gradients.
template <typename T>
struct Gates {
  static constexpr int kBlocks = 4;  // a row of gates: load_blocks / store_blocks (hd_blocks.h)
  T i, f, g, o;
};

// Elementwise sum (the CUDA kernel's G = P_t + Q).
template <typename T>
RNNLAB_HD inline Gates<T> operator+(const Gates<T>& x, const Gates<T>& y) {
  return {x.i + y.i, x.f + y.f, x.g + y.g, x.o + y.o};
}

// Pre-activations -> activated gates (what the backward pass needs saved).
template <typename T>
RNNLAB_HD inline Gates<T> activate(const Gates<T>& pre) {
  return {hd_math::sigmoid(pre.i), hd_math::sigmoid(pre.f), hd_math::tanh(pre.g),
          hd_math::sigmoid(pre.o)};
}

// c_t from the activated gates and c_{t-1}.
template <typename T>
RNNLAB_HD inline T next_c(const Gates<T>& a, T c_prev) {
  return a.f * c_prev + a.i * a.g;
}

// h_t from the output gate and c_t.
template <typename T>
RNNLAB_HD inline T next_h(const Gates<T>& a, T c) {
  return a.o * hd_math::tanh(c);
}

// Gradient of the pre-activations; dc: into c_t on entry, into c_{t-1} on exit.
template <typename T>
RNNLAB_HD inline Gates<T> backward(const Gates<T>& a, T c_t, T c_prev, T dh, T& dc) {
  const T tc = hd_math::tanh(c_t);
  const T dcc = dc + dh * a.o * (T(1) - tc * tc);
  dc = dcc * a.f;
  return {dcc * a.g * a.i * (T(1) - a.i), dcc * c_prev * a.f * (T(1) - a.f),
          dcc * a.i * (T(1) - a.g * a.g), dh * tc * a.o * (T(1) - a.o)};
}

}  // namespace rnnlab::lstm
