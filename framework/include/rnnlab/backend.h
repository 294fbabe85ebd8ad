// Backend: the only place that touches tensor memory. One implementation per device
// (cpu: xtensor + cblas + oneTBB; cuda: cuBLAS + .cu kernels). Autodiff ops (ops.h) are
// written against this interface only, so a new device is a new Backend, nothing else.
//
// Conventions for every kernel:
//  - all tensors are contiguous, on this backend's device, and share one float dtype
//    (f32 or f64) unless an argument says i32;
//  - `out` tensors are allocated by the caller with the right shape;
//  - kernels named *_acc ADD into their output (gradients accumulate), the others overwrite.
//
// Broadcasting (elementwise, mul_acc, reduce_acc) is limited to what RNNs need, with `a` viewed as
// [outer, inner] and b of numel n:
//   none    b has a's shape             b[i]
//   suffix  b is a trailing block       b[i % n]           e.g. bias [H] on [B,H]
//   prefix  b is a leading block        b[i / (numel/n)]   e.g. mask [B] on [B,H]
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/op_table.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

struct Broadcast {
  enum class Kind { none, suffix, prefix };
  Kind kind = Kind::none;
  // Decides how `b` (numel b_numel) lines up with `a` (numel a_numel); throws if neither fits.
  static Broadcast infer(const Shape& a, const Shape& b);
};

// One elementwise op of op_table.h as called: the op, its scalars and how its second input
// broadcasts over the first.
struct ElemCall {
  ElemOp op = ElemOp::add;
  double s = 0.0, t = 0.0;
  Broadcast bc;
};

// Hyper-parameters for one optimizer update, see optim.h for the maths.
struct UpdateRule {
  enum class Kind { sgd, momentum, adam, rmsprop };
  Kind kind = Kind::sgd;
  double lr = 1e-3;
  double momentum = 0.9;        // momentum
  double beta1 = 0.9, beta2 = 0.999, eps = 1e-8;  // adam (eps also rmsprop)
  double rho = 0.9;             // rmsprop decay
  double weight_decay = 0.0;    // L2 added to the gradient
  double grad_scale = 1.0;      // gradient multiplier (clipping)
  int64_t step = 1;             // 1-based step for adam's bias correction
  double max_abs = 0.0;         // > 0: every updated value clamped to [-max_abs, max_abs]
};

class Backend {
 public:
  virtual ~Backend() = default;
  virtual Device device() const = 0;
  virtual std::string name() const = 0;

  // ---- memory ----
  virtual Tensor empty(const Shape& shape, DType dtype) = 0;
  virtual void fill(Tensor& t, double value) = 0;
  virtual void copy(const Tensor& src, Tensor& dst) = 0;  // same numel and dtype
  virtual void upload(const void* host, Tensor& dst) = 0;    // host bytes -> dst
  virtual void download(const Tensor& src, void* host) = 0;  // src -> host bytes
  // dst[o, dst_off + j] (+)= src[o, src_off + j]  for o < outer, j < len; rows of given strides.
  // Slicing and concatenation along any axis are this one kernel.
  struct Block {
    int64_t outer, len, src_stride, src_off, dst_stride, dst_off;
  };
  virtual void block_copy(const Tensor& src, Tensor& dst, const Block& b, bool accumulate) = 0;
  virtual void cast(const Tensor& src, Tensor& dst) = 0;  // between dtypes, same numel

  // ---- dense linear algebra ----
  // C[m,n] = alpha * op(A) * op(B) + beta * C; A, B, C are viewed as 2-D by their last dim.
  virtual void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b,
                    double beta, Tensor& c) = 0;

  // ---- elementwise (the maths of every op: op_table.h) ----
  // out[i] = F(a[i], b[bi(i)], s, t) over a's elements; b undefined for a unary op.
  virtual void elementwise(const ElemCall& c, const Tensor& a, const Tensor& b, Tensor& out) = 0;
  // The adjoint term of input `input` (0: a, 1: b) at every element i of a:
  //   out[i] (+)= G(g[i], a[i], b[bi(i)], y[i], s, t)   (G = the op's grad_a or grad_b)
  // accumulated or assigned; out has a's shape (a broadcast b's gradient is its sum over the
  // positions that map to each element: reduce_acc). Tensors the op does not read (its
  // `reads`, b of a unary op) may be undefined.
  virtual void elementwise_grad(const ElemCall& c, int input, const Tensor& g, const Tensor& a,
                                const Tensor& b, const Tensor& y, bool accumulate,
                                Tensor& out) = 0;
  // da += dy * b (b broadcast);  with one_minus: da += dy * (1 - b).
  virtual void mul_acc(const Tensor& dy, const Tensor& b, Broadcast bc, bool one_minus,
                       Tensor& da) = 0;
  // db[j] += alpha * sum over the i that map to j of x[i] (* other[i] if other is defined).
  virtual void reduce_acc(const Tensor& x, const Tensor& other, Broadcast bc, double alpha,
                          Tensor& db) = 0;
  // Row reductions over the last axis (op_table.h), x viewed as [rows, n], y [rows]:
  //   y[r] = the reduction of x[r, 0..n) in op_table::fold_row's order (s = 1/n)
  virtual void reduce_last(ReduceOp op, const Tensor& x, Tensor& y) = 0;
  //   dx[r, j] += G(g[r], x[r, j], y[r], s) at every j, or (a `first` reduction) at its pick
  virtual void reduce_last_grad_acc(ReduceOp op, const Tensor& g, const Tensor& x,
                                    const Tensor& y, Tensor& dx) = 0;
  // Layer normalisation over the last axis, x viewed as [rows, n], gain and bias [n] (bias
  // may be undefined: none), mean and rstd [rows] written for the backward:
  //   μ = mean_last(x), rstd = rsqrt(mean_last((x - μ)²) + eps), y = (x - μ) rstd ⊙ gain + bias
  // (op_table::fold_row's order: the values of layer_norm composed of ops)
  virtual void layer_norm(const Tensor& x, const Tensor& gain, const Tensor& bias, double eps,
                          Tensor& y, Tensor& mean, Tensor& rstd) = 0;
  //   with x̂ = (x - μ) rstd and ĝ = dy ⊙ gain:  dx = rstd (ĝ - mean_last(ĝ) - x̂ ⊙
  //   mean_last(ĝ ⊙ x̂)) (assigned when assign_dx, else added);  dgain += Σ_rows dy ⊙ x̂,
  //   dbias += Σ_rows dy, in an order that does not depend on the thread count; a null
  //   output is not computed
  virtual void layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gain,
                               const Tensor& mean, const Tensor& rstd, Tensor* dx,
                               bool assign_dx, Tensor* dgain, Tensor* dbias) = 0;
  // y = alpha * x + beta * y
  virtual void axpby(double alpha, const Tensor& x, double beta, Tensor& y) = 0;
  // out = m * a + (1 - m) * b, m of shape prefix of a's (one 0/1 value per row).
  virtual void mask_blend(const Tensor& m, const Tensor& a, const Tensor& b, Tensor& out) = 0;

  // ---- reductions (host results are for logging/clipping, called once per step) ----
  virtual double sum_squares(const Tensor& x) = 0;
  virtual bool all_finite(const Tensor& x) = 0;

  // ---- indexing ----
  virtual void gather_rows(const Tensor& table, const Tensor& ids, Tensor& out) = 0;
  virtual void scatter_add_rows(const Tensor& dout, const Tensor& ids, Tensor& dtable) = 0;
  // x [N,C] -> i32 [N]: the index of the largest value per row, the first among equals; NaN
  // ranks above every number (hd_math::argmax_beats).
  virtual void argmax_rows(const Tensor& x, Tensor& out_ids) = 0;

  // ---- losses ----
  // probs = softmax(logits) [N,C]; loss[n] = -log probs[n, label[n]]   (labels i32 [N]).
  // A label of -1 (kNotScored, data.h) is not scored: loss[n] = 0 and its row gets no gradient;
  // any other label outside [0, C) is an Error naming the row.
  virtual void softmax_xent(const Tensor& logits, const Tensor& labels, Tensor& probs,
                            Tensor& loss) = 0;
  // dlogits += g * (probs - onehot(labels)) * scale, g = the scalar tensor `dloss`; rows with
  // label -1 are left unchanged.
  virtual void softmax_xent_grad_acc(const Tensor& probs, const Tensor& labels,
                                     const Tensor& dloss, double scale, Tensor& dlogits) = 0;
  // loss[i] = max(x,0) - x*t + log(1 + exp(-|x|))
  virtual void bce_logits(const Tensor& x, const Tensor& t, Tensor& loss) = 0;
  // dx += g * (sigmoid(x) - t) * scale
  virtual void bce_logits_grad_acc(const Tensor& x, const Tensor& t, const Tensor& dloss,
                                   double scale, Tensor& dx) = 0;
  // dx += g * scale (g a scalar tensor): backward of sum/mean.
  virtual void scalar_broadcast_acc(const Tensor& dloss, double scale, Tensor& dx) = 0;
  // Fused losses: the forward also writes the gradient w.r.t. its input for dloss = 1, so the
  // backward is scale_by (one multiply, skipped when dloss = 1) and the tape adopts the tensor.
  //   mse_with_grad:  loss[0] = scale Σ (p - t)²;  dpred = 2 scale (p - t)   (dpred may be
  //                   undefined: loss only). The sum is taken in fixed chunks (reduce_acc's
  //                   order), so 1 and N threads agree.
  //   softmax_xent_with_grad: loss[n] as softmax_xent;  dlogits[n] = scale (probs[n] -
  //                   onehot(label[n])) for a scored row, 0 for label -1 (probs[n] rounded
  //                   first, then scaled: softmax_xent_grad_acc's bits at dloss = 1).
  virtual void mse_with_grad(const Tensor& pred, const Tensor& target, double scale,
                             Tensor& loss, Tensor& dpred) = 0;
  virtual void softmax_xent_with_grad(const Tensor& logits, const Tensor& labels, double scale,
                                      Tensor& loss, Tensor& dlogits) = 0;
  // x *= g, g = the scalar tensor `dloss` (a backend may skip the pass when g = 1).
  virtual void scale_by(const Tensor& dloss, Tensor& x) = 0;

  // ---- randomness: counter-based, so results do not depend on thread count or device ----
  // mask[i] = (u(seed, i) >= p) / (1 - p)
  virtual void dropout_mask(double p, uint64_t seed, Tensor& mask) = 0;

  // ---- optimizers ----
  // One update of `param` from `grad`; slot1/slot2 hold the rule's state (may be undefined
  // for rules that need none).
  virtual void apply_update(const UpdateRule& rule, Tensor& param, const Tensor& grad,
                            Tensor& slot1, Tensor& slot2) = 0;
  // The same update for every parameter of a group, each clamped to its own max_abs (> 0),
  // and every gradient zeroed in the same pass (Optimizer::step). The default calls
  // apply_update and fill per parameter; a backend overrides it with one pass / launch.
  struct UpdateTarget {
    Tensor* param;
    Tensor* grad;
    Tensor* slot1;  // point to undefined tensors for rules that need no state
    Tensor* slot2;
    double max_abs;
  };
  virtual void apply_updates(const UpdateRule& rule, const std::vector<UpdateTarget>& group);

  // ---- threads ----
  virtual void set_threads(int n) = 0;
  virtual int threads() const = 0;
};

// Throws an Error unless every tensor that input `input`'s adjoint of `c.op` reads (op_table.h:
// `reads`) is defined: the backends' check of elementwise_grad's arguments.
void check_elem_grad_operands(const ElemCall& c, int input, const Tensor& a, const Tensor& b,
                              const Tensor& y);

// The backend that owns `device`; throws InputError if that backend is not available
// (e.g. cuda on a machine without a GPU), with the reason.
Backend& backend_for(Device device);
bool backend_available(Device device, std::string* why_not = nullptr);

// What a run file records about the device: its name and the CUDA driver and runtime versions
// ("12.8"). All empty for the CPU and when the device is not available.
struct DeviceInfo {
  std::string name, driver, runtime;
};
DeviceInfo device_info(Device device);

// Host <-> tensor helpers (any device).
template <typename T>
std::vector<T> to_vector(const Tensor& t);
Tensor from_vector(const std::vector<float>& v, const Shape& shape, Device d = Device::cpu);
Tensor from_vector(const std::vector<double>& v, const Shape& shape, Device d = Device::cpu);
Tensor from_vector(const std::vector<int32_t>& v, const Shape& shape, Device d = Device::cpu);
Tensor zeros(const Shape& shape, DType dtype, Device d = Device::cpu);
Tensor full(const Shape& shape, DType dtype, double value, Device d = Device::cpu);
Tensor clone(const Tensor& t);
Tensor to_dtype(const Tensor& t, DType dtype);
double item(const Tensor& scalar);  // the single element as double

}  // namespace rnnlab
