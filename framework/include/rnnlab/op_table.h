// The elementwise ops and the row reductions: one entry each, the one home of their maths.
//
// An entry holds everything about an op: its forward expression, its adjoints, the forward
// values its adjoints read, whether recomputing it in a backward pass beats saving it, and (as
// the text of the same expressions) its CUDA C. Everything that computes an op reads it here:
//   - the autodiff ops (ops.h; their definitions are generated from the lists, ops_*.cpp);
//   - the CPU and CUDA backends' kernels (Backend::elementwise, elementwise_grad, reduce_last,
//     reduce_last_grad_acc): the expressions are RNNLAB_HD code (hd_math.h), so one source
//     runs on both devices;
//   - the step compiler: the tracer's annotations (OpInfo::elem / reduce), the lowering (what
//     the backward keeps: `reads`; what it recomputes: `cheap`; the adjoint rules), the row
//     interpreter (interpret.h), the emitted CUDA C (the expressions' text, emit_cuda.cpp) and
//     the replay of hoisted values.
// A new op is one entry here (plus its declaration in ops.h and a test row): see
// framework/src/compiler/README.md.
//
// Elementwise ops: RNNLAB_ELEMENTWISE_OPS(X), each X(name, sig, forward, grad_a, grad_b, reads, cheap)
//   name     the public op (ops.h) and ElemOp::name
//   sig      its signature: unary (x), unary_s (x, s), unary_st (x, s, t), binary (a, b),
//            binary_commutes (a, b: the operand with more elements is taken as a, so that b is
//            the broadcast one)
//   forward  y = F(a, b, s, t): a the (first) input, b the second input of a binary op (its
//            broadcast over a: backend.h), s and t the op's scalars
//   grad_a   the contribution to ∂L/∂a at one element, from g = ∂L/∂y and a, b, y, s, t
//   grad_b   the same for b (summed over b's broadcast positions by the caller); T(0) if unary
//   reads    the forward values the adjoints read, kA | kB | kY (0: none): what a backward pass
//            must keep. Consumers pass 0 for the others, so an undeclared read shows as a
//            wrong gradient in the compiled == composed tests
//   cheap    1: recomputing y in a backward pass costs less than saving it (one or two vector
//            ops on values the backward has anyway; the step compiler's rematerialisation)
//
// Row reductions over the last axis, [.., H] -> [.., 1]: RNNLAB_ROW_REDUCTIONS(X), each
// X(name, term, combine, grad, first, pick, reads)
//   name     the public op (ops_norm.h) and ReduceOp::name
//   y = the terms v_j = term(x_j, s), j = 0 .. H-1, joined by combine in the order of
//       fold_row (below: kRowLanes interleaved lanes, then a fixed tree; the same order on
//       every device and in the step compiler: they differ only where a compiler fuses a
//       multiply-add); s = 1/H
//   grad     the contribution to ∂L/∂x_j, from g = ∂L/∂y, a = x_j, y, s
//   first    0: every position gets `grad`; 1: only the first position j whose a = x_j and y
//            satisfy `pick` (max_last: the first position holding the maximum, the lowest
//            index among ties, as argmax; a NaN is the maximum)
//   reads    as above (kA: x, kY: y)
//
// Expressions use T (float or double), the operators of C++, the primitives rn_exp, rn_log,
// rn_log1p, rn_sqrt, rn_abs, rn_tanh, rn_sigmoid (below: hd_math.h's, i.e. each device's
// accurate library function; emit_cuda.cpp defines the same ones in the emitted source) and
// no comma outside parentheses, so that each is both C++ and, as text, a CUDA C expression.
#pragma once

#include <cstdint>
#include <type_traits>
#include <utility>

#include "rnnlab/hd_math.h"

// clang-format off
#define RNNLAB_ELEMENTWISE_OPS(X)                                                                  \
  X(add,     binary_commutes, a + b,              g,                    g,                 0,       1) \
  X(sub,     binary,          a - b,              g,                    -g,                0,       1) \
  X(mul,     binary_commutes, a * b,              g * b,                g * a,             kA | kB, 1) \
  X(div,     binary,          a / b,              g / b,                -(g / b * y),      kB | kY, 0) \
  X(maximum, binary,          a >= b ? a : b,     a >= b ? g : T(0),    a >= b ? T(0) : g, kA | kB, 1) \
  X(minimum, binary,          a <= b ? a : b,     a <= b ? g : T(0),    a <= b ? T(0) : g, kA | kB, 1) \
  X(scale,   unary_s,         s * a,              s * g,                T(0),              0,       1) \
  X(clamp,   unary_st,        a < s ? (s < t ? s : t) : (a > t ? t : a),                              \
                                                  a >= s && a <= t ? g : T(0), T(0),       kA,      1) \
  X(sigmoid, unary,           rn_sigmoid(a),      g * y * (T(1) - y),   T(0),              kY,      0) \
  X(tanh,    unary,           rn_tanh(a),         g * (T(1) - y * y),   T(0),              kY,      0) \
  X(relu,    unary,           a > T(0) ? a : T(0), y > T(0) ? g : T(0), T(0),              kY,      0) \
  X(exp,     unary,           rn_exp(a),          g * y,                T(0),              kY,      0) \
  X(log,     unary,           rn_log(a),          g / a,                T(0),              kA,      0) \
  X(square,  unary,           a * a,              T(2) * a * g,         T(0),              kA,      0) \
  X(sqrt,    unary,           rn_sqrt(a),         g / (T(2) * y),       T(0),              kY,      0) \
  X(rsqrt,   unary,           T(1) / rn_sqrt(a),  T(-0.5) * g * y * y * y, T(0),           kY,      0) \
  X(abs,     unary,           rn_abs(a),          a > T(0) ? g : (a < T(0) ? -g : T(0)), T(0), kA,  1) \
  X(log_sigmoid, unary,       (a < T(0) ? a : T(0)) - rn_log1p(rn_exp(-rn_abs(a))),                  \
                                                  g * rn_sigmoid(-a),   T(0),              kA,      0) \
  X(softplus, unary,          (a > T(0) ? a : T(0)) + rn_log1p(rn_exp(-rn_abs(a))),                  \
                                                  g * rn_sigmoid(a),    T(0),              kA,      0)

#define RNNLAB_ROW_REDUCTIONS(X)                                                                   \
  X(sum_last,  a,     acc + v,                                     g,     0, true,  0)               \
  X(mean_last, a * s, acc + v,                                     g * s, 0, true,  0)               \
  X(max_last,  a,     v > acc || (v != v && acc == acc) ? v : acc, g,     1,                         \
    a == y || (a != a && y != y),                                                     kA | kY)
// clang-format on

namespace rnnlab {

enum class ElemOp : uint8_t {
#define RNNLAB_OP_ENUM(name, ...) name,
  RNNLAB_ELEMENTWISE_OPS(RNNLAB_OP_ENUM)
};
enum class ReduceOp : uint8_t {
  RNNLAB_ROW_REDUCTIONS(RNNLAB_OP_ENUM)
};
#undef RNNLAB_OP_ENUM

namespace op_table {

// The primitives of the expressions: each device's accurate function (hd_math.h).
template <typename T> RNNLAB_HD inline T rn_exp(T x) { return hd_math::exp(x); }
template <typename T> RNNLAB_HD inline T rn_log(T x) { return hd_math::log(x); }
template <typename T> RNNLAB_HD inline T rn_log1p(T x) { return hd_math::log1p(x); }
template <typename T> RNNLAB_HD inline T rn_sqrt(T x) { return hd_math::sqrt(x); }
template <typename T> RNNLAB_HD inline T rn_abs(T x) { return hd_math::fabs(x); }
template <typename T> RNNLAB_HD inline T rn_tanh(T x) { return hd_math::tanh(x); }
template <typename T> RNNLAB_HD inline T rn_sigmoid(T x) { return hd_math::sigmoid(x); }

enum class Sig : uint8_t { unary, unary_s, unary_st, binary, binary_commutes };
inline constexpr int kA = 1, kB = 2, kY = 4;  // `reads`
constexpr int arity(Sig s) { return s == Sig::binary || s == Sig::binary_commutes ? 2 : 1; }
constexpr int scalars(Sig s) { return s == Sig::unary_s ? 1 : s == Sig::unary_st ? 2 : 0; }

// Elem<OP>: an elementwise op's entry as code (host and device).
template <ElemOp OP>
struct Elem;
#define RNNLAB_OP_ELEM(NAME, SIG, FWD, GA, GB, READS, CHEAP)                                   \
  template <>                                                                                  \
  struct Elem<ElemOp::NAME> {                                                                  \
    static constexpr int arity = op_table::arity(Sig::SIG);                                    \
    static constexpr int reads = READS;                                                        \
    template <typename T>                                                                      \
    static RNNLAB_HD T forward([[maybe_unused]] T a, [[maybe_unused]] T b,                     \
                               [[maybe_unused]] T s, [[maybe_unused]] T t) {                   \
      return FWD;                                                                              \
    }                                                                                          \
    /* grad<0>: grad_a, grad<1>: grad_b */                                                     \
    template <int INPUT, typename T>                                                           \
    static RNNLAB_HD T grad([[maybe_unused]] T g, [[maybe_unused]] T a, [[maybe_unused]] T b,  \
                            [[maybe_unused]] T y, [[maybe_unused]] T s, [[maybe_unused]] T t) { \
      if constexpr (INPUT == 0) return GA;                                                     \
      else return GB;                                                                          \
    }                                                                                          \
  };
RNNLAB_ELEMENTWISE_OPS(RNNLAB_OP_ELEM)
#undef RNNLAB_OP_ELEM

// Reduce<OP>: a row reduction's entry as code, and the whole-row helpers every device uses.
template <ReduceOp OP>
struct Reduce;
#define RNNLAB_OP_REDUCE(NAME, TERM, COMBINE, GRAD, FIRST, PICK, READS)                        \
  template <>                                                                                  \
  struct Reduce<ReduceOp::NAME> {                                                              \
    static constexpr bool first = FIRST;                                                       \
    static constexpr int reads = READS;                                                        \
    template <typename T>                                                                      \
    static RNNLAB_HD T term([[maybe_unused]] T a, [[maybe_unused]] T s) { return TERM; }       \
    template <typename T>                                                                      \
    static RNNLAB_HD T combine(T acc, T v) { return COMBINE; }                                 \
    /* the gradient at one position, and whether a `first` reduction picks it */                \
    template <typename T>                                                                      \
    static RNNLAB_HD T grad([[maybe_unused]] T g, [[maybe_unused]] T a, [[maybe_unused]] T y,  \
                            [[maybe_unused]] T s) {                                            \
      return GRAD;                                                                             \
    }                                                                                          \
    template <typename T>                                                                      \
    static RNNLAB_HD bool pick([[maybe_unused]] T a, [[maybe_unused]] T y) { return PICK; }   \
  };
RNNLAB_ROW_REDUCTIONS(RNNLAB_OP_REDUCE)
#undef RNNLAB_OP_REDUCE

// The order of every sum over a row (the row reductions, and the step compiler's sums of a
// broadcast operand's gradient): lane l = 0 .. kRowLanes-1 joins the terms j ≡ l (mod
// kRowLanes) in increasing j; then the m = min(n, kRowLanes) lanes fold as a tree, for
// h = kRowLanes/2, .., 2, 1: lane l < h joins lane l + h where l + h < m. The lanes are
// independent chains, so a row of H terms costs about H / kRowLanes dependent additions
// instead of H, and GCC vectorizes the lane loop without reassociating anything. emit_cuda.cpp
// writes the same order as CUDA C. term(j): the j-th term; join(acc, v). n >= 1.
inline constexpr int64_t kRowLanes = 8;
template <typename T, typename Term, typename Join>
RNNLAB_HD inline T fold_row(int64_t n, Term term, Join join) {
  T lane[kRowLanes];
  const int64_t m = n < kRowLanes ? n : kRowLanes;
  for (int64_t l = 0; l < m; ++l) lane[l] = term(l);
  int64_t j = kRowLanes;
  for (; j + kRowLanes <= n; j += kRowLanes)
    for (int64_t l = 0; l < kRowLanes; ++l) lane[l] = join(lane[l], term(j + l));
  for (; j < n; ++j) lane[j % kRowLanes] = join(lane[j % kRowLanes], term(j));
  for (int64_t h = kRowLanes / 2; h >= 1; h /= 2)
    for (int64_t l = 0; l < h; ++l)
      if (l + h < m) lane[l] = join(lane[l], lane[l + h]);
  return lane[0];
}

// y = the reduction of the n >= 1 values x[0..n) of a row, in fold_row's order.
template <ReduceOp OP, typename T>
RNNLAB_HD inline T reduce_row(const T* x, int64_t n, T s) {
  return fold_row<T>(
      n, [&](int64_t j) { return Reduce<OP>::term(x[j], s); },
      [](T acc, T v) { return Reduce<OP>::combine(acc, v); });
}
// The one position of a row that gets the gradient of a `first` reduction (n: none, when y is
// not one of the values), or -1: every position.
template <ReduceOp OP, typename T>
RNNLAB_HD inline int64_t reduce_pick([[maybe_unused]] const T* x, [[maybe_unused]] int64_t n,
                                     [[maybe_unused]] T y) {
  if constexpr (Reduce<OP>::first) {
    for (int64_t j = 0; j < n; ++j)
      if (Reduce<OP>::pick(x[j], y)) return j;
    return n;
  } else {
    return -1;
  }
}

// The entries as data, indexed by the enums: names, flags and the expressions' text.
struct ElemInfo {
  const char* name;
  Sig sig;
  int reads;
  bool cheap;
  const char *forward, *grad_a, *grad_b;
  int arity() const { return op_table::arity(sig); }
};
struct ReduceInfo {
  const char* name;
  bool first;
  int reads;
  const char *term, *combine, *grad, *pick;
};
#define RNNLAB_OP_INFO(NAME, SIG, FWD, GA, GB, READS, CHEAP) \
  ElemInfo{#NAME, Sig::SIG, READS, CHEAP != 0, #FWD, #GA, #GB},
inline constexpr ElemInfo kElem[] = {RNNLAB_ELEMENTWISE_OPS(RNNLAB_OP_INFO)};
#undef RNNLAB_OP_INFO
#define RNNLAB_OP_INFO(NAME, TERM, COMBINE, GRAD, FIRST, PICK, READS) \
  ReduceInfo{#NAME, FIRST != 0, READS, #TERM, #COMBINE, #GRAD, #PICK},
inline constexpr ReduceInfo kReduce[] = {RNNLAB_ROW_REDUCTIONS(RNNLAB_OP_INFO)};
#undef RNNLAB_OP_INFO
inline const ElemInfo& info(ElemOp op) { return kElem[static_cast<int>(op)]; }
inline const ReduceInfo& info(ReduceOp op) { return kReduce[static_cast<int>(op)]; }
inline constexpr int kElemCount = static_cast<int>(sizeof kElem / sizeof kElem[0]);
inline constexpr int kReduceCount = static_cast<int>(sizeof kReduce / sizeof kReduce[0]);

// Calls f(std::integral_constant<E, OP>{}) for the OP that `op` holds, E = ElemOp or ReduceOp
// (host code: the backends pick a kernel instantiation with it). The enums count 0, 1, ...
template <typename E, int... I, typename F>
void visit_each(E op, std::integer_sequence<int, I...>, F&& f) {
  (void)((static_cast<int>(op) == I && (f(std::integral_constant<E, static_cast<E>(I)>{}), true)) ||
         ...);
}
template <typename F>
void visit(ElemOp op, F&& f) {
  visit_each(op, std::make_integer_sequence<int, kElemCount>{}, f);
}
template <typename F>
void visit(ReduceOp op, F&& f) {
  visit_each(op, std::make_integer_sequence<int, kReduceCount>{}, f);
}

}  // namespace op_table
}  // namespace rnnlab
