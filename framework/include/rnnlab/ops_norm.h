// Row reductions and layer normalisation over the last axis, for cells that normalise
// (a layer-normalised LSTM or GRU, Ba, Kiros & Hinton 2016, arXiv:1607.06450).
//
//   sum_last(x)  = Σ_j x[.., j]                      [.., H] -> [.., 1]
//   mean_last(x) = Σ_j x[.., j] / H                  [.., H] -> [.., 1]
//   max_last(x)  = max_j x[.., j]                    [.., H] -> [.., 1]
//     gradient: all of dy to the first position holding the maximum (the lowest index among
//     ties, as argmax; a row with a NaN: its first NaN), none to the others
//   layer_norm(x, g, b, eps) over the last axis:
//     μ = mean_last(x),  σ² = mean_last((x - μ)²)
//     y = (x - μ) ⊙ rsqrt(σ² + eps) ⊙ g + b          g, b [H] (b may be an empty Var: none)
//
// The reduced axis stays as size 1, and the elementwise ops broadcast it against [.., H]
// (backend.h: a trailing 1 is a "prefix" broadcast), as numpy's keepdims does. Each reduction
// is one entry of op_table.h (its maths, adjoint and the order of its sums, the same on every
// device): the step compiler fuses it into an elementwise region as one instruction over the
// row (no GEMM), so a layer-normalised step costs no extra level. Inside a traced step
// layer_norm is composed of them and of elementwise ops (so the compiler fuses it); elsewhere
// (e.g. over a whole sequence's input projection) it is one op, Backend::layer_norm: one pass
// per row forward and one backward, the same values.
#pragma once

#include "rnnlab/autodiff.h"

namespace rnnlab {

Var sum_last(const Var& x);
Var mean_last(const Var& x);
Var max_last(const Var& x);
// Any row reduction of op_table.h by its id.
Var reduce_last(ReduceOp op, const Var& x);
Var layer_norm(const Var& x, const Var& gain, const Var& bias, double eps = 1e-5);

}  // namespace rnnlab
