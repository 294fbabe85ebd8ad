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

void CpuBackend::reduce_acc(const Tensor& x, const Tensor& other, Broadcast bc, double alpha,
                            Tensor& db) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* op = other.defined() ? other.data<T>() : nullptr;
    T* d = db.data<T>();
    int64_t n = x.numel(), nb = db.numel();
    T al = static_cast<T>(alpha);
    auto val = [&](int64_t i) { return op ? xp[i] * op[i] : xp[i]; };
    if (bc.kind == Broadcast::Kind::none) {
      cpu_parallel_for(n, kGrain, [&](int64_t s, int64_t e) {
        for (int64_t i = s; i < e; ++i) d[i] += al * val(i);
      });
    } else if (bc.kind == Broadcast::Kind::suffix) {
      // Column sums, row by row (contiguous, vectorizes) into a per-block accumulator; blocks
      // of columns run in parallel, rows always in order (thread-count independent).
      int64_t rows = n / nb;
      const int64_t block = 256;
      cpu_parallel_for((nb + block - 1) / block, std::max<int64_t>(1, kGrain / (rows * block)),
                       [&](int64_t b0, int64_t b1) {
                         std::vector<T> acc(static_cast<std::size_t>(block));
                         for (int64_t blk = b0; blk < b1; ++blk) {
                           int64_t c0 = blk * block, len = std::min(block, nb - c0);
                           std::fill(acc.begin(), acc.end(), T(0));
                           for (int64_t r = 0; r < rows; ++r) {
                             const int64_t base = r * nb + c0;
                             if (op)
                               for (int64_t j = 0; j < len; ++j) acc[j] += xp[base + j] * op[base + j];
                             else
                               for (int64_t j = 0; j < len; ++j) acc[j] += xp[base + j];
                           }
                           for (int64_t j = 0; j < len; ++j) d[c0 + j] += al * acc[j];
                         }
                       });
    } else {
      int64_t inner = n / nb;
      cpu_parallel_for(nb, std::max<int64_t>(1, kGrain / inner), [&](int64_t r0, int64_t r1) {
        for (int64_t r = r0; r < r1; ++r) {
          double acc = 0;
          for (int64_t j = 0; j < inner; ++j) acc += val(r * inner + j);
          d[r] += al * static_cast<T>(acc);
        }
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
