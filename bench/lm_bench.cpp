// lm_bench: wall time of one training step of a language model, and its GEMM floor.
//
// The model, as `embedding(V, H) -> cell(hidden: H) -> dense(V)` in a .rnn file:
//   E = table[ids]                    ids i32 [T,B] -> [T,B,H]       (table [V,H])
//   Y = cell over E                   [T,B,H] -> [T,B,H]             (every step)
//   Z = Y W_o + b_o                   [T*B,H] x [H,V] -> [T*B,V]
//   loss = mean_t,b cross_entropy(Z[t,b], next[t,b])                 (every token scored)
// One step = Tape::reset, forward, loss, Tape::backward, an SGD update (lr 1e-3), as
// rnnlab_bench; the ids and the targets are random tokens made once, outside the timed region.
// `torch_lm_bench.py` is the same step in PyTorch (nn.Embedding, nn.LSTM/nn.GRU, nn.Linear,
// F.cross_entropy); `lm_run.sh` runs both in interleaved rounds.
//
// The floor (bench_timing.h: Σ calls x the median time of each GEMM shape), N = T*B, G the
// cell's gate width (4H lstm, 3H gru, H elman); unlike rnnlab_bench the cell's input needs a
// gradient (the embedding learns):
//   cell     P = E W_x [N,H]x[H,G] once; h W_h [B,H]x[H,G] T times
//            dW_x = Eᵀ dP [H,N]x[N,G]; dE = dP W_xᵀ [N,G]x[G,H]; dh = dG W_hᵀ [B,G]x[G,H] T
//            times; dW_h = Hᵀ dG [H,N]x[N,G]
//   output   Z = Y W_o [N,H]x[H,V]; dW_o = Yᵀ dZ [H,N]x[N,V]; dY = dZ W_oᵀ [N,V]x[V,H]
// Beyond the GEMMs the step must at least read and write the logits a few times (softmax,
// its gradient): N x V floats, 45 MB at the word shape.
//
// Shapes: char = V 64, H 512, B 32, T 100; word = V 10000, H 256, B 32, T 35.
//
// Usage: lm_bench [--cells lstm,gru] [--shapes char,word] [--threads N] [--reps N]
//                 [--warmup N] [--path auto|fused|compiled|composed] [--json] [--no-floor]
//                 [--plugin-path DIR]...
#include <cstdio>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "bench_timing.h"
#include "rnnlab/model.h"
#include "rnnlab/ops.h"
#include "rnnlab/optim.h"
#include "rnnlab/plugin_loader.h"

using namespace rnnlab;
using namespace rnnlab::bench;

namespace {

struct LmShape {
  std::string name;
  int64_t vocab, hidden, batch, steps;
  int reps, warmup;
};

LmShape parse_lm_shape(const std::string& n) {
  if (n == "char") return {"char", 64, 512, 32, 100, 15, 3};
  if (n == "word") return {"word", 10000, 256, 32, 35, 15, 3};
  throw InputError("unknown shape '" + n + "' (char: V 64, H 512, B 32, T 100; word: V 10000, "
                   "H 256, B 32, T 35)");
}

struct LmResult {
  std::string cell, shape, path;
  LmShape s;
  int threads = 0, reps = 0;
  double median_ms = NAN, min_ms = NAN, fwd_ms = NAN, bwd_ms = NAN, opt_ms = NAN;
  double gflop = NAN, floor_ms = NAN, loss_first = NAN, loss_last = NAN;
};

Tensor random_ids(const Shape& shape, int64_t vocab, uint64_t seed) {
  Rng rng(seed);
  std::vector<int32_t> v(static_cast<std::size_t>(shape_numel(shape)));
  for (auto& x : v) x = static_cast<int32_t>(rng.uniform(0.0, 1.0) * double(vocab)) % int32_t(vocab);
  return from_vector(v, shape, Device::cpu);
}

// The gate width G of the cell's recurrent weight W_h [H,G] (from the parameters).
int64_t gate_width(Model& model) {
  for (const auto& p : model.params().all())
    if (p->name.ends_with("/W_h") && p->value.rank() == 2) return p->value.dim(1);
  return 0;
}

void add_floor(LmResult& r, int64_t G, bool floor) {
  const LmShape& s = r.s;
  const int64_t N = s.steps * s.batch, H = s.hidden, B = s.batch, V = s.vocab, T = s.steps;
  struct G5 {
    bool ta, tb;
    int64_t m, n, k, calls;
  };
  std::vector<G5> gemms = {{false, false, N, V, H, 1}, {true, false, H, V, N, 1},
                           {false, true, N, H, V, 1}};
  if (G > 0)
    gemms.insert(gemms.end(), {{false, false, N, G, H, 1}, {false, false, B, G, H, T},
                               {true, false, H, G, N, 1}, {false, true, N, H, G, 1},
                               {false, true, B, H, G, T}, {true, false, H, G, N, 1}});
  double flops = 0, secs = 0;
  for (const G5& g : gemms) {
    flops += 2.0 * double(g.m) * double(g.n) * double(g.k) * double(g.calls);
    if (floor) secs += time_gemm(g.ta, g.tb, g.m, g.n, g.k) * double(g.calls);
  }
  r.gflop = flops / 1e9;
  if (floor) r.floor_ms = secs * 1e3;
}

LmResult run_one(const CellRegistry& registry, const std::string& cell, const LmShape& s,
                 RecurrentPath path, int reps, int warmup, bool floor) {
  std::unique_ptr<Model> model =
      ModelBuilder(registry, "lm", s.vocab, 1234)
          .embedding(s.vocab, s.hidden)
          .cell(cell, {{"hidden", ParamValue{s.hidden}}}, /*return_sequences=*/true)
          .dense(s.vocab)
          .build();
  model->set_path(path);
  UpdateRule rule;
  rule.kind = UpdateRule::Kind::sgd;
  rule.lr = 1e-3;
  Optimizer opt(rule);
  const Tensor ids = random_ids({s.steps, s.batch}, s.vocab, 11);
  const Tensor next = random_ids({s.steps * s.batch}, s.vocab, 12);
  const int64_t scored = s.steps * s.batch;
  Tape tape(Device::cpu);

  auto step = [&] {
    return time_training_step(
        tape, Device::cpu,
        [&](Tape& tp) {
          Activation in;
          in.x = tp.constant(ids);
          in.sequence = true;
          Activation out = model->forward(tp, in, ForwardContext{true, 5});
          Var logits = reshape(out.x, {scored, s.vocab});
          return softmax_cross_entropy(logits, tp.constant(next), scored);
        },
        [&] { opt.step(model->params()); });
  };

  LmResult r;
  r.cell = cell;
  r.shape = s.name;
  r.s = s;
  r.threads = backend_for(Device::cpu).threads();
  r.reps = reps;
  for (int i = 0; i < std::max(warmup, 1); ++i) {
    const StepTimes t = step();
    if (i == 0) r.loss_first = t.loss;
  }
  r.path = model->recurrent_paths();
  take_summary(time_reps(reps, step), r);
  add_floor(r, gate_width(*model), floor);
  return r;
}

std::string num(double v) {
  if (!std::isfinite(v)) return "null";
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}

void print_json(const std::vector<LmResult>& rs) {
  std::cout << "{\n  \"framework\": \"rnnlab\",\n  \"results\": [\n";
  for (std::size_t i = 0; i < rs.size(); ++i) {
    const LmResult& r = rs[i];
    std::cout << "    {\"cell\": \"" << r.cell << "\", \"shape\": \"" << r.shape
              << "\", \"vocab\": " << r.s.vocab << ", \"hidden\": " << r.s.hidden
              << ", \"batch\": " << r.s.batch << ", \"steps\": " << r.s.steps
              << ", \"path\": \"" << r.path << "\", \"threads\": " << r.threads
              << ", \"reps\": " << r.reps << ", \"median_ms\": " << num(r.median_ms)
              << ", \"min_ms\": " << num(r.min_ms) << ", \"fwd_ms\": " << num(r.fwd_ms)
              << ", \"bwd_ms\": " << num(r.bwd_ms) << ", \"opt_ms\": " << num(r.opt_ms)
              << ", \"gflop\": " << num(r.gflop) << ", \"floor_ms\": " << num(r.floor_ms)
              << ", \"loss_first\": " << num(r.loss_first)
              << ", \"loss_last\": " << num(r.loss_last) << "}"
              << (i + 1 < rs.size() ? "," : "") << "\n";
  }
  std::cout << "  ]\n}\n";
}

void print_text(const std::vector<LmResult>& rs) {
  std::printf("%-5s %-6s %-16s %9s %9s %8s %8s %7s %7s %9s %7s\n", "shape", "cell", "path",
              "median", "min", "fwd", "bwd", "opt", "GFLOP", "floor", "/floor");
  for (const LmResult& r : rs)
    std::printf("%-5s %-6s %-16s %7.2fms %7.2fms %8.2f %8.2f %7.2f %7.2f %7.2fms %6.2fx\n",
                r.shape.c_str(), r.cell.c_str(), r.path.c_str(), r.median_ms, r.min_ms, r.fwd_ms,
                r.bwd_ms, r.opt_ms, r.gflop, r.floor_ms, r.median_ms / r.floor_ms);
}

int usage(int code) {
  std::fprintf(code ? stderr : stdout,
               "usage: lm_bench [--cells lstm,gru] [--shapes char,word] [--threads N] [--reps N]\n"
               "                [--warmup N] [--path auto|fused|compiled|composed] [--json]\n"
               "                [--no-floor] [--plugin-path DIR]...\n"
               "Times one training step of embedding -> cell -> dense(V) -> per-step softmax\n"
               "cross-entropy (f32, SGD). char = V 64, H 512, B 32, T 100; word = V 10000,\n"
               "H 256, B 32, T 35.\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> cells{"lstm", "gru"}, shapes{"char", "word"}, plugin_dirs;
  int threads = 0, reps = 0, warmup = -1;
  RecurrentPath path = RecurrentPath::automatic;
  bool json = false, floor = true;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw InputError(a + " needs a value");
        return argv[++i];
      };
      if (a == "--cells") cells = split_list(value());
      else if (a == "--shapes") shapes = split_list(value());
      else if (a == "--threads") threads = std::stoi(value());
      else if (a == "--reps") reps = std::stoi(value());
      else if (a == "--warmup") warmup = std::stoi(value());
      else if (a == "--path") path = parse_path(value());
      else if (a == "--json") json = true;
      else if (a == "--no-floor") floor = false;
      else if (a == "--plugin-path") plugin_dirs.push_back(value());
      else if (a == "-h" || a == "--help") return usage(0);
      else {
        std::fprintf(stderr, "lm_bench: unknown option '%s'\n", a.c_str());
        return usage(2);
      }
    }
    Backend& be = backend_for(Device::cpu);
    if (threads > 0) be.set_threads(threads);
    CellRegistry registry;
    PluginLoader loader;
    loader.load_search_path(plugin_dirs, registry);
    std::vector<LmShape> parsed;
    for (const std::string& n : shapes) parsed.push_back(parse_lm_shape(n));
    for (const std::string& c : cells) registry.get(c);  // unknown cell: InputError, early
    std::vector<LmResult> results;
    for (const LmShape& s : parsed)
      for (const std::string& c : cells) {
        results.push_back(run_one(registry, c, s, path, reps > 0 ? reps : s.reps,
                                  warmup >= 0 ? warmup : s.warmup, floor));
        if (!json)
          std::fprintf(stderr, "  %s/%s: median %.2f ms\n", s.name.c_str(), c.c_str(),
                       results.back().median_ms);
      }
    if (json)
      print_json(results);
    else
      print_text(results);
  } catch (const InputError& e) {
    std::fprintf(stderr, "lm_bench: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "lm_bench: %s\n", e.what());
    return 1;
  }
  return 0;
}
