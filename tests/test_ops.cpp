// Every autodiff op, gradient-checked in float64 by central differences.
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "rnnlab/gradcheck.h"
#include "rnnlab/op_table.h"
#include "rnnlab/ops.h"
#include "rnnlab/ops_norm.h"
#include "gradcheck_util.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::check_gradient;
using rnnlab::test::rand_tensor;

namespace {

// L = Σ op(inputs) ⊙ R with a fixed random R, so no gradient cancels by symmetry.
Var weighted(const Var& y, uint64_t seed = 99) {
  Var r = y.tape().constant(rand_tensor(y.shape(), seed));
  return sum(mul(y, r));
}

}  // namespace

TEST_SUITE_BEGIN("gradcheck");  // ctest label (tests/README.md: labels)

TEST_CASE("gradcheck: matmul in all four transpose modes and with a [T,B,K] left operand") {
  for (int ta = 0; ta < 2; ++ta)
    for (int tb = 0; tb < 2; ++tb) {
      Shape a = ta ? Shape{4, 3} : Shape{3, 4};
      Shape b = tb ? Shape{5, 4} : Shape{4, 5};
      check_gradient("matmul", [&](Tape&, const std::vector<Var>& v) {
        return weighted(matmul(v[0], v[1], ta, tb));
      }, {rand_tensor(a, 1), rand_tensor(b, 2)});
    }
  check_gradient("matmul 3-D", [](Tape&, const std::vector<Var>& v) { return weighted(matmul(v[0], v[1])); },
        {rand_tensor({2, 3, 4}, 3), rand_tensor({4, 5}, 4)});
}

TEST_CASE("gradcheck: linear (bias folded into the GEMM) equals matmul + add") {
  check_gradient("linear 2-D", [](Tape&, const std::vector<Var>& v) {
    return weighted(linear(v[0], v[1], v[2]));
  }, {rand_tensor({3, 4}, 70), rand_tensor({4, 5}, 71), rand_tensor({5}, 72)});
  check_gradient("linear 3-D", [](Tape&, const std::vector<Var>& v) {
    return weighted(linear(v[0], v[1], v[2]));
  }, {rand_tensor({2, 3, 4}, 73), rand_tensor({4, 5}, 74), rand_tensor({5}, 75)});
  Tape t;
  Var x = t.constant(rand_tensor({2, 3, 4}, 76)), w = t.constant(rand_tensor({4, 5}, 77)),
      b = t.constant(rand_tensor({5}, 78));
  auto l = to_vector<double>(linear(x, w, b).value());
  auto r = to_vector<double>(add(matmul(x, w), b).value());
  for (std::size_t i = 0; i < l.size(); ++i) CHECK(l[i] == doctest::Approx(r[i]).epsilon(1e-14));
}

TEST_CASE("gradcheck: add, sub, mul with same-shape, suffix and prefix broadcasting") {
  const std::vector<Shape> bshapes{{3, 4}, {4}, {1, 4}, {3, 1}};
  for (const Shape& bs : bshapes) {
    check_gradient("add", [](Tape&, const std::vector<Var>& v) { return weighted(add(v[0], v[1])); },
          {rand_tensor({3, 4}, 5), rand_tensor(bs, 6)});
    check_gradient("add (broadcast first)",
          [](Tape&, const std::vector<Var>& v) { return weighted(add(v[1], v[0])); },
          {rand_tensor({3, 4}, 5), rand_tensor(bs, 6)});
    check_gradient("sub", [](Tape&, const std::vector<Var>& v) { return weighted(sub(v[0], v[1])); },
          {rand_tensor({3, 4}, 7), rand_tensor(bs, 8)});
    check_gradient("mul", [](Tape&, const std::vector<Var>& v) { return weighted(mul(v[0], v[1])); },
          {rand_tensor({3, 4}, 9), rand_tensor(bs, 10)});
  }
  check_gradient("mul 3-D prefix", [](Tape&, const std::vector<Var>& v) { return weighted(mul(v[0], v[1])); },
        {rand_tensor({2, 3, 4}, 11), rand_tensor({2, 3, 1}, 12)});
  check_gradient("x*x (one input used twice)",
        [](Tape&, const std::vector<Var>& v) { return weighted(mul(v[0], v[0])); },
        {rand_tensor({3, 4}, 13)});
}

TEST_CASE("gradcheck: unary ops and scale") {
  check_gradient("sigmoid", [](Tape&, const std::vector<Var>& v) { return weighted(sigmoid(v[0])); },
        {rand_tensor({3, 5}, 20, -3, 3)});
  check_gradient("tanh", [](Tape&, const std::vector<Var>& v) { return weighted(tanh(v[0])); },
        {rand_tensor({3, 5}, 21, -3, 3)});
  // relu away from its kink at 0
  Tensor x = rand_tensor({3, 5}, 22, 0.1, 1.0);
  std::vector<double> xv = to_vector<double>(x);
  for (std::size_t i = 0; i < xv.size(); i += 2) xv[i] = -xv[i];
  check_gradient("relu", [](Tape&, const std::vector<Var>& v) { return weighted(relu(v[0])); },
        {from_vector(xv, {3, 5})});
  check_gradient("exp", [](Tape&, const std::vector<Var>& v) { return weighted(exp(v[0])); },
        {rand_tensor({3, 5}, 23, -2, 2)});
  check_gradient("log", [](Tape&, const std::vector<Var>& v) { return weighted(log(v[0])); },
        {rand_tensor({3, 5}, 24, 0.2, 3)});
  check_gradient("square", [](Tape&, const std::vector<Var>& v) { return weighted(square(v[0])); },
        {rand_tensor({3, 5}, 25)});
  check_gradient("scale", [](Tape&, const std::vector<Var>& v) { return weighted(scale(v[0], -2.5)); },
        {rand_tensor({3, 5}, 26)});
}

TEST_CASE("gradcheck: sqrt, rsqrt, abs, log_sigmoid and clamp, and their values") {
  check_gradient("sqrt", [](Tape&, const std::vector<Var>& v) { return weighted(sqrt(v[0])); },
        {rand_tensor({3, 5}, 27, 0.2, 3)});
  check_gradient("rsqrt", [](Tape&, const std::vector<Var>& v) { return weighted(rsqrt(v[0])); },
        {rand_tensor({3, 5}, 28, 0.2, 3)});
  Tensor x = rand_tensor({3, 5}, 29, 0.1, 2.0);  // away from the kinks at 0, -0.5 and 0.75
  std::vector<double> xv = to_vector<double>(x);
  for (std::size_t i = 0; i < xv.size(); i += 2) xv[i] = -xv[i];
  x = from_vector(xv, {3, 5});
  check_gradient("abs", [](Tape&, const std::vector<Var>& v) { return weighted(abs(v[0])); }, {x});
  check_gradient("clamp", [](Tape&, const std::vector<Var>& v) { return weighted(clamp(v[0], -0.5, 0.75)); },
        {x});
  check_gradient("log_sigmoid", [](Tape&, const std::vector<Var>& v) { return weighted(log_sigmoid(v[0])); },
        {rand_tensor({3, 5}, 30, -6, 6)});
  Tape t;
  const std::vector<double> in{-100.0, -2.0, -0.5, 0.0, 0.25, 3.0, 100.0};
  const Var c = t.constant(from_vector(in, {7}));
  const auto sq = to_vector<double>(sqrt(abs(c)).value());
  const auto rs = to_vector<double>(rsqrt(abs(c)).value());
  const auto ls = to_vector<double>(log_sigmoid(c).value());
  const auto cl = to_vector<double>(clamp(c, -0.5, 0.75).value());
  const auto empty_range = to_vector<double>(clamp(c, 1.0, -1.0).value());
  for (std::size_t i = 0; i < in.size(); ++i) {
    CHECK(sq[i] == doctest::Approx(std::sqrt(std::fabs(in[i]))).epsilon(1e-15));
    if (in[i] != 0.0) CHECK(rs[i] == doctest::Approx(1.0 / std::sqrt(std::fabs(in[i]))).epsilon(1e-15));
    CHECK(ls[i] == doctest::Approx(-std::log1p(std::exp(-in[i]))).epsilon(1e-14));  // finite at ±100
    CHECK(cl[i] == std::min(std::max(in[i], -0.5), 0.75));
    CHECK(empty_range[i] == -1.0);  // lo > hi: hi, as PyTorch
  }
  CHECK(std::isinf(rs[3]));
  CHECK(std::isnan(to_vector<double>(clamp(t.constant(full({1}, DType::f64, std::nan(""))), 0, 1).value())[0]));
}

TEST_CASE("gradcheck: softplus, and its values where e^x overflows or underflows") {
  check_gradient("softplus", [](Tape&, const std::vector<Var>& v) { return weighted(softplus(v[0])); },
        {rand_tensor({3, 5}, 41, -6, 6)});
  Tape t;
  const std::vector<double> in{-800.0, -100.0, -1.5, 0.0, 2.0, 100.0, 800.0};
  const auto sp = to_vector<double>(softplus(t.constant(from_vector(in, {7}))).value());
  for (std::size_t i = 0; i < in.size(); ++i)
    CHECK(sp[i] == doctest::Approx(std::max(in[i], 0.0) + std::log1p(std::exp(-std::fabs(in[i])))).epsilon(1e-15));
  CHECK(sp[5] == 100.0);
  CHECK(sp[6] == 800.0);
  CHECK(sp[1] == doctest::Approx(std::exp(-100.0)).epsilon(1e-15));
}

TEST_CASE("gradcheck: minimum, maximum and div with same-shape, suffix and prefix ([B,1] against [B,H]) broadcasting") {
  for (const Shape& bs : {Shape{3, 4}, Shape{4}, Shape{1, 4}, Shape{3, 1}}) {
    INFO("b " << shape_str(bs));
    check_gradient("minimum", [](Tape&, const std::vector<Var>& v) { return weighted(minimum(v[0], v[1])); },
          {rand_tensor({3, 4}, 31), rand_tensor(bs, 32)});
    check_gradient("maximum", [](Tape&, const std::vector<Var>& v) { return weighted(maximum(v[0], v[1])); },
          {rand_tensor({3, 4}, 33), rand_tensor(bs, 34)});
    check_gradient("div", [](Tape&, const std::vector<Var>& v) { return weighted(div(v[0], v[1])); },
          {rand_tensor({3, 4}, 35), rand_tensor(bs, 36, 0.5, 2.0)});
  }
  // Ties go to a: the gradient of minimum(x, x) reaches x once, through a.
  Tape t;
  Var x = t.leaf(rand_tensor({2, 3}, 37));
  Var y = t.leaf(rand_tensor({2, 3}, 37));
  t.backward(sum(minimum(x, y)));
  for (double g : to_vector<double>(t.grad(x))) CHECK(g == 1.0);
  for (double g : to_vector<double>(t.grad(y))) CHECK(g == 0.0);
}

TEST_CASE("gradcheck: mask_blend passes gradient by row mask") {
  std::vector<double> m{1, 0, 1};
  check_gradient("mask_blend", [&](Tape& t, const std::vector<Var>& v) {
    Var mask = t.constant(from_vector(m, {3, 1}));
    return weighted(mask_blend(mask, v[0], v[1]));
  }, {rand_tensor({3, 4}, 30), rand_tensor({3, 4}, 31)});
}

TEST_CASE("gradcheck: reshape, slice on every axis, select, concat, stack") {
  check_gradient("reshape", [](Tape&, const std::vector<Var>& v) { return weighted(reshape(v[0], {6, -1})); },
        {rand_tensor({2, 3, 4}, 40)});
  for (int axis = 0; axis < 3; ++axis)
    check_gradient("slice", [axis](Tape&, const std::vector<Var>& v) {
      return weighted(slice(v[0], axis, 1, 2));
    }, {rand_tensor({3, 4, 5}, 41)});
  check_gradient("select", [](Tape&, const std::vector<Var>& v) { return weighted(select(v[0], 2)); },
        {rand_tensor({3, 4, 5}, 42)});
  for (int axis = 0; axis < 3; ++axis)
    check_gradient("concat", [axis](Tape&, const std::vector<Var>& v) {
      return weighted(concat({v[0], v[1], v[0]}, axis));
    }, {rand_tensor({2, 3, 4}, 43), rand_tensor({2, 3, 4}, 44)});
  check_gradient("stack", [](Tape&, const std::vector<Var>& v) { return weighted(stack({v[0], v[1], v[0]})); },
        {rand_tensor({2, 3}, 45), rand_tensor({2, 3}, 46)});
}

TEST_CASE("gradcheck: sum, mean and the losses") {
  check_gradient("sum", [](Tape&, const std::vector<Var>& v) { return sum(v[0]); }, {rand_tensor({3, 4}, 50)});
  check_gradient("mean", [](Tape&, const std::vector<Var>& v) { return scale(mean(v[0]), 3.0); },
        {rand_tensor({3, 4}, 51)});
  std::vector<int32_t> labels{2, 0, 4, 1};
  check_gradient("softmax_cross_entropy", [&](Tape& t, const std::vector<Var>& v) {
    return softmax_cross_entropy(v[0], t.constant(from_vector(labels, {4})));
  }, {rand_tensor({4, 5}, 52, -3, 3)});
  check_gradient("mse", [](Tape&, const std::vector<Var>& v) { return mse(v[0], v[1]); },
        {rand_tensor({4, 3}, 53), rand_tensor({4, 3}, 54)});
  check_gradient("bce_with_logits", [](Tape& t, const std::vector<Var>& v) {
    return bce_with_logits(v[0], t.constant(rand_tensor({4, 3}, 56, 0, 1)));
  }, {rand_tensor({4, 3}, 55, -4, 4)});
}

TEST_CASE("gradcheck: embedding with repeated ids, dropout with a fixed seed") {
  std::vector<int32_t> ids{1, 3, 1, 0, 3, 3};
  check_gradient("embedding", [&](Tape& t, const std::vector<Var>& v) {
    return weighted(embedding(v[0], t.constant(from_vector(ids, {3, 2}))));
  }, {rand_tensor({5, 4}, 60)});
  check_gradient("dropout", [](Tape&, const std::vector<Var>& v) {
    return weighted(dropout(v[0], 0.4, 1234, true));
  }, {rand_tensor({6, 7}, 61)});
}

TEST_CASE("loss values match their definitions" * doctest::test_suite("unit")) {
  Tape t;
  std::vector<double> logits{1.0, 2.0, 0.5, -1.0, 0.0, 3.0};
  Var x = t.constant(from_vector(logits, {2, 3}));
  Var y = t.constant(from_vector(std::vector<int32_t>{1, 2}, {2}));
  double l0 = -std::log(std::exp(2.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(0.5)));
  double l1 = -std::log(std::exp(3.0) / (std::exp(-1.0) + std::exp(0.0) + std::exp(3.0)));
  CHECK(item(softmax_cross_entropy(x, y).value()) == doctest::Approx((l0 + l1) / 2).epsilon(1e-12));
  Var p = t.constant(from_vector(std::vector<double>{1, 2, 3}, {3}));
  Var q = t.constant(from_vector(std::vector<double>{0, 2, 5}, {3}));
  CHECK(item(mse(p, q).value()) == doctest::Approx(5.0 / 3.0));
  Var z = t.constant(from_vector(std::vector<double>{100.0, -100.0}, {2}));
  Var tt = t.constant(from_vector(std::vector<double>{1.0, 0.0}, {2}));
  CHECK(item(bce_with_logits(z, tt).value()) == doctest::Approx(0.0));  // no overflow
}

TEST_CASE("dropout keeps the expectation and is the identity in evaluation"
          * doctest::test_suite("unit")) {
  Tape t;
  Var x = t.constant(full({1000, 100}, DType::f64, 1.0));
  double m = item(mean(dropout(x, 0.3, 7, true)).value());
  CHECK(m == doctest::Approx(1.0).epsilon(0.01));
  CHECK(dropout(x, 0.3, 7, false).index() == x.index());
  CHECK_THROWS_AS(dropout(x, 1.0, 7, true), InputError);
}

TEST_CASE("bad shapes are errors that name the shapes" * doctest::test_suite("unit")) {
  Tape t;
  Var a = t.constant(rand_tensor({3, 4}, 1));
  Var b = t.constant(rand_tensor({5, 6}, 2));
  CHECK_THROWS_WITH_AS(matmul(a, b), doctest::Contains("[3,4]"), Error);
  CHECK_THROWS_WITH_AS(add(a, b), doctest::Contains("cannot broadcast"), Error);
  CHECK_THROWS_AS(slice(a, 1, 3, 2), Error);
  CHECK_THROWS_AS(concat({a, b}, 0), Error);
}

TEST_CASE("gradcheck: one_minus and lerp (SDK conveniences) are gradient-checked and equal the written-out maths") {
  check_gradient("one_minus", [](Tape&, const std::vector<Var>& v) { return weighted(one_minus(v[0])); },
        {rand_tensor({3, 4}, 1)});
  check_gradient("lerp", [](Tape&, const std::vector<Var>& v) { return weighted(lerp(v[0], v[1], v[2])); },
        {rand_tensor({3, 4}, 2), rand_tensor({3, 4}, 3), rand_tensor({3, 4}, 4, 0.0, 1.0)});
  check_gradient("lerp, w broadcast [4]",
        [](Tape&, const std::vector<Var>& v) { return weighted(lerp(v[0], v[1], v[2])); },
        {rand_tensor({3, 4}, 5), rand_tensor({3, 4}, 6), rand_tensor({4}, 7, 0.0, 1.0)});
  Tape t;
  const Tensor a = rand_tensor({2, 3, 4}, 8), b = rand_tensor({2, 3, 4}, 9),
               w = rand_tensor({2, 3, 4}, 10, 0.0, 1.0);
  const auto va = to_vector<double>(a), vb = to_vector<double>(b), vw = to_vector<double>(w);
  const auto om = to_vector<double>(one_minus(t.constant(w)).value());
  const auto l = to_vector<double>(lerp(t.constant(a), t.constant(b), t.constant(w)).value());
  for (std::size_t i = 0; i < va.size(); ++i) {
    CHECK(om[i] == doctest::Approx(1.0 - vw[i]).epsilon(1e-15));
    CHECK(l[i] == doctest::Approx((1.0 - vw[i]) * va[i] + vw[i] * vb[i]).epsilon(1e-14));
  }
  CHECK_THROWS_AS(lerp(t.constant(a), t.constant(rand_tensor({3, 4}, 11)), t.constant(w)), Error);
}

// op_table::fold_row's order, written out: lanes j mod 8 in increasing j, then the tree
// 4, 2, 1 over the lanes that exist. Every device and the step compiler sum rows this way.
TEST_CASE("row sums: fold_row joins the terms in its documented lane order") {
  auto fold = [](int64_t n) {
    return op_table::fold_row<std::string>(
        n, [](int64_t j) { return std::to_string(j); },
        [](const std::string& a, const std::string& b) { return "(" + a + " " + b + ")"; });
  };
  CHECK(fold(1) == "0");
  CHECK(fold(3) == "((0 2) 1)");
  CHECK(fold(6) == "(((0 4) 2) ((1 5) 3))");
  CHECK(fold(11) == "((((0 8) 4) ((2 10) 6)) (((1 9) 5) (3 7)))");
  // Each term once: powers of two sum exactly.
  for (int64_t n = 1; n <= 40; ++n) {
    const double s = op_table::fold_row<double>(
        n, [](int64_t j) { return std::ldexp(1.0, static_cast<int>(j)); },
        [](double a, double b) { return a + b; });
    CHECK(s == std::ldexp(1.0, static_cast<int>(n)) - 1.0);
  }
}

// layer_norm outside a trace is one op (Backend::layer_norm); inside a traced step it is
// composed of ops for the step compiler. Both give the same values and gradients, and the
// fused op's gain and bias gradients do not depend on the thread count.
TEST_CASE("layer_norm: the fused op equals layer_norm written as ops, on 1 and 2 threads") {
  // 70 rows cross the backward's 32-row blocks; H = 37 leaves a tail after the 8 lanes.
  const Tensor x = rand_tensor({2, 35, 37}, 41, -3.0, 3.0), g = rand_tensor({37}, 42),
               b = rand_tensor({37}, 43), w = rand_tensor({2, 35, 37}, 44);
  const double eps = 1e-4;
  struct Result { std::vector<double> y, dx, dg, db; };
  auto run = [&](bool composed, DType dt) {
    Tape t;
    Var vx = t.leaf(to_dtype(x, dt)), vg = t.leaf(to_dtype(g, dt)), vb = t.leaf(to_dtype(b, dt));
    Var y;
    if (composed) {
      const Var c = sub(vx, mean_last(vx));
      const Var var = add(mean_last(square(c)), t.constant(full({1}, dt, eps)));
      y = add(mul(mul(c, rsqrt(var)), vg), vb);
    } else {
      y = layer_norm(vx, vg, vb, eps);
    }
    t.backward(sum(mul(y, t.constant(to_dtype(w, dt)))));
    return Result{to_vector<double>(y.value()), to_vector<double>(t.grad(vx)),
                  to_vector<double>(t.grad(vg)), to_vector<double>(t.grad(vb))};
  };
  auto close = [](const std::vector<double>& a, const std::vector<double>& e, double tol) {
    REQUIRE(a.size() == e.size());
    double worst = 0;
    for (std::size_t i = 0; i < a.size(); ++i)
      worst = std::max(worst, std::abs(a[i] - e[i]) / (1.0 + std::abs(e[i])));
    return worst <= tol;
  };
  const Result fused = run(false, DType::f64), ops = run(true, DType::f64);
  CHECK(close(fused.y, ops.y, 1e-14));
  CHECK(close(fused.dx, ops.dx, 1e-12));
  CHECK(close(fused.dg, ops.dg, 1e-12));
  CHECK(close(fused.db, ops.db, 1e-12));
  Backend& cpu = backend_for(Device::cpu);
  const int old = cpu.threads();
  cpu.set_threads(1);
  const Result one = run(false, DType::f32);
  cpu.set_threads(2);
  const Result two = run(false, DType::f32);
  cpu.set_threads(old);
  CHECK(one.y == two.y);
  CHECK(one.dx == two.dx);
  CHECK(one.dg == two.dg);
  CHECK(one.db == two.db);
}

TEST_CASE("gradcheck: sum_last, mean_last, max_last and layer_norm are gradient-checked and equal the written-out maths") {
  check_gradient("sum_last [T,B,H]", [](Tape&, const std::vector<Var>& v) { return weighted(sum_last(v[0])); },
        {rand_tensor({2, 3, 5}, 21)});
  check_gradient("mean_last", [](Tape&, const std::vector<Var>& v) { return weighted(mean_last(v[0])); },
        {rand_tensor({3, 5}, 22)});
  check_gradient("max_last [T,B,H]", [](Tape&, const std::vector<Var>& v) { return weighted(max_last(v[0])); },
        {rand_tensor({2, 3, 5}, 38)});
  // [B,1] broadcast back against [B,H] (a stable softmax's shift, a centring)
  check_gradient("x - max_last(x)", [](Tape&, const std::vector<Var>& v) {
    return weighted(exp(sub(v[0], max_last(v[0]))));
  }, {rand_tensor({3, 5}, 39)});
  check_gradient("x / sum_last(x)", [](Tape&, const std::vector<Var>& v) {
    return weighted(div(v[0], sum_last(v[0])));
  }, {rand_tensor({3, 5}, 40, 0.5, 2.0)});
  check_gradient("layer_norm with bias",
        [](Tape&, const std::vector<Var>& v) { return weighted(layer_norm(v[0], v[1], v[2])); },
        {rand_tensor({2, 3, 5}, 23), rand_tensor({5}, 24), rand_tensor({5}, 25)});
  check_gradient("layer_norm without bias, B = H",
        [](Tape&, const std::vector<Var>& v) { return weighted(layer_norm(v[0], v[1], Var{})); },
        {rand_tensor({4, 4}, 26), rand_tensor({4}, 27)});
  // Values: rows of mean 0 and variance 1 / (1 + eps / var) before gain and bias.
  Tape t;
  const Tensor x = rand_tensor({3, 6}, 28, -4.0, 4.0), g = rand_tensor({6}, 29), b = rand_tensor({6}, 30);
  const auto vx = to_vector<double>(x), vg = to_vector<double>(g), vb = to_vector<double>(b);
  const double eps = 1e-3;
  const Var y = layer_norm(t.constant(x), t.constant(g), t.constant(b), eps);
  CHECK(y.shape() == Shape{3, 6});
  CHECK(sum_last(t.constant(x)).shape() == Shape{3, 1});
  const auto vy = to_vector<double>(y.value());
  const auto vm = to_vector<double>(mean_last(t.constant(x)).value());
  for (int r = 0; r < 3; ++r) {
    double mu = 0, var = 0;
    for (int j = 0; j < 6; ++j) mu += vx[r * 6 + j] / 6;
    for (int j = 0; j < 6; ++j) var += (vx[r * 6 + j] - mu) * (vx[r * 6 + j] - mu) / 6;
    CHECK(vm[r] == doctest::Approx(mu).epsilon(1e-14));
    for (int j = 0; j < 6; ++j)
      CHECK(vy[r * 6 + j] ==
            doctest::Approx((vx[r * 6 + j] - mu) / std::sqrt(var + eps) * vg[j] + vb[j]).epsilon(1e-12));
  }
  // max_last: the gradient goes to the first position holding the maximum (ties: the lowest
  // index, as argmax; a NaN is the maximum, its first occurrence takes the gradient).
  const double nan = std::nan("");
  Var xm = t.leaf(from_vector(std::vector<double>{1, 3, 3, 2, 5, -1, nan, nan}, {2, 4}));
  const Var ym = max_last(xm);
  const auto vym = to_vector<double>(ym.value());
  CHECK(vym[0] == 3.0);
  CHECK(std::isnan(vym[1]));
  t.backward(sum(mul(ym, t.constant(from_vector(std::vector<double>{2, 3}, {2, 1})))));
  CHECK(to_vector<double>(t.grad(xm)) == std::vector<double>{0, 2, 0, 0, 0, 0, 3, 0});
  CHECK(sum_last(t.constant(x)).shape() == Shape{3, 1});
  CHECK_THROWS_AS(max_last(t.constant(zeros({3, 0}, DType::f64))), InputError);
  CHECK_THROWS_AS(layer_norm(t.constant(x), t.constant(rand_tensor({5}, 31)), Var{}), InputError);
  CHECK_THROWS_AS(layer_norm(t.constant(x), t.constant(g), Var{}, 0.0), InputError);
}

TEST_SUITE_END();
