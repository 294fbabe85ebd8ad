// onednn_bench: one training step of oneDNN's RNN primitives, the reference rnnlab_bench is
// compared with (run.sh --onednn): forward_training + backward of one layer, float32, with the
// weight reorders a framework pays every step (its weights change after each update: user
// layout ldigo -> the forward's and the backward's layouts, and the weight gradients back).
// No loss and no optimizer (rnnlab_bench's step has both: an mse and an SGD update, a few % of
// a step), so the comparison slightly favours oneDNN.
//
// Cells, as rnnlab's (and PyTorch's) built-ins:
//   elman  vanilla RNN, tanh:        h' = tanh(x W_x + h W_h + b)
//   lstm   LSTM, gates i f g o:       (oneDNN's order i f c o; the same maths)
//   gru    linear-before-reset GRU:   n = tanh(x W_n + b_n + r ⊙ (h U_n + b_un))  (lbr_gru)
// Shapes [T, B, I] -> [T, B, H]: big 128/256/64/100, digits 8/128/16/8, long 128/256/8/512, or
// IxHxBxT. Threads: oneDNN's OpenMP (omp_set_num_threads).
//
// usage: onednn_bench [--cells elman,lstm,gru] [--shapes big,digits,long] [--threads N]
//                     [--reps N] [--warmup N] [--json]
// Output: a table, or with --json the format of torch_bench.py ({"results": [{shape, cell,
// median_ms, min_ms}, ...]}) for report.py.
#include <dnnl.hpp>
#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <sstream>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

namespace {

using dnnl::memory;
using dt = memory::data_type;
using tag = memory::format_tag;

struct Shape {
  std::string name;
  memory::dim input, hidden, batch, steps;
};

Shape parse_shape(const std::string& s) {
  if (s == "big") return {s, 128, 256, 64, 100};
  if (s == "digits") return {s, 8, 128, 16, 8};
  if (s == "long") return {s, 128, 256, 8, 512};
  Shape r{s, 0, 0, 0, 0};
  char x1, x2, x3;
  std::istringstream in(s);
  if (!(in >> r.input >> x1 >> r.hidden >> x2 >> r.batch >> x3 >> r.steps) || x1 != 'x' ||
      x2 != 'x' || x3 != 'x' || r.input < 1 || r.hidden < 1 || r.batch < 1 || r.steps < 1)
    throw std::invalid_argument("onednn_bench: unknown shape '" + s +
                                "' (big, digits, long or IxHxBxT)");
  return r;
}

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');)
    if (!item.empty()) out.push_back(item);
  return out;
}

// A memory of `md` filled with small deterministic values.
memory filled(const memory::desc& md, const dnnl::engine& eng, float scale) {
  memory m(md, eng);
  auto* p = static_cast<float*>(m.get_data_handle());
  const std::size_t n = md.get_size() / sizeof(float);
  for (std::size_t i = 0; i < n; ++i) p[i] = scale * static_cast<float>((i * 37 % 101) - 50) / 50;
  return m;
}

// One layer's forward_training and backward primitives, their memories, and the reorders of
// the weights; step() runs one training step.
struct Layer {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream strm{eng};
  std::vector<std::pair<dnnl::primitive, std::unordered_map<int, memory>>> plan;

  void step() {
    for (auto& [p, args] : plan) p.execute(strm, args);
    strm.wait();
  }
};

// gates: 1 elman, 4 lstm, 3 gru; biases: gates, except lbr_gru's 4.
template <typename Fwd, typename Bwd, typename MakeFwd, typename MakeBwd>
void build(Layer& L, const Shape& s, memory::dim gates, memory::dim biases, MakeFwd make_fwd,
           MakeBwd make_bwd) {
  const memory::dim T = s.steps, B = s.batch, I = s.input, H = s.hidden;
  auto md = [](memory::dims d, tag t) { return memory::desc(d, dt::f32, t); };
  const memory::desc src = md({T, B, I}, tag::tnc), dst = md({T, B, H}, tag::tnc);
  const memory::desc wl_user = md({1, 1, I, gates, H}, tag::ldigo),
                     wi_user = md({1, 1, H, gates, H}, tag::ldigo);
  const memory::desc wl_any = md({1, 1, I, gates, H}, tag::any),
                     wi_any = md({1, 1, H, gates, H}, tag::any);
  const memory::desc bias = md({1, 1, biases, H}, tag::ldgo);

  typename Fwd::primitive_desc fpd(make_fwd(src, wl_any, wi_any, bias, dst), L.eng);
  typename Bwd::primitive_desc bpd(make_bwd(src, wl_any, wi_any, bias, dst), L.eng, fpd);

  memory m_src = filled(src, L.eng, 1.0f), m_dst(dst, L.eng), m_bias = filled(bias, L.eng, 0.1f);
  memory m_wl = filled(wl_user, L.eng, 0.05f), m_wi = filled(wi_user, L.eng, 0.05f);
  memory f_wl(fpd.weights_layer_desc(), L.eng), f_wi(fpd.weights_iter_desc(), L.eng);
  memory b_wl(bpd.weights_layer_desc(), L.eng), b_wi(bpd.weights_iter_desc(), L.eng);
  memory ws(fpd.workspace_desc(), L.eng);
  memory d_dst = filled(dst, L.eng, 0.01f), d_src(src, L.eng), d_bias(bias, L.eng);
  memory d_wl(bpd.diff_weights_layer_desc(), L.eng), d_wi(bpd.diff_weights_iter_desc(), L.eng);
  memory d_wl_user(wl_user, L.eng), d_wi_user(wi_user, L.eng);

  auto reorder = [&](memory& from, memory& to) {
    L.plan.push_back({dnnl::reorder(from, to), {{DNNL_ARG_FROM, from}, {DNNL_ARG_TO, to}}});
  };
  reorder(m_wl, f_wl);
  reorder(m_wi, f_wi);
  L.plan.push_back({typename Fwd::primitive(fpd),
                    {{DNNL_ARG_SRC_LAYER, m_src}, {DNNL_ARG_WEIGHTS_LAYER, f_wl},
                     {DNNL_ARG_WEIGHTS_ITER, f_wi}, {DNNL_ARG_BIAS, m_bias},
                     {DNNL_ARG_DST_LAYER, m_dst}, {DNNL_ARG_WORKSPACE, ws}}});
  reorder(m_wl, b_wl);
  reorder(m_wi, b_wi);
  L.plan.push_back({typename Bwd::primitive(bpd),
                    {{DNNL_ARG_SRC_LAYER, m_src}, {DNNL_ARG_WEIGHTS_LAYER, b_wl},
                     {DNNL_ARG_WEIGHTS_ITER, b_wi}, {DNNL_ARG_BIAS, m_bias},
                     {DNNL_ARG_DST_LAYER, m_dst}, {DNNL_ARG_WORKSPACE, ws},
                     {DNNL_ARG_DIFF_DST_LAYER, d_dst}, {DNNL_ARG_DIFF_SRC_LAYER, d_src},
                     {DNNL_ARG_DIFF_WEIGHTS_LAYER, d_wl}, {DNNL_ARG_DIFF_WEIGHTS_ITER, d_wi},
                     {DNNL_ARG_DIFF_BIAS, d_bias}}});
  reorder(d_wl, d_wl_user);
  reorder(d_wi, d_wi_user);
}

void build_cell(Layer& L, const std::string& cell, const Shape& s) {
  using namespace dnnl;
  const auto fwd = prop_kind::forward_training;
  const auto dir = rnn_direction::unidirectional_left2right;
  const memory::desc none;
  if (cell == "elman") {
    build<vanilla_rnn_forward, vanilla_rnn_backward>(
        L, s, 1, 1,
        [&](auto src, auto wl, auto wi, auto b, auto dst) {
          return vanilla_rnn_forward::desc(fwd, algorithm::eltwise_tanh, dir, src, none, wl, wi,
                                           b, dst, none);
        },
        [&](auto src, auto wl, auto wi, auto b, auto dst) {
          return vanilla_rnn_backward::desc(prop_kind::backward, algorithm::eltwise_tanh, dir,
                                            src, none, wl, wi, b, dst, none, src, none, wl, wi,
                                            b, dst, none);
        });
  } else if (cell == "lstm") {
    build<lstm_forward, lstm_backward>(
        L, s, 4, 4,
        [&](auto src, auto wl, auto wi, auto b, auto dst) {
          return lstm_forward::desc(fwd, dir, src, none, none, wl, wi, b, dst, none, none);
        },
        [&](auto src, auto wl, auto wi, auto b, auto dst) {
          return lstm_backward::desc(prop_kind::backward, dir, src, none, none, wl, wi, b, dst,
                                     none, none, src, none, none, wl, wi, b, dst, none, none);
        });
  } else if (cell == "gru") {
    build<lbr_gru_forward, lbr_gru_backward>(
        L, s, 3, 4,
        [&](auto src, auto wl, auto wi, auto b, auto dst) {
          return lbr_gru_forward::desc(fwd, dir, src, none, wl, wi, b, dst, none);
        },
        [&](auto src, auto wl, auto wi, auto b, auto dst) {
          return lbr_gru_backward::desc(prop_kind::backward, dir, src, none, wl, wi, b, dst,
                                        none, src, none, wl, wi, b, dst, none);
        });
  } else {
    throw std::invalid_argument("onednn_bench: unknown cell '" + cell + "' (elman, lstm, gru)");
  }
}

}  // namespace

int main(int argc, char** argv) try {
  std::vector<std::string> cells{"elman", "lstm", "gru"}, shapes{"big", "digits"};
  int threads = 2, reps = -1, warmup = 3;
  bool json = false;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument("onednn_bench: " + a + " needs a value");
      return argv[++i];
    };
    if (a == "--cells") cells = split(value());
    else if (a == "--shapes") shapes = split(value());
    else if (a == "--threads") threads = std::stoi(value());
    else if (a == "--reps") reps = std::stoi(value());
    else if (a == "--warmup") warmup = std::stoi(value());
    else if (a == "--json") json = true;
    else if (a == "--no-floor" || a == "--composed") continue;  // rnnlab_bench's, ignored
    else if (a == "-h" || a == "--help") {
      std::cout << "usage: onednn_bench [--cells elman,lstm,gru] [--shapes big,digits,long,IxHxBxT]\n"
                   "                    [--threads N] [--reps N] [--warmup N] [--json]\n";
      return 0;
    } else {
      throw std::invalid_argument("onednn_bench: unknown option '" + a + "'");
    }
  }
  omp_set_num_threads(threads);
  std::ostringstream rows;
  bool first = true;
  if (!json) std::printf("%-16s %-6s %10s %10s\n", "shape", "cell", "median ms", "min ms");
  for (const std::string& sn : shapes) {
    const Shape s = parse_shape(sn);
    for (const std::string& cell : cells) {
      Layer L;
      build_cell(L, cell, s);
      const int n = reps > 0 ? reps : (s.steps * s.batch >= 4096 ? 20 : 300);
      for (int w = 0; w < warmup; ++w) L.step();
      std::vector<double> ms;
      for (int r = 0; r < n; ++r) {
        const auto t0 = std::chrono::steady_clock::now();
        L.step();
        ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                         .count());
      }
      std::sort(ms.begin(), ms.end());
      const double median = ms[ms.size() / 2], lo = ms.front();
      if (json) {
        rows << (first ? "" : ",\n") << "  {\"shape\": \"" << sn << "\", \"cell\": \"" << cell
             << "\", \"median_ms\": " << median << ", \"min_ms\": " << lo << "}";
        first = false;
      } else {
        std::printf("%-16s %-6s %10.3f %10.3f\n", sn.c_str(), cell.c_str(), median, lo);
      }
    }
  }
  if (json)
    std::cout << "{\"backend\": \"oneDNN " << dnnl_version()->major << "." << dnnl_version()->minor
              << "\", \"threads\": " << threads << ", \"results\": [\n" << rows.str() << "\n]}\n";
  return 0;
} catch (const dnnl::error& e) {
  std::cerr << "onednn_bench: oneDNN error: " << e.what() << "\n";
  return 1;
} catch (const std::exception& e) {
  std::cerr << e.what() << "\n";
  return 2;
}
