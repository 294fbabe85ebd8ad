// Reductions and losses. Losses are means: over scored rows (softmax CE) or elements (MSE, BCE).
//   softmax CE  L = -1/N Σ_{n: y_n ≠ -1} log softmax(x_n)[y_n],  N = #{n: y_n ≠ -1}
//               dL/dx_n = (softmax(x_n) - onehot(y_n)) / N for scored rows, 0 for y_n = -1
//   MSE         L = 1/M Σ (p - t)²                        dL/dp = 2 (p - t) / M
//   BCE logits  L = 1/M Σ max(x,0) - x t + log(1+e^-|x|)  dL/dx = (σ(x) - t) / M
// CE and MSE are fused: the forward also computes dL/dx (the backend's *_with_grad kernels, in the
// same pass), and the backward scales it by dL (scale_by; nothing when dL = 1, the loss
// being the root) and hands it to the tape (accumulate: adopted when it is x's first
// gradient, so no zero-filled slot and no accumulation pass).
#include "rnnlab/ops.h"

namespace rnnlab {

namespace {
// The backward of a fused loss whose forward left dL/dx (x = input 0) in `dx` for dL = 1:
// scaled by dL and handed to the tape. With `target`, input 1 (mse's target) gets -dL/dx when
// it asks for a gradient (never in training). dx is used once.
BackwardFn fused_loss_backward(Tensor dx, bool target) {
  return [dx = std::move(dx), target](BackwardContext& ctx) mutable {
    RNNLAB_CHECK(dx.defined(),
                 "a fused loss's backward has no gradient (run twice on one tape?)");
    Backend& be = ctx.backend();
    be.scale_by(ctx.grad_out(), dx);
    if (target && ctx.needs(1)) {
      Tensor neg = be.empty(dx.shape(), dx.dtype());
      be.copy(dx, neg);
      be.axpby(0.0, dx, -1.0, neg);
      ctx.accumulate(1, std::move(neg));
    }
    if (ctx.needs(0)) ctx.accumulate(0, std::move(dx));
    dx = Tensor{};
  };
}

Var reduce_all(const Var& x, double factor) {
  Tape& tape = x.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty({}, x.dtype());
  be.fill(out, 0.0);
  be.reduce_acc(x.value(), Tensor{}, Broadcast{Broadcast::Kind::suffix}, factor, out);
  return tape.record(out, {x}, [factor](BackwardContext& ctx) {
    ctx.backend().scalar_broadcast_acc(ctx.grad_out(), factor, ctx.grad_in(0));
  });
}
}  // namespace

Var sum(const Var& x) { return reduce_all(x, 1.0); }
Var mean(const Var& x) {
  int64_t n = x.value().numel();
  RNNLAB_CHECK(n > 0, "mean of an empty tensor");
  return reduce_all(x, 1.0 / static_cast<double>(n));
}

Var softmax_cross_entropy(const Var& logits, const Var& labels, int64_t scored) {
  const Tensor& x = logits.value();
  const Tensor& y = labels.value();
  RNNLAB_CHECK(x.rank() == 2, "softmax_cross_entropy expects logits [N,C], found ",
               shape_str(x.shape()));
  RNNLAB_CHECK(y.dtype() == DType::i32 && y.numel() == x.dim(0),
               "softmax_cross_entropy expects i32 labels [", x.dim(0), "], found ",
               dtype_name(y.dtype()), " ", shape_str(y.shape()));
  if (scored < 0) {
    scored = 0;
    for (int32_t label : to_vector<int32_t>(y)) scored += label != -1;
  }
  Tape& tape = logits.tape();
  Backend& be = tape.backend();
  Tensor rows = be.empty({x.dim(0)}, x.dtype());
  // No scored row: the loss is 0 and nothing gets a gradient (the kernels skip every row).
  double inv_n = scored > 0 ? 1.0 / static_cast<double>(scored) : 0.0;
  Tensor dx;
  if (logits.requires_grad()) {
    dx = be.empty(x.shape(), x.dtype());
    be.softmax_xent_with_grad(x, y, inv_n, rows, dx);
  } else {
    Tensor probs = be.empty(x.shape(), x.dtype());
    be.softmax_xent(x, y, probs, rows);
  }
  Tensor out = be.empty({}, x.dtype());
  be.fill(out, 0.0);
  be.reduce_acc(rows, Tensor{}, Broadcast{Broadcast::Kind::suffix}, inv_n, out);
  return tape.record(out, {logits, labels}, fused_loss_backward(std::move(dx), false));
}

Var mse(const Var& pred, const Var& target) {
  RNNLAB_CHECK(pred.shape() == target.shape(), "mse: prediction ", shape_str(pred.shape()),
               " and target ", shape_str(target.shape()), " differ");
  const int64_t m = pred.value().numel();
  RNNLAB_CHECK(m > 0, "mse of an empty tensor");
  Tape& tape = pred.tape();
  Backend& be = tape.backend();
  Tensor dp = pred.requires_grad() || target.requires_grad()
                  ? be.empty(pred.shape(), pred.dtype())
                  : Tensor{};
  Tensor out = be.empty({}, pred.dtype());
  be.mse_with_grad(pred.value(), target.value(), 1.0 / static_cast<double>(m), out, dp);
  return tape.record(out, {pred, target}, fused_loss_backward(std::move(dp), true));
}

Var bce_with_logits(const Var& logits, const Var& target) {
  RNNLAB_CHECK(logits.shape() == target.shape(), "bce_with_logits: logits ",
               shape_str(logits.shape()), " and target ", shape_str(target.shape()), " differ");
  Tape& tape = logits.tape();
  Backend& be = tape.backend();
  Tensor elems = be.empty(logits.shape(), logits.dtype());
  be.bce_logits(logits.value(), target.value(), elems);
  double inv_m = 1.0 / static_cast<double>(elems.numel());
  Tensor out = be.empty({}, logits.dtype());
  be.fill(out, 0.0);
  be.reduce_acc(elems, Tensor{}, Broadcast{Broadcast::Kind::suffix}, inv_m, out);
  return tape.record(out, {logits, target}, [inv_m](BackwardContext& ctx) {
    if (ctx.needs(0))
      ctx.backend().bce_logits_grad_acc(ctx.in(0), ctx.in(1), ctx.grad_out(), inv_m,
                                        ctx.grad_in(0));
  });
}

Var embedding(const Var& table, const Var& ids) {
  const Tensor& t = table.value();
  RNNLAB_CHECK(t.rank() == 2, "embedding table must be [V,D], found ", shape_str(t.shape()));
  RNNLAB_CHECK(ids.dtype() == DType::i32, "embedding ids must be i32, found ",
               dtype_name(ids.dtype()));
  Shape out_shape = ids.shape();
  out_shape.push_back(t.dim(1));
  Tape& tape = table.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(out_shape, t.dtype());
  be.gather_rows(t, ids.value(), out);
  return tape.record(out, {table, ids}, [](BackwardContext& ctx) {
    if (ctx.needs(0)) ctx.backend().scatter_add_rows(ctx.grad_out(), ctx.in(1), ctx.grad_in(0));
  });
}

}  // namespace rnnlab
