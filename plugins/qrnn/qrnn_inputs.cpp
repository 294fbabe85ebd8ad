// QRNN project_inputs: the masked (causal) convolution over time as ONE GEMM on the shifted
// copies of X, then the gate nonlinearities and zoneout (maths in qrnn_cell.h).
//
//   Xp = [carry or zeros (k-1 rows); X]                 [k-1+T, B, I]
//   shift_j(X) = Xp[k-1-j .. k-1-j+T)                   [T,B,I]   (= x_{t-j})
//   X̃ = concat_j shift_j(X) along features              [T,B,kI]
// Shifts are slice/concat tape ops, so gradients into X (and W, b) come for free.
#include "qrnn_cell.h"
#include "rnnlab/backend.h"

namespace rnnlab::qrnn {

namespace {
constexpr uint64_t kZoneoutTag = 0x71726e6e5a6f6e65ull;  // "qrnnZone"
}

Var QrnnCell::shifted_inputs(Tape& tape, const Var& x, const CellContext& ctx) {
  if (window_ == 1) return x;
  const int64_t steps = x.dim(0), batch = x.dim(1), k1 = window_ - 1;
  const bool carry_fits = ctx.stateful && window_carry_.defined() &&
                          window_carry_.dim(1) == batch && window_carry_.dtype() == x.dtype();
  Tensor pad = carry_fits ? window_carry_ : zeros({k1, batch, input_}, x.dtype(), tape.device());
  Var xp = concat({tape.constant(pad), x}, 0);                               // [k-1+T, B, I]
  if (ctx.stateful) window_carry_ = clone(slice(xp, 0, steps, k1).value());  // detached
  std::vector<Var> shifted;
  for (int64_t j = 0; j < window_; ++j) shifted.push_back(slice(xp, 0, k1 - j, steps));
  return concat(shifted, 2);
}

Var QrnnCell::activate_gates(const Var& y, const CellContext& ctx) {
  const int64_t h = hidden_, n = gate_count(pooling_);
  Var z = tanh(slice(y, 2, 0, h));
  Var gates = sigmoid(slice(y, 2, h, (n - 1) * h));  // f [, o [, i]]
  if (!ctx.training || zoneout_ == 0.0) return concat({z, gates}, 2);
  // f ← 1 - dropout(1 - f): a dropped unit gets f = 1 and keeps its previous state.
  Tape& tape = y.tape();
  Var f = slice(gates, 2, 0, h);
  Var ones = tape.constant(full(f.shape(), f.dtype(), 1.0, tape.device()));
  f = sub(ones, dropout(sub(ones, f), zoneout_, mix64(ctx.seed ^ kZoneoutTag), true));
  if (n == 2) return concat({z, f}, 2);
  return concat({z, f, slice(gates, 2, h, (n - 2) * h)}, 2);
}

Var QrnnCell::project_inputs(Tape& tape, const Var& x, const CellContext& ctx) {
  Var y = linear(shifted_inputs(tape, x, ctx), tape.param(*w_), tape.param(*b_));
  return activate_gates(y, ctx);
}

}  // namespace rnnlab::qrnn
