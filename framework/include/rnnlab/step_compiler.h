// The step compiler: runs any cell's composed `step` as a few fused passes per time step.
//
// A cell's step (cell.h) is written with autodiff ops; unrolled, every op is a tape node and a
// pass over memory per step, which is why a new cell is slow. The compiler
//   1. traces step (+ Recurrent's mask blend, + output) once on a tracing tape, with the real
//      P_0 [B,G] and s_0 [B,S_k], into a graph: inputs (P_t, states, mask), externs
//      (parameters, constants), GEMM nodes (x [B,K] · W) and elementwise nodes (every op of
//      op_table.h, per-unit vectors [w], per-row scalars [B,1], column slices, concat, the
//      mask blend, dropout masks);
//   2. lowers it: each maximal elementwise region between GEMMs becomes ONE pass per step over
//      the batch rows, its backward the reverse-mode program of the same region, saving only
//      the forward values that program reads; GEMMs stay backend GEMMs, and the weight
//      gradients of all steps are one GEMM per weight after the time loop;
//   3. runs the whole sequence as ONE tape node whose value is packed [T,B,ΣS (+H)] (the states
//      in state_specs() order, then output(s_t) when the cell overrides output()).
// A step whose state enters only elementwise (no GEMM: IndRNN, SRU, minGRU, QRNN) is
// "diagonal": each batch row runs the whole sequence in one task, forward and backward.
//
// Traces are cached by signature (batch, widths, dtype, mask, training/stateful mode, and the
// batch seed when the graph captured constants such as a dropout mask: the cell contract makes
// step a function of exactly these and the parameters, cell.h), programs by the traced graph's
// structure (ops, shapes, attributes); a signature that failed is not traced again. What the compiler cannot handle (an op it does not know, a value computed from
// parameters alone, a matmul that is not [B,K] x weight, CUDA kernels that NVRTC cannot
// build) is reported as a one-line reason and the caller falls back to the composed unroll.
// On a CUDA tape the same program runs as the emitted CUDA C (compiled at run time with NVRTC,
// GEMMs through cuBLAS; src/compiler/launch.h); on the CPU through the row interpreter.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/cell.h"

namespace rnnlab {

namespace compiler {
struct Program;
struct ScanPlan;
class KernelDevice;
}

class StepCompiler {
 public:
  // Compiles cell.step for P [T,B,G] and state0 (masked: Recurrent blends with a mask) and
  // runs it: returns the packed states (and output), or an invalid Var with *why set.
  Var run(Tape& tape, Cell& cell, const Var& p, const std::vector<Var>& state0, const Var& mask,
          const CellContext& ctx, std::string* why);
  // True when the last successful run() put output(s_t) after the states in the packed value.
  bool output_in_packed() const { return output_in_packed_; }
  // A step that is a linear recurrence (s_t = a_t ⊙ s_{t-1} + b_t, src/compiler/scan.h) can
  // run as a parallel scan over t: never (the default), where it pays (the CPU only: few batch
  // rows for the threads, a long sequence: compiler::scan_pays), or always (on a CUDA tape its
  // emitted kernels, emit_scan_cuda).
  enum class Scan { never, automatic, always };
  void set_scan(Scan s) { scan_ = s; }
  // Whether the last successful run() ran as a scan; why not, when it was asked to.
  bool scanned() const { return scanned_; }
  const std::string& scan_note() const { return scan_note_; }

  StepCompiler();
  ~StepCompiler();
  struct Stats {
    int64_t traces = 0, compiles = 0;  // trace-cache and program-cache misses
    double trace_ms = 0, compile_ms = 0;
    // Time inside the compiled sequence node: forward (including packing) and backward.
    int64_t forwards = 0, backwards = 0;
    double forward_ms = 0, backward_ms = 0;
    std::string program;               // Program::describe() of the last run
    std::string scan;                  // ScanPlan::describe() of the last run ("": not scanned)
  };
  const Stats& stats() const { return *stats_; }

 private:
  struct Traced;  // a traced graph and its program (step_compiler.cpp)
  std::shared_ptr<Traced> traced(Cell& cell, const Var& p, const std::vector<Var>& state0,
                                 const Var& mask, const CellContext& ctx, const std::string& sig);
  static std::shared_ptr<compiler::KernelDevice> cuda_kernels(const compiler::Program& prog);
  std::shared_ptr<const compiler::ScanPlan> choose_scan(Traced& tr, const Cell& cell,
                                                        const Tape& tape, const Var& p);
  Var sequence_node(Tape& tape, const Traced& tr, const Var& p, const std::vector<Var>& state0,
                    const Var& mask, std::shared_ptr<const compiler::ScanPlan> scan);
  std::map<std::string, std::shared_ptr<Traced>> traced_;  // by shapes/dtype/mask/mode(/seed)
  std::map<std::string, std::shared_ptr<const compiler::Program>> programs_;  // by structure
  std::map<std::string, std::string> failed_;  // signature -> why it does not compile
  // Scan plans by graph structure: the plan, or why the step is not a linear recurrence.
  std::map<std::string, std::pair<std::shared_ptr<const compiler::ScanPlan>, std::string>> scans_;
  std::shared_ptr<Stats> stats_ = std::make_shared<Stats>();
  bool output_in_packed_ = false;
  Scan scan_ = Scan::never;
  bool scanned_ = false;
  std::string scan_note_;
};

// Tries to compile `cell` (from the registry, default parameters plus `params`) for a small
// batch: "" when it compiles (and *program = the program's summary, Program::describe), else
// the reason it falls back to composed (`rnnlab cells -v`).
std::string compile_check(const CellRegistry& registry, const std::string& cell,
                          const std::map<std::string, ParamValue>& params = {},
                          std::string* program = nullptr);

// Whether the compiled step of `cell` (as compile_check) is a linear recurrence that runs as a
// scan: "scan: h = a ⊙ h + b" (the states it scans, stage by stage), else "no scan: <why>"
// (`rnnlab cells -v`).
std::string scan_check(const CellRegistry& registry, const std::string& cell,
                       const std::map<std::string, ParamValue>& params = {});

// CUDA C source for the compiled step of `cell` (one __global__ kernel per region and
// direction, one block per batch row); empty with *why set when the step does not compile.
std::string emit_cuda_step(const CellRegistry& registry, const std::string& cell,
                           const std::map<std::string, ParamValue>& params, std::string* why);

}  // namespace rnnlab
