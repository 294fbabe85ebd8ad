// QRNN and RWA cells (plugins/qrnn, plugins/rwa) and the ops they added (maximum, div):
// float64 whole-sequence gradient checks (composed and fused, variable lengths, every
// parameter and the inputs), fused == composed, every pooling mode and window, the causal
// convolution against a hand computation, stateful carry of the convolution window, zoneout,
// RWA on T = 1000 with large attention logits, and the trainable initial state h_0 = tanh(s).
#include <doctest/doctest.h>

#include <cmath>

#include "rnnlab/gradcheck.h"
#include "rnnlab/recurrent.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::rand_tensor;

namespace {

using Params = std::map<std::string, ParamValue>;
constexpr int64_t kT = 5, kB = 3, kI = 3, kH = 4;
const std::vector<int32_t> kLengths{5, 3, 1};

Params qrnn_params(const std::string& pooling, int64_t window, double zoneout = 0.0) {
  return {{"hidden", kH}, {"pooling", pooling}, {"window", window}, {"zoneout", zoneout}};
}

struct Net {
  explicit Net(DType dt) : params(Device::cpu, dt) {}
  ParameterStore params;
  std::unique_ptr<Recurrent> rnn;
};

// A layer with every parameter randomised in [-spread, spread] (biases included).
std::unique_ptr<Net> make(const std::string& cell, const Params& p, bool fused,
                          bool stateful = false, DType dt = DType::f64, double spread = 0.6) {
  auto n = std::make_unique<Net>(dt);
  Rng rng(1);
  auto c = builtin_cells().create(cell, p, kI, n->params, "m/layer0/" + cell, rng);
  n->rnn = std::make_unique<Recurrent>(std::move(c), Recurrent::Options{stateful, fused});
  for (auto& q : n->params.all())
    q->value = rand_tensor(q->value.shape(), mix64(std::hash<std::string>{}(q->name)), -spread,
                           spread, dt);
  return n;
}

// L = Σ outputs ⊙ R1 + Σ_k state_k ⊙ R2_k
Var sequence_loss(Tape& t, Recurrent::Output& o) {
  Var l = sum(mul(o.outputs, t.constant(rand_tensor(o.outputs.shape(), 101))));
  for (std::size_t k = 0; k < o.final_state.size(); ++k)
    l = add(l,
            sum(mul(o.final_state[k], t.constant(rand_tensor(o.final_state[k].shape(), 200 + k)))));
  return l;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto x = to_vector<double>(to_dtype(a, DType::f64)),
       y = to_vector<double>(to_dtype(b, DType::f64));
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

Tensor rows(const Tensor& x, int64_t start, int64_t len) {
  Tape t;
  return slice(t.constant(x), 0, start, len).value();
}

void check_gradients(const std::string& label, const std::string& cell, const Params& p, bool fused,
                     const CellContext& ctx = {}) {
  auto net = make(cell, p, fused);
  LossFn f = [&](Tape& t, const std::vector<Var>& in) {
    auto o = net->rnn->forward(t, in[0], kLengths, ctx);
    return sequence_loss(t, o);
  };
  GradCheckOptions opts;
  opts.max_per_tensor = 1000;  // every element
  GradCheckResult r = gradcheck(f, {rand_tensor({kT, kB, kI}, 7)}, &net->params, opts);
  INFO(label << (fused ? " fused" : " composed") << ": max error " << r.max_error << " at "
             << r.worst << " over " << r.checked << " elements");
  CHECK(r.checked > 50);
  CHECK(r.passed);
}

void check_fused_equals_composed(const std::string& label, const std::string& cell,
                                 const Params& p) {
  INFO(label);
  Tensor x = rand_tensor({kT, kB, kI}, 9);
  auto a = make(cell, p, false), b = make(cell, p, true);
  REQUIRE(b->rnn->cell().has_fused(Device::cpu));
  Tape ta, tb;
  Var xa = ta.leaf(x), xb = tb.leaf(x);
  auto oa = a->rnn->forward(ta, xa, kLengths, {});
  auto ob = b->rnn->forward(tb, xb, kLengths, {});
  CHECK(tb.size() < ta.size());
  ta.backward(sequence_loss(ta, oa));
  tb.backward(sequence_loss(tb, ob));
  CHECK(max_abs_diff(oa.outputs.value(), ob.outputs.value()) < 1e-12);
  for (std::size_t k = 0; k < oa.final_state.size(); ++k)
    CHECK(max_abs_diff(oa.final_state[k].value(), ob.final_state[k].value()) < 1e-12);
  CHECK(max_abs_diff(ta.grad(xa), tb.grad(xb)) < 1e-12);
  for (std::size_t k = 0; k < a->params.size(); ++k) {
    INFO(a->params.all()[k]->name);
    CHECK(max_abs_diff(a->params.all()[k]->grad, b->params.all()[k]->grad) < 1e-12);
  }
}

double sigmoid_d(double v) { return 1.0 / (1.0 + std::exp(-v)); }

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

// ------------------------------------------------------------------ ops added for RWA

TEST_CASE("qrnn_rwa ops: maximum and div are gradient-checked, also with a broadcast operand"
          * doctest::test_suite("gradcheck")) {
  auto weighted = [](const Var& y) {
    return sum(mul(y, y.tape().constant(rand_tensor(y.shape(), 99))));
  };
  // distinct values: no ties within ±eps
  for (const Shape& bs : {Shape{3, 4}, Shape{4}}) {
    GradCheckResult r =
        gradcheck([&](Tape&, const std::vector<Var>& v) { return weighted(maximum(v[0], v[1])); },
                  {rand_tensor({3, 4}, 1), rand_tensor(bs, 2)});
    INFO("maximum " << shape_str(bs) << ": " << r.worst);
    CHECK(r.passed);
    GradCheckResult q =
        gradcheck([&](Tape&, const std::vector<Var>& v) { return weighted(div(v[0], v[1])); },
                  {rand_tensor({3, 4}, 3), rand_tensor(bs, 4, 0.5, 2.0)});
    INFO("div " << shape_str(bs) << ": " << q.worst);
    CHECK(q.passed);
  }
}

TEST_CASE("qrnn_rwa ops: maximum sends the gradient to the larger input, ties to the first") {
  Tape t;
  Var a = t.leaf(from_vector(std::vector<double>{1, 5, 3}, {3}));
  Var b = t.leaf(from_vector(std::vector<double>{2, 4, 3}, {3}));
  Var m = maximum(a, b);
  CHECK(to_vector<double>(m.value()) == std::vector<double>{2, 5, 3});
  t.backward(sum(m));
  CHECK(to_vector<double>(t.grad(a)) == std::vector<double>{0, 1, 1});
  CHECK(to_vector<double>(t.grad(b)) == std::vector<double>{1, 0, 0});
}

// ------------------------------------------------------------------ QRNN

TEST_CASE("qrnn: whole-sequence gradient check, every pooling and window (composed and fused)"
          * doctest::test_suite("gradcheck")) {
  for (const char* pooling : {"f", "fo", "ifo"})
    for (int64_t k : {1, 2, 3})
      for (bool fused : {false, true})
        check_gradients(std::string("qrnn ") + pooling + " k=" + std::to_string(k), "qrnn",
                        qrnn_params(pooling, k), fused);
}

TEST_CASE("qrnn: the fused pooling equals the composed step (values and every gradient)"
          * doctest::test_suite("parity")) {
  for (const char* pooling : {"f", "fo", "ifo"})
    for (int64_t k : {1, 3})
      check_fused_equals_composed(std::string("qrnn ") + pooling + " k=" + std::to_string(k),
                                  "qrnn", qrnn_params(pooling, k));
}

TEST_CASE("qrnn: the gates are a causal convolution over x_t .. x_{t-k+1} (zero before t=0)") {
  for (int64_t k : {1, 2, 3}) {
    INFO("window " << k);
    auto net = make("qrnn", qrnn_params("fo", k), false);
    const int64_t g = 3 * kH;
    auto w = to_vector<double>(net->params.all()[0]->value);  // [kI, 3H]
    auto bias = to_vector<double>(net->params.all()[1]->value);
    Tensor x = rand_tensor({kT, kB, kI}, 21);
    auto xv = to_vector<double>(x);
    Tape t;
    Var p = net->rnn->cell().project_inputs(t, t.constant(x), {});
    auto pv = to_vector<double>(p.value());
    REQUIRE(pv.size() == static_cast<std::size_t>(kT * kB * g));
    for (int64_t s = 0; s < kT; ++s)
      for (int64_t b = 0; b < kB; ++b)
        for (int64_t c = 0; c < g; ++c) {
          double y = bias[c];
          for (int64_t j = 0; j < k && j <= s; ++j)
            for (int64_t i = 0; i < kI; ++i)
              y += xv[((s - j) * kB + b) * kI + i] * w[(j * kI + i) * g + c];
          double want = c < kH ? std::tanh(y) : sigmoid_d(y);
          CHECK(pv[(s * kB + b) * g + c] == doctest::Approx(want).epsilon(1e-12));
        }
  }
}

TEST_CASE("qrnn: pooling f keeps only h while fo/ifo keep (h, c) with h = o ⊙ c") {
  auto f = make("qrnn", qrnn_params("f", 2), false);
  CHECK(f->rnn->cell().state_specs().size() == 1);
  for (const char* pooling : {"fo", "ifo"}) {
    auto net = make("qrnn", qrnn_params(pooling, 2), true);
    REQUIRE(net->rnn->cell().state_specs().size() == 2);
    Tape t;
    Tensor x = rand_tensor({kT, kB, kI}, 3);
    Var p = net->rnn->cell().project_inputs(t, t.constant(x), {});
    auto o = net->rnn->forward(t, t.constant(x), {}, {});
    Var o_last = slice(select(p, kT - 1), 1, 2 * kH, kH);
    CHECK(max_abs_diff(o.final_state[0].value(), mul(o_last, o.final_state[1]).value()) < 1e-14);
  }
}

TEST_CASE("qrnn: stateful mode carries the convolution window (chunks == one whole sequence)") {
  for (const char* pooling : {"f", "ifo"})
    for (int64_t k : {1, 2, 3})
      for (bool fused : {false, true})
        for (int64_t chunk : {1, 3}) {
          INFO(pooling << " k=" << k << (fused ? " fused" : " composed") << " chunk " << chunk);
          Tensor x = rand_tensor({6, kB, kI}, 13);
          auto whole = make("qrnn", qrnn_params(pooling, k), fused);
          Tape tw;
          auto ow = whole->rnn->forward(tw, tw.constant(x), {}, {});
          auto st = make("qrnn", qrnn_params(pooling, k), fused, true);
          for (int64_t s = 0; s < 6; s += chunk) {
            Tape t;
            Var xs = t.leaf(rows(x, s, chunk));
            auto o = st->rnn->forward(t, xs, {}, {});
            CHECK(max_abs_diff(o.outputs.value(), rows(ow.outputs.value(), s, chunk)) < 1e-12);
            t.backward(sum(o.outputs));  // the carry is detached: backward stays in this batch
            CHECK(t.grad(xs).defined());
          }
          // reset: the window (and the state) start from zeros again
          st->rnn->reset_state();
          Tape t;
          auto o = st->rnn->forward(t, t.constant(rows(x, 0, 3)), {}, {});
          CHECK(max_abs_diff(o.outputs.value(), rows(ow.outputs.value(), 0, 3)) < 1e-12);
        }
}

TEST_CASE("qrnn: zoneout drops forget gates in training only and evaluation is unchanged") {
  const double p = 0.5;
  auto plain = make("qrnn", qrnn_params("fo", 2, 0.0), true);
  auto zoned = make("qrnn", qrnn_params("fo", 2, p), true);
  Tensor x = rand_tensor({kT, kB, kI}, 31);
  CellContext train{true, 77, false}, eval{false, 77, false};
  Tape t;
  auto pe = to_vector<double>(plain->rnn->cell().project_inputs(t, t.constant(x), eval).value());
  auto ze = to_vector<double>(zoned->rnn->cell().project_inputs(t, t.constant(x), eval).value());
  CHECK(pe == ze);  // evaluation: f unchanged (E[1 - dropout(1 - f)] = f)
  auto zt = to_vector<double>(zoned->rnn->cell().project_inputs(t, t.constant(x), train).value());
  auto zt2 = to_vector<double>(zoned->rnn->cell().project_inputs(t, t.constant(x), train).value());
  CHECK(zt == zt2);  // seeded: reproducible
  int64_t dropped = 0, kept = 0;
  for (int64_t r = 0; r < kT * kB; ++r)
    for (int64_t j = 0; j < 3 * kH; ++j) {
      const std::size_t i = static_cast<std::size_t>(r * 3 * kH + j);
      if (j < kH || j >= 2 * kH) {
        CHECK(zt[i] == pe[i]);  // z and o untouched
      } else if (zt[i] == 1.0) {
        ++dropped;  // f = 1: the unit keeps its previous state
      } else {
        ++kept;
        CHECK(zt[i] == doctest::Approx(1.0 - (1.0 - pe[i]) / (1.0 - p)).epsilon(1e-12));
      }
    }
  CHECK(dropped > 10);
  CHECK(kept > 10);
  CellContext other{true, 78, false};
  auto zo = to_vector<double>(zoned->rnn->cell().project_inputs(t, t.constant(x), other).value());
  CHECK(zo != zt);
  // with a fixed seed the training path is a smooth function: gradients check
  check_gradients("qrnn fo zoneout", "qrnn", qrnn_params("fo", 2, 0.3), true, train);
}

TEST_CASE("qrnn: schema (defaults, ranges, choices)") {
  const CellType& t = builtin_cells().get("qrnn");
  std::map<std::string, std::string> defaults;
  for (const ParamSpec& s : t.schema) defaults[s.name] = param_value_str(s.default_value);
  CHECK(defaults.size() == 4);
  CHECK(defaults.count("hidden") == 1);
  CHECK(defaults["window"] == "2");
  ParameterStore ps(Device::cpu, DType::f32);
  Rng rng(1);
  CHECK_THROWS_AS(builtin_cells().create("qrnn", {{"window", int64_t{0}}}, 2, ps, "x", rng),
                  InputError);
  CHECK_THROWS_WITH_AS(
      builtin_cells().create("qrnn", {{"pooling", std::string("io")}}, 2, ps, "x", rng),
      doctest::Contains("ifo"), InputError);
  CHECK_THROWS_AS(builtin_cells().create("qrnn", {{"zoneout", 1.0}}, 2, ps, "x", rng), InputError);
}

// ------------------------------------------------------------------ RWA

TEST_CASE("rwa: whole-sequence gradient check over a variable-length batch (composed and fused)"
          * doctest::test_suite("gradcheck")) {
  for (bool fused : {false, true}) check_gradients("rwa", "rwa", {{"hidden", kH}}, fused);
}

TEST_CASE("rwa: the fused kernel equals the composed ops (values and every gradient)"
          * doctest::test_suite("parity")) {
  check_fused_equals_composed("rwa", "rwa", {{"hidden", kH}});
}

TEST_CASE("rwa: h_0 = tanh(s) and s gets a gradient") {
  for (bool fused : {false, true}) {
    auto net = make("rwa", {{"hidden", kH}}, fused);
    Parameter& s = net->params.get("m/layer0/rwa/s");
    Tape t;
    auto st = net->rnn->cell().initial_state(t, kB, DType::f64);
    auto h0 = to_vector<double>(st[0].value());
    auto sv = to_vector<double>(s.value);
    for (int64_t b = 0; b < kB; ++b)
      for (int64_t j = 0; j < kH; ++j) CHECK(h0[b * kH + j] == doctest::Approx(std::tanh(sv[j])));
    Tape t2;
    net->params.zero_grad();
    auto o = net->rnn->forward(t2, t2.constant(rand_tensor({1, kB, kI}, 5)), {}, {});
    t2.backward(sum(o.outputs));
    REQUIRE(s.grad.defined());
    double norm = 0;
    for (double g : to_vector<double>(s.grad)) norm += std::fabs(g);
    CHECK(norm > 1e-6);
  }
}

TEST_CASE("rwa: T = 1000 with attention logits of ±50 and of -120 stays finite (float32)") {
  // a_t = [x_t; h_{t-1}] W_a: scaling W_a makes |a| ~ 50; shifting every logit far below zero
  // (-120: e^a underflows float) is what breaks a naive m_0 = 0 or an unscaled average.
  for (double shift : {0.0, -120.0})
    for (bool fused : {false, true}) {
      INFO("shift " << shift << (fused ? " fused" : " composed"));
      auto net = make("rwa", {{"hidden", int64_t{8}}}, fused, false, DType::f32);
      Parameter& w_a = net->params.get("m/layer0/rwa/W_a");
      w_a.value = rand_tensor(w_a.value.shape(), 3, -25.0, 25.0, DType::f32);
      Tape t;
      Tensor x = rand_tensor({1000, 2, kI}, 17, shift == 0.0 ? -1.0 : 0.9, 1.0, DType::f32);
      if (shift != 0.0) {
        // W_a rows for x: all ≈ shift/kI so a ≈ shift for x ≈ 1 (plus a small h part).
        w_a.value = rand_tensor(w_a.value.shape(), 3, -0.5, 0.5, DType::f32);
        auto wv = to_vector<float>(w_a.value);
        for (std::size_t i = 0; i < static_cast<std::size_t>(kI * 8); ++i)
          wv[i] = static_cast<float>(shift / kI);
        w_a.value = from_vector(wv, w_a.value.shape());
      }
      Var xv = t.leaf(x);
      auto o = net->rnn->forward(t, xv, {}, {});
      Backend& be = backend_for(Device::cpu);
      CHECK(be.all_finite(o.outputs.value()));
      for (const Var& s : o.final_state) CHECK(be.all_finite(s.value()));
      net->params.zero_grad();
      t.backward(mean(o.outputs));
      CHECK(be.all_finite(t.grad(xv)));
      for (auto& p : net->params.all()) {
        INFO(p->name);
        CHECK(be.all_finite(p->grad));
      }
      // the running max really reached the logits' scale
      auto m = to_vector<float>(o.final_state[3].value());
      double mx = -1e30;
      for (float v : m) mx = std::max(mx, static_cast<double>(v));
      CHECK(std::fabs(mx) > 10.0);
    }
}

TEST_CASE("qrnn_rwa: default parameters work with input 3, hidden 4 (f32, fused and composed)") {
  for (const char* cell : {"qrnn", "rwa"})
    for (bool fused : {false, true}) {
      INFO(cell << (fused ? " fused" : " composed"));
      ParameterStore ps(Device::cpu, DType::f32);
      Rng rng(2);
      auto c =
          builtin_cells().create(cell, {{"hidden", kH}}, kI, ps, "m/" + std::string(cell), rng);
      Recurrent rnn(std::move(c), {false, fused});
      Tape t;
      auto o =
          rnn.forward(t, t.constant(rand_tensor({kT, kB, kI}, 1, -1, 1, DType::f32)), kLengths, {});
      CHECK(o.outputs.shape() == Shape{kT, kB, kH});
      CHECK(o.last.shape() == Shape{kB, kH});
      t.backward(mean(o.outputs));
      for (auto& p : ps.all()) CHECK(backend_for(Device::cpu).all_finite(p->grad));
    }
}

TEST_SUITE_END();
