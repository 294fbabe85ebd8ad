// CUDA backend: dropout masks and optimizer updates.
//
// dropout_mask: mask[i] = counter_uniform(seed, i) >= p ? 1/(1-p) : 0, the CPU's hash
// (counter_hash.h), so masks are bit-identical across devices for one seed.
//
// apply_update, with g = grad_scale * grad + weight_decay * w (the CPU's update_loop):
//   sgd:      w -= lr (gs grad + wd w)
//   momentum: v = momentum v + g;  w -= lr v
//   adam:     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²;  w -= step m / (sqrt(v) c + eps)
//             with step = lr / (1 - b1^t), c = 1 / sqrt(1 - b2^t)  (computed once on the host)
//   rmsprop:  s = rho s + (1-rho) g²;  w -= lr g / (sqrt(s) + eps)
// then, with max_abs > 0, w clamped to [-max_abs, max_abs] (the same element's thread).
#include <cmath>

#include "backend/cuda/counter_hash.h"
#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

namespace {

template <typename T>
__global__ void dropout_kernel(double p, uint64_t seed, T keep, T* m, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) {
    m[i] = counter_hash::counter_uniform(seed, static_cast<uint64_t>(i)) >= p ? keep : T(0);
  }
}

struct Coeffs {
  double lr, gs, wd, b1, b2, eps, mom, rho, adam_step, adam_c, max_abs;
};

template <typename T>
__global__ void update_kernel(int kind, Coeffs c, T* __restrict__ w, const T* __restrict__ gr,
                              T* __restrict__ s1, T* __restrict__ s2, int64_t n) {
  const T lr = T(c.lr), gs = T(c.gs), wd = T(c.wd), b1 = T(c.b1), b2 = T(c.b2), eps = T(c.eps),
          mom = T(c.mom), rho = T(c.rho), step = T(c.adam_step), ac = T(c.adam_c);
  switch (kind) {
    case 0:
      RNNLAB_GRID_STRIDE(i, n) w[i] -= lr * (gs * gr[i] + wd * w[i]);
      break;
    case 1:
      RNNLAB_GRID_STRIDE(i, n) {
        const T v = mom * s1[i] + gs * gr[i] + wd * w[i];
        s1[i] = v;
        w[i] -= lr * v;
      }
      break;
    case 2:
      RNNLAB_GRID_STRIDE(i, n) {
        const T g = gs * gr[i] + wd * w[i];
        const T m = b1 * s1[i] + (T(1) - b1) * g;
        const T v = b2 * s2[i] + (T(1) - b2) * g * g;
        s1[i] = m;
        s2[i] = v;
        w[i] -= step * m / (cuda_detail::d_sqrt(v) * ac + eps);
      }
      break;
    default:
      RNNLAB_GRID_STRIDE(i, n) {
        const T g = gs * gr[i] + wd * w[i];
        const T v = rho * s1[i] + (T(1) - rho) * g * g;
        s1[i] = v;
        w[i] -= lr * g / (cuda_detail::d_sqrt(v) + eps);
      }
      break;
  }
  if (c.max_abs > 0) {
    const T hi = T(c.max_abs), lo = -hi;
    RNNLAB_GRID_STRIDE(i, n) w[i] = w[i] < lo ? lo : (w[i] > hi ? hi : w[i]);
  }
}

}  // namespace

void CudaBackend::dropout_mask(double p, uint64_t seed, Tensor& mask) {
  RNNLAB_CHECK_INPUT(p >= 0.0 && p < 1.0, "dropout probability must be in [0, 1), found ", p);
  cuda_detail::check_cuda(mask, "dropout_mask target");
  const int64_t n = mask.numel();
  if (n == 0) return;
  dispatch_float(mask.dtype(), [&](auto tag) {
    using T = decltype(tag);
    dropout_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        p, seed, static_cast<T>(1.0 / (1.0 - p)), mask.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("dropout_kernel");
  });
}

void CudaBackend::apply_update(const UpdateRule& r, Tensor& param, const Tensor& grad,
                               Tensor& slot1, Tensor& slot2) {
  if (r.kind != UpdateRule::Kind::sgd) RNNLAB_CHECK(slot1.defined(), "optimizer state missing");
  if (r.kind == UpdateRule::Kind::adam) RNNLAB_CHECK(slot2.defined(), "adam state missing");
  cuda_detail::check_cuda(param, "apply_update param");
  cuda_detail::check_cuda(grad, "apply_update grad");
  const int64_t n = param.numel();
  if (n == 0) return;
  const double t = static_cast<double>(r.step);
  Coeffs c{r.lr, r.grad_scale, r.weight_decay, r.beta1, r.beta2, r.eps, r.momentum, r.rho,
           r.lr / (1.0 - std::pow(r.beta1, t)), 1.0 / std::sqrt(1.0 - std::pow(r.beta2, t)),
           r.max_abs};
  const int kind = r.kind == UpdateRule::Kind::sgd        ? 0
                   : r.kind == UpdateRule::Kind::momentum ? 1
                   : r.kind == UpdateRule::Kind::adam     ? 2
                                                          : 3;
  dispatch_float(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* s1 = slot1.defined() ? slot1.data<T>() : nullptr;
    T* s2 = slot2.defined() ? slot2.data<T>() : nullptr;
    update_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        kind, c, param.data<T>(), grad.data<T>(), s1, s2, n);
    RNNLAB_CUDA_LAUNCHED("update_kernel");
  });
}

}  // namespace rnnlab
