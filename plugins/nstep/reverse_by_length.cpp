// Reversal of each sequence over its own valid length (see nstep_cell.h), as a row gather:
// x [T,B,F] is viewed as a table [T·B, F] and embedding(table, ids) gathers the rows, so the
// backward is embedding's scatter-add (exact, and a permutation: no gradient is lost).
#include <limits>

#include "nstep_cell.h"
#include "rnnlab/backend.h"
#include "rnnlab/error.h"

namespace rnnlab::nstep {

Tensor reverse_index(const std::vector<int32_t>& lengths, int64_t steps, int64_t batch,
                     Device device) {
  RNNLAB_CHECK(steps * batch <= std::numeric_limits<int32_t>::max(), "nstep: T·B = ", steps * batch,
               " rows do not fit an i32 index");
  RNNLAB_CHECK(lengths.empty() || static_cast<int64_t>(lengths.size()) == batch, "nstep: got ",
               lengths.size(), " sequence lengths for a batch of ", batch);
  std::vector<int32_t> ids(static_cast<std::size_t>(steps * batch));
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t len = lengths.empty() ? steps : lengths[static_cast<std::size_t>(b)];
    RNNLAB_CHECK_INPUT(len >= 1 && len <= steps, "sequence ", b, " has length ", len,
                       ", expected 1..", steps);
    for (int64_t t = 0; t < steps; ++t) {
      const int64_t src = t < len ? len - 1 - t : t;
      ids[static_cast<std::size_t>(t * batch + b)] = static_cast<int32_t>(src * batch + b);
    }
  }
  return from_vector(ids, {steps, batch}, device);
}

Var reverse_by_length(const Var& x, const Var& ids) {
  const Shape& s = x.shape();
  RNNLAB_CHECK(s.size() == 3 && ids.shape() == Shape({s[0], s[1]}),
               "reverse_by_length: x must be [T,B,F] and ids [T,B], found ", shape_str(s), " and ",
               shape_str(ids.shape()));
  return embedding(reshape(x, {s[0] * s[1], s[2]}), ids);
}

}  // namespace rnnlab::nstep
