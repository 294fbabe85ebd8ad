// rnnlab_bench: wall time of one training step of a recurrent layer, and its GEMM floor.
//
// One step = Tape::reset, forward (Recurrent over X [T,B,I], f32, outputs of every step),
// loss = mse(outputs, fixed random target), Tape::backward, Optimizer::step (UpdateRule sgd).
// X and the target are made once, outside the timed region. After `warmup` untimed steps, each
// of `reps` steps is timed on its own; we report the median and the minimum (plus the median of
// each phase: forward+loss, backward, optimizer).
//
// The floor: a step must at least do its GEMMs. With G = columns of W_x / W_h (H elman, 3H gru,
// 4H lstm), N = T*B rows:
//   forward   P = X W_x                    [N,I]x[I,G]      once        2 N I G
//             G_t = P_t + h_{t-1} W_h      [B,H]x[H,G]      T times     2 T B H G
//   backward  dW_x = Xᵀ dP                 [I,N]x[N,G]      once        2 N I G
//             dh_{t-1} = dG_t W_hᵀ         [B,G]x[G,H]      T times     2 T B H G
//             dW_h = [h_0..h_{T-1}]ᵀ dG     [H,N]x[N,G]      once        2 N H G
// (X is data, so there is no dX: the input GEMM is 1x backward, the recurrent ones 2x.)
// Each of the five GEMM shapes is timed on its own with cpu_gemm (the core's OpenBLAS call)
// at the same thread count, and floor_ms = Σ calls × median time per call. That is what the
// step would cost if everything but the GEMMs were free. gflop is the step's GEMM FLOP count.
//
// Usage: rnnlab_bench [--cells elman,lstm,gru] [--shapes big,digits] [--threads N]
//                     [--path auto,fused,compiled,scan,composed] [--composed] [--reps N]
//                     [--warmup N] [--json] [--no-floor] [--plugin-path DIR]...
//                     [--tbb-threads N] [--backend cpu|cuda]
// --path runs every cell once per path listed (side by side in one run); each row is labelled
// by the path that actually ran (Recurrent::path_used(): a cell without a kernel asked for
// `fused` runs `compiled`, and so does one that is not a linear recurrence asked for `scan`).
// first_ms is the first (untimed) step: on the compiled path it
// includes tracing and lowering the step (trace_ms each, compile_ms); traces are reused while
// shapes, mode (and, for steps that capture constants, the batch seed) stay the same.
// node_fwd_ms / node_bwd_ms: time inside the compiled sequence node, medians over the timed
// steps.
// A cell without W_x/W_h but with an input projection W [I,G] (indrnn, sru, mingru) gets the
// floor of its two input GEMMs (forward P = X W, backward dW = Xᵀ dP) alone.
// A shape is a name (big, digits, long) or IxHxBxT (input, hidden, batch, steps), e.g.
// 320x320x8x512 (the QRNN paper's grid).
// --backend cuda: parameters, data and the tape on the GPU; each phase ends with a device
// synchronisation (so the phase times are complete), and the floor times each GEMM shape with
// the CUDA backend's gemm (cuBLAS) instead of cpu_gemm.
// --tbb-threads is a diagnostic for thread ownership: after set_threads it caps TBB's
// parallelism (a second tbb::global_control; the smallest limit wins). OpenBLAS itself always
// runs on one thread: cpu_gemm cuts a large GEMM into tiles over TBB's threads, so this cap
// applies to the GEMMs too.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <tbb/global_control.h>

#include "rnnlab/backend.h"
#include "rnnlab/cell.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/ops.h"
#include "rnnlab/optim.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/recurrent.h"
#include "rnnlab/rng.h"
#include "rnnlab/step_compiler.h"
#include "bench_timing.h"

using namespace rnnlab;
using namespace rnnlab::bench;

namespace {

struct BenchShape {
  std::string name;
  int64_t input, hidden, batch, steps;
  int reps;    // default timed reps (sized so the whole bench stays well under two minutes)
  int warmup;  // default untimed steps
};

const std::vector<BenchShape>& known_shapes() {
  static const std::vector<BenchShape> shapes = {
      {"big", 128, 256, 64, 100, 20, 5},
      {"digits", 8, 128, 16, 8, 300, 30},
      {"long", 128, 256, 8, 512, 10, 3},  // the QRNN study's long-sequence case
  };
  return shapes;
}

// A known name, or IxHxBxT (reps and warmup scaled so a shape takes a few seconds).
BenchShape parse_shape(const std::string& n) {
  for (const BenchShape& s : known_shapes())
    if (s.name == n) return s;
  BenchShape s{n, 0, 0, 0, 0, 0, 0};
  char x1, x2, x3;
  std::istringstream in(n);
  if (!(in >> s.input >> x1 >> s.hidden >> x2 >> s.batch >> x3 >> s.steps) || x1 != 'x' ||
      x2 != 'x' || x3 != 'x' || !in.eof() || s.input < 1 || s.hidden < 1 || s.batch < 1 ||
      s.steps < 1)
    throw InputError("unknown shape '" + n + "' (big, digits, long, or IxHxBxT e.g. 320x320x8x32)");
  s.reps = 20;
  s.warmup = 5;
  return s;
}


// ---------------------------------------------------------------- one benchmark
struct Result {
  std::string cell, shape;
  int64_t input, hidden, batch, steps;
  std::string path;  // what ran: fused | compiled | scan | composed
  std::string note;  // why it is not the path asked for
  int threads, reps, warmup;
  double first_ms = NAN, compile_ms = NAN, trace_ms = NAN;
  double node_fwd_ms = NAN, node_bwd_ms = NAN;  // inside the compiled node, per step
  double median_ms, min_ms, max_ms;
  double fwd_ms, bwd_ms, opt_ms;  // medians of the phases
  double gflop = NAN, floor_ms = NAN;
  std::vector<GemmShape> gemms;
  std::vector<double> gemm_ms_per_call;
  double loss_first = NAN, loss_last = NAN;
};

Tensor random_f32(const Shape& shape, uint64_t seed, Device dev) {
  Rng rng(seed);
  std::vector<float> v(static_cast<std::size_t>(shape_numel(shape)));
  for (auto& x : v) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  return from_vector(v, shape, dev);
}

Result run_one(const CellRegistry& registry, const std::string& cell_name, const BenchShape& s,
               RecurrentPath path, int reps, int warmup, bool floor, Device dev) {
  ParameterStore params(dev, DType::f32);
  Rng rng(1234);
  std::map<std::string, ParamValue> given{{"hidden", ParamValue{s.hidden}}};
  const std::string prefix = "bench/" + cell_name;
  auto cell = registry.create(cell_name, given, s.input, params, prefix, rng);
  Recurrent::Options options;
  options.path = path;
  Recurrent layer(std::move(cell), options);
  UpdateRule rule;
  rule.kind = UpdateRule::Kind::sgd;
  rule.lr = 1e-3;
  Optimizer opt(rule);

  const Tensor x = random_f32({s.steps, s.batch, s.input}, 11, dev);
  const Tensor target = random_f32({s.steps, s.batch, s.hidden}, 12, dev);
  Tape tape(dev);
  CellContext ctx;
  ctx.training = true;

  auto step = [&] {
    return time_training_step(
        tape, dev,
        [&](Tape& tp) {
          Var xv = tp.constant(x);
          Var tv = tp.constant(target);
          Recurrent::Output out = layer.forward(tp, xv, {}, ctx);
          return mse(out.outputs, tv);
        },
        [&] { opt.step(params); });
  };

  Result r;
  r.cell = cell_name;
  r.shape = s.name;
  r.input = s.input;
  r.hidden = s.hidden;
  r.batch = s.batch;
  r.steps = s.steps;
  r.threads = backend_for(Device::cpu).threads();
  r.reps = reps;
  r.warmup = warmup;
  for (int i = 0; i < std::max(warmup, 1); ++i) {
    const StepTimes t = step();
    if (i == 0) {
      r.loss_first = t.loss;
      r.first_ms = t.total;
    }
  }
  r.path = layer.path_used();
  r.note = layer.path_note();
  // the compiled node's share of each timed step (its stats are cumulative)
  std::vector<double> node_fwd, node_bwd;
  const StepCompiler* sc = layer.compiler();
  const RepSummary t = time_reps(reps, [&] {
    const double f0 = sc ? sc->stats().forward_ms : 0.0, b0 = sc ? sc->stats().backward_ms : 0.0;
    const StepTimes st = step();
    if (sc) {
      node_fwd.push_back(sc->stats().forward_ms - f0);
      node_bwd.push_back(sc->stats().backward_ms - b0);
    }
    return st;
  });
  take_summary(t, r);
  r.max_ms = t.max_ms;
  if (sc && sc->stats().traces > 0) {
    r.compile_ms = sc->stats().compile_ms;
    r.trace_ms = sc->stats().trace_ms / static_cast<double>(sc->stats().traces);
    if (sc->stats().forwards > 0) r.node_fwd_ms = median(node_fwd);
    if (sc->stats().backwards > 0) r.node_bwd_ms = median(node_bwd);
  }

  // GEMM shapes from the parameter shapes (W_x [I,G], W_h [H,G]); a cell without them gets
  // no floor.
  Parameter* wx = params.find(prefix + "/W_x");
  Parameter* wh = params.find(prefix + "/W_h");
  Parameter* w_in = params.find(prefix + "/W");
  if (!wx && !wh && w_in && w_in->value.rank() == 2 && w_in->value.dim(0) == s.input) {
    const int64_t g = w_in->value.dim(1), n = s.steps * s.batch, I = s.input;
    r.gemms = {{"fwd  P = X W", false, false, n, g, I, 1},
               {"bwd  dW = X^T dP", true, false, I, g, n, 1}};
  } else if (wx && wh && wx->value.rank() == 2 && wh->value.rank() == 2) {
    const int64_t g = wx->value.dim(1), gh = wh->value.dim(1), h = wh->value.dim(0);
    const int64_t n = s.steps * s.batch, I = s.input, B = s.batch, T = s.steps;
    r.gemms = {
        {"fwd  P = X W_x", false, false, n, g, I, 1},
        {"fwd  h W_h (per step)", false, false, B, gh, h, T},
        {"bwd  dW_x = X^T dP", true, false, I, g, n, 1},
        {"bwd  dG W_h^T (per step)", false, true, B, h, gh, T},
        {"bwd  dW_h = H^T dG", true, false, h, gh, n, 1},
    };
    double flops = 0, secs = 0;
    for (const GemmShape& gs : r.gemms) {
      flops += gs.flops() * static_cast<double>(gs.calls);
      double per_call = floor ? time_gemm(gs.ta, gs.tb, gs.m, gs.n, gs.k, dev) : NAN;
      r.gemm_ms_per_call.push_back(per_call * 1e3);
      secs += per_call * static_cast<double>(gs.calls);
    }
    r.gflop = flops / 1e9;
    if (floor) r.floor_ms = secs * 1e3;
  }
  if (r.gemms.size() == 2) {  // input projection only
    double flops = 0, secs = 0;
    for (const GemmShape& gs : r.gemms) {
      flops += gs.flops();
      double per_call = floor ? time_gemm(gs.ta, gs.tb, gs.m, gs.n, gs.k, dev) : NAN;
      r.gemm_ms_per_call.push_back(per_call * 1e3);
      secs += per_call;
    }
    r.gflop = flops / 1e9;
    if (floor) r.floor_ms = secs * 1e3;
  }
  return r;
}

// ---------------------------------------------------------------- output
std::string json_num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

std::string json_str(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') o += '\\';
    o += c;
  }
  return o + "\"";
}

struct MachineRate {
  std::string name;
  int64_t m, n, k;
  double gflops;
};

void print_json(const std::vector<Result>& rs, const std::vector<MachineRate>& rates,
                int threads, Device dev) {
  const char* ct = std::getenv("OPENBLAS_CORETYPE");
  const char* rt = std::getenv("RNNLAB_THREADS");
  const DeviceInfo info = device_info(dev);
  std::cout << "{\n  \"framework\": \"rnnlab\",\n  \"backend\": " << json_str(device_name(dev))
            << ",\n  \"device\": " << (info.name.empty() ? "null" : json_str(info.name))
            << ",\n  \"threads\": " << threads
            << ",\n  \"openblas_coretype\": " << (ct ? json_str(ct) : "null")
            << ",\n  \"rnnlab_threads_env\": " << (rt ? json_str(rt) : "null")
            << ",\n  \"tbb_max_parallelism\": "
            << tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism)
            << ",\n  \"sgemm_gflops\": [";
  for (std::size_t i = 0; i < rates.size(); ++i) {
    const auto& q = rates[i];
    std::cout << (i ? ", " : "") << "{\"shape\": " << json_str(q.name) << ", \"m\": " << q.m
              << ", \"n\": " << q.n << ", \"k\": " << q.k
              << ", \"gflops\": " << json_num(q.gflops) << "}";
  }
  std::cout << "],\n  \"results\": [\n";
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const Result& r = rs[i];
    std::cout << "    {\"cell\": " << json_str(r.cell) << ", \"shape\": " << json_str(r.shape)
              << ", \"input\": " << r.input << ", \"hidden\": " << r.hidden
              << ", \"batch\": " << r.batch << ", \"steps\": " << r.steps
              << ", \"path\": " << json_str(r.path) << ", \"path_note\": " << json_str(r.note)
              << ", \"first_ms\": " << json_num(r.first_ms)
              << ", \"compile_ms\": " << json_num(r.compile_ms)
              << ", \"trace_ms\": " << json_num(r.trace_ms)
              << ", \"node_fwd_ms\": " << json_num(r.node_fwd_ms)
              << ", \"node_bwd_ms\": " << json_num(r.node_bwd_ms) << ", \"threads\": " << r.threads
              << ", \"reps\": " << r.reps << ", \"warmup\": " << r.warmup
              << ", \"median_ms\": " << json_num(r.median_ms)
              << ", \"min_ms\": " << json_num(r.min_ms) << ", \"max_ms\": " << json_num(r.max_ms)
              << ", \"fwd_ms\": " << json_num(r.fwd_ms) << ", \"bwd_ms\": " << json_num(r.bwd_ms)
              << ", \"opt_ms\": " << json_num(r.opt_ms) << ", \"gflop\": " << json_num(r.gflop)
              << ", \"floor_ms\": " << json_num(r.floor_ms)
              << ", \"loss_first\": " << json_num(r.loss_first)
              << ", \"loss_last\": " << json_num(r.loss_last) << ", \"gemms\": [";
    for (std::size_t j = 0; j < r.gemms.size(); ++j) {
      const GemmShape& g = r.gemms[j];
      double per = r.gemm_ms_per_call[j];
      std::cout << (j ? ", " : "") << "{\"what\": " << json_str(g.what) << ", \"m\": " << g.m
                << ", \"n\": " << g.n << ", \"k\": " << g.k
                << ", \"trans_a\": " << (g.ta ? "true" : "false")
                << ", \"trans_b\": " << (g.tb ? "true" : "false") << ", \"calls\": " << g.calls
                << ", \"ms_per_call\": " << json_num(per)
                << ", \"gflops\": " << json_num(g.flops() / (per * 1e6)) << "}";
    }
    std::cout << "]}" << (i + 1 < rs.size() ? "," : "") << "\n";
  }
  std::cout << "  ]\n}\n";
}

void print_text(const std::vector<Result>& rs, const std::vector<MachineRate>& rates,
                int threads) {
  const char* ct = std::getenv("OPENBLAS_CORETYPE");
  std::printf("rnnlab_bench: threads %d (TBB cap %zu), OPENBLAS_CORETYPE %s\n", threads,
              tbb::global_control::active_value(tbb::global_control::max_allowed_parallelism),
              ct ? ct : "(unset)");
  std::printf("SGEMM (f32):");
  for (const auto& q : rates) std::printf("  %s %.0f GFLOP/s", q.name.c_str(), q.gflops);
  std::printf("\n\n");
  std::printf("%-7s %-6s %-8s %9s %9s %8s %8s %7s %7s %9s %9s %9s\n", "shape", "cell", "path",
              "median", "min", "fwd", "bwd", "opt", "GFLOP", "floor", "/floor", "first");
  for (const Result& r : rs) {
    std::printf("%-7s %-6s %-8s %8.3fms %8.3fms %7.3f %8.3f %7.3f %7.2f %7.3fms %8.2fx %7.2fms\n",
                r.shape.c_str(), r.cell.c_str(), r.path.c_str(), r.median_ms, r.min_ms, r.fwd_ms,
                r.bwd_ms, r.opt_ms, r.gflop, r.floor_ms, r.median_ms / r.floor_ms, r.first_ms);
  }
  bool compiled = false;
  for (const Result& r : rs) compiled = compiled || std::isfinite(r.compile_ms) || !r.note.empty();
  if (compiled) {
    std::printf("\ncompiled path: `first` includes the trace and the compile (once per shape and"
                " mode; a step that captured constants is traced again per batch seed)\n");
    for (const Result& r : rs)
      if (std::isfinite(r.compile_ms) || !r.note.empty())
        std::printf("  %s/%s/%s: compile %.3f ms, trace %.3f ms (each), compiled node fwd %.3f + "
                    "bwd %.3f ms/step (medians of the timed steps)%s%s\n",
                    r.shape.c_str(), r.cell.c_str(), r.path.c_str(), r.compile_ms, r.trace_ms,
                    r.node_fwd_ms,
                    r.node_bwd_ms, r.note.empty() ? "" : "; ", r.note.c_str());
  }
  std::printf("\nfloor = the step's GEMMs alone, each shape (MxKxN, T: = transposed) timed:\n");
  for (const Result& r : rs) {
    if (r.gemms.empty()) continue;
    std::printf("  %s/%s:", r.shape.c_str(), r.cell.c_str());
    for (std::size_t j = 0; j < r.gemms.size(); ++j) {
      const GemmShape& g = r.gemms[j];
      std::printf("  %s%lldx%lldx%lld%s x%lld %.0f GF/s", g.ta ? "T:" : "",
                  static_cast<long long>(g.m), static_cast<long long>(g.k),
                  static_cast<long long>(g.n), g.tb ? ":T" : "", static_cast<long long>(g.calls),
                  g.flops() / (r.gemm_ms_per_call[j] * 1e6));
    }
    std::printf("\n");
  }
}

int usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: rnnlab_bench [--cells elman,lstm,gru] [--shapes big,digits] [--threads N]\n"
               "                    [--path auto,fused,compiled,scan,composed] [--composed] [--reps N]\n"
               "                    [--warmup N] [--json] [--no-floor] [--plugin-path DIR]...\n"
               "                    [--tbb-threads N] [--backend cpu|cuda]\n"
               "Times forward + mse loss + backward + SGD update of one recurrent layer (f32).\n"
               "shapes: big = input 128, hidden 256, batch 64, T 100;\n"
               "        digits = input 8, hidden 128, batch 16, T 8;\n"
               "        long = input 128, hidden 256, batch 8, T 512;\n"
               "        IxHxBxT = input, hidden, batch, steps (e.g. 320x320x8x512).\n"
               "--backend     cpu (default) or cuda (GEMM floor through cuBLAS)\n"
               "--threads N   backend set_threads(N) (TBB; OpenBLAS runs in it); default: RNNLAB_THREADS\n"
               "              or the hardware threads\n"
               "--path LIST   paths to run each cell on (default auto: fused kernel, else\n"
               "              compiled, as a scan where that pays; scan: the parallel scan of a\n"
               "              linear recurrence); rows are labelled by the path that ran\n"
               "--composed    = --path composed (the per-op unrolled path)\n"
               "--reps N      timed steps per benchmark (default: big 20, digits 300)\n"
               "--tbb-threads N  diagnostic: cap TBB's parallelism after set_threads\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> cells{"elman", "lstm", "gru"};
  std::vector<std::string> shape_names{"big", "digits"};
  std::vector<std::string> plugin_dirs;
  int threads = 0, reps = 0, warmup = -1, tbb_threads = 0;
  std::vector<RecurrentPath> paths{RecurrentPath::automatic};
  bool json = false, floor = true;
  std::string backend = "cpu";
  try {
    for (int i = 1; i < argc; ++i) {
      std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw InputError(a + " needs a value");
        return argv[++i];
      };
      if (a == "--cells") cells = split_list(value());
      else if (a == "--shapes") shape_names = split_list(value());
      else if (a == "--threads") threads = std::stoi(value());
      else if (a == "--reps") reps = std::stoi(value());
      else if (a == "--warmup") warmup = std::stoi(value());
      else if (a == "--composed") paths = {RecurrentPath::composed};
      else if (a == "--path") {
        paths.clear();
        for (const std::string& p : split_list(value())) paths.push_back(parse_path(p));
      }
      else if (a == "--json") json = true;
      else if (a == "--no-floor") floor = false;
      else if (a == "--plugin-path") plugin_dirs.push_back(value());
      else if (a == "--tbb-threads") tbb_threads = std::stoi(value());
      else if (a == "--backend") backend = value();
      else if (a == "-h" || a == "--help") return usage(0);
      else {
        std::fprintf(stderr, "rnnlab_bench: unknown option '%s'\n", a.c_str());
        return usage(2);
      }
    }

    if (backend != "cpu" && backend != "cuda")
      throw InputError("--backend must be cpu or cuda, found '" + backend + "'");
    const Device dev = backend == "cuda" ? Device::cuda : Device::cpu;
    backend_for(dev);  // no usable device: InputError with the reason, before any work
    Backend& be = backend_for(Device::cpu);
    if (threads > 0) be.set_threads(threads);
    threads = be.threads();
    std::unique_ptr<tbb::global_control> tbb_cap;
    if (tbb_threads > 0)
      tbb_cap = std::make_unique<tbb::global_control>(
          tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(tbb_threads));

    CellRegistry registry;
    PluginLoader loader;
    loader.load_search_path(plugin_dirs, registry);

    std::vector<BenchShape> shapes;
    for (const std::string& n : shape_names) shapes.push_back(parse_shape(n));
    for (const std::string& c : cells) registry.get(c);  // unknown cell: InputError, early

    std::vector<MachineRate> rates;
    if (floor) {
      // Named M x K x N as in the notes: [M,K] x [K,N].
      rates = {{"64x256x1024", 64, 1024, 256, 0.0},
               {"6400x128x1024", 6400, 1024, 128, 0.0},
               {"1024x1024x1024", 1024, 1024, 1024, 0.0}};
      for (auto& q : rates) q.gflops = gemm_gflops(false, false, q.m, q.n, q.k, dev);
    }

    std::vector<Result> results;
    for (const BenchShape& s : shapes)
      for (const std::string& c : cells) {
        int r = reps > 0 ? reps : s.reps;
        int w = warmup >= 0 ? warmup : s.warmup;
        for (RecurrentPath p : paths) {
          results.push_back(run_one(registry, c, s, p, r, w, floor, dev));
          if (!json)
            std::fprintf(stderr, "  %s/%s/%s: median %.3f ms\n", s.name.c_str(), c.c_str(),
                         results.back().path.c_str(), results.back().median_ms);
        }
      }
    if (json)
      print_json(results, rates, threads, dev);
    else
      print_text(results, rates, threads);
  } catch (const InputError& e) {
    std::fprintf(stderr, "rnnlab_bench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "rnnlab_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
