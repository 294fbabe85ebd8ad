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
  return tape.record(C, {a, b}, [ta, tb](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const Tensor& dC = ctx.grad_out();
    const Tensor& A = ctx.in(0);
    const Tensor& B = ctx.in(1);
    if (ctx.needs(0)) {
      Tensor& dA = ctx.grad_in(0);
      if (!ta) be.gemm(false, !tb, 1.0, dC, B, 1.0, dA);
      else be.gemm(tb, true, 1.0, B, dC, 1.0, dA);
    }
    if (ctx.needs(1)) {
      Tensor& dB = ctx.grad_in(1);
      if (!tb) be.gemm(!ta, false, 1.0, A, dC, 1.0, dB);
      else be.gemm(true, ta, 1.0, dC, A, 1.0, dB);
    }
  });
}

}  // namespace rnnlab
