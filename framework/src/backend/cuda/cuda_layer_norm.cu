// CUDA backend: layer normalisation over the last axis (backend.h; the maths in
// cpu_layer_norm.cpp). One thread per row for y and dx, in op_table::fold_row's order (the
// CPU's); one thread per column for dgain and dbias, adding the rows in order: deterministic.
#include <initializer_list>

#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

namespace {

template <typename T>
__device__ T ln_row_sum(int64_t n, const T* a, const T* b, const T* c, T m, T q, T s) {
  // Σ_j a_j (b_j or 1) (x̂_j or 1) s, x̂_j = (c_j - m) q when c is given
  return op_table::fold_row<T>(
      n,
      [&](int64_t j) {
        T v = a[j] * (b ? b[j] : T(1));
        if (c) v = v * ((c[j] - m) * q);
        return v * s;
      },
      [](T u, T v) { return u + v; });
}

template <typename T>
__global__ void ln_forward_kernel(const T* x, const T* g, const T* b, T eps, T s, int64_t n,
                                  T* y, T* mu, T* rs, int64_t rows) {
  RNNLAB_GRID_STRIDE(r, rows) {
    const T* xr = x + r * n;
    const T m = op_table::fold_row<T>(
        n, [&](int64_t j) { return xr[j] * s; }, [](T u, T v) { return u + v; });
    const T v = op_table::fold_row<T>(
        n,
        [&](int64_t j) {
          const T c = xr[j] - m;
          return c * c * s;
        },
        [](T u, T w) { return u + w; });
    const T q = op_table::Elem<ElemOp::rsqrt>::forward(v + eps, T(0), T(0), T(0));
    mu[r] = m;
    rs[r] = q;
    for (int64_t j = 0; j < n; ++j) y[r * n + j] = (xr[j] - m) * q * g[j] + (b ? b[j] : T(0));
  }
}

template <typename T>
__global__ void ln_dx_kernel(const T* dy, const T* x, const T* g, const T* mu, const T* rs, T s,
                             int64_t n, T* dx, bool assign, int64_t rows) {
  RNNLAB_GRID_STRIDE(r, rows) {
    const T *dr = dy + r * n, *xr = x + r * n;
    const T m = mu[r], q = rs[r];
    const T a = ln_row_sum<T>(n, dr, g, nullptr, m, q, s);
    const T c = ln_row_sum<T>(n, dr, g, xr, m, q, s);
    for (int64_t j = 0; j < n; ++j) {
      const T v = q * (dr[j] * g[j] - a - (xr[j] - m) * q * c);
      dx[r * n + j] = assign ? v : dx[r * n + j] + v;
    }
  }
}

template <typename T>
__global__ void ln_params_kernel(const T* dy, const T* x, const T* mu, const T* rs, int64_t n,
                                 T* dg, T* db, int64_t rows) {
  RNNLAB_GRID_STRIDE(j, n) {
    T sg = T(0), sb = T(0);
    for (int64_t r = 0; r < rows; ++r) {
      sg += dy[r * n + j] * ((x[r * n + j] - mu[r]) * rs[r]);
      sb += dy[r * n + j];
    }
    if (dg) dg[j] += sg;
    if (db) db[j] += sb;
  }
}

}  // namespace

void CudaBackend::layer_norm(const Tensor& x, const Tensor& gain, const Tensor& bias, double eps,
                             Tensor& y, Tensor& mean, Tensor& rstd) {
  for (const Tensor* t : std::initializer_list<const Tensor*>{&x, &gain, &y, &mean, &rstd})
    cuda_detail::check_cuda(*t, "layer_norm");
  if (bias.defined()) cuda_detail::check_cuda(bias, "layer_norm bias");
  const int64_t n = x.shape().back(), rows = n > 0 ? x.numel() / n : 0;
  if (rows == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    ln_forward_kernel<T><<<cuda_blocks(rows), kCudaThreads, 0, cuda_stream()>>>(
        x.data<T>(), gain.data<T>(), bias.defined() ? bias.data<T>() : nullptr,
        static_cast<T>(eps), static_cast<T>(1.0 / static_cast<double>(n)), n, y.data<T>(),
        mean.data<T>(), rstd.data<T>(), rows);
    RNNLAB_CUDA_LAUNCHED("ln_forward_kernel");
  });
}

void CudaBackend::layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gain,
                                  const Tensor& mean, const Tensor& rstd, Tensor* dx,
                                  bool assign_dx, Tensor* dgain, Tensor* dbias) {
  for (const Tensor* t : std::initializer_list<const Tensor*>{&dy, &x, &gain, &mean, &rstd, dx,
                                                            dgain, dbias})
    if (t) cuda_detail::check_cuda(*t, "layer_norm_grad");
  const int64_t n = x.shape().back(), rows = n > 0 ? x.numel() / n : 0;
  if (rows == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if (dx) {
      ln_dx_kernel<T><<<cuda_blocks(rows), kCudaThreads, 0, cuda_stream()>>>(
          dy.data<T>(), x.data<T>(), gain.data<T>(), mean.data<T>(), rstd.data<T>(),
          static_cast<T>(1.0 / static_cast<double>(n)), n, dx->data<T>(), assign_dx, rows);
      RNNLAB_CUDA_LAUNCHED("ln_dx_kernel");
    }
    if (dgain || dbias) {
      ln_params_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
          dy.data<T>(), x.data<T>(), mean.data<T>(), rstd.data<T>(), n,
          dgain ? dgain->data<T>() : nullptr, dbias ? dbias->data<T>() : nullptr, rows);
      RNNLAB_CUDA_LAUNCHED("ln_params_kernel");
    }
  });
}

}  // namespace rnnlab
