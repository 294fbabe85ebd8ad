// Row reductions over the last axis (one op for every entry of op_table.h's list) and layer
// normalisation: composed of them inside a traced step (the step compiler fuses them), one op
// (Backend::layer_norm) everywhere else (ops_norm.h).
#include "rnnlab/ops_norm.h"

#include "rnnlab/backend.h"
#include "rnnlab/error.h"
#include "rnnlab/ops.h"

namespace rnnlab {

Var reduce_last(ReduceOp op, const Var& x) {
  const Shape& s = x.shape();
  RNNLAB_CHECK_INPUT(!s.empty() && s.back() > 0, op_table::info(op).name,
                     ": expected a tensor [.., H] with H > 0, found ", shape_str(s));
  const int64_t h = s.back();  // (s refers into the tape, which record() may move)
  Shape ys = s;
  ys.back() = 1;
  Tape& tape = x.tape();
  Tensor y = tape.backend().empty(ys, x.dtype());
  tape.backend().reduce_last(op, x.value(), y);
  Var v = tape.record(y, {x}, [op](BackwardContext& ctx) {
    ctx.backend().reduce_last_grad_acc(op, ctx.grad_out(), ctx.in(0), ctx.out(), ctx.grad_in(0));
  });
  OpInfo info;
  info.kind = OpKind::reduce;
  info.reduce = op;
  info.s = 1.0 / static_cast<double>(h);
  return tape.traced(v, std::move(info));
}

// The public reductions of ops_norm.h, one per entry of the table.
#define RNNLAB_DEFINE(NAME, ...) \
  Var NAME(const Var& x) { return reduce_last(ReduceOp::NAME, x); }
RNNLAB_ROW_REDUCTIONS(RNNLAB_DEFINE)
#undef RNNLAB_DEFINE

namespace {

// layer_norm as one op (Backend::layer_norm): one pass over each row forward, one backward,
// instead of nine ops and their intermediates. A traced step gets the composed form below,
// which the step compiler fuses into its region.
Var layer_norm_fused(const Var& x, const Var& gain, const Var& bias, double eps) {
  Tape& tape = x.tape();
  Backend& be = tape.backend();
  Shape rs = x.shape();
  rs.back() = 1;
  Tensor y = be.empty(x.shape(), x.dtype());
  Tensor mean = be.empty(rs, x.dtype()), rstd = be.empty(rs, x.dtype());
  be.layer_norm(x.value(), gain.value(), bias.valid() ? bias.value() : Tensor{}, eps, y, mean,
                rstd);
  std::vector<Var> inputs{x, gain};
  if (bias.valid()) inputs.push_back(bias);
  const bool has_bias = bias.valid();
  return tape.record(y, inputs, [mean, rstd, has_bias](BackwardContext& ctx) {
    bool assign = false;
    Tensor* dx = ctx.needs(0) ? &ctx.grad_in_whole(0, assign) : nullptr;
    Tensor* dgain = ctx.needs(1) ? &ctx.grad_in(1) : nullptr;
    Tensor* dbias = has_bias && ctx.needs(2) ? &ctx.grad_in(2) : nullptr;
    ctx.backend().layer_norm_grad(ctx.grad_out(), ctx.in(0), ctx.in(1), mean, rstd, dx, assign,
                                  dgain, dbias);
  });
}

}  // namespace

Var layer_norm(const Var& x, const Var& gain, const Var& bias, double eps) {
  const Shape& s = x.shape();
  RNNLAB_CHECK_INPUT(!s.empty(), "layer_norm: expected a tensor [.., H], found a scalar");
  const int64_t h = s.back();
  RNNLAB_CHECK_INPUT(gain.shape() == Shape{h}, "layer_norm: gain must be [", h, "], found ",
                     shape_str(gain.shape()));
  RNNLAB_CHECK_INPUT(!bias.valid() || bias.shape() == Shape{h}, "layer_norm: bias must be [", h,
                     "], found ", shape_str(bias.shape()));
  RNNLAB_CHECK_INPUT(eps > 0, "layer_norm: eps must be > 0, found ", eps);
  Tape& tape = x.tape();
  if (!tape.tracing()) return layer_norm_fused(x, gain, bias, eps);
  const Var centred = sub(x, mean_last(x));                  // [.., H] - [.., 1]
  Tensor e = tape.backend().empty({1}, x.dtype());
  tape.backend().fill(e, eps);
  const Var var_eps = add(mean_last(square(centred)), tape.constant(std::move(e)));
  const Var inv_std = rsqrt(var_eps);                       // [.., 1]
  const Var y = mul(mul(centred, inv_std), gain);
  return bias.valid() ? add(y, bias) : y;
}

}  // namespace rnnlab
