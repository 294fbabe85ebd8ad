// nstep (plugins/nstep): parameter pass-through, names and state order, bidirectional ==
// two plain cells over each sequence reversed by its own length, inter-layer dropout, fused path.
// (Gradients, masking, stateful carry and determinism: tests/test_conformance.cpp.)
#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>

#include "rnnlab/recurrent.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::rand_tensor;

namespace {

using Params = std::map<std::string, ParamValue>;

std::string input_error(const Params& p) {
  ParameterStore ps(Device::cpu, DType::f64);
  Rng rng(1);
  try {
    builtin_cells().create("nstep", p, 3, ps, "n", rng);
  } catch (const InputError& e) {
    return e.what();
  }
  return "(no error)";
}

struct Stack {
  ParameterStore params{Device::cpu, DType::f64};
  std::unique_ptr<Recurrent> rnn;
  Stack(const Params& p, int64_t in, bool stateful = false) {
    Rng rng(3);
    rnn = std::make_unique<Recurrent>(builtin_cells().create("nstep", p, in, params, "n", rng),
                                      Recurrent::Options{stateful, true});
  }
};

double max_abs(const std::vector<double>& a, const std::vector<double>& b) {
  double m = 0;
  for (std::size_t i = 0; i < a.size(); ++i) m = std::max(m, std::fabs(a[i] - b[i]));
  return a.size() == b.size() ? m : INFINITY;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("nstep: the inner cell's parameters pass through, validated as the inner cell's") {
  const std::vector<ParamSpec> s =
      builtin_cells().schema_for("nstep", {{"cell", std::string("lstm")}});
  auto has = [&](const std::string& n) {
    return std::any_of(s.begin(), s.end(), [&](const ParamSpec& p) { return p.name == n; });
  };
  CHECK(has("layers"));
  CHECK(has("hidden"));
  CHECK(has("forget_bias"));
  CHECK_FALSE(has("activation"));
  CHECK(builtin_cells().schema_for("nstep", {{"cell", std::string("elman")}}).size() == s.size());

  CHECK(input_error({{"forget_bais", 1.0}}).find("did you mean 'forget_bias'") !=
        std::string::npos);
  CHECK(input_error({{"cell", std::string("lstn")}}).find("did you mean 'lstm'") !=
        std::string::npos);
  CHECK(input_error({{"activation", std::string("relu")}}).find("unknown parameter 'activation'") !=
        std::string::npos);
  CHECK(input_error({{"cell", std::string("nstep")}}).find("parameter 'cell'") !=
        std::string::npos);
  CHECK(input_error({{"dropout", 1.0}}).find("parameter 'dropout'") != std::string::npos);
  CHECK(input_error({{"layers", int64_t{0}}}).find("parameter 'layers'") != std::string::npos);
  CHECK(input_error({{"hidden", int64_t{0}}}).find("parameter 'hidden'") != std::string::npos);
}

TEST_CASE("nstep: parameter names, sizes, forwarded values and the documented state order") {
  Stack st({{"hidden", int64_t{3}},
            {"forget_bias", 2.0},
            {"layers", int64_t{2}},
            {"bidirectional", true}},
           5);
  const Cell& c = st.rnn->cell();
  CHECK(c.hidden_size() == 6);
  CHECK(st.params.get("n/l0/W_x").value.shape() == Shape{5, 12});
  CHECK(st.params.get("n/l0_reverse/W_h").value.shape() == Shape{3, 12});
  CHECK(st.params.get("n/l1/W_x").value.shape() == Shape{6, 12});  // takes [fwd; bwd]
  CHECK(st.params.get("n/l1_reverse/W_x").value.shape() == Shape{6, 12});
  const std::vector<double> b = to_vector<double>(st.params.get("n/l1/b").value);
  CHECK(b[3] == 2.0);  // forget slice [H, 2H) = forget_bias, forwarded
  CHECK(b[0] == 0.0);
  std::vector<std::string> names;
  for (const StateSpec& s : c.state_specs()) names.push_back(s.name);
  CHECK(names == std::vector<std::string>{"l0/h", "l0/c", "l0_reverse/h", "l0_reverse/c", "l1/h",
                                          "l1/c", "l1_reverse/h", "l1_reverse/c"});
}

TEST_CASE("nstep: bidirectional == a forward cell plus a cell over each sequence reversed"
          * doctest::test_suite("parity")) {
  const int64_t T = 4, B = 3, I = 2, H = 3;
  const std::vector<int32_t> lengths{4, 2, 3};
  Stack st({{"cell", std::string("gru")}, {"hidden", H}, {"bidirectional", true}}, I);
  Tensor x = rand_tensor({T, B, I}, 5);
  Tape t;
  Recurrent::Output o = st.rnn->forward(t, t.constant(x), lengths, {});
  const std::vector<double> out = to_vector<double>(o.outputs.value());
  const std::vector<double> last = to_vector<double>(o.last.value());
  const std::vector<double> xv = to_vector<double>(x);

  for (int dir = 0; dir < 2; ++dir) {
    // a plain gru with the weights of this direction
    ParameterStore ps(Device::cpu, DType::f64);
    Rng rng(9);
    Recurrent plain(builtin_cells().create("gru", {{"hidden", H}}, I, ps, "g", rng), {});
    const std::string unit = dir == 0 ? "n/l0/" : "n/l0_reverse/";
    for (const auto& p : ps.all()) p->value = clone(st.params.get(unit + p->name.substr(2)).value);
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = lengths[static_cast<std::size_t>(b)];
      std::vector<double> seq;  // sequence b alone, reversed for dir 1
      for (int64_t s = 0; s < len; ++s) {
        const int64_t src = dir == 0 ? s : len - 1 - s;
        for (int64_t i = 0; i < I; ++i)
          seq.push_back(xv[static_cast<std::size_t>((src * B + b) * I + i)]);
      }
      Tape t1;
      Recurrent::Output o1 = plain.forward(t1, t1.constant(from_vector(seq, {len, 1, I})), {}, {});
      const std::vector<double> y = to_vector<double>(o1.outputs.value());
      const std::vector<double> h = to_vector<double>(o1.last.value());
      for (int64_t s = 0; s < len; ++s) {
        const int64_t dst = dir == 0 ? s : len - 1 - s;
        for (int64_t j = 0; j < H; ++j)
          CHECK(out[static_cast<std::size_t>((dst * B + b) * 2 * H + dir * H + j)] ==
                doctest::Approx(y[static_cast<std::size_t>(s * H + j)]).epsilon(1e-12));
      }
      for (int64_t j = 0; j < H; ++j)  // last = [h_fwd at len-1 ; h_bwd back at t = 0]
        CHECK(last[static_cast<std::size_t>(b * 2 * H + dir * H + j)] ==
              doctest::Approx(h[static_cast<std::size_t>(j)]).epsilon(1e-12));
    }
  }
}

TEST_CASE("nstep: dropout only between layers and only in training") {
  const Tensor x = rand_tensor({4, 3, 2}, 6);
  auto run = [&](const Params& p, bool training) {
    Stack st(p, 2);
    Tape t;
    return to_vector<double>(st.rnn->forward(t, t.constant(x), {}, {training, 77}).outputs.value());
  };
  const Params two{{"hidden", int64_t{4}}, {"layers", int64_t{2}}, {"dropout", 0.5}};
  const Params two_nodrop{{"hidden", int64_t{4}}, {"layers", int64_t{2}}};
  CHECK(max_abs(run(two, false), run(two_nodrop, false)) == 0.0);  // evaluation: identity
  CHECK(max_abs(run(two, true), run(two_nodrop, true)) > 1e-3);    // training: masks
  CHECK(max_abs(run(two, true), run(two, true)) == 0.0);           // seeded
  const Params one{{"hidden", int64_t{4}}, {"dropout", 0.5}};
  CHECK(max_abs(run(one, true), run({{"hidden", int64_t{4}}}, true)) == 0.0);  // no layer above
}

TEST_CASE("nstep: each layer and direction is one fused node where the cell has a kernel") {
  const Tensor x = rand_tensor({20, 2, 3}, 8);
  auto tape_size = [&](bool fused) {
    Stack st(
        {{"hidden", int64_t{4}}, {"layers", int64_t{2}}, {"bidirectional", true}, {"fused", fused}},
        3);
    Tape t;
    st.rnn->forward(t, t.constant(x), {20, 13}, {});
    return t.size();
  };
  const std::size_t fused = tape_size(true), composed = tape_size(false);
  CHECK(fused < 100);  // 4 units: params, projection, one fused node, reversals
  CHECK(composed > 10 * fused);
}

TEST_SUITE_END();
