// Row reductions over the last axis (one op for every entry of op_table.h's list) and layer
// normalisation composed of them (ops_norm.h).
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
  const Var centred = sub(x, mean_last(x));                  // [.., H] - [.., 1]
  Tensor e = tape.backend().empty({1}, x.dtype());
  tape.backend().fill(e, eps);
  const Var var_eps = add(mean_last(square(centred)), tape.constant(std::move(e)));
  const Var inv_std = rsqrt(var_eps);                       // [.., 1]
  const Var y = mul(mul(centred, inv_std), gain);
  return bias.valid() ? add(y, bias) : y;
}

}  // namespace rnnlab
