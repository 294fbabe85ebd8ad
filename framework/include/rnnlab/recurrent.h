// Recurrent: unrolls any Cell over a batch of sequences.
//
//   x [T,B,I], lengths [B] (1 <= len_b <= T; empty = all T)
//   P = cell.project_inputs(x)                       [T,B,G]   one GEMM for all steps
//   s_t = m_t ? cell.step(P_t, s_{t-1}) : s_{t-1}    (m_t[b] = t < len_b)
//   outputs[t] = m_t ⊙ cell.output(s_t)              [T,B,H]   zero on padded steps
//   last = cell.output(s_T)                          [B,H]     = each sequence's own last step
//
// Padded steps carry the state and send no gradient into the cell. The loop runs on one of
// four paths (Options::path):
//   fused     the cell's hand-written kernel for the tape's device (Cell::fused_sequence);
//   compiled  the step compiler (step_compiler.h): the traced step as one node, fused passes;
//   scan      the same when the step is a linear recurrence s_t = a_t ⊙ s_{t-1} + b_t
//             (minGRU, QRNN, ...; src/compiler/scan.h): a parallel scan over t;
//   composed  the per-op unroll above.
// automatic (the default) = fused if the cell has a kernel for the device, else compiled, as a
// scan where that pays (the CPU: compiler::scan_pays, few batch rows for the threads, long
// sequences);
// `fused` without a kernel, `scan` on a step that is not a linear recurrence and `compiled`
// that cannot compile the step fall back (compiled, compiled, resp. composed), and
// path_used()/path_note() say what ran and why. use_fused = false forces
// composed (kept for callers that predate paths). A cell that runs whole sequences itself
// (Cell::run_sequence, e.g. nstep) replaces all of this.
// Stateful mode: the final state of a batch becomes the initial state of the next, detached
// (truncated BPTT: gradients stop at the batch boundary); reset_state() forgets it; a batch of
// another size also starts from the cell's initial state.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "rnnlab/cell.h"

namespace rnnlab {

class StepCompiler;

// cell: the cell ran the whole sequence itself (Cell::run_sequence); a path that ran
// (path_ran), never one asked for (parse_path rejects it).
enum class RecurrentPath { automatic, fused, compiled, scan, composed, cell };
// "auto" | "fused" | "compiled" | "scan" | "composed" | "cell": the one spelling of each path.
const char* path_name(RecurrentPath p);
// "auto" | "fused" | "compiled" | "scan" | "composed"; throws InputError otherwise.
RecurrentPath parse_path(const std::string& s);

class Recurrent {
 public:
  struct Options {
    bool stateful = false;
    bool use_fused = true;  // false: composed, whatever `path` says
    RecurrentPath path = RecurrentPath::automatic;
  };
  struct Output {
    Var outputs;                   // [T,B,H]
    Var last;                      // [B,H]
    std::vector<Var> final_state;  // each [B, S_k]
  };

  Recurrent(std::unique_ptr<Cell> cell, Options options);
  Output forward(Tape& tape, const Var& x, const std::vector<int32_t>& lengths,
                 const CellContext& ctx);
  // The same from an explicit initial state (each [B,S_k], may require grad) instead of the
  // carry or the cell's own; a stateful layer still stores the final state as its carry.
  // Composite cells (nstep) thread states between their inner layers with it; the cell sees
  // ctx.stateful or-ed with the layer's own flag (an inner cell carries what it carries itself).
  Output forward(Tape& tape, const Var& x, const std::vector<int32_t>& lengths,
                 const CellContext& ctx, std::vector<Var> state0);
  void reset_state() {
    carry_.clear();
    cell_->reset_state();
  }
  bool has_carry() const { return !carry_.empty(); }
  // The carried state (prefix + "state/<k>") and the cell's own (prefix + "cell/..."), for
  // checkpoints; load_carry restores exactly what save_carry gave (none: no carry).
  void save_carry(const std::string& prefix, NamedTensors& out) const;
  void load_carry(const std::string& prefix, const NamedTensors& in);
  Cell& cell() { return *cell_; }
  const Cell& cell() const { return *cell_; }
  const Options& options() const { return options_; }
  void set_use_fused(bool on) { options_.use_fused = on; }
  void set_path(RecurrentPath p) { options_.path = p; }
  // What the last forward ran (fused, compiled, scan, composed; std::nullopt before the first, cell
  // for a whole-sequence cell), its name (path_name; "" before the first), and why it is not
  // the one asked for ("" when it is).
  std::optional<RecurrentPath> path_ran() const { return path_ran_; }
  std::string path_used() const { return path_ran_ ? path_name(*path_ran_) : ""; }
  const std::string& path_note() const { return path_note_; }
  const StepCompiler* compiler() const { return compiler_.get(); }

 private:
  std::unique_ptr<Cell> cell_;
  Options options_;
  std::vector<Tensor> carry_;
  std::shared_ptr<StepCompiler> compiler_;
  std::optional<RecurrentPath> path_ran_;
  std::string path_note_;
};

// Host-built mask [T,B,1] (1 where t < len_b) in `dtype`; checks 1 <= len_b <= T.
Tensor sequence_mask(const std::vector<int32_t>& lengths, int64_t steps, DType dtype,
                     Device device);

}  // namespace rnnlab
