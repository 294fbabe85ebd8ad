// Ops composed of other ops (ops.h: one_minus, lerp). They add no tape node kind of their own:
// their gradients come from the ops they are made of.
#include "rnnlab/backend.h"
#include "rnnlab/error.h"
#include "rnnlab/ops.h"

namespace rnnlab {

// 1 - x = -(x - 1), with 1 a constant [n] (n = x's last dimension) that sub broadcasts.
Var one_minus(const Var& x) {
  const Shape& s = x.shape();
  RNNLAB_CHECK(!s.empty(), "one_minus: expected a tensor with at least one dimension, found a scalar");
  Tape& tape = x.tape();
  Tensor one = tape.backend().empty({s.back()}, x.dtype());
  tape.backend().fill(one, 1.0);
  return scale(sub(x, tape.constant(std::move(one))), -1.0);
}

Var lerp(const Var& a, const Var& b, const Var& w) {
  RNNLAB_CHECK(a.shape() == b.shape(), "lerp: a and b must have one shape, found ",
               shape_str(a.shape()), " and ", shape_str(b.shape()));
  return add(a, mul(sub(b, a), w));
}

}  // namespace rnnlab
