// CPU backend: loss kernels (numerically stable forms).
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"
#include "rnnlab/cpu_math.h"

namespace rnnlab {

namespace {

// pr = exp(row - mx) and its sum (in double): plain loops, vectorized per target (the clones).
template <typename T>
RNNLAB_SIMD_CLONES double exp_shifted_row(const T* row, T* pr, int64_t c, T mx) {
  for (int64_t j = 0; j < c; ++j) pr[j] = row[j] - mx;
  for (int64_t j = 0; j < c; ++j) pr[j] = cpu_math::vexp(pr[j]);
  double z = 0;
  for (int64_t j = 0; j < c; ++j) z += static_cast<double>(pr[j]);
  return z;
}

}  // namespace

// probs = softmax(logits) with the row max subtracted; loss = log-sum-exp - logit[label]. Each
// exp is computed once (cpu_math::vexp: vectorized for f32, libm for f64) and the row sum is
// accumulated in double: an LM's softmax over 10 000 words is most of its step.
void CpuBackend::softmax_xent(const Tensor& logits, const Tensor& labels, Tensor& probs,
                              Tensor& loss) {
  dispatch_float(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = logits.dim(0), c = logits.numel() / n;
    const T* x = logits.data<T>();
    const int32_t* y = labels.data<int32_t>();
    T* p = probs.data<T>();
    T* l = loss.data<T>();
    for (int64_t i = 0; i < n; ++i)
      RNNLAB_CHECK(y[i] == -1 || (y[i] >= 0 && y[i] < c), "label ", y[i], " of row ", i,
                   " is outside [0, ", c, ") (-1: not scored)");
    cpu_parallel_for(n, std::max<int64_t>(1, kGrain / c), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) {
        const T* row = x + i * c;
        T* pr = p + i * c;
        const T mx = *std::max_element(row, row + c);
        const double z = exp_shifted_row(row, pr, c, mx);
        const T inv = static_cast<T>(1.0 / z);
        for (int64_t j = 0; j < c; ++j) pr[j] *= inv;
        l[i] = y[i] < 0 ? T(0) : static_cast<T>(std::log(z) + mx - row[y[i]]);
      }
    });
  });
}

void CpuBackend::softmax_xent_grad_acc(const Tensor& probs, const Tensor& labels,
                                       const Tensor& dloss, double scale, Tensor& dlogits) {
  dispatch_float(probs.dtype(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = probs.dim(0), c = probs.numel() / n;
    const T* p = probs.data<T>();
    const int32_t* y = labels.data<int32_t>();
    T g = static_cast<T>(dloss.data<T>()[0] * scale);
    T* d = dlogits.data<T>();
    cpu_parallel_for(n, std::max<int64_t>(1, kGrain / c), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) {
        if (y[i] < 0) continue;  // not scored
        for (int64_t j = 0; j < c; ++j) d[i * c + j] += g * p[i * c + j];
        d[i * c + y[i]] -= g;
      }
    });
  });
}

void CpuBackend::bce_logits(const Tensor& x, const Tensor& t, Tensor& loss) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* tp = t.data<T>();
    T* l = loss.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) {
      T v = xp[i];
      l[i] = std::max(v, T(0)) - v * tp[i] + std::log1p(std::exp(-std::fabs(v)));
    }
  });
}

void CpuBackend::bce_logits_grad_acc(const Tensor& x, const Tensor& t, const Tensor& dloss,
                                     double scale, Tensor& dx) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* tp = t.data<T>();
    T g = static_cast<T>(dloss.data<T>()[0] * scale);
    T* d = dx.data<T>();
    for (int64_t i = 0; i < x.numel(); ++i) d[i] += g * (T(1) / (T(1) + std::exp(-xp[i])) - tp[i]);
  });
}

void CpuBackend::scalar_broadcast_acc(const Tensor& dloss, double scale, Tensor& dx) {
  dispatch_float(dx.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T g = static_cast<T>(dloss.data<T>()[0] * scale);
    T* d = dx.data<T>();
    cpu_parallel_for(dx.numel(), kGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) d[i] += g;
    });
  });
}

}  // namespace rnnlab
