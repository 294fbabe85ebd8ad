// CPU backend: loss kernels (numerically stable forms).
#include <algorithm>
#include <cmath>
#include <vector>

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

// probs = softmax(logits) with the row max subtracted; loss = log-sum-exp - logit[label]. Each
// exp is computed once (cpu_math::vexp: vectorized for f32, libm for f64) and the row sum is
// accumulated in double: an LM's softmax over 10 000 words is most of its step.
// With `grad`, each row then becomes the loss gradient in the same pass:
//   p[n,j] = g * probs[n,j] - g [j = label[n]]  (g = scale; 0 for a row with label -1).
template <typename T>
void softmax_rows(const Tensor& logits, const Tensor& labels, bool grad, double scale,
                  Tensor& probs, Tensor& loss) {
  int64_t n = logits.dim(0), c = logits.numel() / n;
  const T* x = logits.data<T>();
  const int32_t* y = labels.data<int32_t>();
  T* p = probs.data<T>();
  T* l = loss.data<T>();
  const T g = static_cast<T>(scale);
  for (int64_t i = 0; i < n; ++i)
    RNNLAB_CHECK(y[i] == -1 || (y[i] >= 0 && y[i] < c), "label ", y[i], " of row ", i,
                 " is outside [0, ", c, ") (-1: not scored)");
  cpu_parallel_for(n, std::max<int64_t>(1, kGrain / c), [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) {
      const T* row = x + i * c;
      T* pr = p + i * c;
      if (grad && y[i] < 0) {  // not scored: no loss, no gradient, no softmax needed
        std::fill(pr, pr + c, T(0));
        l[i] = T(0);
        continue;
      }
      const T mx = *std::max_element(row, row + c);
      const double z = exp_shifted_row(row, pr, c, mx);
      const T inv = static_cast<T>(1.0 / z);
      if (grad) {
        for (int64_t j = 0; j < c; ++j) pr[j] = g * (pr[j] * inv);
        pr[y[i]] -= g;
      } else {
        for (int64_t j = 0; j < c; ++j) pr[j] *= inv;
      }
      l[i] = y[i] < 0 ? T(0) : static_cast<T>(std::log(z) + mx - row[y[i]]);
    }
  });
}

// Σ (p - t)² over one chunk in 16 fixed lanes (lane_sum's order), writing d = two_s (p - t).
template <typename T>
RNNLAB_SIMD_CLONES T mse_chunk(const T* __restrict p, const T* __restrict t, T two_s,
                               T* __restrict d, int64_t n) {
  T acc[16] = {};
  int64_t i = 0;
  if (d) {
    for (; i + 16 <= n; i += 16)
      for (int k = 0; k < 16; ++k) {
        const T v = p[i + k] - t[i + k];
        acc[k] += v * v;
        d[i + k] = two_s * v;
      }
    for (; i < n; ++i) {
      const T v = p[i] - t[i];
      acc[i & 15] += v * v;
      d[i] = two_s * v;
    }
  } else {
    for (; i + 16 <= n; i += 16)
      for (int k = 0; k < 16; ++k) {
        const T v = p[i + k] - t[i + k];
        acc[k] += v * v;
      }
    for (; i < n; ++i) {
      const T v = p[i] - t[i];
      acc[i & 15] += v * v;
    }
  }
  T s = 0;
  for (int k = 0; k < 16; ++k) s += acc[k];
  return s;
}

}  // namespace

void CpuBackend::softmax_xent(const Tensor& logits, const Tensor& labels, Tensor& probs,
                              Tensor& loss) {
  dispatch_float(logits.dtype(), [&](auto tag) {
    softmax_rows<decltype(tag)>(logits, labels, false, 1.0, probs, loss);
  });
}

void CpuBackend::softmax_xent_with_grad(const Tensor& logits, const Tensor& labels,
                                        double scale, Tensor& loss, Tensor& dlogits) {
  dispatch_float(logits.dtype(), [&](auto tag) {
    softmax_rows<decltype(tag)>(logits, labels, true, scale, dlogits, loss);
  });
}

// The chunks and their order are reduce_acc's (kReduceChunk, partial sums added in order): 1
// and N threads give the same bits.
void CpuBackend::mse_with_grad(const Tensor& pred, const Tensor& target, double scale,
                               Tensor& loss, Tensor& dpred) {
  dispatch_float(pred.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* p = pred.data<T>();
    const T* t = target.data<T>();
    T* d = dpred.defined() ? dpred.data<T>() : nullptr;
    const T two_s = static_cast<T>(2.0 * scale);
    const int64_t n = pred.numel();
    const int64_t chunks = (n + kReduceChunk - 1) / kReduceChunk;
    std::vector<T> part(static_cast<std::size_t>(chunks));
    cpu_parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        const int64_t b = c * kReduceChunk, len = std::min(kReduceChunk, n - b);
        part[static_cast<std::size_t>(c)] =
            mse_chunk<T>(p + b, t + b, two_s, d ? d + b : nullptr, len);
      }
    });
    T total = 0;
    for (T v : part) total += v;
    loss.data<T>()[0] = static_cast<T>(scale) * total;
  });
}

void CpuBackend::scale_by(const Tensor& dloss, Tensor& x) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T g = dloss.data<T>()[0];
    if (g == T(1)) return;
    T* d = x.data<T>();
    cpu_parallel_for(x.numel(), kGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) d[i] *= g;
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
