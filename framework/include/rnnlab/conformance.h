// The cell conformance suite: what every cell (built-in or plugin) must satisfy. `rnnlab
// gradcheck CELL` prints its report; tests/test_conformance.cpp runs it on every loaded cell.
//
// The cell is built in float64 on the CPU with input I = options.input (and hidden =
// options.hidden when its schema has a `hidden` parameter and none is given), every
// parameter re-drawn from U(-0.6, 0.6) (so biases are not all zero), and run over a batch of
// B = options.batch sequences of T = options.steps steps with lengths spread from T down to 1.
// Checks, one ConformanceCheck each, in this order:
//   schema        the cell and every parameter are documented; defaults pass their own checks;
//                 the parameters given resolve
//   shapes        outputs [T,B,H], last [B,H], final and initial states [B,S_k] as declared by
//                 state_specs(), all finite
//   gradient (composed) / gradient (fused)
//                 float64 central differences (GradCheckOptions defaults) over the whole unrolled
//                 variable-length sequence, training mode with a fixed seed: every parameter,
//                 the input x and an explicit initial state (the state after a random warm-up
//                 run, so it is valid for the cell) given as leaves; then again from the cell's
//                 own initial state (covers a trainable one). The loss weighs outputs, `last`
//                 and every final state with fixed random tensors.
//   fused == composed
//                 values and every gradient agree to 1e-10 and the fused tape is shorter; for a
//                 whole-sequence cell (nstep) with a boolean `fused` parameter, fused: true vs
//                 false. Skipped (passed) when there is no fused CPU kernel.
//   compiled == composed / scan == composed
//                 the step compiler, plain and as a parallel scan over t (a linear recurrence,
//                 src/compiler/scan.h; forced whatever the shape), against the composed unroll:
//                 values and every gradient to 1e-12 (masks, the training seed) and a stateful
//                 layer's two halves (the carry); the compiled tape is shorter. Skipped (passed)
//                 with the reason when the step does not compile or is not a linear recurrence.
//   masking       outputs are exactly zero on padded steps; padding content changes nothing
//                 (bitwise); each sequence's final state and outputs equal those of the same
//                 sequence run alone, cut to its length (1e-10)
//   stateful      two halves through a stateful layer == the whole sequence (if the cell is
//                 causal, i.e. the first half's outputs do not depend on the second; a
//                 bidirectional cell is not, and is then only checked for the rest); the carry
//                 is detached (no gradient reaches the first half); reset_state() starts over
//   determinism   two builds with one seed have bitwise equal parameters; two training runs
//                 (dropout/zoneout seeded) give bitwise equal outputs and gradients
// A check that throws fails with the exception's message as its detail.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rnnlab/cell.h"

namespace rnnlab {

struct ConformanceCheck {
  std::string name;
  bool passed = false;
  std::string detail;  // one short line: max error and where, or why it failed / was skipped
};

struct ConformanceReport {
  std::string cell;
  std::vector<ConformanceCheck> checks;
  bool passed() const;
};

struct ConformanceOptions {
  int64_t input = 3, hidden = 4, steps = 5, batch = 3;
  uint64_t seed = 1;
};

ConformanceReport run_conformance(const CellRegistry& registry, const std::string& cell,
                                  const std::map<std::string, ParamValue>& params,
                                  const ConformanceOptions& options = {});

// The report as an aligned text table (check, ok/FAIL, detail), one line per check.
std::string conformance_table(const ConformanceReport& report);

}  // namespace rnnlab
