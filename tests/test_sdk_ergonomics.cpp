// SDK conveniences for cell authors (issue 12 item 7; one_minus and lerp are in test_ops.cpp):
// init::uniform(lo, hi), and ParamSpecs built by name
// with rnnlab/schema.h's param:: builders (equal to the positional forms, accepted by the registry).
#include <doctest/doctest.h>

#include <cmath>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"
#include "rnnlab/parameter.h"
#include "rnnlab/schema.h"
#include "test_util.h"

using namespace rnnlab;

namespace {

bool same_spec(const ParamSpec& a, const ParamSpec& b) {
  return a.name == b.name && a.type == b.type && a.default_value == b.default_value &&
         a.required == b.required && a.min == b.min && a.max == b.max && a.choices == b.choices &&
         a.doc == b.doc;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

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

TEST_SUITE_END();
