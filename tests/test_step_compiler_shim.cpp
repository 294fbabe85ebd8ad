// The step compiler's emitted CUDA C, run without a GPU: every compilable built-in cell and the
// kitchen-sink test cell (and the scan's test cells) are traced and lowered, the program's CUDA
// C (emit_cuda.cpp) is compiled as host C++ through compiler/cuda_host_shim.h and run forward
// and backward with the CUDA launch contract (compiler/launch.h, the code the CUDA launcher
// runs), and every buffer is compared with the CPU executor (exec_cpu.cpp) on the same program
// and inputs: packed states/outputs, GEMM outputs, saved values, dP, ds0 and every extern
// gradient; f64 to 1e-12, f32 to 1e-4 (the CPU's f32 exp/tanh are polynomials, the emitted
// code calls the library), masked (padded) and unmasked batches. A linear recurrence's scan module (emit_scan_cuda,
// launched by launch_scan.cpp) is compared the same way with the CPU scan driver.
//
// Why a broken emitter or launch fails here: the shim interleaves the blocks (rows) at every
// barrier, so rows sharing a scratch row overwrite each other; dP is filled with NaN before
// the backward (its contents on entry are unspecified), so a missing dP zeroing leaves NaN;
// the program features each mechanism needs (scratch, dP zeroing, GEMM bias, per-unit vector
// gradients, several levels) are required to occur in the tested programs.
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "builtin_plugins.h"
#include "compiler/interpret.h"
#include "compiler/launch.h"
#include "compiler/scan.h"
#include "shim_kernel_device.h"
#include "step_compiler_test_cells.h"
#include "test_util.h"

using namespace rnnlab;
using namespace rnnlab::compiler;
using rnnlab::test::ShimKernelDevice;

namespace {

Tensor random_tensor(const Shape& s, DType dt, uint64_t seed, double scale = 1.0) {
  Rng rng(seed);
  std::vector<double> v(static_cast<std::size_t>(shape_numel(s)));
  for (double& e : v) e = rng.uniform(-scale, scale);
  return to_dtype(from_vector(v, s), dt);
}

// max |a - b| / max(1, |a|); NaN anywhere (in either) counts as infinitely far.
double max_rel(const Tensor& a, const Tensor& b) {
  const auto x = to_vector<double>(to_dtype(a, DType::f64));
  const auto y = to_vector<double>(to_dtype(b, DType::f64));
  if (x.size() != y.size()) return std::numeric_limits<double>::infinity();
  double m = 0;
  for (std::size_t j = 0; j < x.size(); ++j) {
    const double d = std::fabs(x[j] - y[j]) / std::max(1.0, std::fabs(x[j]));
    if (!(d <= m)) m = std::isnan(d) ? std::numeric_limits<double>::infinity() : d;
  }
  return m;
}

// Which launch mechanisms the tested programs exercised (each must occur at least once).
struct Coverage {
  int scratch = 0, dp_zeroing = 0, gemm_bias = 0, unit_grads = 0, levels2 = 0, diagonal = 0;
  int scans = 0;  // linear recurrences whose scan module was compiled (scan.h)
};

// NVRTC's verdict on a source: "" when it compiles for sm_90, "skip: ..." when NVRTC is not
// available (rnnlab built without CUDA, or the library cannot be loaded), else the error.
std::string nvrtc_verdict(const std::string& source) {
  try {
    return compiler::nvrtc_compile(source, 90).empty() ? "empty cubin" : "";
  } catch (const Error& e) {
    const std::string what = e.what();
    if (what.find("built without CUDA") != std::string::npos ||
        what.find("cannot load NVRTC") != std::string::npos)
      return "skip: " + what;
    return what;
  }
}

// A linear recurrence (scan.h): the scan module's kernels through the shim and its launch
// (launch_scan.cpp) against the CPU scan driver (exec_scan.cpp), forward and backward.
// The step's scan plan, or null where it is not a linear recurrence.
std::shared_ptr<const ScanPlan> scan_plan_or_null(const Graph& g) {
  try {
    return plan_scan(g);
  } catch (const Unsupported&) {
    return nullptr;
  }
}

void check_scan(const ScanPlan& plan, const Graph& g, const Tensor& p,
                const std::vector<Tensor>& s0, const Tensor& mask, const std::vector<Tensor>& ext,
                DType dt) {
  ShimKernelDevice dev(emit_scan_cuda(plan, "k"), dt, 3);
  const double tol = dt == DType::f64 ? 1e-12 : 1e-4;
  Buffers cpu, shim;
  run_scan_forward(plan, p, s0, mask, ext, cpu);
  run_scan_forward_kernels(plan, "k", dev, p, s0, mask, ext, shim);
  CHECK(max_rel(cpu.packed, shim.packed) <= tol);
  REQUIRE(cpu.saved.size() == shim.saved.size());
  for (std::size_t i = 0; i < cpu.saved.size(); ++i)
    CHECK(max_rel(cpu.saved[i], shim.saved[i]) <= tol);
  const Tensor dpacked = random_tensor(cpu.packed.shape(), dt, 98);
  Tensor dp[2];
  std::vector<Tensor> ds[2], dext[2];
  for (int i = 0; i < 2; ++i) {
    dp[i] = full(p.shape(), dt, std::nan(""));
    for (std::size_t e = 0; e < ext.size(); ++e)
      dext[i].push_back(g.ext_grad(e) ? full(ext[e].shape(), dt, 0.0) : Tensor{});
  }
  run_scan_backward(plan, p, mask, ext, cpu, dpacked, dp[0], ds[0], dext[0]);
  run_scan_backward_kernels(plan, "k", dev, p, mask, ext, shim, dpacked, dp[1], ds[1], dext[1]);
  CHECK(max_rel(dp[0], dp[1]) <= tol);
  REQUIRE(ds[0].size() == ds[1].size());
  for (std::size_t k = 0; k < ds[0].size(); ++k) CHECK(max_rel(ds[0][k], ds[1][k]) <= tol);
  for (std::size_t e = 0; e < ext.size(); ++e)
    if (dext[0][e].defined()) {
      INFO("extern " << e);
      CHECK(max_rel(dext[0][e], dext[1][e]) <= tol);
    }
}

// One cell, dtype and mask: the CPU executor against the emitted kernels through the shim
// (nvrtc: instead, compile the emitted source with NVRTC and check its verdict); for a linear
// recurrence the scan's too.
void check_cell(const CellRegistry& reg, const std::string& cell, DType dt, bool masked,
                Coverage* cov, bool nvrtc = false) {
  const int64_t T = 4, B = 5, in = 3;
  ParameterStore store(Device::cpu, dt);
  Rng rng(11);
  std::unique_ptr<Cell> c = reg.create(cell, {{"hidden", ParamValue{int64_t{5}}}}, in, store,
                                       "shim/" + cell, rng);
  REQUIRE(!c->runs_whole_sequence());
  // Perturb every parameter: initial biases are often zero, and a missing bias copy or a
  // dropped gradient term must show.
  uint64_t pseed = 50;
  for (const auto& prm : store.all()) {
    Tensor noise = random_tensor(prm->value.shape(), dt, ++pseed, 0.3);
    backend_for(Device::cpu).axpby(1.0, noise, 1.0, prm->value);
  }
  CellContext ctx;
  ctx.training = true;  // dropout (kitchen_sink) is a captured constant
  ctx.seed = 3;
  Tape tape;
  Var p = c->project_inputs(tape, tape.constant(random_tensor({T, B, in}, dt, 1, 2.0)), ctx);
  std::vector<Tensor> s0;
  uint64_t seed = 20;
  for (const StateSpec& s : c->state_specs()) s0.push_back(random_tensor({B, s.size}, dt, ++seed));
  Tensor mask;
  if (masked) {
    const int64_t len[B] = {4, 3, 1, 4, 2};
    std::vector<double> m(static_cast<std::size_t>(T * B));
    for (int64_t t = 0; t < T; ++t)
      for (int64_t b = 0; b < B; ++b) m[static_cast<std::size_t>(t * B + b)] = t < len[b];
    mask = to_dtype(from_vector(m, {T, B, 1}), dt);
  }
  Backend& be = backend_for(Device::cpu);
  const int64_t G = p.dim(2);
  Tensor p0 = be.empty({B, G}, dt);
  be.block_copy(p.value(), p0, {1, B * G, B * G, 0, B * G, 0}, false);
  Graph g;
  std::shared_ptr<const Program> prog;
  try {
    g = trace_step(*c, p0, s0, masked, ctx);
    prog = lower(g);
  } catch (const Unsupported& e) {
    FAIL_CHECK(e.what());
  }
  REQUIRE(prog);
  const Program& P = *prog;
  std::vector<Tensor> ext;
  for (const Var& v : extern_vars(tape, g)) ext.push_back(v.value());

  if (nvrtc) {
    const std::string verdict = nvrtc_verdict(emit_cuda(P, "k"));
    if (verdict.rfind("skip: ", 0) == 0) {
      MESSAGE(verdict);
      return;
    }
    CHECK_MESSAGE(verdict.empty(), verdict);
    // A linear recurrence: the scan's module too (its parts' kernels and the scan kernels).
    const std::shared_ptr<const ScanPlan> plan = scan_plan_or_null(g);
    if (!plan) return;
    ++cov->scans;
    const std::string scan_verdict = nvrtc_verdict(emit_scan_cuda(*plan, "k"));
    CHECK_MESSAGE(scan_verdict.empty(), scan_verdict);
    return;
  }
  ShimKernelDevice dev(emit_cuda(P, "k"), dt, 3);

  // Forward.
  Buffers cpu, shim;
  run_forward(P, p.value(), s0, mask, ext, cpu);
  run_forward_kernels(P, "k", dev, p.value(), s0, mask, ext, shim);
  const double tol = dt == DType::f64 ? 1e-12 : 1e-4;
  CHECK(max_rel(cpu.packed, shim.packed) <= tol);
  REQUIRE(cpu.gemm.size() == shim.gemm.size());
  for (std::size_t i = 0; i < cpu.gemm.size(); ++i) CHECK(max_rel(cpu.gemm[i], shim.gemm[i]) <= tol);
  REQUIRE(cpu.saved.size() == shim.saved.size());
  for (std::size_t i = 0; i < cpu.saved.size(); ++i)
    CHECK(max_rel(cpu.saved[i], shim.saved[i]) <= tol);

  // Backward: dP starts as NaN (its contents on entry are unspecified), dext as zeros for
  // every extern with a gradient.
  const Tensor dpacked = random_tensor(cpu.packed.shape(), dt, 99);
  auto grads = [&](Tensor& dp, std::vector<Tensor>& dext) {
    dp = full(p.shape(), dt, std::nan(""));
    for (std::size_t e = 0; e < ext.size(); ++e)
      dext.push_back(g.ext_grad(e) ? full(ext[e].shape(), dt, 0.0) : Tensor{});
  };
  Tensor dp_cpu, dp_shim;
  std::vector<Tensor> ds_cpu, ds_shim, dext_cpu, dext_shim;
  grads(dp_cpu, dext_cpu);
  grads(dp_shim, dext_shim);
  run_backward(P, p.value(), mask, ext, cpu, dpacked, dp_cpu, ds_cpu, dext_cpu);
  run_backward_kernels(P, "k", dev, p.value(), mask, ext, shim, dpacked, dp_shim, ds_shim,
                       dext_shim);
  CHECK(max_rel(dp_cpu, dp_shim) <= tol);
  REQUIRE(ds_cpu.size() == ds_shim.size());
  for (std::size_t k = 0; k < ds_cpu.size(); ++k) CHECK(max_rel(ds_cpu[k], ds_shim[k]) <= tol);
  for (std::size_t e = 0; e < ext.size(); ++e)
    if (dext_cpu[e].defined()) {
      INFO("extern " << e);
      CHECK(max_rel(dext_cpu[e], dext_shim[e]) <= tol);
    }

  bool dp_slot = false;
  for (const SlotDesc& d : P.slots) dp_slot = dp_slot || d.kind == Slot::dp;
  cov->scratch += P.scratch + P.dscratch > 0;
  cov->dp_zeroing += dp_slot && !P.dp_assigns;
  for (const Level& L : P.levels)
    for (const GemmOp& op : L.gemms) cov->gemm_bias += op.bias_ext >= 0;
  for (std::size_t e = 0; e < P.ext_use.size(); ++e)
    cov->unit_grads += P.ext_use[e] == ExtUse::vector && dext_cpu[e].defined();
  cov->levels2 += P.levels.size() >= 2;
  cov->diagonal += P.diagonal;
  const std::shared_ptr<const ScanPlan> plan = scan_plan_or_null(g);
  if (!plan) return;
  ++cov->scans;
  check_scan(*plan, g, p.value(), s0, mask, ext, dt);
}

void check_all(DType dt) {
  Coverage cov;
  std::vector<std::pair<const CellRegistry*, std::string>> cells;
  for (const std::string& name : rnnlab::test::builtin_step_cells())
    cells.emplace_back(&rnnlab::test::builtin_cells(), name);
  for (const char* name : {"kitchen_sink", "sru2017", "affine_sink"})
    cells.emplace_back(&rnnlab::test::test_cells(), name);
  for (const auto& [reg, name] : cells)
    for (bool masked : {true, false}) {
      INFO(name << (masked ? ", masked" : ", unmasked") << ", " << dtype_name(dt));
      check_cell(*reg, name, dt, masked, &cov);
    }
  CHECK(cov.scans >= 2 * 5);  // mingru, minlstm, qrnn, sru2017, affine_sink; masked or not
  // The mechanisms the launch adds to the program were all exercised.
  CHECK(cov.scratch > 0);
  CHECK(cov.dp_zeroing > 0);
  CHECK(cov.gemm_bias > 0);
  CHECK(cov.unit_grads > 0);
  CHECK(cov.levels2 > 0);
  CHECK(cov.diagonal > 0);
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("step compiler: the emitted CUDA C run through the host shim equals the CPU executor "
          "(f64 to 1e-12: every compilable built-in cell and kitchen_sink, masked and unmasked, "
          "and the scan module of every linear recurrence)"
          * doctest::test_suite("cuda")) {
  check_all(DType::f64);
}

TEST_CASE("step compiler: the emitted CUDA C run through the host shim equals the CPU executor "
          "(f32 to 1e-4)" * doctest::test_suite("cuda")) {
  check_all(DType::f32);
}

TEST_CASE("step compiler: the emitted CUDA C of every compilable built-in cell and kitchen_sink "
          "compiles with NVRTC, and the scan module of every linear recurrence (sm_90, f32 and "
          "f64: no GPU needed)" * doctest::test_suite("cuda")) {
  Coverage cov;
  std::vector<std::pair<const CellRegistry*, std::string>> cells;
  for (const std::string& name : rnnlab::test::builtin_step_cells())
    cells.emplace_back(&rnnlab::test::builtin_cells(), name);
  for (const char* name : {"kitchen_sink", "sru2017", "affine_sink"})
    cells.emplace_back(&rnnlab::test::test_cells(), name);
  for (const auto& [reg, name] : cells)
    for (DType dt : {DType::f32, DType::f64}) {
      INFO(name << ", " << dtype_name(dt));
      check_cell(*reg, name, dt, true, &cov, true);
    }
  if (nvrtc_verdict("extern \"C\" __global__ void k() {}").rfind("skip: ", 0) != 0)
    CHECK(cov.scans >= 2 * 5);  // mingru, minlstm, qrnn, sru2017, affine_sink; f32 and f64
}

TEST_CASE("step compiler: non-finite constants are emitted as bit patterns that compile and "
          "keep their value" * doctest::test_suite("cuda")) {
  // One diagonal level: s_next = c * P for a constant c per column block.
  const double consts[] = {std::numeric_limits<double>::infinity(),
                           -std::numeric_limits<double>::infinity(), std::nan(""), -0.0, 1e-300,
                           0.1};
  const int64_t n = std::size(consts), w = 2;
  Program P;
  P.dtype = DType::f64;
  P.batch = 2;
  P.p_width = n * w;
  P.hidden = n * w;
  P.state_width = {n * w};
  P.slots = {{Slot::p, 0, n * w, 0}, {Slot::s_next, 0, n * w, 0}};
  P.levels.resize(1);
  for (int64_t i = 0; i < n; ++i) {
    Instr in;
    in.code = Code::op;
    in.op = ElemOp::scale;
    in.w = w;
    in.s = consts[i];
    in.d = {1, i * w};
    in.a = {0, i * w};
    P.levels[0].fwd.push_back(in);
  }
  const std::string src = emit_cuda(P, "k");
  CHECK(src.find("inf") == std::string::npos);
  CHECK(src.find("nan") == std::string::npos);
  CHECK(cuda_constant(0.1) == "(0.10000000000000001)");
  const std::string verdict = nvrtc_verdict(src);
  CHECK_MESSAGE((verdict.empty() || verdict.rfind("skip: ", 0) == 0), verdict);
  ShimKernelDevice dev(src, DType::f64, 2);
  std::vector<double> p = {1.5, -2.0, 0.0, 3.0, -1.0, 0.5, 2.0, -0.25, 4.0, -3.0, 1.0, 1.0};
  p.resize(static_cast<std::size_t>(2 * n * w), 0.75);
  std::vector<double> got(p.size(), 7.0), want(p.size(), 7.0);
  double* base[] = {p.data(), got.data()};
  long long rs[] = {n * w, n * w};
  void* b = base;
  void* r = rs;
  void* args[] = {&b, &r};
  dev.launch("k_L0_fwd", 2, args);
  for (int64_t row = 0; row < 2; ++row) {
    double* ptr[] = {p.data() + row * n * w, want.data() + row * n * w};
    exec_row<double>(P.levels[0].fwd.data(), P.levels[0].fwd.size(), ptr);
  }
  for (std::size_t j = 0; j < got.size(); ++j) {
    INFO("column " << j << ": " << got[j] << " vs " << want[j]);
    CHECK(std::memcmp(&got[j], &want[j], sizeof(double)) == 0);
  }
}

TEST_SUITE_END();
