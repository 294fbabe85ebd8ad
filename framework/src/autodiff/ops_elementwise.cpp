// Elementwise ops with suffix/prefix broadcasting of the second operand.
//   add: da += dy, db += Σ dy          sub: da += dy, db -= Σ dy
//   mul: da += dy ⊙ b, db += Σ dy ⊙ a   (Σ = sum over the broadcast positions)
//   f(x): dx += f'(x) ⊙ dy              blend: da += m ⊙ dy, db += (1-m) ⊙ dy
//   div: da += dy / b, db -= Σ (dy / b) ⊙ out
//   maximum: da += dy ⊙ [a>=b], db += Σ dy ⊙ [a<b]   (ties go to a)
#include "rnnlab/ops.h"

namespace rnnlab {

namespace {

void check_pair(const Var& a, const Var& b, const char* op) {
  RNNLAB_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ (", dtype_name(a.dtype()), " vs ",
               dtype_name(b.dtype()), ")");
}

Var binary_op(BinaryOp op, Var a, Var b, const char* name) {
  check_pair(a, b, name);
  // The broadcast operand goes second; add and mul commute.
  if ((op == BinaryOp::add || op == BinaryOp::mul) && a.value().numel() < b.value().numel())
    std::swap(a, b);
  Broadcast bc = Broadcast::infer(a.shape(), b.shape());
  Tape& tape = a.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(a.shape(), a.dtype());
  be.binary(op, a.value(), b.value(), bc, out);
  Var v = tape.record(out, {a, b}, [op, bc](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const Tensor& dy = ctx.grad_out();
    double sign = op == BinaryOp::sub ? -1.0 : 1.0;
    if (ctx.needs(0)) {
      if (op == BinaryOp::mul) be.mul_acc(dy, ctx.in(1), bc, false, ctx.grad_in(0));
      else be.axpby(1.0, dy, 1.0, ctx.grad_in(0));
    }
    if (ctx.needs(1)) {
      Tensor none;
      be.reduce_acc(dy, op == BinaryOp::mul ? ctx.in(0) : none, bc, sign, ctx.grad_in(1));
    }
  });
  OpInfo info;
  info.kind = op == BinaryOp::add ? OpKind::add : op == BinaryOp::sub ? OpKind::sub : OpKind::mul;
  info.bc = bc.kind;
  return tape.traced(v, std::move(info));
}

Var unary_op(UnaryOp op, const Var& x) {
  Tape& tape = x.tape();
  Backend& be = tape.backend();
  Tensor y = be.empty(x.shape(), x.dtype());
  be.unary(op, x.value(), y);
  Var v = tape.record(y, {x}, [op](BackwardContext& ctx) {
    ctx.backend().unary_grad_acc(op, ctx.in(0), ctx.out(), ctx.grad_out(), ctx.grad_in(0));
  });
  OpInfo info;
  info.kind = OpKind::unary;
  info.unary = op;
  return tape.traced(v, std::move(info));
}

}  // namespace

Var add(const Var& a, const Var& b) { return binary_op(BinaryOp::add, a, b, "add"); }
Var sub(const Var& a, const Var& b) { return binary_op(BinaryOp::sub, a, b, "sub"); }
Var mul(const Var& a, const Var& b) { return binary_op(BinaryOp::mul, a, b, "mul"); }

Var div(const Var& a, const Var& b) {
  check_pair(a, b, "div");
  Broadcast bc = Broadcast::infer(a.shape(), b.shape());
  Tape& tape = a.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(a.shape(), a.dtype());
  be.binary(BinaryOp::div, a.value(), b.value(), bc, out);
  Var v = tape.record(out, {a, b}, [bc](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const Tensor& dy = ctx.grad_out();
    Tensor dy_b = be.empty(dy.shape(), dy.dtype());  // dy / b
    be.binary(BinaryOp::div, dy, ctx.in(1), bc, dy_b);
    if (ctx.needs(0)) be.axpby(1.0, dy_b, 1.0, ctx.grad_in(0));
    if (ctx.needs(1)) be.reduce_acc(dy_b, ctx.out(), bc, -1.0, ctx.grad_in(1));
  });
  OpInfo info;
  info.kind = OpKind::div;
  info.bc = bc.kind;
  return tape.traced(v, std::move(info));
}

Var scale(const Var& a, double s) {
  Tape& tape = a.tape();
  Backend& be = tape.backend();
  Tensor y = be.empty(a.shape(), a.dtype());
  be.axpby(s, a.value(), 0.0, y);
  Var v = tape.record(y, {a}, [s](BackwardContext& ctx) {
    ctx.backend().axpby(s, ctx.grad_out(), 1.0, ctx.grad_in(0));
  });
  OpInfo info;
  info.kind = OpKind::scale;
  info.s = s;
  return tape.traced(v, std::move(info));
}

Var sigmoid(const Var& x) { return unary_op(UnaryOp::sigmoid, x); }
Var tanh(const Var& x) { return unary_op(UnaryOp::tanh, x); }
Var relu(const Var& x) { return unary_op(UnaryOp::relu, x); }
Var exp(const Var& x) { return unary_op(UnaryOp::exp, x); }
Var log(const Var& x) { return unary_op(UnaryOp::log, x); }
Var square(const Var& x) { return unary_op(UnaryOp::square, x); }

Var maximum(const Var& a, const Var& b) {
  check_pair(a, b, "maximum");
  Broadcast bc = Broadcast::infer(a.shape(), b.shape());
  Tape& tape = a.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(a.shape(), a.dtype());
  be.binary(BinaryOp::max, a.value(), b.value(), bc, out);
  Var v = tape.record(out, {a, b}, [bc](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const Tensor& dy = ctx.grad_out();
    Tensor a_wins = be.empty(dy.shape(), dy.dtype());  // [a >= b], a's shape
    be.binary(BinaryOp::ge, ctx.in(0), ctx.in(1), bc, a_wins);
    if (ctx.needs(0)) be.mul_acc(dy, a_wins, Broadcast{}, false, ctx.grad_in(0));
    if (!ctx.needs(1)) return;
    if (bc.kind == Broadcast::Kind::none) {
      be.mul_acc(dy, a_wins, Broadcast{}, true, ctx.grad_in(1));
    } else {  // Σ dy ⊙ (1 - [a>=b]) over the broadcast positions
      Tensor b_wins = be.empty(dy.shape(), dy.dtype());
      be.fill(b_wins, 1.0);
      be.axpby(-1.0, a_wins, 1.0, b_wins);
      be.reduce_acc(dy, b_wins, bc, 1.0, ctx.grad_in(1));
    }
  });
  OpInfo info;
  info.kind = OpKind::max;
  info.bc = bc.kind;
  return tape.traced(v, std::move(info));
}

Var mask_blend(const Var& m, const Var& a, const Var& b) {
  check_pair(a, b, "mask_blend");
  RNNLAB_CHECK(a.shape() == b.shape(), "mask_blend: shapes differ ", shape_str(a.shape()), " vs ",
               shape_str(b.shape()));
  Broadcast bc = Broadcast::infer(a.shape(), m.shape());
  RNNLAB_CHECK(bc.kind == Broadcast::Kind::prefix || m.shape() == a.shape(),
               "mask_blend: mask ", shape_str(m.shape()), " must be a row mask of ",
               shape_str(a.shape()), " (like [B,1] for [B,H])");
  Tape& tape = a.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(a.shape(), a.dtype());
  be.mask_blend(m.value(), a.value(), b.value(), out);
  Var v = tape.record(out, {m, a, b}, [bc](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    if (ctx.needs(1)) be.mul_acc(ctx.grad_out(), ctx.in(0), bc, false, ctx.grad_in(1));
    if (ctx.needs(2)) be.mul_acc(ctx.grad_out(), ctx.in(0), bc, true, ctx.grad_in(2));
  });
  OpInfo info;
  info.kind = OpKind::mask_blend;
  info.bc = bc.kind;
  return tape.traced(v, std::move(info));
}

Var dropout(const Var& x, double p, uint64_t seed, bool training) {
  RNNLAB_CHECK_INPUT(p >= 0.0 && p < 1.0, "dropout probability must be in [0, 1), found ", p);
  if (!training || p == 0.0) return x;
  Tape& tape = x.tape();
  Backend& be = tape.backend();
  Tensor mask = be.empty(x.shape(), x.dtype());
  be.dropout_mask(p, seed, mask);
  Tensor y = be.empty(x.shape(), x.dtype());
  be.binary(BinaryOp::mul, x.value(), mask, Broadcast{}, y);
  Var v = tape.record(y, {x}, [mask](BackwardContext& ctx) {
    ctx.backend().mul_acc(ctx.grad_out(), mask, Broadcast{}, false, ctx.grad_in(0));
  });
  OpInfo info;
  info.kind = OpKind::dropout;
  info.aux = mask;
  return tape.traced(v, std::move(info));
}

}  // namespace rnnlab
