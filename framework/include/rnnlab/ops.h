// Differentiable ops. Each op: checks and infers the output shape, computes the forward value
// through the Backend, and records a backward function that ADDS into its inputs' gradients.
// All ops take and return Vars of one tape; float dtypes must match (f32 or f64).
#pragma once

#include <cstdint>
#include <vector>

#include "rnnlab/autodiff.h"

namespace rnnlab {

// ---- linear algebra ----
// C = op(A) op(B), A and B 2-D. A 3-D left operand A [T,B,K] (trans_a=false) is multiplied as
// [T*B,K] and the result keeps A's leading dimensions: [T,B,K] x [K,N] -> [T,B,N] (so
// project_inputs can take x [T,B,I] straight to P [T,B,G]).
Var matmul(const Var& a, const Var& b, bool trans_a = false, bool trans_b = false);
// y = x W + b in one node: x [.., K], W [K,N], b [N] -> [.., N]. The bias is the GEMM's initial
// output (beta = 1), so it costs no extra pass; backward: dx = dy Wᵀ, dW = xᵀ dy, db = Σ dy.
Var linear(const Var& x, const Var& w, const Var& b);

// ---- elementwise (b broadcast as suffix [.., n] or prefix [n, ..], see backend.h) ----
// One function per op of op_table.h (its maths, adjoints and these signatures are the table's;
// the definitions are generated from it). Gradients: da += G_a, db += Σ G_b over the positions
// a broadcast b's element meets.
Var add(const Var& a, const Var& b);  // a + b (commutes: the operand with more elements first)
Var sub(const Var& a, const Var& b);  // a - b
Var mul(const Var& a, const Var& b);  // a ⊙ b (commutes like add)
Var div(const Var& a, const Var& b);  // a / b: da += dy / b, db -= Σ dy ⊙ (a/b) / b
// max(a, b) elementwise (b may broadcast); the gradient goes to the larger input, ties to a:
//   da += dy ⊙ [a >= b],  db += Σ dy ⊙ [a < b].
Var maximum(const Var& a, const Var& b);
// min(a, b), the gradient to the smaller input, ties to a (as maximum).
Var minimum(const Var& a, const Var& b);
Var scale(const Var& a, double s);  // s * a
// min(max(x, lo), hi) (hi where lo > hi; NaN stays NaN); the gradient passes where
// lo <= x <= hi, as PyTorch's clamp.
Var clamp(const Var& x, double lo, double hi);
Var sigmoid(const Var& x);          // 1 / (1 + e^-x)
Var tanh(const Var& x);
Var relu(const Var& x);             // max(x, 0); gradient 0 at 0
Var exp(const Var& x);
Var log(const Var& x);
Var square(const Var& x);           // x²
Var sqrt(const Var& x);             // √x: dx += dy / (2 √x)
Var rsqrt(const Var& x);            // 1 / √x: dx -= dy x^{-3/2} / 2
Var abs(const Var& x);              // |x|: dx += dy sign(x), sign(0) = 0
// log σ(x) = min(x, 0) - log(1 + e^-|x|) (no overflow for any x): dx += dy σ(-x)
Var log_sigmoid(const Var& x);
// log(1 + e^x) = max(x, 0) + log(1 + e^-|x|) (no overflow for any x): dx += dy σ(x)
Var softplus(const Var& x);
// Any op of op_table.h by its id (b: the second input of a binary op; s, t: its scalars).
Var elementwise(ElemOp op, const Var& a, const Var& b = {}, double s = 0.0, double t = 0.0);
// out = m * a + (1 - m) * b; m (constant, 0/1) has one value per leading row of a.
Var mask_blend(const Var& m, const Var& a, const Var& b);
// Conveniences for gates, composed of the ops above (so tools that trace a step, and the
// gradient checks, see only standard ops; ops_composed.cpp):
//   one_minus(x) = 1 - x                       (e.g. (1 - z) ⊙ h: mul(one_minus(z), h))
//   lerp(a, b, w) = a + w ⊙ (b - a) = (1 - w) ⊙ a + w ⊙ b   (GRU/MGU update: lerp(h, h̃, z))
// w may broadcast against b - a like mul's second operand; a and b have one shape.
Var one_minus(const Var& x);
Var lerp(const Var& a, const Var& b, const Var& w);

// ---- shape ----
Var reshape(const Var& x, const Shape& shape);
Var slice(const Var& x, int axis, int64_t start, int64_t len);
Var concat(const std::vector<Var>& xs, int axis);
// x[t] of a [T, ...] tensor as a [...] tensor (slice + reshape in one node).
Var select(const Var& x, int64_t t);
// Stack equal-shape tensors along a new leading axis: [n, ...].
Var stack(const std::vector<Var>& xs);

// ---- reductions ----
Var sum(const Var& x);   // scalar []
Var mean(const Var& x);  // scalar []

// ---- losses (scalar mean over rows / elements) ----
// logits [N,C], labels i32 [N]; a label -1 is not scored (no loss, no gradient) and the mean is
// over the scored rows (0 when none is). `scored` = the number of labels != -1 when the caller
// knows it (saves reading device labels back), -1: counted here.
Var softmax_cross_entropy(const Var& logits, const Var& labels, int64_t scored = -1);
Var mse(const Var& pred, const Var& target);
Var bce_with_logits(const Var& logits, const Var& target);

// ---- misc ----
// table [V,D], ids i32 [...] -> [..., D]
Var embedding(const Var& table, const Var& ids);
// Inverted dropout: training multiplies by mask/(1-p) from (seed); eval is the identity.
Var dropout(const Var& x, double p, uint64_t seed, bool training);

}  // namespace rnnlab
