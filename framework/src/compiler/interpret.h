// Step compiler: the row interpreter (internal). One instruction over w columns of one row;
// every loop is a plain indexed loop over contiguous memory, so GCC vectorizes it (the
// caller is compiled for AVX-512 / AVX2 / baseline with RNNLAB_SIMD_CLONES).
#pragma once

#include "compiler/program.h"
#include "rnnlab/cpu_math.h"

namespace rnnlab::compiler {

template <typename T, bool BS, bool CS>
inline __attribute__((always_inline)) void exec_instr(const Instr& in, T* d, const T* a,
                                                      const T* b, const T* c) {
  const int64_t w = in.w;
  const T s = static_cast<T>(in.s);
#define RN_B(j) (BS ? b[0] : b[j])
#define RN_C(j) (CS ? c[0] : c[j])
#define RN_LOOP(EXPR)                                                 \
  switch (in.store) {                                                 \
    case Store::assign:                                               \
      for (int64_t j = 0; j < w; ++j) d[j] = (EXPR);                  \
      break;                                                          \
    case Store::acc:                                                  \
      for (int64_t j = 0; j < w; ++j) d[j] += (EXPR);                 \
      break;                                                          \
    case Store::reduce: {                                             \
      T sum_ = T(0);                                                  \
      for (int64_t j = 0; j < w; ++j) sum_ += (EXPR);                 \
      d[0] += sum_;                                                   \
    } break;                                                          \
  }
  switch (in.code) {
    case Code::add: RN_LOOP(a[j] + RN_B(j)); break;
    case Code::sub: RN_LOOP(a[j] - RN_B(j)); break;
    case Code::mul: RN_LOOP(a[j] * RN_B(j)); break;
    case Code::div: RN_LOOP(a[j] / RN_B(j)); break;
    case Code::max: RN_LOOP(a[j] >= RN_B(j) ? a[j] : RN_B(j)); break;
    case Code::scale: RN_LOOP(s * a[j]); break;
    case Code::unary:
      switch (in.unary) {
        case UnaryOp::sigmoid: RN_LOOP(cpu_math::sigmoid(a[j])); break;
        case UnaryOp::tanh: RN_LOOP(cpu_math::tanh(a[j])); break;
        case UnaryOp::relu: RN_LOOP(a[j] > T(0) ? a[j] : T(0)); break;
        case UnaryOp::exp: RN_LOOP(cpu_math::vexp(a[j])); break;
        case UnaryOp::log: RN_LOOP(std::log(a[j])); break;
        case UnaryOp::neg: RN_LOOP(-a[j]); break;
        case UnaryOp::square: RN_LOOP(a[j] * a[j]); break;
      }
      break;
    case Code::blend: RN_LOOP(RN_C(j) != T(0) ? a[j] : RN_B(j)); break;
    case Code::copy:
    case Code::g: RN_LOOP(a[j]); break;
    case Code::neg_g: RN_LOOP(-a[j]); break;
    case Code::scale_g: RN_LOOP(s * a[j]); break;
    case Code::g_mul_b: RN_LOOP(a[j] * RN_B(j)); break;
    case Code::g_div_b: RN_LOOP(a[j] / RN_B(j)); break;
    case Code::neg_g_mul_b: RN_LOOP(-(a[j] * RN_B(j))); break;
    case Code::unary_grad:  // b = x, c = y
      switch (in.unary) {
        case UnaryOp::sigmoid: RN_LOOP(a[j] * RN_C(j) * (T(1) - RN_C(j))); break;
        case UnaryOp::tanh: RN_LOOP(a[j] * (T(1) - RN_C(j) * RN_C(j))); break;
        case UnaryOp::relu: RN_LOOP(RN_C(j) > T(0) ? a[j] : T(0)); break;
        case UnaryOp::exp: RN_LOOP(a[j] * RN_C(j)); break;
        case UnaryOp::log: RN_LOOP(a[j] / RN_B(j)); break;
        case UnaryOp::neg: RN_LOOP(-a[j]); break;
        case UnaryOp::square: RN_LOOP(T(2) * RN_B(j) * a[j]); break;
      }
      break;
    case Code::g_ge: RN_LOOP(RN_B(j) >= RN_C(j) ? a[j] : T(0)); break;
    case Code::g_lt: RN_LOOP(RN_B(j) >= RN_C(j) ? T(0) : a[j]); break;
    case Code::g_if_c: RN_LOOP(RN_C(j) != T(0) ? a[j] : T(0)); break;
    case Code::g_if_not_c: RN_LOOP(RN_C(j) != T(0) ? T(0) : a[j]); break;
    case Code::zero:
      for (int64_t j = 0; j < w; ++j) d[j] = T(0);
      break;
  }
#undef RN_LOOP
#undef RN_B
#undef RN_C
}

// Runs `n` instructions for one row; ptr[s] = the row's pointer into slot s.
template <typename T>
RNNLAB_SIMD_CLONES void exec_row(const Instr* ins, std::size_t n, T* const* ptr) {
  for (std::size_t i = 0; i < n; ++i) {
    const Instr& in = ins[i];
    T* d = ptr[in.d.slot] + in.d.off;
    const T* a = in.a.slot >= 0 ? ptr[in.a.slot] + in.a.off : nullptr;
    const T* b = in.b.slot >= 0 ? ptr[in.b.slot] + in.b.off : nullptr;
    const T* c = in.c.slot >= 0 ? ptr[in.c.slot] + in.c.off : nullptr;
    if (in.bs) {
      if (in.cs) exec_instr<T, true, true>(in, d, a, b, c);
      else exec_instr<T, true, false>(in, d, a, b, c);
    } else {
      if (in.cs) exec_instr<T, false, true>(in, d, a, b, c);
      else exec_instr<T, false, false>(in, d, a, b, c);
    }
  }
}

}  // namespace rnnlab::compiler
