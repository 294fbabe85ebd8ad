// CPU backend: elementwise kernels (vectorized loops, TBB-parallel above kGrain).
#include <algorithm>
#include <cmath>
#include <type_traits>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"
#include "rnnlab/cpu_math.h"

namespace rnnlab {

namespace {

// b index for element i of a (numel n_a) given b's numel n_b.
struct BIndex {
  Broadcast::Kind kind;
  int64_t n_b, inner;
  int64_t operator()(int64_t i) const {
    switch (kind) {
      case Broadcast::Kind::none: return i;
      case Broadcast::Kind::suffix: return i % n_b;
      case Broadcast::Kind::prefix: return i / inner;
    }
    return i;
  }
};

using op_table::Elem;

// The value of input b at element i of a run of b (B_ONE: one value for the run); 0 for a
// unary op.
template <ElemOp OP, bool B_ONE, typename T>
inline __attribute__((always_inline)) T b_at(const T* b, int64_t i) {
  if constexpr (Elem<OP>::arity == 1) return T(0);
  else return B_ONE ? b[0] : b[i];
}

// out[i] = F(a[i], b) over one run of n elements; b is one value for the run (B_ONE) or n.
template <ElemOp OP, bool B_ONE, typename T>
RNNLAB_SIMD_CLONES void forward_run(const T* a, const T* b, T* out, int64_t n, T s, T t) {
  for (int64_t i = 0; i < n; ++i) out[i] = Elem<OP>::forward(a[i], b_at<OP, B_ONE>(b, i), s, t);
}

// out[i] (+)= G_input(g[i], a[i], b, y[i]) over one run.
template <ElemOp OP, int INPUT, bool B_ONE, typename T>
RNNLAB_SIMD_CLONES void grad_run(const T* g, const T* a, const T* b, const T* y, T* out,
                                 int64_t n, T s, T t, bool accumulate) {
  constexpr int reads = Elem<OP>::reads;
  auto term = [&](int64_t i) __attribute__((always_inline)) {
    const T av = (reads & op_table::kA) ? a[i] : T(0);  // unread operands are not loaded
    const T bv = (reads & op_table::kB) ? b_at<OP, B_ONE>(b, i) : T(0);
    const T yv = (reads & op_table::kY) ? y[i] : T(0);
    return Elem<OP>::template grad<INPUT>(g[i], av, bv, yv, s, t);
  };
  if (accumulate)
    for (int64_t i = 0; i < n; ++i) out[i] += term(i);
  else
    for (int64_t i = 0; i < n; ++i) out[i] = term(i);
}

// Calls run(op, T{}, i0, n, b_run, b_one) with the op as a std::integral_constant, over the
// n_a elements of an op's first input in runs that share one layout of b (backend.h): none:
// b[i0..]; suffix: rows of nb, each with all of b; prefix: rows of n_a/nb, each with the one
// value b[row]; b undefined: no b. Parallel above kGrain elements.
template <typename F>
void over_runs(const ElemCall& c, DType dt, int64_t n_a, const Tensor& b, F&& run) {
  dispatch_float(dt, [&](auto tag) {
    using T = decltype(tag);
    const T* bp = b.defined() ? b.data<T>() : nullptr;
    const int64_t nb = b.defined() ? b.numel() : 0;
    const Broadcast::Kind kind = bp ? c.bc.kind : Broadcast::Kind::none;
    op_table::visit(c.op, [&](auto op) {
      if (kind == Broadcast::Kind::none) {
        cpu_parallel_for(n_a, kGrain, [&](int64_t s, int64_t e) {
          run(op, T{}, s, e - s, bp ? bp + s : nullptr, false);
        });
      } else if (kind == Broadcast::Kind::suffix) {
        cpu_parallel_for(n_a / nb, std::max<int64_t>(1, kGrain / nb), [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) run(op, T{}, r * nb, nb, bp, false);
        });
      } else {
        const int64_t inner = n_a / nb;
        cpu_parallel_for(nb, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
          for (int64_t r = r0; r < r1; ++r) run(op, T{}, r * inner, inner, bp + r, true);
        });
      }
    });
  });
}

// A tensor's data at element i0, or null when it is undefined.
template <typename T>
const T* at(const Tensor& t, int64_t i0) {
  return t.defined() ? t.data<T>() + i0 : nullptr;
}

}  // namespace

void CpuBackend::elementwise(const ElemCall& c, const Tensor& a, const Tensor& b, Tensor& out) {
  over_runs(c, a.dtype(), a.numel(), b,
            [&](auto op, auto tag, int64_t i0, int64_t n, const auto* br, bool one) {
              using T = decltype(tag);
              constexpr ElemOp OP = decltype(op)::value;
              const T s = static_cast<T>(c.s), t = static_cast<T>(c.t);
              T* o = out.data<T>() + i0;
              if (one) forward_run<OP, true>(at<T>(a, i0), br, o, n, s, t);
              else forward_run<OP, false>(at<T>(a, i0), br, o, n, s, t);
            });
}

void CpuBackend::elementwise_grad(const ElemCall& c, int input, const Tensor& g, const Tensor& a,
                                  const Tensor& b, const Tensor& y, bool accumulate,
                                  Tensor& out) {
  check_elem_grad_operands(c, input, a, b, y);
  over_runs(c, g.dtype(), g.numel(), b,
            [&](auto op, auto tag, int64_t i0, int64_t n, const auto* br, bool one) {
              using T = decltype(tag);
              constexpr ElemOp OP = decltype(op)::value;
              auto run = [&](auto in, auto b_one) {
                grad_run<OP, decltype(in)::value, decltype(b_one)::value>(
                    at<T>(g, i0), at<T>(a, i0), br, at<T>(y, i0), out.data<T>() + i0, n,
                    static_cast<T>(c.s), static_cast<T>(c.t), accumulate);
              };
              using In0 = std::integral_constant<int, 0>;
              using In1 = std::integral_constant<int, 1>;
              if (input == 0) one ? run(In0{}, std::true_type{}) : run(In0{}, std::false_type{});
              else if constexpr (Elem<OP>::arity == 2)
                one ? run(In1{}, std::true_type{}) : run(In1{}, std::false_type{});
            });
}

void CpuBackend::mul_acc(const Tensor& dy, const Tensor& b, Broadcast bc, bool one_minus,
                         Tensor& da) {
  dispatch_float(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* g = dy.data<T>();
    const T* bp = b.data<T>();
    T* d = da.data<T>();
    int64_t n = dy.numel(), nb = b.numel();
    BIndex bi{bc.kind, nb, n / nb};
    T s = one_minus ? T(-1) : T(1), o = one_minus ? T(1) : T(0);
    cpu_parallel_for(n, kGrain, [&](int64_t b0, int64_t e) {
      if (bc.kind == Broadcast::Kind::none) {
        for (int64_t i = b0; i < e; ++i) d[i] += g[i] * (o + s * bp[i]);
      } else {
        for (int64_t i = b0; i < e; ++i) d[i] += g[i] * (o + s * bp[bi(i)]);
      }
    });
  });
}

namespace {

// Σ x[i] (* o[i]) over [0, n) with 16 independent lanes (so the loop vectorizes without
// reassociation flags); the lanes are added in a fixed order.
template <typename T>
RNNLAB_SIMD_CLONES T lane_sum(const T* __restrict x, const T* __restrict o, int64_t n) {
  T acc[16] = {};
  int64_t i = 0;
  if (o) {
    for (; i + 16 <= n; i += 16)
      for (int k = 0; k < 16; ++k) acc[k] += x[i + k] * o[i + k];
    for (; i < n; ++i) acc[i & 15] += x[i] * o[i];
  } else {
    for (; i + 16 <= n; i += 16)
      for (int k = 0; k < 16; ++k) acc[k] += x[i + k];
    for (; i < n; ++i) acc[i & 15] += x[i];
  }
  T s = 0;
  for (int k = 0; k < 16; ++k) s += acc[k];
  return s;
}

// acc[c] += Σ_r x[r, c] (* o[r, c]) for rows [r0, r1) of a [*, nb] matrix.
template <typename T>
RNNLAB_SIMD_CLONES void column_sums(const T* __restrict x, const T* __restrict o, int64_t nb,
                                    int64_t r0, int64_t r1, T* __restrict acc) {
  for (int64_t r = r0; r < r1; ++r) {
    const T* xr = x + r * nb;
    if (o) {
      const T* orow = o + r * nb;
      for (int64_t c = 0; c < nb; ++c) acc[c] += xr[c] * orow[c];
    } else {
      for (int64_t c = 0; c < nb; ++c) acc[c] += xr[c];
    }
  }
}

// acc[c] += x[c] (* o[c]) for c < w: one row's piece of a column strip.
template <typename T>
RNNLAB_SIMD_CLONES void strip_sum(const T* __restrict x, const T* __restrict o, int64_t w,
                                  T* __restrict acc) {
  if (o)
    for (int64_t c = 0; c < w; ++c) acc[c] += x[c] * o[c];
  else
    for (int64_t c = 0; c < w; ++c) acc[c] += x[c];
}

// Column sums of at least kStripMin columns run in strips of kStrip columns (4 KiB of f64).
constexpr int64_t kStrip = 512, kStripMin = 1024;

}  // namespace

// Every reduction is cut into fixed chunks that do not depend on the thread count; chunk
// results are combined in chunk order, so 1 and N threads give identical bits.
void CpuBackend::reduce_acc(const Tensor& x, const Tensor& other, Broadcast bc, double alpha,
                            Tensor& db) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* op = other.defined() ? other.data<T>() : nullptr;
    T* d = db.data<T>();
    const int64_t n = x.numel(), nb = db.numel();
    const T al = static_cast<T>(alpha);
    if (bc.kind == Broadcast::Kind::none) {
      cpu_parallel_for(n, kGrain, [&](int64_t s, int64_t e) {
        if (op)
          for (int64_t i = s; i < e; ++i) d[i] += al * xp[i] * op[i];
        else
          for (int64_t i = s; i < e; ++i) d[i] += al * xp[i];
      });
    } else if (bc.kind == Broadcast::Kind::suffix && nb == 1) {
      // total: partial sums of fixed chunks
      const int64_t chunks = (n + kReduceChunk - 1) / kReduceChunk;
      std::vector<T> part(static_cast<std::size_t>(chunks));
      cpu_parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
        for (int64_t c = c0; c < c1; ++c) {
          int64_t b = c * kReduceChunk, len = std::min(kReduceChunk, n - b);
          part[static_cast<std::size_t>(c)] = lane_sum<T>(xp + b, op ? op + b : nullptr, len);
        }
      });
      T total = 0;
      for (T v : part) total += v;
      d[0] += al * total;
    } else if (bc.kind == Broadcast::Kind::suffix && nb >= kStripMin) {
      // wide column sums (a bias gradient [N,V] -> [V]): parallel over strips of columns, each
      // summing every row in order. No partial buffer: per row blocks it would be as large as
      // x itself when V is wide (a fresh 45 MB per step at the word LM's V = 10 000).
      const int64_t rows = n / nb, strips = (nb + kStrip - 1) / kStrip;
      cpu_parallel_for(strips, 1, [&](int64_t s0, int64_t s1) {
        for (int64_t k = s0; k < s1; ++k) {
          const int64_t c0 = k * kStrip, w = std::min(kStrip, nb - c0);
          T acc[kStrip] = {};
          for (int64_t r = 0; r < rows; ++r)
            strip_sum<T>(xp + r * nb + c0, op ? op + r * nb + c0 : nullptr, w, acc);
          for (int64_t c = 0; c < w; ++c) d[c0 + c] += al * acc[c];
        }
      });
    } else if (bc.kind == Broadcast::Kind::suffix) {
      // column sums: fixed blocks of rows reduced in parallel, then added in block order
      const int64_t rows = n / nb;
      const int64_t block = std::max<int64_t>(1, kReduceChunk / nb);
      const int64_t blocks = (rows + block - 1) / block;
      std::vector<T> part(static_cast<std::size_t>(blocks * nb), T(0));
      cpu_parallel_for(blocks, 1, [&](int64_t b0, int64_t b1) {
        for (int64_t k = b0; k < b1; ++k)
          column_sums<T>(xp, op, nb, k * block, std::min(rows, (k + 1) * block),
                         part.data() + k * nb);
      });
      for (int64_t k = 0; k < blocks; ++k) {
        const T* pk = part.data() + k * nb;
        for (int64_t c = 0; c < nb; ++c) d[c] += al * pk[c];
      }
    } else {
      // row sums: each row is one chunk
      const int64_t inner = n / nb;
      cpu_parallel_for(nb, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
          d[r] += al * lane_sum<T>(xp + r * inner, op ? op + r * inner : nullptr, inner);
      });
    }
  });
}

void CpuBackend::axpby(double alpha, const Tensor& x, double beta, Tensor& y) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    T a = static_cast<T>(alpha), b = static_cast<T>(beta);
    cpu_parallel_for(x.numel(), kGrain, [&](int64_t s, int64_t e) {
      if (b == T(0))
        for (int64_t i = s; i < e; ++i) yp[i] = a * xp[i];
      else
        for (int64_t i = s; i < e; ++i) yp[i] = a * xp[i] + b * yp[i];
    });
  });
}

void CpuBackend::mask_blend(const Tensor& m, const Tensor& a, const Tensor& b, Tensor& out) {
  dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* mp = m.data<T>();
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    T* o = out.data<T>();
    int64_t rows = m.numel(), inner = a.numel() / rows;
    cpu_parallel_for(rows, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* src = mp[r] != T(0) ? ap : bp;
        std::copy(src + r * inner, src + (r + 1) * inner, o + r * inner);
      }
    });
  });
}

}  // namespace rnnlab
