// Tape semantics: staleness, pruning, accumulation, no recursion on deep graphs.
#include <doctest/doctest.h>

#include "rnnlab/gradcheck.h"
#include "rnnlab/ops.h"
#include "rnnlab/parameter.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::rand_tensor;

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("a Var used after Tape::reset() throws instead of reading another node") {
  Tape t;
  Var a = t.constant(rand_tensor({2, 2}, 1));
  t.reset();
  t.constant(rand_tensor({2, 2}, 2));
  CHECK_THROWS_WITH_AS(a.value(), doctest::Contains("stale"), Error);
  Tape other;
  Var b = other.constant(rand_tensor({2, 2}, 3));
  Var c = t.constant(rand_tensor({2, 2}, 4));
  CHECK_THROWS_AS(add(c, b), Error);
}

TEST_CASE("needs-grad pruning: constants get no gradient, leaves and parameters do") {
  Tape t;
  Var x = t.leaf(rand_tensor({2, 3}, 1));
  Var c = t.constant(rand_tensor({2, 3}, 2));
  Var cc = tanh(c);  // depends on constants only: recorded without backward
  CHECK_FALSE(cc.requires_grad());
  Var loss = sum(mul(x, cc));
  t.backward(loss);
  CHECK(t.grad(x).defined());
  CHECK_FALSE(t.grad(c).defined());
  CHECK_FALSE(t.grad(cc).defined());
  // d/dx Σ x ⊙ tanh(c) = tanh(c)
  auto g = to_vector<double>(t.grad(x));
  auto e = to_vector<double>(cc.value());
  for (std::size_t i = 0; i < g.size(); ++i) CHECK(g[i] == doctest::Approx(e[i]));
}

TEST_CASE("a parameter used many times is one node and its gradient accumulates") {
  ParameterStore ps(Device::cpu, DType::f64);
  Parameter& w = ps.create("w", {1});
  w.value = from_vector(std::vector<double>{3.0}, {1});
  Tape t;
  Var a = t.param(w);
  Var b = t.param(w);
  CHECK(a.index() == b.index());
  t.backward(sum(mul(a, b)));  // d(w²)/dw = 2w = 6
  CHECK(to_vector<double>(w.grad)[0] == doctest::Approx(6.0));
  t.reset();
  Var c = t.param(w);  // a new generation re-adds it
  t.backward(sum(c));
  CHECK(to_vector<double>(w.grad)[0] == doctest::Approx(7.0));  // accumulates until zero_grad
  ps.zero_grad();
  CHECK(to_vector<double>(w.grad)[0] == 0.0);
}

TEST_CASE("backward over a 100000-node chain does not recurse (no stack overflow)") {
  // h_{t} = tanh(0.5 h_{t-1} + x_t), T = 20000 steps, 5 nodes per step.
  Tape t;
  Var x = t.leaf(rand_tensor({1, 4}, 7));
  Var h = t.constant(zeros({1, 4}, DType::f64));
  for (int s = 0; s < 20000; ++s) h = tanh(add(scale(h, 0.5), x));
  CHECK(t.size() > 60000);
  t.backward(sum(h));
  // fixed point h* = tanh(0.5 h* + x): dh*/dx = (1-h*²) / (1 - 0.5 (1-h*²))
  auto hv = to_vector<double>(h.value());
  auto g = to_vector<double>(t.grad(x));
  for (std::size_t i = 0; i < hv.size(); ++i) {
    double d = 1 - hv[i] * hv[i];
    CHECK(g[i] == doctest::Approx(d / (1 - 0.5 * d)).epsilon(1e-9));
  }
}

TEST_CASE("backward needs a scalar") {
  Tape t;
  Var x = t.leaf(rand_tensor({2, 2}, 1));
  CHECK_THROWS_WITH_AS(t.backward(x), doctest::Contains("scalar"), Error);
}

TEST_CASE("gradcheck itself catches a wrong backward" * doctest::test_suite("gradcheck")) {
  // y = 3x recorded with a backward that claims dy/dx = 2.
  auto wrong = [](Tape& t, const std::vector<Var>& v) {
    Tensor y = clone(v[0].value());
    t.backend().axpby(3.0, v[0].value(), 0.0, y);
    Var out = t.record(y, {v[0]}, [](BackwardContext& ctx) {
      ctx.backend().axpby(2.0, ctx.grad_out(), 1.0, ctx.grad_in(0));
    });
    return sum(out);
  };
  GradCheckResult r = gradcheck(wrong, {rand_tensor({2, 2}, 1)});
  CHECK_FALSE(r.passed);
  CHECK(r.max_error > 0.1);
}

TEST_SUITE_END();
