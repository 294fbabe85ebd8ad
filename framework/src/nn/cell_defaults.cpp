// Default implementations of the optional parts of the Cell interface.
#include "rnnlab/cell.h"

namespace rnnlab {

std::vector<Var> Cell::initial_state(Tape& tape, int64_t batch, DType dtype) {
  std::vector<Var> s;
  for (const StateSpec& spec : state_specs())
    s.push_back(tape.constant(zeros({batch, spec.size}, dtype, tape.device())));
  return s;
}

Var Cell::fused_sequence(Tape&, const Var&, const std::vector<Var>&, const Var&,
                         const CellContext&) {
  return {};
}

SequenceResult Cell::run_sequence(Tape&, const Var&, const std::vector<int32_t>&,
                                  const std::vector<Var>&, const CellContext&) {
  throw Error("this cell does not run whole sequences (runs_whole_sequence() is false)");
}

}  // namespace rnnlab
