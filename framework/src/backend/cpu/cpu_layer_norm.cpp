// CPU backend: layer normalisation over the last axis in one pass per row (backend.h), x viewed
// as [rows, n], gain and bias [n], mean and rstd [rows]:
//   μ = Σ_j x_j s,  σ² = Σ_j (x_j - μ)² s  (s = 1/n, op_table::fold_row's order: the order of
//   mean_last, so the values equal layer_norm composed of ops),  rstd = rsqrt(σ² + eps)
//   y_j = (x_j - μ) rstd g_j + b_j
// Backward, with x̂ = (x - μ) rstd and ĝ = dy ⊙ g:
//   dx_j = rstd (ĝ_j - Σ ĝ s - x̂_j Σ ĝ x̂ s)
//   dg += Σ_rows dy ⊙ x̂,  db += Σ_rows dy: rows go in blocks of kRowsPerBlock whose partial
//   sums are added in block order, so the result does not depend on the thread count.
#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"
#include "rnnlab/op_table.h"

namespace rnnlab {

namespace {

constexpr int64_t kRowsPerBlock = 32;

template <typename T>
T rsqrt(T v) {
  return op_table::Elem<ElemOp::rsqrt>::forward(v, T(0), T(0), T(0));
}

template <typename T>
T row_sum(int64_t n, auto term) {
  return op_table::fold_row<T>(n, term, [](T a, T b) { return a + b; });
}

}  // namespace

void CpuBackend::layer_norm(const Tensor& x, const Tensor& gain, const Tensor& bias, double eps,
                            Tensor& y, Tensor& mean, Tensor& rstd) {
  const int64_t n = x.shape().back(), rows = n > 0 ? x.numel() / n : 0;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T s = static_cast<T>(1.0 / static_cast<double>(n)), e = static_cast<T>(eps);
    const T *xp = x.data<T>(), *g = gain.data<T>(), *b = bias.defined() ? bias.data<T>() : nullptr;
    T *yp = y.data<T>(), *mu = mean.data<T>(), *rs = rstd.data<T>();
    cpu_parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)),
                     [&](int64_t r0, int64_t r1) {
      for (int64_t r = r0; r < r1; ++r) {
        const T* xr = xp + r * n;
        T* yr = yp + r * n;
        const T m = row_sum<T>(n, [&](int64_t j) { return xr[j] * s; });
        const T v = row_sum<T>(n, [&](int64_t j) {
          const T c = xr[j] - m;
          return c * c * s;
        });
        const T q = rsqrt(v + e);
        mu[r] = m;
        rs[r] = q;
        if (b)
          for (int64_t j = 0; j < n; ++j) yr[j] = (xr[j] - m) * q * g[j] + b[j];
        else
          for (int64_t j = 0; j < n; ++j) yr[j] = (xr[j] - m) * q * g[j];
      }
    });
  });
}

void CpuBackend::layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gain,
                                 const Tensor& mean, const Tensor& rstd, Tensor* dx,
                                 bool assign_dx, Tensor* dgain, Tensor* dbias) {
  const int64_t n = x.shape().back(), rows = n > 0 ? x.numel() / n : 0;
  if (rows == 0) return;
  const int64_t blocks = (rows + kRowsPerBlock - 1) / kRowsPerBlock;
  const bool params = dgain || dbias;
  // partial[k] = block k's sums: [blocks, n] for dgain, then [blocks, n] for dbias
  Tensor partial = params ? empty({2 * blocks, n}, x.dtype()) : Tensor{};
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T s = static_cast<T>(1.0 / static_cast<double>(n));
    const T *dyp = dy.data<T>(), *xp = x.data<T>(), *g = gain.data<T>(),
            *mu = mean.data<T>(), *rs = rstd.data<T>();
    T* dxp = dx ? dx->data<T>() : nullptr;
    T* pg = params ? partial.data<T>() : nullptr;
    T* pb = params ? pg + blocks * n : nullptr;
    cpu_parallel_for(blocks, std::max<int64_t>(1, kGrain / (kRowsPerBlock * n)),
                     [&](int64_t k0, int64_t k1) {
      for (int64_t k = k0; k < k1; ++k) {
        T* sg = pg ? pg + k * n : nullptr;
        T* sb = pb ? pb + k * n : nullptr;
        if (params)
          for (int64_t j = 0; j < n; ++j) sg[j] = sb[j] = T(0);
        for (int64_t r = k * kRowsPerBlock; r < std::min(rows, (k + 1) * kRowsPerBlock); ++r) {
          const T *dr = dyp + r * n, *xr = xp + r * n;
          const T m = mu[r], q = rs[r];
          if (params)
            for (int64_t j = 0; j < n; ++j) {
              sg[j] += dr[j] * ((xr[j] - m) * q);
              sb[j] += dr[j];
            }
          if (!dxp) continue;
          const T a = row_sum<T>(n, [&](int64_t j) { return dr[j] * g[j] * s; });
          const T c = row_sum<T>(n, [&](int64_t j) { return dr[j] * g[j] * ((xr[j] - m) * q) * s; });
          T* out = dxp + r * n;
          if (assign_dx)
            for (int64_t j = 0; j < n; ++j) out[j] = q * (dr[j] * g[j] - a - (xr[j] - m) * q * c);
          else
            for (int64_t j = 0; j < n; ++j) out[j] += q * (dr[j] * g[j] - a - (xr[j] - m) * q * c);
        }
      }
    });
    if (!params) return;
    T* dg = dgain ? dgain->data<T>() : nullptr;
    T* db = dbias ? dbias->data<T>() : nullptr;
    cpu_parallel_for(n, std::max<int64_t>(1, kGrain / blocks), [&](int64_t j0, int64_t j1) {
      for (int64_t k = 0; k < blocks; ++k)
        for (int64_t j = j0; j < j1; ++j) {
          if (dg) dg[j] += pg[k * n + j];
          if (db) db[j] += pb[k * n + j];
        }
    });
  });
}

}  // namespace rnnlab
