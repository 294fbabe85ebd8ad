// The conformance suite (rnnlab/conformance.h) on every loaded cell, by registry name so that a
// new plugin is covered without touching this file, plus notable configurations; and a
// deliberately broken test-only cell that the suite must reject.
#include <doctest/doctest.h>

#include "rnnlab/conformance.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;

namespace {

using Params = std::map<std::string, ParamValue>;

void require_conforms(const CellRegistry& r, const std::string& cell, const Params& params) {
  const ConformanceReport rep = run_conformance(r, cell, params);
  INFO(conformance_table(rep));
  CHECK(rep.checks.size() >= 7);
  CHECK(rep.passed());
}

const ConformanceCheck* find_check(const ConformanceReport& r, const std::string& name) {
  for (const ConformanceCheck& c : r.checks)
    if (c.name == name) return &c;
  return nullptr;
}

// h_t = tanh(x_t W_x + b + h_{t-1} W_h), with a planted bug (mode):
//   "step":  the step's tanh has a wrong backward (1 - y instead of 1 - y²);
//   "fused": correct step; a fused kernel with correct values whose backward ignores the
//            recurrence and the tanh (dP = dpacked, nothing for W_h or h_0).
class BrokenCell final : public Cell {
 public:
  explicit BrokenCell(const CellArgs& a)
      : input_(a.input_size), hidden_(a.config.integer("hidden")), mode_(a.config.choice("mode")) {
    w_x_ = &a.params.create(a.prefix + "/W_x", {input_, hidden_});
    w_h_ = &a.params.create(a.prefix + "/W_h", {hidden_, hidden_});
    b_ = &a.params.create(a.prefix + "/b", {hidden_});
    init::glorot(*w_x_, a.rng);
    init::orthogonal(*w_h_, a.rng, 1);
  }
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", hidden_}}; }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return add(matmul(x, t.param(*w_x_)), t.param(*b_));
  }
  std::vector<Var> step(Tape& t, const Var& p, const std::vector<Var>& s,
                        const CellContext&) override {
    Var pre = add(p, matmul(s[0], t.param(*w_h_)));
    return {mode_ == "step" ? wrong_tanh(pre) : tanh(pre)};
  }
  bool has_fused(Device d) const override { return mode_ == "fused" && d == Device::cpu; }
  Var fused_sequence(Tape& t, const Var& p, const std::vector<Var>& s0, const Var& mask,
                     const CellContext&) override {
    Var pc = t.constant(p.value()), w = t.constant(w_h_->value), h = t.constant(s0[0].value());
    std::vector<Var> outs;
    for (int64_t k = 0; k < p.dim(0); ++k) {
      Var next = tanh(add(select(pc, k), matmul(h, w)));
      h = mask.valid() ? mask_blend(select(mask, k), next, h) : next;
      outs.push_back(h);
    }
    return t.record(clone(stack(outs).value()), {p, t.param(*w_h_), s0[0]},
                    [](BackwardContext& ctx) {
                      if (ctx.needs(0))
                        ctx.backend().axpby(1.0, ctx.grad_out(), 1.0, ctx.grad_in(0));
                    });
  }

 private:
  static Var wrong_tanh(const Var& x) {
    Tensor y = clone(tanh(x).value());
    return x.tape().record(y, {x}, [](BackwardContext& ctx) {
      if (!ctx.needs(0)) return;
      const double* yv = ctx.out().data<double>();
      const double* g = ctx.grad_out().data<double>();
      double* dx = ctx.grad_in(0).data<double>();
      for (int64_t i = 0; i < ctx.out().numel(); ++i) dx[i] += g[i] * (1.0 - yv[i]);  // bug
    });
  }
  int64_t input_, hidden_;
  std::string mode_;
  Parameter* w_x_;
  Parameter* w_h_;
  Parameter* b_;
};

CellRegistry with_broken_cell() {
  CellRegistry r = builtin_cells();
  CellType t;
  t.name = "broken";
  t.doc = "test-only cell with a planted gradient bug";
  t.schema = {
      {"hidden", ParamType::integer, int64_t{8}, false, 1, 64, {}, "hidden units H"},
      {"mode",
       ParamType::choice,
       std::string("step"),
       false,
       0,
       0,
       {"step", "fused"},
       "where the bug is"},
  };
  t.create = [](const CellArgs& a) { return std::make_unique<BrokenCell>(a); };
  r.add(std::move(t));
  return r;
}

}  // namespace

TEST_SUITE_BEGIN("gradcheck");  // ctest label (tests/README.md: labels)

TEST_CASE("conformance: every loaded cell conforms with its default parameters") {
  const CellRegistry& r = builtin_cells();
  REQUIRE(r.names().size() >= 4);  // elman, gru, lstm, nstep at least
  for (const std::string& name : r.names()) {
    CAPTURE(name);
    require_conforms(r, name, {});
  }
}

TEST_CASE("conformance: notable configurations conform") {
  const CellRegistry& r = builtin_cells();
  std::vector<std::pair<std::string, Params>> cases = {
      {"elman", {{"activation", std::string("relu")}}},
      {"nstep", {{"layers", int64_t{2}}, {"bidirectional", true}}},
      {"nstep", {{"cell", std::string("gru")}, {"layers", int64_t{2}}, {"dropout", 0.3}}},
      {"nstep",
       {{"cell", std::string("elman")},
        {"activation", std::string("relu")},
        {"bidirectional", true}}},
  };
  if (r.find("qrnn"))
    for (const char* pooling : {"f", "fo", "ifo"})
      cases.push_back({"qrnn", {{"pooling", std::string(pooling)}}});
  if (r.find("qrnn"))
    cases.push_back(
        {"nstep",
         {{"cell", std::string("qrnn")}, {"layers", int64_t{2}}, {"bidirectional", true}}});
  for (const auto& [cell, params] : cases) {
    std::string label = cell;
    for (const auto& [k, v] : params) label += " " + k + "=" + param_value_str(v);
    CAPTURE(label);
    require_conforms(r, cell, params);
  }
}

TEST_CASE("conformance: a cell with a wrong gradient fails, naming the failing checks") {
  const CellRegistry r = with_broken_cell();

  const ConformanceReport step = run_conformance(r, "broken", {{"mode", std::string("step")}});
  INFO(conformance_table(step));
  CHECK_FALSE(step.passed());
  REQUIRE(find_check(step, "gradient (composed)"));
  CHECK_FALSE(find_check(step, "gradient (composed)")->passed);
  CHECK(find_check(step, "gradient (composed)")->detail.find("max rel err") != std::string::npos);
  CHECK(find_check(step, "shapes")->passed);  // the forward is fine
  CHECK(find_check(step, "masking")->passed);

  const ConformanceReport fused = run_conformance(r, "broken", {{"mode", std::string("fused")}});
  INFO(conformance_table(fused));
  CHECK_FALSE(fused.passed());
  CHECK(find_check(fused, "gradient (composed)")->passed);
  REQUIRE(find_check(fused, "gradient (fused)"));
  CHECK_FALSE(find_check(fused, "gradient (fused)")->passed);
  CHECK_FALSE(find_check(fused, "fused == composed")->passed);
  CHECK(find_check(fused, "fused == composed")->detail.find("values 0.0e+00") != std::string::npos);
}

TEST_CASE("conformance: hidden comes from the options only where the schema has it"
          * doctest::test_suite("unit")) {
  const CellRegistry& r = builtin_cells();
  ConformanceOptions o;
  o.hidden = 5;
  const ConformanceReport rep = run_conformance(r, "gru", {}, o);
  REQUIRE(find_check(rep, "shapes"));
  CHECK(find_check(rep, "shapes")->detail.find("[5,3,5]") != std::string::npos);
  // an explicit hidden wins over the options
  const ConformanceReport rep2 = run_conformance(r, "gru", {{"hidden", int64_t{2}}}, o);
  CHECK(find_check(rep2, "shapes")->detail.find("[5,3,2]") != std::string::npos);
  CHECK_THROWS_AS(run_conformance(r, "nosuchcell", {}), InputError);
}

TEST_SUITE_END();
