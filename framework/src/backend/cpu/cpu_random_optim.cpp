// CPU backend: dropout masks (counter-based) and optimizer updates.
#include <cmath>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"
#include "rnnlab/rng.h"

namespace rnnlab {

void CpuBackend::dropout_mask(double p, uint64_t seed, Tensor& mask) {
  RNNLAB_CHECK_INPUT(p >= 0.0 && p < 1.0, "dropout probability must be in [0, 1), found ", p);
  dispatch_float(mask.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* m = mask.data<T>();
    T keep = static_cast<T>(1.0 / (1.0 - p));
    cpu_parallel_for(mask.numel(), kGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i)
        m[i] = counter_uniform(seed, static_cast<uint64_t>(i)) >= p ? keep : T(0);
    });
  });
}

// g = grad_scale * grad + weight_decay * w, then
//   sgd:      w -= lr g
//   momentum: v = momentum v + g;  w -= lr v
//   adam:     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²;  w -= lr m̂ / (sqrt(v̂) + eps)
//   rmsprop:  s = rho s + (1-rho) g²;  w -= lr g / (sqrt(s) + eps)      (Keras form)
void CpuBackend::apply_update(const UpdateRule& r, Tensor& param, const Tensor& grad,
                              Tensor& slot1, Tensor& slot2) {
  dispatch_float(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* w = param.data<T>();
    const T* gr = grad.data<T>();
    T* s1 = slot1.defined() ? slot1.data<T>() : nullptr;
    T* s2 = slot2.defined() ? slot2.data<T>() : nullptr;
    const T lr = static_cast<T>(r.lr), gs = static_cast<T>(r.grad_scale),
            wd = static_cast<T>(r.weight_decay);
    const T b1 = static_cast<T>(r.beta1), b2 = static_cast<T>(r.beta2),
            eps = static_cast<T>(r.eps), mom = static_cast<T>(r.momentum),
            rho = static_cast<T>(r.rho);
    const T bc1 = static_cast<T>(1.0 - std::pow(r.beta1, static_cast<double>(r.step)));
    const T bc2 = static_cast<T>(1.0 - std::pow(r.beta2, static_cast<double>(r.step)));
    if (r.kind != UpdateRule::Kind::sgd)
      RNNLAB_CHECK(s1 != nullptr, "optimizer state missing");
    if (r.kind == UpdateRule::Kind::adam) RNNLAB_CHECK(s2 != nullptr, "adam state missing");
    cpu_parallel_for(param.numel(), kGrain, [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) {
        T g = gs * gr[i] + wd * w[i];
        switch (r.kind) {
          case UpdateRule::Kind::sgd: w[i] -= lr * g; break;
          case UpdateRule::Kind::momentum:
            s1[i] = mom * s1[i] + g;
            w[i] -= lr * s1[i];
            break;
          case UpdateRule::Kind::adam:
            s1[i] = b1 * s1[i] + (T(1) - b1) * g;
            s2[i] = b2 * s2[i] + (T(1) - b2) * g * g;
            w[i] -= lr * (s1[i] / bc1) / (std::sqrt(s2[i] / bc2) + eps);
            break;
          case UpdateRule::Kind::rmsprop:
            s1[i] = rho * s1[i] + (T(1) - rho) * g * g;
            w[i] -= lr * g / (std::sqrt(s1[i]) + eps);
            break;
        }
      }
    });
  });
}

}  // namespace rnnlab
