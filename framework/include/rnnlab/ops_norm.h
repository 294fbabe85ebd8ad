// Row reductions and layer normalisation over the last axis, for cells that normalise
// (a layer-normalised LSTM or GRU, Ba, Kiros & Hinton 2016, arXiv:1607.06450).
//
//   sum_last(x)  = Σ_j x[.., j]                      [.., H] -> [.., 1]
//   mean_last(x) = sum_last(x) / H                   [.., H] -> [.., 1]
//   layer_norm(x, g, b, eps) over the last axis:
//     μ = mean_last(x),  σ² = mean_last((x - μ)²)
//     y = (x - μ) / sqrt(σ² + eps) ⊙ g + b           g, b [H] (b may be an empty Var: none)
//
// The reduced axis stays as size 1, and the elementwise ops broadcast it against [.., H]
// (backend.h: a trailing 1 is a "prefix" broadcast), as numpy's keepdims does.
// They are composed of autodiff ops (a reduction is a product with a constant column of ones,
// 1/sqrt(v) is exp(-log(v)/2), v > 0 by eps), so their gradients, the gradient checks and the
// step compiler see only standard ops.
#pragma once

#include "rnnlab/autodiff.h"

namespace rnnlab {

Var sum_last(const Var& x);
Var mean_last(const Var& x);
Var layer_norm(const Var& x, const Var& gain, const Var& bias, double eps = 1e-5);

}  // namespace rnnlab
