// Conformance messages that point at the real bug (issue 12 item 5): a step that returns a
// state of the wrong shape is named by the shapes check; a throwing constructor fails its own
// "construction" check (not "schema"); a cell whose first-half outputs depend on the second
// half fails "stateful" unless it declares itself non-causal. Cells registered in-process.
#include <doctest/doctest.h>

#include <stdexcept>

#include "rnnlab/conformance.h"
#include "rnnlab/schema.h"
#include "test_util.h"

using namespace rnnlab;

namespace {

// h_t = tanh(p_t + h_{t-1} W), p = x W_x. mode: "ok"; "wide_c" (step returns c one column too
// wide); "throw" (the constructor throws); "future" / "future_declared" (P_t also gets x of the
// LAST step: outputs depend on later inputs; the second one says so through causal()).
class ProbeCell final : public Cell {
 public:
  explicit ProbeCell(const CellArgs& a)
      : in_(a.input_size), h_(a.config.integer("hidden")), mode_(a.config.choice("mode")) {
    if (mode_ == "throw") throw std::runtime_error("constructor exploded");
    w_x_ = &a.params.create(a.prefix + "/W_x", {in_, h_});
    w_h_ = &a.params.create(a.prefix + "/W_h", {h_, h_});
    init::glorot(*w_x_, a.rng);
    init::orthogonal(*w_h_, a.rng, 1);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}, {"c", h_}}; }
  bool causal() const override { return mode_ != "future_declared"; }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    Var p = matmul(x, t.param(*w_x_));
    if (mode_ != "future" && mode_ != "future_declared") return p;
    const int64_t T = x.dim(0);
    std::vector<Var> steps;
    Var last = select(p, T - 1);
    for (int64_t k = 0; k < T; ++k) steps.push_back(add(select(p, k), last));
    return stack(steps);
  }
  std::vector<Var> step(Tape& t, const Var& p, const std::vector<Var>& s,
                        const CellContext&) override {
    Var h = tanh(add(p, matmul(s[0], t.param(*w_h_))));
    Var c = add(s[1], h);
    if (mode_ == "wide_c") c = concat({c, slice(h, 1, 0, 1)}, 1);
    return {h, c};
  }

 private:
  int64_t in_, h_;
  std::string mode_;
  Parameter *w_x_ = nullptr, *w_h_ = nullptr;
};

CellRegistry probe_registry() {
  CellRegistry r;
  CellType t;
  t.name = "probe";
  t.doc = "conformance message probe";
  t.schema = {param::integer("hidden").def(3).range(1, 64).doc("hidden size"),
              param::choice("mode", {"ok", "wide_c", "throw", "future", "future_declared"})
                  .doc("the planted bug")};
  t.create = [](const CellArgs& a) { return std::make_unique<ProbeCell>(a); };
  r.add(t);
  return r;
}

// The check `name` of the report, which must be there.
const ConformanceCheck& check_named(const ConformanceReport& r, const std::string& name) {
  for (const ConformanceCheck& c : r.checks)
    if (c.name == name) return c;
  FAIL("no check '" << name << "' in the report:\n" << conformance_table(r));
  throw std::logic_error("unreachable");
}



ConformanceReport run(const std::string& mode) {
  static const CellRegistry r = probe_registry();
  return run_conformance(r, "probe", {{"mode", mode}});
}

// The planted bug `mode` fails check `check`, whose message contains `part`.
void expect_failure(const std::string& mode, const std::string& check, const std::string& part) {
  const ConformanceReport rep = run(mode);
  INFO(conformance_table(rep));
  const ConformanceCheck& c = check_named(rep, check);
  CHECK_FALSE(c.passed);
  CHECK(c.detail.find(part) != std::string::npos);
  CHECK_FALSE(rep.passed());
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("conformance messages: a correct two-state cell conforms") {
  const ConformanceReport rep = run("ok");
  INFO(conformance_table(rep));
  CHECK(rep.passed());
  CHECK(check_named(rep, "construction").passed);
}

TEST_CASE("conformance messages: a state of the wrong shape is named with both shapes") {
  expect_failure("wide_c", "shapes", "state 'c': step returned [3,5], state_specs() declares [3,4]");
}

TEST_CASE("conformance messages: a throwing constructor fails construction and not schema") {
  expect_failure("throw", "construction", "constructor exploded");
  const ConformanceReport rep = run("throw");
  CHECK(check_named(rep, "schema").passed);
}

TEST_CASE("conformance messages: halves != whole fails unless the cell declares itself non-causal") {
  expect_failure("future", "stateful", "does not declare itself non-causal");
  const ConformanceReport declared = run("future_declared");
  CHECK(check_named(declared, "stateful").detail.find("non-causal by declaration") !=
        std::string::npos);
}

TEST_SUITE_END();
