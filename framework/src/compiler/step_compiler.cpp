// Step compiler driver (step_compiler.h): trace, cache, run as one tape node.
#include "rnnlab/step_compiler.h"

#include <chrono>
#include <cstring>

#include "compiler/launch.h"
#include "compiler/scan.h"
#include "compiler/stages.h"
#include "rnnlab/ops_norm.h"

namespace rnnlab {

namespace {

double ms_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

// A hoisted extern (graph.h): the traced op again, on the caller's tape.
Var replay(const compiler::Graph::Hoist& h, const std::vector<Var>& in) {
  const OpInfo& o = h.op;
  switch (o.kind) {
    case OpKind::elementwise: return elementwise(o.elem, in[0], in.size() > 1 ? in[1] : Var{}, o.s, o.t);
    case OpKind::reduce: return reduce_last(o.reduce, in[0]);
    case OpKind::slice: return slice(in[0], static_cast<int>(o.i0), o.i1, o.i2);
    case OpKind::reshape: return reshape(in[0], h.shape);
    case OpKind::concat: return concat(in, static_cast<int>(o.i0));
    case OpKind::matmul: return matmul(in[0], in[1], o.i0 != 0, o.i1 != 0);
    case OpKind::linear: return linear(in[0], in[1], in[2]);
    default: break;  // the tracer hoists no other kind
  }
  throw Error("step compiler: cannot replay a hoisted op");
}

// The device and the shape of P the compiled path takes.
void check_runnable(const Tape& tape, const Var& p) {
  if (tape.device() != Device::cpu && tape.device() != Device::cuda)
    throw compiler::Unsupported("the compiled path runs on the CPU and CUDA only");
  if (p.dtype() != DType::f32 && p.dtype() != DType::f64)
    throw compiler::Unsupported("P is not f32 or f64");
  if (p.shape().size() != 3) throw compiler::Unsupported("P is not [T,B,G]");
}

// The trace depends only on what the cell contract lets step depend on (cell.h: its
// arguments' shapes, the parameters, the context); captured constants may depend on the seed.
std::string signature(const Var& p, const std::vector<Var>& state0, const Var& mask,
                      const CellContext& ctx) {
  std::string sig = std::to_string(p.dim(1)) + "/" + std::to_string(p.dim(2)) + "/" +
                    std::to_string(static_cast<int>(p.dtype())) + "/" +
                    std::to_string(mask.valid()) + std::to_string(ctx.training) +
                    std::to_string(ctx.stateful);
  for (const Var& s : state0) sig.append("/").append(shape_str(s.shape()));
  return sig;
}

}  // namespace

struct StepCompiler::Traced {
  compiler::Graph graph;
  std::shared_ptr<const compiler::Program> program;
  // On a CUDA tape: the program's kernels, compiled on first use (launch.h).
  std::shared_ptr<compiler::KernelDevice> cuda;
  // The scan plan (scan.h) or why there is none, once looked up (scans_); on a CUDA tape its
  // kernels (emit_scan_cuda), or why NVRTC could not build them.
  const std::pair<std::shared_ptr<const compiler::ScanPlan>, std::string>* scan = nullptr;
  std::shared_ptr<compiler::KernelDevice> cuda_scan;
  std::string cuda_scan_failed;
};

StepCompiler::StepCompiler() = default;
StepCompiler::~StepCompiler() = default;

Var StepCompiler::run(Tape& tape, Cell& cell, const Var& p, const std::vector<Var>& state0,
                      const Var& mask, const CellContext& ctx, std::string* why) {
  std::string sig;
  std::shared_ptr<Traced> tr;
  std::shared_ptr<const compiler::ScanPlan> scan;
  try {
    check_runnable(tape, p);
    sig = signature(p, state0, mask, ctx);
    if (auto f = failed_.find(sig); f != failed_.end()) throw compiler::Unsupported(f->second);
    tr = traced(cell, p, state0, mask, ctx, sig);
    scan = choose_scan(*tr, cell, tape, p);
    if (tape.device() == Device::cuda && !scan && !tr->cuda) tr->cuda = cuda_kernels(*tr->program);
  } catch (const compiler::Unsupported& e) {
    *why = e.what();
    if (!sig.empty()) failed_[sig] = *why;  // the same shapes and mode fail the same way
    return {};
  }
  return sequence_node(tape, *tr, p, state0, mask, std::move(scan));
}

// The scan plan this run uses (set_scan), or nullptr; scanned_ and scan_note_ say which.
std::shared_ptr<const compiler::ScanPlan> StepCompiler::choose_scan(Traced& tr, const Cell& cell,
                                                                    const Tape& tape,
                                                                    const Var& p) {
  scanned_ = false;
  scan_note_.clear();
  stats_->scan.clear();
  if (scan_ == Scan::never) return nullptr;
  // scan_pays is the CPU's rule: on a CUDA tape the scan runs when asked for (always) only.
  const bool on_cuda = tape.device() == Device::cuda;
  if (on_cuda && scan_ == Scan::automatic) return nullptr;
  if (!tr.scan) {
    const std::string key = tr.graph.key();
    auto it = scans_.find(key);
    if (it == scans_.end()) {
      std::vector<std::string> names;
      for (const StateSpec& s : cell.state_specs()) names.push_back(s.name);
      std::pair<std::shared_ptr<const compiler::ScanPlan>, std::string> entry;
      try {
        entry.first = compiler::plan_scan(tr.graph, names);
      } catch (const compiler::Unsupported& e) {
        entry.second = e.what();
      }
      it = scans_.emplace(key, std::move(entry)).first;
    }
    tr.scan = &it->second;
  }
  if (!tr.scan->first) {
    scan_note_ = tr.scan->second;
    return nullptr;
  }
  if (scan_ == Scan::automatic &&
      !compiler::scan_pays(p.dim(1), p.dim(0), backend_for(Device::cpu).threads()))
    return nullptr;
  if (on_cuda && !tr.cuda_scan && tr.cuda_scan_failed.empty()) {
    try {
      tr.cuda_scan = compiler::cuda_scan_kernel_device(*tr.scan->first, "rnnlab_scan");
    } catch (const Error& e) {
      const std::string what = e.what();
      tr.cuda_scan_failed = "CUDA kernels: " + what.substr(0, what.find('\n'));
    }
  }
  if (on_cuda && !tr.cuda_scan) {
    scan_note_ = tr.cuda_scan_failed;
    return nullptr;
  }
  scanned_ = true;
  stats_->scan = tr.scan->first->describe();
  return tr.scan->first;
}

// The trace (and program) for this signature: cached, else traced and lowered (programs are
// shared by graph structure).
std::shared_ptr<StepCompiler::Traced> StepCompiler::traced(Cell& cell, const Var& p,
                                                           const std::vector<Var>& state0,
                                                           const Var& mask, const CellContext& ctx,
                                                           const std::string& sig) {
  const std::string sig_seed = sig + "#" + std::to_string(ctx.seed);
  if (auto it = traced_.find(sig); it != traced_.end()) return it->second;
  if (auto is = traced_.find(sig_seed); is != traced_.end()) return is->second;
  auto t0 = std::chrono::steady_clock::now();
  Backend& be = p.tape().backend();
  const int64_t B = p.dim(1), G = p.dim(2);
  Tensor p0 = be.empty({B, G}, p.dtype());
  be.block_copy(p.value(), p0, {1, B * G, B * G, 0, B * G, 0}, false);
  std::vector<Tensor> s0;
  for (const Var& s : state0) s0.push_back(s.value());
  auto fresh = std::make_shared<Traced>();
  fresh->graph = compiler::trace_step(cell, p0, s0, mask.valid(), ctx);
  ++stats_->traces;
  stats_->trace_ms += ms_since(t0);
  bool seeded = false;
  for (std::size_t e = 0; e < fresh->graph.ext_param.size(); ++e)
    seeded = seeded || fresh->graph.ext_const[e].defined();
  const std::string key = fresh->graph.key();
  if (auto pit = programs_.find(key); pit != programs_.end()) {
    fresh->program = pit->second;
  } else {
    t0 = std::chrono::steady_clock::now();
    fresh->program = compiler::lower(fresh->graph);
    programs_[key] = fresh->program;
    ++stats_->compiles;
    stats_->compile_ms += ms_since(t0);
    stats_->program = fresh->program->describe();
  }
  if (seeded && traced_.size() > 64) traced_.clear();  // one entry per batch seed: bounded
  traced_[seeded ? sig_seed : sig] = fresh;
  return fresh;
}

// The program's CUDA kernels (NVRTC); a build failure makes the step run composed.
std::shared_ptr<compiler::KernelDevice> StepCompiler::cuda_kernels(const compiler::Program& prog) {
  try {
    return compiler::cuda_kernel_device(prog, "rnnlab_step");
  } catch (const Error& e) {
    const std::string what = e.what();
    throw compiler::Unsupported("CUDA kernels: " + what.substr(0, what.find('\n')));
  }
}

// The whole sequence as one tape node: the forward now, the backward recorded.
Var StepCompiler::sequence_node(Tape& tape, const Traced& tr, const Var& p,
                                const std::vector<Var>& state0, const Var& mask,
                                std::shared_ptr<const compiler::ScanPlan> scan) {
  const auto t0 = std::chrono::steady_clock::now();
  std::shared_ptr<const compiler::Program> prog = tr.program;
  std::shared_ptr<compiler::KernelDevice> dev = scan ? tr.cuda_scan : tr.cuda;
  std::vector<Var> inputs{p};
  std::vector<Tensor> s0;
  for (const Var& s : state0) {
    inputs.push_back(s);
    s0.push_back(s.value());
  }
  const bool has_mask = mask.valid();
  if (has_mask) inputs.push_back(mask);
  const std::size_t ext0 = inputs.size();
  std::vector<Tensor> ext;
  for (const Var& v : compiler::extern_vars(tape, tr.graph)) {
    inputs.push_back(v);
    ext.push_back(v.value());
  }
  auto buf = std::make_shared<compiler::Buffers>();
  const Tensor mask_t = has_mask ? mask.value() : Tensor{};
  if (scan && dev)
    compiler::run_scan_forward_kernels(*scan, "rnnlab_scan", *dev, p.value(), s0, mask_t, ext,
                                       *buf);
  else if (scan)
    compiler::run_scan_forward(*scan, p.value(), s0, mask_t, ext, *buf);
  else if (dev)
    compiler::run_forward_kernels(*prog, "rnnlab_step", *dev, p.value(), s0, mask_t, ext, *buf);
  else
    compiler::run_forward(*prog, p.value(), s0, mask_t, ext, *buf);
  Tensor packed = buf->packed;  // the states and y were written into it: no copy
  output_in_packed_ = prog->y_in_packed;
  ++stats_->forwards;
  stats_->forward_ms += ms_since(t0);

  const std::size_t n_state = state0.size();
  std::shared_ptr<Stats> stats = stats_;
  return tape.record(packed, inputs, [prog, scan, buf, n_state, has_mask, ext0, stats, dev](BackwardContext& ctx) {
    const auto b0 = std::chrono::steady_clock::now();
    const int n_in = static_cast<int>(ext0 + prog->ext_use.size());
    std::vector<Tensor> ext, dext;
    for (int i = static_cast<int>(ext0); i < n_in; ++i) {
      ext.push_back(ctx.in(i));
      dext.push_back(ctx.needs(i) ? ctx.grad_in(i) : Tensor{});
    }
    // dP into a fresh tensor that the program assigns (run_backward), handed to the tape with
    // accumulate: when this node is P's only consumer the tape adopts it, so no zero-filled
    // gradient buffer and no extra pass.
    Tensor dp;
    if (ctx.needs(0))
      dp = backend_for(ctx.in(0).device()).empty(ctx.in(0).shape(), ctx.in(0).dtype());
    std::vector<Tensor> ds0;
    const Tensor mask_in = has_mask ? ctx.in(static_cast<int>(n_state) + 1) : Tensor{};
    if (scan && dev)
      compiler::run_scan_backward_kernels(*scan, "rnnlab_scan", *dev, ctx.in(0), mask_in, ext,
                                          *buf, ctx.grad_out(), dp, ds0, dext);
    else if (scan)
      compiler::run_scan_backward(*scan, ctx.in(0), mask_in, ext, *buf, ctx.grad_out(), dp, ds0,
                                  dext);
    else if (dev)
      compiler::run_backward_kernels(*prog, "rnnlab_step", *dev, ctx.in(0), mask_in, ext, *buf,
                                     ctx.grad_out(), dp, ds0, dext);
    else
      compiler::run_backward(*prog, ctx.in(0), mask_in, ext, *buf, ctx.grad_out(), dp, ds0,
                             dext);
    if (dp.defined()) ctx.accumulate(0, dp);
    for (std::size_t k = 0; k < n_state; ++k)
      if (ctx.needs(static_cast<int>(k) + 1)) ctx.accumulate(static_cast<int>(k) + 1, ds0[k]);
    ++stats->backwards;
    stats->backward_ms += ms_since(b0);
  });
}

namespace compiler {

std::vector<Var> extern_vars(Tape& tape, const Graph& g) {
  std::vector<Var> ext_vars;
  for (std::size_t e = 0; e < g.ext_param.size(); ++e) {
    Var v;
    if (g.ext_param[e]) {
      v = tape.param(*g.ext_param[e]);
    } else if (g.ext_hoist[e].op.kind != OpKind::none) {
      std::vector<Var> in;
      for (int32_t j : g.ext_hoist[e].in) in.push_back(ext_vars[static_cast<std::size_t>(j)]);
      v = replay(g.ext_hoist[e], in);
    } else {
      v = tape.constant(g.ext_const[e]);
    }
    ext_vars.push_back(v);
  }
  return ext_vars;
}

Graph sample_graph(const CellRegistry& registry, const std::string& name,
                   const std::map<std::string, ParamValue>& params,
                   std::vector<std::string>* names) {
  ParameterStore store(Device::cpu, DType::f32);
  Rng rng(1);
  std::unique_ptr<Cell> cell = registry.create(name, params, 3, store, "check/" + name, rng);
  if (cell->runs_whole_sequence())
    throw Unsupported("runs whole sequences itself (its inner cells are compiled)");
  Tape tape;
  Var x = tape.constant(full({2, 2, 3}, DType::f32, 0.5));
  Var p = cell->project_inputs(tape, x, {});
  std::vector<Var> s0 = cell->initial_state(tape, 2, DType::f32);
  const int64_t n = 2 * p.dim(2);
  Tensor p_first = backend_for(Device::cpu).empty({2, p.dim(2)}, DType::f32);
  backend_for(Device::cpu).block_copy(p.value(), p_first, {1, n, n, 0, n, 0}, false);
  std::vector<Tensor> s;
  for (const Var& v : s0) s.push_back(v.value());
  if (names)
    for (const StateSpec& spec : cell->state_specs()) names->push_back(spec.name);
  return trace_step(*cell, p_first, s, true, {});
}

std::shared_ptr<const Program> compile_sample(const CellRegistry& registry, const std::string& name,
                                              const std::map<std::string, ParamValue>& params) {
  return lower(sample_graph(registry, name, params));
}

}  // namespace compiler

std::string compile_check(const CellRegistry& registry, const std::string& cell,
                          const std::map<std::string, ParamValue>& params, std::string* program) {
  try {
    auto prog = compiler::compile_sample(registry, cell, params);
    if (program) *program = prog->describe();
    return {};
  } catch (const compiler::Unsupported& e) {
    return e.what();
  }
}

std::string scan_check(const CellRegistry& registry, const std::string& cell,
                       const std::map<std::string, ParamValue>& params) {
  try {
    std::vector<std::string> names;
    const compiler::Graph g = compiler::sample_graph(registry, cell, params, &names);
    compiler::lower(g);  // a step that does not compile is not scanned either
    return compiler::plan_scan(g, names)->describe();
  } catch (const compiler::Unsupported& e) {
    return std::string("no scan: ") + e.what();
  }
}

std::string emit_cuda_step(const CellRegistry& registry, const std::string& cell,
                           const std::map<std::string, ParamValue>& params, std::string* why) {
  try {
    return compiler::emit_cuda(*compiler::compile_sample(registry, cell, params), cell);
  } catch (const compiler::Unsupported& e) {
    *why = e.what();
    return {};
  }
}

}  // namespace rnnlab
