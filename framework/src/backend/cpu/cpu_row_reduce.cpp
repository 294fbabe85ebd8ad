// CPU backend: the row reductions of op_table.h over the last axis (reduce_last and its
// adjoint), one row per iteration in op_table::fold_row's order: the order of the CUDA backend and
// of the step compiler's interpreter too.
#include <algorithm>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"

namespace rnnlab {

namespace {

// Calls f(op, T{}, n, s, r0, r1) over blocks of rows [r0, r1) of x viewed as [rows, n]
// (s = 1/n, the reductions' scalar), in parallel above kGrain elements.
template <typename F>
void over_rows(ReduceOp op, const Tensor& x, F&& f) {
  const int64_t n = x.shape().back(), rows = x.numel() / std::max<int64_t>(1, n);
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T s = static_cast<T>(1.0 / static_cast<double>(n));
    op_table::visit(op, [&](auto op_tag) {
      cpu_parallel_for(rows, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, n)),
                       [&](int64_t r0, int64_t r1) { f(op_tag, T{}, n, s, r0, r1); });
    });
  });
}

}  // namespace

void CpuBackend::reduce_last(ReduceOp op, const Tensor& x, Tensor& y) {
  over_rows(op, x, [&](auto op_tag, auto tag, int64_t n, auto s, int64_t r0, int64_t r1) {
    using T = decltype(tag);
    constexpr ReduceOp OP = decltype(op_tag)::value;
    const T* xp = x.data<T>();
    T* yp = y.data<T>();
    for (int64_t r = r0; r < r1; ++r) yp[r] = op_table::reduce_row<OP>(xp + r * n, n, s);
  });
}

void CpuBackend::reduce_last_grad_acc(ReduceOp op, const Tensor& g, const Tensor& x,
                                      const Tensor& y, Tensor& dx) {
  over_rows(op, x, [&](auto op_tag, auto tag, int64_t n, auto s, int64_t r0, int64_t r1) {
    using T = decltype(tag);
    constexpr ReduceOp OP = decltype(op_tag)::value;
    using R = op_table::Reduce<OP>;
    const T* xp = x.data<T>();
    const T* yp = y.data<T>();
    const T* gp = g.data<T>();
    T* dp = dx.data<T>();
    for (int64_t r = r0; r < r1; ++r) {
      const T* xr = xp + r * n;
      const int64_t k = op_table::reduce_pick<OP>(xr, n, yp[r]);
      for (int64_t j = 0; j < n; ++j)
        if (k < 0 || j == k) dp[r * n + j] += R::grad(gp[r], xr[j], yp[r], s);
    }
  });
}

}  // namespace rnnlab
