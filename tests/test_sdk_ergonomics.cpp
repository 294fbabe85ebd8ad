// SDK conveniences for cell authors (issue 12 item 7): one_minus and lerp (gradient-checked in
// float64, equal to the written-out maths), init::uniform(lo, hi), and ParamSpecs built by name
// with rnnlab/schema.h's param:: builders (equal to the positional forms, accepted by the registry).
#include <doctest/doctest.h>

#include <cmath>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"
#include "rnnlab/gradcheck.h"
#include "rnnlab/ops.h"
#include "rnnlab/parameter.h"
#include "rnnlab/schema.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::rand_tensor;

namespace {

Var weighted(const Var& y, uint64_t seed = 99) {
  Var r = y.tape().constant(rand_tensor(y.shape(), seed));
  return sum(mul(y, r));
}

void check(const char* what, const LossFn& f, const std::vector<Tensor>& inputs) {
  GradCheckResult res = gradcheck(f, inputs);
  INFO(what << ": max error " << res.max_error << " at " << res.worst);
  CHECK(res.checked > 0);
  CHECK(res.passed);
}

bool same_spec(const ParamSpec& a, const ParamSpec& b) {
  return a.name == b.name && a.type == b.type && a.default_value == b.default_value &&
         a.required == b.required && a.min == b.min && a.max == b.max && a.choices == b.choices &&
         a.doc == b.doc;
}

}  // namespace

TEST_CASE("sdk: one_minus and lerp are gradient-checked and equal the written-out maths") {
  check("one_minus", [](Tape&, const std::vector<Var>& v) { return weighted(one_minus(v[0])); },
        {rand_tensor({3, 4}, 1)});
  check("lerp", [](Tape&, const std::vector<Var>& v) { return weighted(lerp(v[0], v[1], v[2])); },
        {rand_tensor({3, 4}, 2), rand_tensor({3, 4}, 3), rand_tensor({3, 4}, 4, 0.0, 1.0)});
  check("lerp, w broadcast [4]",
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

TEST_CASE("sdk: init::uniform with lo and hi fills that range and rejects an empty one") {
  ParameterStore store(Device::cpu, DType::f64);
  Parameter& p = store.create("w", {50, 40});
  Rng rng(3);
  init::uniform(p, rng, 0.25, 0.75);
  const auto v = to_vector<double>(p.value);
  double lo = 1, hi = 0;
  for (double x : v) lo = std::min(lo, x), hi = std::max(hi, x);
  CHECK(lo >= 0.25);
  CHECK(hi < 0.75);
  CHECK(lo < 0.26);  // 2000 draws reach both ends
  CHECK(hi > 0.74);
  CHECK_THROWS_AS(init::uniform(p, rng, 1.0, 1.0), Error);
}

TEST_CASE("sdk: schema builders make ParamSpecs by name that equal the positional forms") {
  const ParamSpec hidden = param::integer("hidden").def(128).range(1, 65536).doc("hidden units H");
  CHECK(same_spec(hidden, schema::integer("hidden", 128, 1, "hidden units H", false, 65536)));
  CHECK(std::get<int64_t>(hidden.default_value) == 128);
  const ParamSpec lr = param::real("lr").min(0).def(1e-3).doc("step size");
  CHECK(same_spec(lr, schema::real("lr", 1e-3, 0, schema::kInf, "step size")));
  CHECK(std::get<double>(param::real("x").def(2).spec().default_value) == 2.0);  // int -> real
  const ParamSpec peep = param::flag("peephole").def(false).doc("d");
  CHECK(std::holds_alternative<bool>(peep.default_value));  // not the integer 0
  CHECK(same_spec(peep, schema::flag("peephole", false, "d")));
  const ParamSpec act = param::choice("activation", {"tanh", "relu"}).doc("nonlinearity");
  CHECK(std::get<std::string>(act.default_value) == "tanh");  // the first choice
  CHECK(act.min == -schema::kInf);  // no dummy range
  CHECK(act.max == schema::kInf);
  CHECK(same_spec(param::choice("activation", {"tanh", "relu"}).def("relu").doc("d"),
                  schema::choice("activation", "relu", {"tanh", "relu"}, "d")));
  const ParamSpec vocab = param::integer("vocab").required().min(1).doc("V");
  CHECK(vocab.required);
  CHECK(same_spec(param::text("path").def("a.csv").doc("p"), schema::text("path", "a.csv", false, "p")));

  // The registry takes a schema written this way, and still checks it.
  CellType t;
  t.name = "built_by_name";
  t.create = [](const CellArgs&) -> std::unique_ptr<Cell> { return nullptr; };
  t.schema = {hidden, lr, peep, act, vocab};
  CellRegistry r;
  r.add(t);
  CHECK(r.get("built_by_name").schema.size() == 5);
  CellType bad = t;
  bad.name = "bad_default";
  bad.schema = {param::integer("hidden").def(0).range(1, 8).doc("d")};
  CHECK_THROWS_AS(r.add(bad), InputError);
}
