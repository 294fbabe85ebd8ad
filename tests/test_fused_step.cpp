// The work around the cell, fused (issue 22 item 2): the fused losses against the composed
// ops / the old kernels, gradients written whole on their first contribution (a value used
// twice still accumulates), and the optimizer's one pass over a group against the old
// per-parameter update followed by zero_grad.
#include <doctest/doctest.h>

#include <cmath>

#include "rnnlab/gradcheck.h"
#include "rnnlab/ops.h"
#include "rnnlab/optim.h"
#include "gradcheck_util.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::check_gradient;
using rnnlab::test::rand_tensor;

TEST_SUITE_BEGIN("gradcheck");

namespace {

std::vector<double> values(const Tensor& t) { return to_vector<double>(to_dtype(t, DType::f64)); }

// max |a - b| / max(1, |b|) over the elements.
double rel_diff(const Tensor& a, const Tensor& b) {
  std::vector<double> x = values(a), y = values(b);
  REQUIRE(x.size() == y.size());
  double m = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    m = std::max(m, std::abs(x[i] - y[i]) / std::max(1.0, std::abs(y[i])));
  return m;
}

}  // namespace

TEST_CASE("fused mse: the composed mean(square(sub)) value and gradient, also scaled and summed") {
  for (DType dt : {DType::f64, DType::f32}) {
    // 40 000 elements: several reduction chunks and a ragged tail
    Tensor p0 = rand_tensor({100, 400}, 1, -1, 1, dt), t0 = rand_tensor({100, 400}, 2, -1, 1, dt);
    Tensor t1 = rand_tensor({100, 400}, 3, -1, 1, dt);
    const double tol = dt == DType::f64 ? 1e-12 : 1e-6;
    for (int form = 0; form < 3; ++form) {
      INFO("dtype " << std::string(dtype_name(dt)) << ", form " << form);
      auto loss = [&](Tape& tape, bool fused) {
        Var p = tape.leaf(p0), t = tape.constant(t0), u = tape.constant(t1);
        auto l = [&](const Var& a, const Var& b) {
          return fused ? mse(a, b) : mean(square(sub(a, b)));
        };
        Var r = form == 0 ? l(p, t) : form == 1 ? scale(l(p, t), 3.0) : add(l(p, t), l(p, u));
        tape.backward(r);
        return std::make_pair(r.value(), tape.grad(p));
      };
      Tape ta, tb;
      auto [fl, fg] = loss(ta, true);
      auto [cl, cg] = loss(tb, false);
      CHECK(rel_diff(fl, cl) <= tol);
      CHECK(rel_diff(fg, cg) <= tol);
      if (form == 0) CHECK(values(fg) == values(cg));  // 2/M (p - t): the same bits
    }
  }
}

TEST_CASE("fused softmax cross-entropy: the old softmax_xent + softmax_xent_grad_acc bits") {
  Backend& be = backend_for(Device::cpu);
  std::vector<int32_t> labels{2, -1, 4, 1, 0, -1, 3};
  for (DType dt : {DType::f64, DType::f32}) {
    INFO("dtype " << std::string(dtype_name(dt)));
    Tensor x0 = rand_tensor({7, 5}, 4, -3, 3, dt);
    Tensor y = from_vector(labels, {7});
    // the old op: probs, then dlogits = 0 + g probs, dlogits[label] -= g
    Tensor probs = be.empty(x0.shape(), dt), rows = be.empty({7}, dt);
    be.softmax_xent(x0, y, probs, rows);
    Tensor one = full({}, dt, 1.0), old = zeros(x0.shape(), dt);
    be.softmax_xent_grad_acc(probs, y, one, 1.0 / 5.0, old);
    Tape tape;
    Var x = tape.leaf(x0);
    Var l = softmax_cross_entropy(x, tape.constant(y));
    tape.backward(l);
    CHECK(values(tape.grad(x)) == values(old));
    double mean_rows = 0;
    for (double v : values(rows)) mean_rows += v / 5.0;
    CHECK(item(l.value()) == doctest::Approx(mean_rows).epsilon(dt == DType::f64 ? 1e-14 : 1e-6));
  }
  std::vector<int32_t> some{1, -1, 0, 2};
  check_gradient("softmax_cross_entropy with unscored rows, scaled",
        [&](Tape& t, const std::vector<Var>& v) {
    return scale(softmax_cross_entropy(v[0], t.constant(from_vector(some, {4}))), 2.5);
  }, {rand_tensor({4, 3}, 5, -3, 3)});
  check_gradient("softmax_cross_entropy twice on one input", [&](Tape& t, const std::vector<Var>& v) {
    Var y = t.constant(from_vector(some, {4}));
    return add(softmax_cross_entropy(v[0], y), softmax_cross_entropy(square(v[0]), y));
  }, {rand_tensor({4, 3}, 6, -2, 2)});
  check_gradient("mse into a value that already has a gradient", [](Tape&, const std::vector<Var>& v) {
    return add(mse(v[0], v[1]), sum(mul(v[0], v[0])));
  }, {rand_tensor({3, 4}, 7), rand_tensor({3, 4}, 8)});
}

TEST_CASE("gradients written whole on first use still accumulate for a value used twice") {
  // Each op's first contribution assigns (no zero-filled slot); the second one must add.
  Tensor a = rand_tensor({3, 4}, 10), w = rand_tensor({4, 4}, 11), b = rand_tensor({4}, 12);
  check_gradient("matmul(x, x) and matmul of a reused weight", [](Tape&, const std::vector<Var>& v) {
    Var y = add(matmul(v[0], v[1]), matmul(tanh(matmul(v[0], v[1])), v[1], false, true));
    return sum(mul(y, y));
  }, {a, w});
  check_gradient("linear with its input and weight reused", [](Tape&, const std::vector<Var>& v) {
    Var h = linear(v[0], v[1], v[2]);
    return sum(mul(linear(h, v[1], v[2]), h));
  }, {a, w, b});
  check_gradient("elementwise with the same input twice", [](Tape&, const std::vector<Var>& v) {
    return sum(mul(mul(v[0], v[0]), sub(v[0], v[0])));
  }, {rand_tensor({5}, 13)});
  check_gradient("concat, stack and reshape of one value", [](Tape&, const std::vector<Var>& v) {
    Var c = concat({v[0], v[0], tanh(v[0])}, 1);
    Var s = stack({v[0], v[0]});
    Var r = reshape(v[0], {12});
    return add(add(sum(mul(c, c)), sum(mul(s, s))), sum(mul(r, reshape(tanh(v[0]), {12}))));
  }, {a});
  // A parameter: its gradient slot is Parameter::grad, first created whole by the GEMM.
  ParameterStore ps(Device::cpu, DType::f64);
  Parameter& pw = ps.create("w", {4, 4});
  pw.value = clone(w);
  Tape tape;
  Var x = tape.constant(a);
  Var wv = tape.param(pw);
  tape.backward(sum(add(matmul(x, wv), matmul(x, wv))));
  Tape once;
  Var x1 = once.leaf(a, false);
  Var w1 = once.leaf(w);
  once.backward(scale(sum(matmul(x1, w1)), 2.0));
  CHECK(rel_diff(pw.grad, once.grad(w1)) <= 1e-14);
}

TEST_CASE("optimizer: one pass over the group equals the per-parameter update + zero_grad"
          * doctest::test_suite("unit")) {
  using K = UpdateRule::Kind;
  for (DType dt : {DType::f64, DType::f32})
    for (K kind : {K::sgd, K::momentum, K::adam, K::rmsprop})
      for (int variant = 0; variant < 3; ++variant) {
        INFO(std::string(dtype_name(dt)) << " " << update_kind_name(kind) << ", variant "
                                         << variant);
        UpdateRule r;
        r.kind = kind;
        r.lr = 0.01;
        r.weight_decay = variant >= 1 ? 0.02 : 0.0;
        const double clip = variant == 2 ? 0.5 : 0.0;
        // sizes around the pieces (2048): one small, one ragged over several, one exact
        const std::vector<Shape> shapes{{7}, {3, 1700}, {4096}};
        ParameterStore fused(Device::cpu, dt), ref(Device::cpu, dt);
        for (std::size_t k = 0; k < shapes.size(); ++k) {
          for (ParameterStore* s : {&fused, &ref}) {
            Parameter& p = s->create(std::string(1, static_cast<char>('a' + k)), shapes[k]);
            p.value = rand_tensor(shapes[k], 20 + k, -1, 1, dt);
            p.max_abs = k == 1 ? 0.9 : 0.0;
          }
        }
        Optimizer opt(r, clip);
        UpdateRule rr = r;
        Backend& be = backend_for(Device::cpu);
        for (int step = 0; step < 4; ++step) {
          for (std::size_t k = 0; k < shapes.size(); ++k) {
            if (step == 0) fused.all()[k]->grad = zeros(shapes[k], dt);
            if (step == 0) ref.all()[k]->grad = zeros(shapes[k], dt);
            Tensor g = rand_tensor(shapes[k], 100 * step + k, -2, 2, dt);
            be.axpby(1.0, g, 1.0, fused.all()[k]->grad);
            be.axpby(1.0, g, 1.0, ref.all()[k]->grad);
          }
          // the old Optimizer::step: norm, clip, apply_update per parameter, then zero_grad
          double sq = 0;
          for (auto& p : ref.all()) sq += be.sum_squares(p->grad);
          const double norm = std::sqrt(sq);
          rr.grad_scale = clip > 0 && norm > clip ? clip / norm : 1.0;
          for (auto& p : ref.all()) {
            if (kind != K::sgd && !p->slot1.defined()) p->slot1 = zeros(p->value.shape(), dt);
            if (kind == K::adam && !p->slot2.defined()) p->slot2 = zeros(p->value.shape(), dt);
            rr.max_abs = p->max_abs;
            be.apply_update(rr, p->value, p->grad, p->slot1, p->slot2);
          }
          ref.zero_grad();
          ++rr.step;
          CHECK(opt.step(fused) == norm);
          for (std::size_t k = 0; k < shapes.size(); ++k) {
            const Parameter& f = *fused.all()[k];
            const Parameter& o = *ref.all()[k];
            CHECK(values(f.value) == values(o.value));
            CHECK(values(f.grad) == values(o.grad));  // zeroed
            if (kind != K::sgd) CHECK(values(f.slot1) == values(o.slot1));
            if (kind == K::adam) CHECK(values(f.slot2) == values(o.slot2));
          }
        }
      }
}

TEST_SUITE_END();
