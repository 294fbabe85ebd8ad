// matmul: C = op(A) op(B).
//   dA: C=AB -> dC Bᵀ;  C=ABᵀ -> dC B;  C=AᵀB -> B dCᵀ;  C=AᵀBᵀ -> Bᵀ dCᵀ
//   dB: C=AB -> Aᵀ dC;  C=ABᵀ -> dCᵀ A;  C=AᵀB -> A dC;  C=AᵀBᵀ -> dCᵀ Aᵀ
#include "rnnlab/ops.h"

namespace rnnlab {

Var matmul(const Var& a, const Var& b, bool ta, bool tb) {
  const Tensor& A = a.value();
  const Tensor& B = b.value();
  RNNLAB_CHECK(A.rank() >= 2 && B.rank() == 2, "matmul expects A of rank >= 2 and B of rank 2, "
               "found ", shape_str(A.shape()), " and ", shape_str(B.shape()));
  RNNLAB_CHECK(!ta || A.rank() == 2, "matmul with transposed A needs a 2-D A, found ",
               shape_str(A.shape()));
  int64_t k = ta ? A.dim(0) : A.dim(-1);
  int64_t kb = tb ? B.dim(1) : B.dim(0);
  int64_t n = tb ? B.dim(0) : B.dim(1);
  RNNLAB_CHECK(k == kb, "matmul: inner dimensions differ, ", shape_str(A.shape()),
               ta ? "ᵀ" : "", " x ", shape_str(B.shape()), tb ? "ᵀ" : "");
  Shape out_shape = ta ? Shape{A.dim(1), n} : A.shape();
  out_shape.back() = n;
  Tape& tape = a.tape();
  Backend& be = tape.backend();
  Tensor C = be.empty(out_shape, A.dtype());
  be.gemm(ta, tb, 1.0, A, B, 0.0, C);
  Var r = tape.record(C, {a, b}, [ta, tb](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const Tensor& dC = ctx.grad_out();
    const Tensor& A = ctx.in(0);
    const Tensor& B = ctx.in(1);
    bool assign = false;  // a gradient's first contribution: beta = 0 (no zero-filled slot)
    if (ctx.needs(0)) {
      Tensor& dA = ctx.grad_in_whole(0, assign);
      const double beta = assign ? 0.0 : 1.0;
      if (!ta) be.gemm(false, !tb, 1.0, dC, B, beta, dA);
      else be.gemm(tb, true, 1.0, B, dC, beta, dA);
    }
    if (ctx.needs(1)) {
      Tensor& dB = ctx.grad_in_whole(1, assign);
      const double beta = assign ? 0.0 : 1.0;
      if (!tb) be.gemm(!ta, false, 1.0, A, dC, beta, dB);
      else be.gemm(true, ta, 1.0, dC, A, beta, dB);
    }
  });
  OpInfo info;
  info.kind = OpKind::matmul;
  info.i0 = ta;
  info.i1 = tb;
  return tape.traced(r, std::move(info));
}

Var linear(const Var& x, const Var& w, const Var& b) {
  const Tensor& X = x.value();
  const Tensor& W = w.value();
  RNNLAB_CHECK(X.rank() >= 2 && W.rank() == 2 && X.dim(-1) == W.dim(0), "linear: x ",
               shape_str(X.shape()), " does not fit W ", shape_str(W.shape()));
  const int64_t n = W.dim(1);
  RNNLAB_CHECK(b.value().numel() == n, "linear: bias ", shape_str(b.shape()), " for ", n,
               " outputs");
  Shape out_shape = X.shape();
  out_shape.back() = n;
  Tape& tape = x.tape();
  Backend& be = tape.backend();
  Tensor y = be.empty(out_shape, X.dtype());
  const int64_t rows = y.numel() / n;
  be.block_copy(b.value(), y, {rows, n, 0, 0, n, 0}, false);  // every row = b
  be.gemm(false, false, 1.0, X, W, 1.0, y);
  Var r = tape.record(y, {x, w, b}, [](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const Tensor& dy = ctx.grad_out();
    bool assign = false;  // a gradient's first contribution: beta = 0 (no zero-filled slot)
    if (ctx.needs(0)) {
      Tensor& dx = ctx.grad_in_whole(0, assign);
      be.gemm(false, true, 1.0, dy, ctx.in(1), assign ? 0.0 : 1.0, dx);
    }
    if (ctx.needs(1)) {
      const Tensor& X = ctx.in(0);
      Tensor x2 = X.reshape({X.numel() / X.dim(-1), X.dim(-1)});
      Tensor dy2 = dy.reshape({dy.numel() / dy.dim(-1), dy.dim(-1)});
      Tensor& dw = ctx.grad_in_whole(1, assign);
      be.gemm(true, false, 1.0, x2, dy2, assign ? 0.0 : 1.0, dw);
    }
    if (ctx.needs(2))
      be.reduce_acc(dy, Tensor{}, Broadcast{Broadcast::Kind::suffix}, 1.0, ctx.grad_in(2));
  });
  OpInfo info;
  info.kind = OpKind::linear;
  return tape.traced(r, std::move(info));
}

}  // namespace rnnlab
