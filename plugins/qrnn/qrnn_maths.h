// The QRNN pooling's per-element maths, written once for both fused kernels: the CPU tile loops
// (qrnn_fused_cpu.cpp) and the CUDA kernels (qrnn_fused_cuda.cu) call these RNNLAB_HD functions
// for element j of a row, so the CPU tests check the exact expressions the GPU runs.
// Plain C++ (no rnnlab/cell.h): only rnnlab/hd_math.h.
//
// A row of P holds the activated gates [z | f | o | i], each H wide, as many blocks as the
// pooling needs (f: z, f; fo: + o; ifo: + o, i); load_gates<M> reads only those.
// c_{t-1} is the previous c (pooling f: the previous h, its only state).
// Forward:
//   f:   h_t = z + f (h_{t-1} - z)
//   fo:  c_t = z + f (c_{t-1} - z),  h_t = o c_t
//   ifo: c_t = f c_{t-1} + i z,      h_t = o c_t
// Backward, dh/dc = gradients into state t (with the packed gradient already added):
//   f:   dz = dh (1-f), df = dh (h_{t-1} - z), dh_{t-1} = dh f
//   fo:  g = dc + dh o:  do = dh c_t, dz = g (1-f), df = g (c_{t-1} - z), dc_{t-1} = g f
//   ifo: g = dc + dh o:  do = dh c_t, dz = g i, di = g z, df = g c_{t-1}, dc_{t-1} = g f
//   (fo/ifo: h_{t-1} is not used by step t, so dh_{t-1} = 0.)
#pragma once

#include <cstdint>
#include <type_traits>

#include "rnnlab/hd_math.h"

namespace rnnlab::qrnn {

enum class Pooling { f, fo, ifo };

// Calls f(std::integral_constant<Pooling, M>{}) with M = p: one instantiation per mode.
template <typename F>
auto with_pooling(Pooling p, F&& f) -> decltype(f(std::integral_constant<Pooling, Pooling::f>{})) {
  switch (p) {
    case Pooling::fo:
      return f(std::integral_constant<Pooling, Pooling::fo>{});
    case Pooling::ifo:
      return f(std::integral_constant<Pooling, Pooling::ifo>{});
    case Pooling::f:
      break;
  }
  return f(std::integral_constant<Pooling, Pooling::f>{});
}

// One element of the gate blocks (or their gradients); blocks the pooling lacks are 0.
template <typename T>
struct Gates {
  T z, f, o, i;
};

template <Pooling M, typename T>
RNNLAB_HD inline Gates<T> load_gates(const T* row, int64_t h, int64_t j) {
  Gates<T> g{row[j], row[h + j], T(0), T(0)};
  if constexpr (M != Pooling::f) g.o = row[2 * h + j];
  if constexpr (M == Pooling::ifo) g.i = row[3 * h + j];
  return g;
}

// row += d, for the blocks the pooling has.
template <Pooling M, typename T>
RNNLAB_HD inline void add_gates(T* row, int64_t h, int64_t j, const Gates<T>& d) {
  row[j] += d.z;
  row[h + j] += d.f;
  if constexpr (M != Pooling::f) row[2 * h + j] += d.o;
  if constexpr (M == Pooling::ifo) row[3 * h + j] += d.i;
}

// c_t (pooling f: h_t) from the gates and c_{t-1} (pooling f: h_{t-1}).
template <Pooling M, typename T>
RNNLAB_HD inline T next_c(const Gates<T>& p, T c_prev) {
  if constexpr (M == Pooling::ifo)
    return p.f * c_prev + p.i * p.z;
  else
    return p.z + p.f * (c_prev - p.z);
}

// h_t from c_t (pooling f: h_t itself).
template <Pooling M, typename T>
RNNLAB_HD inline T next_h(const Gates<T>& p, T c) {
  if constexpr (M == Pooling::f)
    return c;
  else
    return p.o * c;
}

// The gate gradients of one element. c_t is read by fo/ifo only. dh, dc: into state t on
// entry, into state t-1 on exit (pooling f uses dh only).
template <Pooling M, typename T>
RNNLAB_HD inline Gates<T> backward(const Gates<T>& p, T c_prev, T c_t, T& dh, T& dc) {
  Gates<T> d{T(0), T(0), T(0), T(0)};
  if constexpr (M == Pooling::f) {
    const T g = dh;
    d.z = g * (T(1) - p.f);
    d.f = g * (c_prev - p.z);
    dh = g * p.f;
  } else {
    const T g = dc + dh * p.o;
    d.o = dh * c_t;
    if constexpr (M == Pooling::fo) {
      d.z = g * (T(1) - p.f);
      d.f = g * (c_prev - p.z);
    } else {
      d.z = g * p.i;
      d.f = g * c_prev;
      d.i = g * p.z;
    }
    dc = g * p.f;
    dh = T(0);
  }
  return d;
}

}  // namespace rnnlab::qrnn
