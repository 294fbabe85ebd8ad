// Built-in cells (loaded from their .so plugins): whole-sequence gradient checks in float64 over
// variable-length batches, fused kernel == composed ops, masking, stateful carry and truncation.
#include <doctest/doctest.h>

#include <cmath>

#include "rnnlab/gradcheck.h"
#include "rnnlab/recurrent.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::rand_tensor;

namespace {

struct CellCase {
  const char* label;
  const char* cell;
  std::map<std::string, ParamValue> params;
};

const std::vector<CellCase>& cases() {
  static const std::vector<CellCase> c{
      {"elman tanh", "elman", {{"hidden", int64_t{4}}}},
      {"elman relu", "elman", {{"hidden", int64_t{4}}, {"activation", std::string("relu")}}},
      {"lstm", "lstm", {{"hidden", int64_t{4}}}},
      {"gru", "gru", {{"hidden", int64_t{4}}}},
  };
  return c;
}

constexpr int64_t kT = 5, kB = 3, kI = 3;
const std::vector<int32_t> kLengths{5, 3, 1};

struct Net {
  ParameterStore params{Device::cpu, DType::f64};
  std::unique_ptr<Recurrent> rnn;
};

std::unique_ptr<Net> make(const CellCase& c, bool fused, bool stateful = false,
                          uint64_t seed = 1) {
  auto n = std::make_unique<Net>();
  Rng rng(seed);
  auto cell = builtin_cells().create(c.cell, c.params, kI, n->params, "m/layer0/" + std::string(c.cell), rng);
  n->rnn = std::make_unique<Recurrent>(std::move(cell), Recurrent::Options{stateful, fused});
  // random biases too (the initializers leave most at zero)
  for (auto& p : n->params.all())
    p->value = rand_tensor(p->value.shape(), mix64(seed ^ std::hash<std::string>{}(p->name)), -0.6, 0.6);
  return n;
}

// L = Σ outputs ⊙ R1 + Σ_k state_k ⊙ R2_k
Var sequence_loss(Tape& t, Recurrent::Output& o) {
  Var l = sum(mul(o.outputs, t.constant(rand_tensor(o.outputs.shape(), 101))));
  for (std::size_t k = 0; k < o.final_state.size(); ++k)
    l = add(l, sum(mul(o.final_state[k], t.constant(rand_tensor(o.final_state[k].shape(), 200 + k)))));
  return l;
}

double max_abs_diff(const Tensor& a, const Tensor& b) {
  auto x = to_vector<double>(a), y = to_vector<double>(b);
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (std::size_t i = 0; i < x.size(); ++i) m = std::max(m, std::fabs(x[i] - y[i]));
  return m;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("cells: whole-sequence gradient check over a variable-length batch (composed and fused)"
          * doctest::test_suite("gradcheck")) {
  for (const CellCase& c : cases())
    for (bool fused : {false, true}) {
      auto net = make(c, fused);
      LossFn f = [&](Tape& t, const std::vector<Var>& in) {
        auto o = net->rnn->forward(t, in[0], kLengths, CellContext{});
        return sequence_loss(t, o);
      };
      GradCheckOptions opts;
      opts.max_per_tensor = 1000;  // every element
      GradCheckResult r = gradcheck(f, {rand_tensor({kT, kB, kI}, 7)}, &net->params, opts);
      const std::string label = std::string(c.label) + (fused ? " fused" : " composed");
      INFO(label << ": max error " << r.max_error << " at "
                   << r.worst << " over " << r.checked << " elements");
      CHECK(r.checked > 50);
      CHECK(r.passed);
    }
}

TEST_CASE("cells: the fused kernel equals the composed ops (values and every gradient)"
          * doctest::test_suite("parity")) {
  for (const CellCase& c : cases()) {
    Tensor x = rand_tensor({kT, kB, kI}, 9);
    auto a = make(c, false), b = make(c, true);
    REQUIRE(a->rnn->cell().has_fused(Device::cpu));
    Tape ta, tb;
    Var xa = ta.leaf(x), xb = tb.leaf(x);
    auto oa = a->rnn->forward(ta, xa, kLengths, {});
    auto ob = b->rnn->forward(tb, xb, kLengths, {});
    CHECK(tb.size() < ta.size());  // the fused path really is one node for the loop
    ta.backward(sequence_loss(ta, oa));
    tb.backward(sequence_loss(tb, ob));
    const std::string label = c.label;
    INFO(label);
    CHECK(max_abs_diff(oa.outputs.value(), ob.outputs.value()) < 1e-12);
    for (std::size_t k = 0; k < oa.final_state.size(); ++k)
      CHECK(max_abs_diff(oa.final_state[k].value(), ob.final_state[k].value()) < 1e-12);
    CHECK(max_abs_diff(ta.grad(xa), tb.grad(xb)) < 1e-12);
    for (std::size_t p = 0; p < a->params.size(); ++p) {
      INFO(a->params.all()[p]->name);
      CHECK(max_abs_diff(a->params.all()[p]->grad, b->params.all()[p]->grad) < 1e-12);
    }
  }
}

TEST_CASE("cells: padded steps change nothing and the final state is each sequence's own last step") {
  for (const CellCase& c : cases())
    for (bool fused : {false, true}) {
      const std::string label = std::string(c.label) + (fused ? " fused" : " composed");
      INFO(label);
      auto net = make(c, fused);
      Tensor x = rand_tensor({kT, kB, kI}, 11);
      Tape t;
      auto o = net->rnn->forward(t, t.constant(x), kLengths, {});
      auto out = to_vector<double>(o.outputs.value());
      const int64_t h = net->rnn->cell().hidden_size();
      for (int64_t b = 0; b < kB; ++b) {
        // the same sequence alone, cut to its length
        int64_t len = kLengths[b];
        Tape t1;
        Var xb = reshape(slice(slice(t1.constant(x), 0, 0, len), 1, b, 1), {len, 1, kI});
        auto o1 = net->rnn->forward(t1, xb, {}, {});
        auto last1 = to_vector<double>(o1.last.value());
        auto last = to_vector<double>(o.last.value());
        for (int64_t j = 0; j < h; ++j) CHECK(last[b * h + j] == doctest::Approx(last1[j]).epsilon(1e-12));
        for (int64_t s = len; s < kT; ++s)
          for (int64_t j = 0; j < h; ++j) CHECK(out[(s * kB + b) * h + j] == 0.0);
      }
      // padding content is irrelevant
      auto xv = to_vector<double>(x);
      for (int64_t s = 0; s < kT; ++s)
        for (int64_t b = 0; b < kB; ++b)
          if (s >= kLengths[b])
            for (int64_t i = 0; i < kI; ++i) xv[(s * kB + b) * kI + i] = 1e3;
      Tape t2;
      auto o2 = net->rnn->forward(t2, t2.constant(from_vector(xv, {kT, kB, kI})), kLengths, {});
      CHECK(max_abs_diff(o2.outputs.value(), o.outputs.value()) == 0.0);
    }
}

TEST_CASE("cells: stateful carry continues the sequence, is detached, resets on demand") {
  for (const CellCase& c : cases())
    for (bool fused : {false, true}) {
      const std::string label = std::string(c.label) + (fused ? " fused" : " composed");
      INFO(label);
      Tensor x = rand_tensor({6, kB, kI}, 13);
      auto whole = make(c, fused, false);
      Tape tw;
      auto ow = whole->rnn->forward(tw, tw.constant(x), {}, {});

      auto st = make(c, fused, true);
      Tape t;
      Var x1 = t.leaf(slice(t.constant(x), 0, 0, 3).value());
      Var x2 = t.leaf(slice(t.constant(x), 0, 3, 3).value());
      st->rnn->forward(t, x1, {}, {});
      CHECK(st->rnn->has_carry());
      auto o2 = st->rnn->forward(t, x2, {}, {});
      // second half of the stateful run == second half of the whole sequence
      Tape tc;
      CHECK(max_abs_diff(o2.outputs.value(), slice(tc.constant(ow.outputs.value()), 0, 3, 3).value()) < 1e-12);
      // truncated BPTT: the loss of batch 2 sends no gradient into batch 1
      t.backward(sum(o2.outputs));
      CHECK(t.grad(x2).defined());
      CHECK_FALSE(t.grad(x1).defined());
      // reset: back to the cell's initial state
      st->rnn->reset_state();
      Tape t3;
      auto o3 = st->rnn->forward(t3, t3.constant(slice(tc.constant(x), 0, 0, 3).value()), {}, {});
      CHECK(max_abs_diff(o3.outputs.value(), slice(tc.constant(ow.outputs.value()), 0, 0, 3).value()) < 1e-12);
    }
}

TEST_CASE("cells: a 1000-step sequence trains through the composed unroll without stack overflow") {
  const CellCase& c = cases()[2];  // lstm
  auto net = make(c, false);
  Tape t;
  auto o = net->rnn->forward(t, t.leaf(rand_tensor({1000, 2, kI}, 17)), {}, {});
  CHECK(t.size() > 10000);
  t.backward(mean(o.last));
  for (auto& p : net->params.all()) CHECK(backend_for(Device::cpu).all_finite(p->grad));
}

TEST_CASE("cells: schema errors name the cell, the parameter and what was expected") {
  ParameterStore ps(Device::cpu, DType::f32);
  Rng rng(1);
  CHECK_THROWS_WITH_AS(builtin_cells().create("lstm", {{"hiden", int64_t{3}}}, 2, ps, "x", rng),
                       doctest::Contains("did you mean 'hidden'"), InputError);
  CHECK_THROWS_WITH_AS(builtin_cells().create("lstm", {{"hidden", int64_t{0}}}, 2, ps, "x", rng),
                       doctest::Contains("hidden"), InputError);
  CHECK_THROWS_WITH_AS(builtin_cells().create("lstn", {}, 2, ps, "x", rng),
                       doctest::Contains("lstm"), InputError);
  CHECK_THROWS_WITH_AS(
      builtin_cells().create("elman", {{"activation", std::string("sigmoid")}}, 2, ps, "x", rng),
      doctest::Contains("tanh"), InputError);
}

TEST_SUITE_END();
