// Elementwise ops: every op of op_table.h through one generic op (its maths, adjoints and
// signature are the table's; the public functions of ops.h are generated from the list), and
// the two that are not maths, mask_blend and dropout.
//   op(a [, b]):  out = F(a, b);  da += G_a(g, a, b, out),  db += Σ G_b(g, a, b, out)
//                 (Σ over the positions of a that b's elements broadcast to)
//   blend: da += m ⊙ dy, db += (1-m) ⊙ dy          dropout: dx += mask ⊙ dy
#include "rnnlab/ops.h"

namespace rnnlab {

namespace {

void check_pair(const Var& a, const Var& b, const char* op) {
  RNNLAB_CHECK(a.dtype() == b.dtype(), op, ": dtypes differ (", dtype_name(a.dtype()), " vs ",
               dtype_name(b.dtype()), ")");
}

}  // namespace

Var elementwise(ElemOp op, const Var& a_in, const Var& b_in, double s, double t) {
  const op_table::ElemInfo& e = op_table::info(op);
  Var a = a_in, b = b_in;
  const bool binary = e.arity() == 2;
  RNNLAB_CHECK(binary == b.valid(), e.name, ": takes ", e.arity(), " input",
               binary ? "s" : "", ", found ", b.valid() ? 2 : 1);
  ElemCall call{op, s, t, {}};
  if (binary) {
    check_pair(a, b, e.name);
    // The broadcast operand goes second; ops that commute take the larger one first.
    if (e.sig == op_table::Sig::binary_commutes && a.value().numel() < b.value().numel())
      std::swap(a, b);
    call.bc = Broadcast::infer(a.shape(), b.shape());
  }
  Tape& tape = a.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(a.shape(), a.dtype());
  be.elementwise(call, a.value(), binary ? b.value() : Tensor{}, out);
  std::vector<Var> inputs{a};
  if (binary) inputs.push_back(b);
  Var v = tape.record(out, inputs, [call, binary](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const Tensor b_in = binary ? ctx.in(1) : Tensor{};
    bool assign = false;
    if (ctx.needs(0)) {
      Tensor& da = ctx.grad_in_whole(0, assign);
      be.elementwise_grad(call, 0, ctx.grad_out(), ctx.in(0), b_in, ctx.out(), !assign, da);
    }
    if (!binary || !ctx.needs(1)) return;
    if (call.bc.kind == Broadcast::Kind::none) {
      Tensor& db = ctx.grad_in_whole(1, assign);
      be.elementwise_grad(call, 1, ctx.grad_out(), ctx.in(0), b_in, ctx.out(), !assign, db);
    } else {  // the term at each element of a, summed over b's broadcast positions
      Tensor term = be.empty(ctx.grad_out().shape(), ctx.grad_out().dtype());
      be.elementwise_grad(call, 1, ctx.grad_out(), ctx.in(0), b_in, ctx.out(), false, term);
      be.reduce_acc(term, Tensor{}, call.bc, 1.0, ctx.grad_in(1));
    }
  });
  OpInfo info;
  info.kind = OpKind::elementwise;
  info.elem = op;
  info.bc = call.bc.kind;
  info.s = s;
  info.t = t;
  return tape.traced(v, std::move(info));
}

// The public ops of ops.h, one per entry of the table, by its signature.
#define RNNLAB_DEFINE_unary(NAME) \
  Var NAME(const Var& x) { return elementwise(ElemOp::NAME, x); }
#define RNNLAB_DEFINE_unary_s(NAME) \
  Var NAME(const Var& x, double s) { return elementwise(ElemOp::NAME, x, {}, s); }
#define RNNLAB_DEFINE_unary_st(NAME) \
  Var NAME(const Var& x, double s, double t) { return elementwise(ElemOp::NAME, x, {}, s, t); }
#define RNNLAB_DEFINE_binary(NAME) \
  Var NAME(const Var& a, const Var& b) { return elementwise(ElemOp::NAME, a, b); }
#define RNNLAB_DEFINE_binary_commutes(NAME) RNNLAB_DEFINE_binary(NAME)
#define RNNLAB_DEFINE(NAME, SIG, ...) RNNLAB_DEFINE_##SIG(NAME)
RNNLAB_ELEMENTWISE_OPS(RNNLAB_DEFINE)
#undef RNNLAB_DEFINE
#undef RNNLAB_DEFINE_binary_commutes
#undef RNNLAB_DEFINE_binary
#undef RNNLAB_DEFINE_unary_st
#undef RNNLAB_DEFINE_unary_s
#undef RNNLAB_DEFINE_unary

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
  be.elementwise({ElemOp::mul, 0.0, 0.0, {}}, x.value(), mask, y);
  Var v = tape.record(y, {x}, [mask](BackwardContext& ctx) {
    ctx.backend().mul_acc(ctx.grad_out(), mask, Broadcast{}, false, ctx.grad_in(0));
  });
  OpInfo info;
  info.kind = OpKind::dropout;
  info.aux = mask;
  return tape.traced(v, std::move(info));
}

}  // namespace rnnlab
