// Internal to the conformance suite (conformance.h): building the cell under test in float64,
// the fixed inputs and loss, and comparing tensors.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/conformance.h"
#include "rnnlab/recurrent.h"

namespace rnnlab::conformance {

struct Net {
  ParameterStore params{Device::cpu, DType::f64};
  std::unique_ptr<Recurrent> rnn;
};

// What every check needs: the cell, its parameters and the fixed data.
struct Harness {
  const CellRegistry& registry;
  std::string cell;
  std::map<std::string, ParamValue> params;  // as given, plus `hidden` from the options
  ConformanceOptions opt;
  std::vector<ParamSpec> schema;  // registry.schema_for(cell, params)
  std::vector<int32_t> lengths;   // T down to 1 across the batch
  Tensor x;                       // [T,B,I] f64 in U(-1, 1)
  bool whole_sequence = false;    // runs_whole_sequence()
  bool has_fused = false;         // a fused CPU kernel, or a `fused` switch (whole-sequence)
  bool fused_switch = false;      // whole-sequence cell with a boolean `fused` parameter

  Harness(const CellRegistry& r, std::string cell, std::map<std::string, ParamValue> given,
          const ConformanceOptions& o);
  // A fresh layer. randomize: re-draw every parameter from U(-0.6, 0.6) (seeded by name).
  // fused = false: the composed path; true: the automatic one (fused kernel, else compiled).
  std::unique_ptr<Net> make(bool fused, bool stateful = false, bool randomize = true) const;
  std::unique_ptr<Net> make_path(RecurrentPath path, bool stateful = false,
                                 bool randomize = true) const;
  CellContext train_ctx() const { return {true, opt.seed * 7919 + 13, false}; }
};

// One forward + backward of the weighted loss from an explicit initial state (warm_state); keeps
// values (outputs, last, final states) and gradients (of x, of s0 and of every parameter).
struct Pass {
  std::size_t tape_size = 0;
  std::vector<Tensor> values;
  std::vector<Tensor> grads;
};
Pass run_pass(const Harness& h, Net& net, const CellContext& ctx);
// max over pairs of max_abs_diff (inf when the counts differ)
double max_diff(const std::vector<Tensor>& a, const std::vector<Tensor>& b);

// L = Σ outputs ⊙ R0 + Σ last ⊙ R1 + Σ_k final_k ⊙ R2_k   (fixed random R)
Var weighted_loss(Tape& tape, const Recurrent::Output& o);
// A valid, non-trivial initial state: the final state after a random 3-step warm-up from the
// cell's own initial state (random values could be invalid, e.g. RWA's denominator d < 0).
std::vector<Tensor> warm_state(const Harness& h, Net& net);
Tensor rand_f64(const Shape& shape, uint64_t seed, double lo, double hi);
// x[start:start+len] along `axis` as a new tensor.
Tensor slice_tensor(const Tensor& x, int axis, int64_t start, int64_t len);
// max |a - b| (inf when the shapes differ; NaN counts as inf).
double max_abs_diff(const Tensor& a, const Tensor& b);
bool all_finite(const Tensor& t);
std::string sci(double v);  // "3.1e-09"

// The checks (conformance_checks.cpp, conformance_gradient.cpp); each returns its result and
// lets exceptions escape (the driver turns them into a failed check).
ConformanceCheck check_gradient(const Harness& h, RecurrentPath path);
// path compiled or scan: that path of the step compiler against the composed unroll.
ConformanceCheck check_path_equals_composed(const Harness& h, RecurrentPath path);
ConformanceCheck check_fused_equals_composed(const Harness& h);
ConformanceCheck check_masking(const Harness& h);
ConformanceCheck check_stateful(const Harness& h);
ConformanceCheck check_determinism(const Harness& h);

}  // namespace rnnlab::conformance
