// Step compiler: the row interpreter (internal). One instruction over w columns of one row;
// every loop is a plain indexed loop over contiguous memory, so GCC vectorizes it (the
// caller is compiled for AVX-512 / AVX2 / baseline with RNNLAB_SIMD_CLONES). The maths of
// every op is op_table.h's (one case per entry, generated from its list).
#pragma once

#include "compiler/program.h"
#include "rnnlab/op_table.h"

namespace rnnlab::compiler {

template <typename T, bool BS, bool CS>
inline __attribute__((always_inline)) void exec_instr(const Instr& in, T* d, const T* a,
                                                      const T* b, const T* c, const T* y) {
  using op_table::Elem;
  const int64_t w = in.w;
  const T s = static_cast<T>(in.s), t = static_cast<T>(in.t);
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
    case Store::reduce:                                               \
      if (w > 0)                                                      \
        d[0] += op_table::fold_row<T>(                                \
            w, [&](int64_t j) { return T(EXPR); },                    \
            [](T acc_, T v_) { return acc_ + v_; });                  \
      break;                                                          \
  }
// An operand of op NAME, or 0 where the op has none (b of a unary op) or does not read it.
#define RN_IN_B(NAME, j) (Elem<ElemOp::NAME>::arity == 2 ? RN_B(j) : T(0))
#define RN_READ(NAME, FLAG, V) ((Elem<ElemOp::NAME>::reads & op_table::FLAG) ? (V) : T(0))
#define RN_GRAD_ARGS(NAME, j) \
  RN_C(j), RN_READ(NAME, kA, a[j]), RN_READ(NAME, kB, RN_IN_B(NAME, j)), RN_READ(NAME, kY, y[j]), s, t
#define RN_FORWARD(NAME, ...) \
  case ElemOp::NAME: RN_LOOP(Elem<ElemOp::NAME>::forward(a[j], RN_IN_B(NAME, j), s, t)); break;
#define RN_GRAD_A(NAME, ...) \
  case ElemOp::NAME: RN_LOOP(Elem<ElemOp::NAME>::grad<0>(RN_GRAD_ARGS(NAME, j))); break;
#define RN_GRAD_B(NAME, ...) \
  case ElemOp::NAME: RN_LOOP(Elem<ElemOp::NAME>::grad<1>(RN_GRAD_ARGS(NAME, j))); break;
#define RN_REDUCE(NAME, ...) \
  case ReduceOp::NAME: d[0] = op_table::reduce_row<ReduceOp::NAME>(a, w, s); break;
// g and y are one value per row; k_: the one column that gets the gradient, or -1: all
#define RN_REDUCE_GRAD(NAME, ...)                                                            \
  case ReduceOp::NAME: {                                                                     \
    using R = op_table::Reduce<ReduceOp::NAME>;                                              \
    const int64_t k_ = op_table::reduce_pick<ReduceOp::NAME>(a, w, y[0]);                    \
    RN_LOOP((k_ < 0 || j == k_)                                                              \
                ? R::grad(c[0], (R::reads & op_table::kA) ? a[j] : T(0),                     \
                          (R::reads & op_table::kY) ? y[0] : T(0), s)                        \
                : T(0));                                                                     \
  } break;
  switch (in.code) {
    // clang-format off
    case Code::op: switch (in.op) { RNNLAB_ELEMENTWISE_OPS(RN_FORWARD) } break;
    case Code::op_grad_a: switch (in.op) { RNNLAB_ELEMENTWISE_OPS(RN_GRAD_A) } break;
    case Code::op_grad_b: switch (in.op) { RNNLAB_ELEMENTWISE_OPS(RN_GRAD_B) } break;
    case Code::red: switch (in.reduce) { RNNLAB_ROW_REDUCTIONS(RN_REDUCE) } break;
    case Code::red_grad: switch (in.reduce) { RNNLAB_ROW_REDUCTIONS(RN_REDUCE_GRAD) } break;
    // clang-format on
    case Code::blend: RN_LOOP(RN_C(j) != T(0) ? a[j] : RN_B(j)); break;
    case Code::g_if_c: RN_LOOP(RN_C(j) != T(0) ? a[j] : T(0)); break;
    case Code::g_if_not_c: RN_LOOP(RN_C(j) != T(0) ? T(0) : a[j]); break;
    case Code::copy: RN_LOOP(a[j]); break;
    case Code::zero:
      for (int64_t j = 0; j < w; ++j) d[j] = T(0);
      break;
  }
#undef RN_GRAD_B
#undef RN_REDUCE_GRAD
#undef RN_REDUCE
#undef RN_GRAD_A
#undef RN_FORWARD
#undef RN_GRAD_ARGS
#undef RN_READ
#undef RN_IN_B
#undef RN_LOOP
#undef RN_B
#undef RN_C
}

// Runs `n` instructions for one row; ptr[s] = the row's pointer into slot s.
template <typename T>
RNNLAB_SIMD_CLONES void exec_row(const Instr* ins, std::size_t n, T* const* ptr) {
  auto at = [ptr](const Ref& r) -> const T* { return r.slot >= 0 ? ptr[r.slot] + r.off : nullptr; };
  for (std::size_t i = 0; i < n; ++i) {
    const Instr& in = ins[i];
    T* d = ptr[in.d.slot] + in.d.off;
    const T *a = at(in.a), *b = at(in.b), *c = at(in.c), *y = at(in.y);
    if (in.bs) {
      if (in.cs) exec_instr<T, true, true>(in, d, a, b, c, y);
      else exec_instr<T, true, false>(in, d, a, b, c, y);
    } else {
      if (in.cs) exec_instr<T, false, true>(in, d, a, b, c, y);
      else exec_instr<T, false, false>(in, d, a, b, c, y);
    }
  }
}

}  // namespace rnnlab::compiler
