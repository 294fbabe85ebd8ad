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
// apply_updates: the same per element for a whole group, the gradient zeroed by that thread,
// 16 parameters per launch.
#include <cmath>
#include <vector>

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

// One element's update (then its clamp): the rule's maths in one place for both kernels.
template <typename T>
struct UpdateConsts {
  T lr, gs, wd, b1, b2, eps, mom, rho, step, ac;
  explicit __host__ __device__ UpdateConsts(const Coeffs& c)
      : lr(T(c.lr)), gs(T(c.gs)), wd(T(c.wd)), b1(T(c.b1)), b2(T(c.b2)), eps(T(c.eps)),
        mom(T(c.mom)), rho(T(c.rho)), step(T(c.adam_step)), ac(T(c.adam_c)) {}
};

template <typename T>
__device__ inline void update_element(int kind, const UpdateConsts<T>& k, double max_abs,
                                      T* __restrict__ w, const T* __restrict__ gr,
                                      T* __restrict__ s1, T* __restrict__ s2, int64_t i) {
  switch (kind) {
    case 0:
      w[i] -= k.lr * (k.gs * gr[i] + k.wd * w[i]);
      break;
    case 1: {
      const T v = k.mom * s1[i] + k.gs * gr[i] + k.wd * w[i];
      s1[i] = v;
      w[i] -= k.lr * v;
      break;
    }
    case 2: {
      const T g = k.gs * gr[i] + k.wd * w[i];
      const T m = k.b1 * s1[i] + (T(1) - k.b1) * g;
      const T v = k.b2 * s2[i] + (T(1) - k.b2) * g * g;
      s1[i] = m;
      s2[i] = v;
      w[i] -= k.step * m / (cuda_detail::d_sqrt(v) * k.ac + k.eps);
      break;
    }
    default: {
      const T g = k.gs * gr[i] + k.wd * w[i];
      const T v = k.rho * s1[i] + (T(1) - k.rho) * g * g;
      s1[i] = v;
      w[i] -= k.lr * g / (cuda_detail::d_sqrt(v) + k.eps);
      break;
    }
  }
  if (max_abs > 0) {
    const T hi = T(max_abs), lo = -hi;
    w[i] = w[i] < lo ? lo : (w[i] > hi ? hi : w[i]);
  }
}

template <typename T>
__global__ void update_kernel(int kind, Coeffs c, T* __restrict__ w, const T* __restrict__ gr,
                              T* __restrict__ s1, T* __restrict__ s2, int64_t n) {
  const UpdateConsts<T> k(c);
  RNNLAB_GRID_STRIDE(i, n) update_element(kind, k, c.max_abs, w, gr, s1, s2, i);
}

// apply_updates: up to kGroupLaunch parameters per launch, passed by value (kernel arguments);
// parameter k owns the flat indices [end[k-1], end[k]). Each element is updated, clamped to
// its parameter's max_abs, and its gradient zeroed by one thread.
constexpr int kGroupLaunch = 16;
template <typename T>
struct GroupArgs {
  T* w[kGroupLaunch];
  T* g[kGroupLaunch];
  T* s1[kGroupLaunch];
  T* s2[kGroupLaunch];
  int64_t end[kGroupLaunch];
  double max_abs[kGroupLaunch];
  int count;
};

template <typename T>
__global__ void group_update_kernel(int kind, Coeffs c, GroupArgs<T> a) {
  const UpdateConsts<T> k(c);
  RNNLAB_GRID_STRIDE(i, a.end[a.count - 1]) {
    int p = 0;
    while (i >= a.end[p]) ++p;
    const int64_t j = i - (p > 0 ? a.end[p - 1] : 0);
    update_element(kind, k, a.max_abs[p], a.w[p], a.g[p], a.s1[p], a.s2[p], j);
    a.g[p][j] = T(0);
  }
}

Coeffs coeffs(const UpdateRule& r) {
  const double t = static_cast<double>(r.step);
  return {r.lr, r.grad_scale, r.weight_decay, r.beta1, r.beta2, r.eps, r.momentum, r.rho,
          r.lr / (1.0 - std::pow(r.beta1, t)), 1.0 / std::sqrt(1.0 - std::pow(r.beta2, t)),
          r.max_abs};
}

int kind_code(UpdateRule::Kind kind) {
  return kind == UpdateRule::Kind::sgd        ? 0
         : kind == UpdateRule::Kind::momentum ? 1
         : kind == UpdateRule::Kind::adam     ? 2
                                              : 3;
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
  const Coeffs c = coeffs(r);
  const int kind = kind_code(r.kind);
  dispatch_float(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* s1 = slot1.defined() ? slot1.data<T>() : nullptr;
    T* s2 = slot2.defined() ? slot2.data<T>() : nullptr;
    update_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        kind, c, param.data<T>(), grad.data<T>(), s1, s2, n);
    RNNLAB_CUDA_LAUNCHED("update_kernel");
  });
}

void CudaBackend::apply_updates(const UpdateRule& r, const std::vector<UpdateTarget>& group) {
  const Coeffs c = coeffs(r);
  const int kind = kind_code(r.kind);
  std::size_t k = 0;
  while (k < group.size()) {
    const DType dt = group[k].param->dtype();
    dispatch_float(dt, [&](auto tag) {
      using T = decltype(tag);
      GroupArgs<T> a{};
      int64_t total = 0;
      for (; k < group.size() && a.count < kGroupLaunch; ++k) {
        const UpdateTarget& u = group[k];
        if (r.kind != UpdateRule::Kind::sgd)
          RNNLAB_CHECK(u.slot1->defined(), "optimizer state missing");
        if (r.kind == UpdateRule::Kind::adam)
          RNNLAB_CHECK(u.slot2->defined(), "adam state missing");
        cuda_detail::check_cuda(*u.param, "apply_updates param");
        cuda_detail::check_cuda(*u.grad, "apply_updates grad");
        RNNLAB_CHECK(u.param->dtype() == dt && u.grad->numel() == u.param->numel(),
                     "apply_updates: gradient ", shape_str(u.grad->shape()),
                     " for a parameter of shape ", shape_str(u.param->shape()));
        if (u.param->numel() == 0) continue;
        total += u.param->numel();
        a.w[a.count] = u.param->data<T>();
        a.g[a.count] = u.grad->data<T>();
        a.s1[a.count] = u.slot1->defined() ? u.slot1->data<T>() : nullptr;
        a.s2[a.count] = u.slot2->defined() ? u.slot2->data<T>() : nullptr;
        a.end[a.count] = total;
        a.max_abs[a.count] = u.max_abs;
        ++a.count;
      }
      if (a.count == 0) return;
      group_update_kernel<T><<<cuda_blocks(total), kCudaThreads, 0, cuda_stream()>>>(kind, c, a);
      RNNLAB_CUDA_LAUNCHED("group_update_kernel");
    });
  }
}

}  // namespace rnnlab
