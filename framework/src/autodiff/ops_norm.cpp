// Row reductions and layer normalisation, composed of autodiff ops (ops_norm.h).
#include "rnnlab/ops_norm.h"

#include "rnnlab/backend.h"
#include "rnnlab/error.h"
#include "rnnlab/ops.h"

namespace rnnlab {

namespace {

// A constant column [H,1] filled with `value` on x's tape, device and dtype.
Var column(const Var& x, double value) {
  const Shape& s = x.shape();
  RNNLAB_CHECK_INPUT(!s.empty() && s.back() > 0,
                     "row reduction: expected a tensor [.., H] with H > 0, found ", shape_str(s));
  Tape& tape = x.tape();
  Tensor c = tape.backend().empty({s.back(), 1}, x.dtype());
  tape.backend().fill(c, value);
  return tape.constant(std::move(c));
}

}  // namespace

Var sum_last(const Var& x) { return matmul(x, column(x, 1.0)); }

Var mean_last(const Var& x) {
  return matmul(x, column(x, 1.0 / static_cast<double>(x.shape().back())));
}

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
  const Var inv_std = exp(scale(log(var_eps), -0.5));        // [.., 1]
  const Var y = mul(mul(centred, inv_std), gain);
  return bias.valid() ? add(y, bias) : y;
}

}  // namespace rnnlab
