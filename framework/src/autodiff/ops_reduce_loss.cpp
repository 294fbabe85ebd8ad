// Reductions and losses. Losses are means: over scored rows (softmax CE) or elements (MSE, BCE).
//   softmax CE  L = -1/N Σ_{n: y_n ≠ -1} log softmax(x_n)[y_n],  N = #{n: y_n ≠ -1}
//               dL/dx_n = (softmax(x_n) - onehot(y_n)) / N for scored rows, 0 for y_n = -1
//   MSE         L = 1/M Σ (p - t)²                        (composed: sub, square, mean)
//   BCE logits  L = 1/M Σ max(x,0) - x t + log(1+e^-|x|)  dL/dx = (σ(x) - t) / M
#include "rnnlab/ops.h"

namespace rnnlab {

namespace {
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
  Tensor probs = be.empty(x.shape(), x.dtype());
  Tensor rows = be.empty({x.dim(0)}, x.dtype());
  be.softmax_xent(x, y, probs, rows);
  // No scored row: the loss is 0 and nothing gets a gradient (the kernels skip every row).
  double inv_n = scored > 0 ? 1.0 / static_cast<double>(scored) : 0.0;
  Tensor out = be.empty({}, x.dtype());
  be.fill(out, 0.0);
  be.reduce_acc(rows, Tensor{}, Broadcast{Broadcast::Kind::suffix}, inv_n, out);
  return tape.record(out, {logits, labels}, [probs, inv_n](BackwardContext& ctx) {
    if (ctx.needs(0))
      ctx.backend().softmax_xent_grad_acc(probs, ctx.in(1), ctx.grad_out(), inv_n,
                                          ctx.grad_in(0));
  });
}

Var mse(const Var& pred, const Var& target) {
  RNNLAB_CHECK(pred.shape() == target.shape(), "mse: prediction ", shape_str(pred.shape()),
               " and target ", shape_str(target.shape()), " differ");
  return mean(square(sub(pred, target)));
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
