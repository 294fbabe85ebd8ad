// CUDA backend: the row reductions of op_table.h over the last axis (reduce_last and its
// adjoint), one thread per row in op_table::fold_row's order: the CPU's order and the step
// compiler's (op_table.h).
#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

namespace {

template <ReduceOp OP, typename T>
__global__ void reduce_last_kernel(const T* x, int64_t n, T s, T* y, int64_t rows) {
  RNNLAB_GRID_STRIDE(r, rows) y[r] = op_table::reduce_row<OP>(x + r * n, n, s);
}

template <ReduceOp OP, typename T>
__global__ void reduce_last_grad_kernel(const T* g, const T* x, const T* y, int64_t n, T s,
                                        T* dx, int64_t rows) {
  RNNLAB_GRID_STRIDE(r, rows) {
    const T* xr = x + r * n;
    const int64_t k = op_table::reduce_pick<OP>(xr, n, y[r]);
    for (int64_t j = 0; j < n; ++j)
      if (k < 0 || j == k) dx[r * n + j] += op_table::Reduce<OP>::grad(g[r], xr[j], y[r], s);
  }
}

// Calls launch(op, T{}, n, s, rows) for x viewed as [rows, n] (s = 1/n).
template <typename F>
void over_rows(ReduceOp op, const Tensor& x, F&& launch) {
  const int64_t n = x.shape().back(), rows = n > 0 ? x.numel() / n : 0;
  if (rows == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    op_table::visit(op, [&](auto op_tag) {
      launch(op_tag, T{}, n, static_cast<T>(1.0 / static_cast<double>(n)), rows);
    });
  });
}

}  // namespace

void CudaBackend::reduce_last(ReduceOp op, const Tensor& x, Tensor& y) {
  cuda_detail::check_cuda(x, "reduce_last x");
  cuda_detail::check_cuda(y, "reduce_last y");
  over_rows(op, x, [&](auto op_tag, auto tag, int64_t n, auto s, int64_t rows) {
    using T = decltype(tag);
    reduce_last_kernel<decltype(op_tag)::value, T>
        <<<cuda_blocks(rows), kCudaThreads, 0, cuda_stream()>>>(x.data<T>(), n, s, y.data<T>(),
                                                                 rows);
    RNNLAB_CUDA_LAUNCHED("reduce_last_kernel");
  });
}

void CudaBackend::reduce_last_grad_acc(ReduceOp op, const Tensor& g, const Tensor& x,
                                       const Tensor& y, Tensor& dx) {
  for (const Tensor* t : {&g, &x, &y}) cuda_detail::check_cuda(*t, "reduce_last_grad_acc input");
  cuda_detail::check_cuda(dx, "reduce_last_grad_acc dx");
  over_rows(op, x, [&](auto op_tag, auto tag, int64_t n, auto s, int64_t rows) {
    using T = decltype(tag);
    reduce_last_grad_kernel<decltype(op_tag)::value, T>
        <<<cuda_blocks(rows), kCudaThreads, 0, cuda_stream()>>>(
            g.data<T>(), x.data<T>(), y.data<T>(), n, s, dx.data<T>(), rows);
    RNNLAB_CUDA_LAUNCHED("reduce_last_grad_kernel");
  });
}

}  // namespace rnnlab
