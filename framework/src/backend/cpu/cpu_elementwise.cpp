// CPU backend: elementwise kernels (vectorized loops, TBB-parallel above kGrain).
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"
#include "rnnlab/cpu_math.h"

namespace rnnlab {

namespace {

template <typename T>
RNNLAB_SIMD_CLONES void unary_loop(UnaryOp op, const T* x, T* y, int64_t n) {
  switch (op) {
    case UnaryOp::sigmoid: for (int64_t i = 0; i < n; ++i) y[i] = cpu_math::sigmoid(x[i]); break;
    case UnaryOp::tanh: for (int64_t i = 0; i < n; ++i) y[i] = cpu_math::tanh(x[i]); break;
    case UnaryOp::relu: for (int64_t i = 0; i < n; ++i) y[i] = x[i] > T(0) ? x[i] : T(0); break;
    case UnaryOp::exp: for (int64_t i = 0; i < n; ++i) y[i] = cpu_math::vexp(x[i]); break;
    case UnaryOp::log: for (int64_t i = 0; i < n; ++i) y[i] = std::log(x[i]); break;
    case UnaryOp::neg: for (int64_t i = 0; i < n; ++i) y[i] = -x[i]; break;
    case UnaryOp::square: for (int64_t i = 0; i < n; ++i) y[i] = x[i] * x[i]; break;
  }
}

template <typename T>
RNNLAB_SIMD_CLONES void unary_grad_loop(UnaryOp op, const T* x, const T* y, const T* dy, T* dx,
                                        int64_t n) {
  switch (op) {
    case UnaryOp::sigmoid: for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * y[i] * (T(1) - y[i]); break;
    case UnaryOp::tanh: for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * (T(1) - y[i] * y[i]); break;
    case UnaryOp::relu: for (int64_t i = 0; i < n; ++i) dx[i] += x[i] > T(0) ? dy[i] : T(0); break;
    case UnaryOp::exp: for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] * y[i]; break;
    case UnaryOp::log: for (int64_t i = 0; i < n; ++i) dx[i] += dy[i] / x[i]; break;
    case UnaryOp::neg: for (int64_t i = 0; i < n; ++i) dx[i] -= dy[i]; break;
    case UnaryOp::square: for (int64_t i = 0; i < n; ++i) dx[i] += T(2) * x[i] * dy[i]; break;
  }
}

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

template <typename T>
RNNLAB_SIMD_CLONES void binary_same(BinaryOp op, const T* a, const T* b, T* c, int64_t n) {
  switch (op) {
    case BinaryOp::add: for (int64_t i = 0; i < n; ++i) c[i] = a[i] + b[i]; break;
    case BinaryOp::sub: for (int64_t i = 0; i < n; ++i) c[i] = a[i] - b[i]; break;
    case BinaryOp::mul: for (int64_t i = 0; i < n; ++i) c[i] = a[i] * b[i]; break;
    case BinaryOp::div: for (int64_t i = 0; i < n; ++i) c[i] = a[i] / b[i]; break;
    case BinaryOp::max: for (int64_t i = 0; i < n; ++i) c[i] = a[i] >= b[i] ? a[i] : b[i]; break;
    case BinaryOp::ge: for (int64_t i = 0; i < n; ++i) c[i] = a[i] >= b[i] ? T(1) : T(0); break;
  }
}
template <typename T>
RNNLAB_SIMD_CLONES void binary_scalar(BinaryOp op, const T* a, T b, T* c, int64_t n) {
  switch (op) {
    case BinaryOp::add: for (int64_t i = 0; i < n; ++i) c[i] = a[i] + b; break;
    case BinaryOp::sub: for (int64_t i = 0; i < n; ++i) c[i] = a[i] - b; break;
    case BinaryOp::mul: for (int64_t i = 0; i < n; ++i) c[i] = a[i] * b; break;
    case BinaryOp::div: for (int64_t i = 0; i < n; ++i) c[i] = a[i] / b; break;
    case BinaryOp::max: for (int64_t i = 0; i < n; ++i) c[i] = a[i] >= b ? a[i] : b; break;
    case BinaryOp::ge: for (int64_t i = 0; i < n; ++i) c[i] = a[i] >= b ? T(1) : T(0); break;
  }
}

}  // namespace

void CpuBackend::unary(UnaryOp op, const Tensor& x, Tensor& y) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    cpu_parallel_for(x.numel(), kGrain,
                     [&](int64_t b, int64_t e) { unary_loop<T>(op, xp + b, yp + b, e - b); });
  });
}

void CpuBackend::unary_grad_acc(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& dy,
                                Tensor& dx) {
  dispatch_float(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.defined() ? x.data<T>() : nullptr;
    const T* yp = y.defined() ? y.data<T>() : nullptr;
    const T* g = dy.data<T>();
    T* d = dx.data<T>();
    cpu_parallel_for(dy.numel(), kGrain, [&](int64_t b, int64_t e) {
      unary_grad_loop<T>(op, xp ? xp + b : nullptr, yp ? yp + b : nullptr, g + b, d + b, e - b);
    });
  });
}

void CpuBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Broadcast bc,
                        Tensor& out) {
  dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* ap = a.data<T>();
    const T* bp = b.data<T>();
    T* cp = out.data<T>();
    int64_t n = a.numel(), nb = b.numel();
    if (bc.kind == Broadcast::Kind::none) {
      cpu_parallel_for(n, kGrain, [&](int64_t s, int64_t e) {
        binary_same<T>(op, ap + s, bp + s, cp + s, e - s);
      });
    } else if (bc.kind == Broadcast::Kind::suffix) {
      int64_t rows = n / nb;
      cpu_parallel_for(rows, std::max<int64_t>(1, kGrain / nb), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) binary_same<T>(op, ap + r * nb, bp, cp + r * nb, nb);
      });
    } else {
      int64_t inner = n / nb;
      cpu_parallel_for(nb, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r)
          binary_scalar<T>(op, ap + r * inner, bp[r], cp + r * inner, inner);
      });
    }
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
