// Step compiler stages (internal): trace (cell step -> Graph), lower (Graph -> Program),
// the CPU executor and the CUDA C emitter.
#pragma once

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "compiler/graph.h"
#include "compiler/program.h"
#include "rnnlab/cell.h"

namespace rnnlab::compiler {

// A step the compiler cannot run, with a one-line reason: every stage (trace, lower, the
// CUDA kernels) refuses by throwing it, and the step runs composed (StepCompiler::run keeps
// the reason: Recurrent::path_note, `rnnlab cells -v`). Anything else thrown is an error.
struct Unsupported : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Runs cell.step once on a tracing tape with P_t = p0 [B,G] and state s0, then (masked) the
// mask blend Recurrent applies, then cell.output. Throws Unsupported when the step uses
// something the compiler cannot handle.
Graph trace_step(Cell& cell, const Tensor& p0, const std::vector<Tensor>& s0, bool masked,
                 const CellContext& ctx);

// Levels, homes, forward instructions and the derived backward program. Throws Unsupported
// when the graph has a shape the executor does not support.
std::shared_ptr<const Program> lower(const Graph& g);

// Buffers of one compiled forward, kept for the backward (all contiguous). The step writes its
// next states and y straight into `full` [T+1,B,W] (W = packed_width: s_0 .. s_K-1, (y)):
// row block t+1 holds s_{t+1} (and y_t), block 0 holds s_0 (its y columns are unused), so
// every state slot is uniformly strided over t (the weight-gradient GEMMs read all T steps of
// s_{t-1} at once) and `packed` = blocks 1..T is the node's value with no copy.
struct Buffers {
  Tensor full;                 // [T+1,B,W]
  Tensor packed;               // [T,B,W]: a view of full's blocks 1..T
  std::vector<Tensor> gemm, saved;
};

// A [T,B,W] view of blocks 1..T of full [T+1,B,W] on full's device (keeps full alive).
Tensor tail_view(const Tensor& full);
// buf.full [T+1,B,W] on the CPU with s0 (each [B,S_k], in state order) in block 0, and
// buf.packed its view of blocks 1..T (exec_cpu.cpp; the scan driver starts the same way).
void start_packed(int64_t steps, int64_t B, DType dt, const std::vector<int64_t>& state_width,
                  int64_t W, const std::vector<Tensor>& s0, Buffers& buf);

// The whole sequence forward: fills `buf` (allocated here) from P [T,B,G], s0, mask [T,B,1]
// (undefined when unmasked) and the extern tensors.
void run_forward(const Program& prog, const Tensor& p, const std::vector<Tensor>& s0,
                 const Tensor& mask, const std::vector<Tensor>& ext, Buffers& buf);
// Gradients: dpacked [T,B,W] in; dp ([T,B,G], assigned: its contents on entry are ignored;
// each step writes its rows while they are in cache, zeroing them first unless
// prog.dp_assigns, instead of a separate fill pass), ds0 (each [B,S_k], assigned) and dext
// (accumulated; undefined entries get nothing) out.
void run_backward(const Program& prog, const Tensor& p, const Tensor& mask,
                  const std::vector<Tensor>& ext, const Buffers& buf, const Tensor& dpacked,
                  Tensor& dp, std::vector<Tensor>& ds0, std::vector<Tensor>& dext);

}  // namespace rnnlab::compiler

namespace rnnlab::compiler {

// Builds `cell` (f32, input 3, the registry's defaults plus `params`) and traces its step for
// a masked batch of 2 (names: its state names); throws Unsupported.
Graph sample_graph(const CellRegistry& registry, const std::string& cell,
                   const std::map<std::string, ParamValue>& params,
                   std::vector<std::string>* names = nullptr);
// The same, lowered: the program; throws Unsupported.
std::shared_ptr<const Program> compile_sample(const CellRegistry& registry, const std::string& cell,
                                              const std::map<std::string, ParamValue>& params);
// CUDA C for a program (emit_cuda.cpp): the kernels of launch.h, named `name`_...
std::string emit_cuda(const Program& prog, const std::string& name);
// A double as a C++/CUDA expression of type double (inf and nan as bit patterns).
std::string cuda_constant(double v);

// The step's externs (graph.h) on `tape`: parameters, constants, and the hoisted values
// replayed from earlier externs (so their gradients reach the parameters), in ext order.
std::vector<Var> extern_vars(Tape& tape, const Graph& g);

}  // namespace rnnlab::compiler
