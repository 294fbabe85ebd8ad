// CPU backend: dropout masks (counter-based) and optimizer updates.
#include <algorithm>
#include <cmath>
#include <vector>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"
#include "rnnlab/cpu_math.h"
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

namespace {

struct Coeffs {
  double lr, gs, wd, b1, b2, eps, mom, rho, adam_step, adam_c, max_abs;
};

// One loop per rule (no branch inside, restrict pointers), compiled for AVX-512/AVX2/baseline.
template <typename T>
RNNLAB_SIMD_CLONES void update_loop(UpdateRule::Kind kind, const Coeffs& c, T* __restrict w,
                                    const T* __restrict gr, T* __restrict s1, T* __restrict s2,
                                    int64_t n) {
  const T lr = T(c.lr), gs = T(c.gs), wd = T(c.wd), b1 = T(c.b1), b2 = T(c.b2), eps = T(c.eps),
          mom = T(c.mom), rho = T(c.rho), step = T(c.adam_step), ac = T(c.adam_c);
  switch (kind) {
    case UpdateRule::Kind::sgd:
      for (int64_t i = 0; i < n; ++i) w[i] -= lr * (gs * gr[i] + wd * w[i]);
      break;
    case UpdateRule::Kind::momentum:
      for (int64_t i = 0; i < n; ++i) {
        T v = mom * s1[i] + gs * gr[i] + wd * w[i];
        s1[i] = v;
        w[i] -= lr * v;
      }
      break;
    case UpdateRule::Kind::adam:
      for (int64_t i = 0; i < n; ++i) {
        T g = gs * gr[i] + wd * w[i];
        T m = b1 * s1[i] + (T(1) - b1) * g;
        T v = b2 * s2[i] + (T(1) - b2) * g * g;
        s1[i] = m;
        s2[i] = v;
        w[i] -= step * m / (std::sqrt(v) * ac + eps);
      }
      break;
    case UpdateRule::Kind::rmsprop:
      for (int64_t i = 0; i < n; ++i) {
        T g = gs * gr[i] + wd * w[i];
        T v = rho * s1[i] + (T(1) - rho) * g * g;
        s1[i] = v;
        w[i] -= lr * g / (std::sqrt(v) + eps);
      }
      break;
  }
  if (c.max_abs > 0) {
    const T hi = T(c.max_abs), lo = -hi;
    for (int64_t i = 0; i < n; ++i) w[i] = w[i] < lo ? lo : (w[i] > hi ? hi : w[i]);
  }
}

Coeffs coeffs(const UpdateRule& r) {
  const double t = static_cast<double>(r.step);
  return {r.lr, r.grad_scale, r.weight_decay, r.beta1, r.beta2, r.eps, r.momentum, r.rho,
          r.lr / (1.0 - std::pow(r.beta1, t)), 1.0 / std::sqrt(1.0 - std::pow(r.beta2, t)),
          r.max_abs};
}

// apply_updates' unit of work: elements [begin, end) of one parameter of the group.
struct Piece {
  std::size_t target;
  int64_t begin, end;
};
constexpr int64_t kPiece = 2048;  // small enough that the zeroing finds the gradient in L1

}  // namespace

// g = grad_scale * grad + weight_decay * w, then
//   sgd:      w -= lr g
//   momentum: v = momentum v + g;  w -= lr v
//   adam:     m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g²;  w -= lr m̂ / (sqrt(v̂) + eps)
//             (bias corrections folded: w -= lr/(1-b1^t) m / (sqrt(v)/sqrt(1-b2^t) + eps))
//   rmsprop:  s = rho s + (1-rho) g²;  w -= lr g / (sqrt(s) + eps)      (Keras form)
void CpuBackend::apply_update(const UpdateRule& r, Tensor& param, const Tensor& grad,
                              Tensor& slot1, Tensor& slot2) {
  if (r.kind != UpdateRule::Kind::sgd) RNNLAB_CHECK(slot1.defined(), "optimizer state missing");
  if (r.kind == UpdateRule::Kind::adam) RNNLAB_CHECK(slot2.defined(), "adam state missing");
  Coeffs c = coeffs(r);
  dispatch_float(param.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* w = param.data<T>();
    const T* g = grad.data<T>();
    T* s1 = slot1.defined() ? slot1.data<T>() : nullptr;
    T* s2 = slot2.defined() ? slot2.data<T>() : nullptr;
    cpu_parallel_for(param.numel(), kGrain, [&](int64_t b, int64_t e) {
      update_loop<T>(r.kind, c, w + b, g + b, s1 ? s1 + b : nullptr, s2 ? s2 + b : nullptr, e - b);
    });
  });
}

// The whole group in one parallel loop over pieces of kPiece elements: each piece is updated
// with apply_update's loop (the same bits) and its gradient zeroed while still in cache.
void CpuBackend::apply_updates(const UpdateRule& r, const std::vector<UpdateTarget>& group) {
  std::vector<Piece> pieces;
  for (std::size_t k = 0; k < group.size(); ++k) {
    const UpdateTarget& u = group[k];
    if (r.kind != UpdateRule::Kind::sgd)
      RNNLAB_CHECK(u.slot1->defined(), "optimizer state missing");
    if (r.kind == UpdateRule::Kind::adam) RNNLAB_CHECK(u.slot2->defined(), "adam state missing");
    RNNLAB_CHECK(u.grad->numel() == u.param->numel() && u.grad->dtype() == u.param->dtype(),
                 "apply_updates: gradient ", shape_str(u.grad->shape()),
                 " for a parameter of shape ", shape_str(u.param->shape()));
    for (int64_t b = 0; b < u.param->numel(); b += kPiece)
      pieces.push_back({k, b, std::min(u.param->numel(), b + kPiece)});
  }
  if (pieces.empty()) return;
  const DType dt = group.front().param->dtype();
  for (const UpdateTarget& u : group)
    RNNLAB_CHECK(u.param->dtype() == dt, "apply_updates: one dtype per group");
  Coeffs c = coeffs(r);
  dispatch_float(dt, [&](auto tag) {
    using T = decltype(tag);
    cpu_parallel_for(static_cast<int64_t>(pieces.size()), std::max<int64_t>(1, kGrain / kPiece),
                     [&](int64_t p0, int64_t p1) {
      Coeffs ck = c;
      for (int64_t p = p0; p < p1; ++p) {
        const Piece& pc = pieces[static_cast<std::size_t>(p)];
        const UpdateTarget& u = group[pc.target];
        ck.max_abs = u.max_abs;
        T* g = u.grad->data<T>() + pc.begin;
        T* s1 = u.slot1->defined() ? u.slot1->data<T>() + pc.begin : nullptr;
        T* s2 = u.slot2->defined() ? u.slot2->data<T>() + pc.begin : nullptr;
        update_loop<T>(r.kind, ck, u.param->data<T>() + pc.begin, g, s1, s2, pc.end - pc.begin);
        std::fill(g, g + (pc.end - pc.begin), T(0));
      }
    });
  });
}

}  // namespace rnnlab
