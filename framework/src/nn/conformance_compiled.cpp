// Conformance: compiled == composed and scan == composed (see conformance.h). The step
// compiler (step_compiler.h), on its plain path and as a parallel scan (a linear recurrence,
// src/compiler/scan.h; forced here, whatever the shape), must give the composed unroll's values
// and gradients to 1e-12 in float64: over the whole variable-length batch (masks), in training
// mode with the harness's seed (dropout / zoneout masks), and through a stateful layer fed two
// halves (the carry). A cell the compiler cannot handle, or that is not a linear recurrence
// (scan), passes with the reason it falls back.
#include <algorithm>
#include <memory>

#include "conformance_harness.h"
#include "rnnlab/step_compiler.h"

namespace rnnlab::conformance {

namespace {

constexpr double kCompiledTol = 1e-12;

// Two halves of x through a stateful layer (training mode): outputs and final states of each.
std::vector<Tensor> stateful_halves(const Harness& h, Net& net) {
  const int64_t t1 = h.opt.steps / 2, t2 = h.opt.steps - t1;
  std::vector<Tensor> out;
  for (auto [start, len] : {std::pair{int64_t{0}, t1}, std::pair{t1, t2}}) {
    if (len == 0) continue;
    Tape t;
    Recurrent::Output o =
        net.rnn->forward(t, t.constant(slice_tensor(h.x, 0, start, len)), {}, h.train_ctx());
    out.push_back(o.outputs.value());
    for (const Var& s : o.final_state) out.push_back(s.value());
  }
  return out;
}

}  // namespace

ConformanceCheck check_path_equals_composed(const Harness& h, RecurrentPath path) {
  ConformanceCheck c{std::string(path_name(path)) + " == composed", true, ""};
  if (h.whole_sequence) {
    c.detail = "skipped: runs whole sequences itself (its inner cells are checked)";
    return c;
  }
  std::unique_ptr<Net> composed = h.make_path(RecurrentPath::composed);
  std::unique_ptr<Net> compiled = h.make_path(path);
  const Pass a = run_pass(h, *composed, h.train_ctx());
  const Pass b = run_pass(h, *compiled, h.train_ctx());
  if (compiled->rnn->path_ran() != path) {
    c.detail = "skipped: " + compiled->rnn->path_note();
    return c;
  }
  const double dv = max_diff(a.values, b.values), dg = max_diff(a.grads, b.grads);
  std::unique_ptr<Net> sa = h.make_path(RecurrentPath::composed, true);
  std::unique_ptr<Net> sb = h.make_path(path, true);
  const double ds = max_diff(stateful_halves(h, *sa), stateful_halves(h, *sb));
  c.passed = dv <= kCompiledTol && dg <= kCompiledTol && ds <= kCompiledTol;
  c.detail = "max |Δ| values " + sci(dv) + ", gradients " + sci(dg) + ", stateful " + sci(ds) +
             "; tape " + std::to_string(b.tape_size) + " vs " + std::to_string(a.tape_size) +
             " nodes; " + (path == RecurrentPath::scan ? compiled->rnn->compiler()->stats().scan
                                                       : compiled->rnn->compiler()->stats().program);
  if (b.tape_size >= a.tape_size) {
    c.passed = false;
    c.detail += " (the compiled tape is not shorter)";
  }
  return c;
}

}  // namespace rnnlab::conformance
