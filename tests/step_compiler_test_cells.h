// The step compiler's test cells (a registry of its own): kitchen_sink exercises every op the
// compiler supports, reducing uses one it does not know, shared_bias a parameter it refuses;
// sru2017 and affine_sink are linear recurrences the scan runs (every form it detects).
// Used by test_step_compiler.cpp and test_step_compiler_shim.cpp.
#pragma once

#include "rnnlab/cell.h"
#include "rnnlab/ops.h"
#include "rnnlab/ops_norm.h"
#include "rnnlab/parameter.h"
#include "rnnlab/rng.h"

namespace rnnlab::test {

// Exercises every op the compiler supports (maths in the step). State (h, c); output tanh(c)
// (an output() override); two GEMM levels (the second reads a region value); a per-unit
// parameter, a scalar parameter, a parameter-only value (hoisted), a constant made in the step,
// a per-row scalar (a width-1 slice of P_t), dropout seeded from ctx.seed, concat and slices.
class KitchenSink final : public Cell {
 public:
  explicit KitchenSink(const CellArgs& a) : in_(a.input_size), h_(a.config.integer("hidden")) {
    w_x_ = &a.params.create(a.prefix + "/W_x", {in_, 3 * h_ + 1});
    b_ = &a.params.create(a.prefix + "/b", {3 * h_ + 1});
    w_h_ = &a.params.create(a.prefix + "/W_h", {h_, 2 * h_});
    w_2_ = &a.params.create(a.prefix + "/W_2", {2 * h_, h_});
    u_ = &a.params.create(a.prefix + "/u", {h_});
    k_ = &a.params.create(a.prefix + "/k", {1});
    log_a_ = &a.params.create(a.prefix + "/log_a", {h_});
    init::glorot(*w_x_, a.rng);
    init::glorot(*w_h_, a.rng);
    init::glorot(*w_2_, a.rng);
    init::uniform(*u_, a.rng, 0.5);
    init::uniform(*k_, a.rng, 0.5);
    init::uniform(*log_a_, a.rng, 0.5);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}, {"c", h_}}; }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return linear(x, t.param(*w_x_), t.param(*b_));
  }
  std::vector<Var> step(Tape& t, const Var& p, const std::vector<Var>& s,
                        const CellContext& ctx) override {
    const Var &h = s[0], &c = s[1];
    Var q = matmul(h, t.param(*w_h_));                                    // GEMM, level 1
    Var f = sigmoid(add(slice(p, 1, 0, h_), slice(q, 1, 0, h_)));
    Var g = tanh(add(slice(p, 1, h_, h_), slice(q, 1, h_, h_)));
    Var hf = concat({mul(f, h), relu(g)}, 1);                           // [B,2H]
    Var r = matmul(hf, t.param(*w_2_));                                   // GEMM, level 2
    Var row = slice(p, 1, 3 * h_, 1);                                     // per-row scalar
    // hoisted; below 1, so c stays O(1) over the steps and the f64 gradient check's loss is
    // small enough for its 1e-6 (a larger c made it fail on roundoff for some seeds)
    Var a = scale(exp(t.param(*log_a_)), 0.5);
    Var ones = t.constant(full({h_}, p.dtype(), 1.0, t.device()));
    Var pos = add(square(r), ones);                                       // > 0
    Var e = sub(div(log(pos), add(exp(scale(c, -0.5)), ones)), mul(c, row));
    Var m = maximum(e, t.param(*u_));
    Var m2 = maximum(m, row);
    // One row per op of op_table.h not used above, each added into `more` (rnnlab/ops.h,
    // ops_norm.h), which enters h bounded.
    Var more = mul(sqrt(pos), rsqrt(add(pos, ones)));
    more = add(more, abs(e));
    more = add(more, log_sigmoid(r));
    more = add(more, minimum(e, row));  // a per-row second input
    more = add(more, clamp(m, -0.3, 0.4));
    more = add(more, sum_last(g));  // row reductions: [B,H] -> [B,1], broadcast back
    more = add(more, mean_last(square(e)));
    more = add(more, max_last(r));
    more = add(more, softplus(r));
    Var c_new = add(mul(c, a), mul(sub(m2, mul(c, t.param(*k_))), slice(p, 1, 2 * h_, h_)));
    Var h_new = add(dropout(add(h, mul(f, sub(g, h))), 0.25, ctx.seed, ctx.training), tanh(more));
    return {h_new, c_new};
  }
  Var output(const std::vector<Var>& s) const override { return tanh(s[1]); }

 private:
  int64_t in_, h_;
  Parameter *w_x_, *b_, *w_h_, *w_2_, *u_, *k_, *log_a_;
};

// A step with an op the compiler does not know (stack, then select: h again).
class Reducing final : public Cell {
 public:
  explicit Reducing(const CellArgs& a) : in_(a.input_size), h_(a.config.integer("hidden")) {
    w_ = &a.params.create(a.prefix + "/W", {in_, h_});
    init::glorot(*w_, a.rng);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}}; }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return matmul(x, t.param(*w_));
  }
  std::vector<Var> step(Tape&, const Var& p, const std::vector<Var>& s,
                        const CellContext&) override {
    return {tanh(add(p, scale(select(stack({s[0], p}), 0), 0.5)))};
  }

 private:
  int64_t in_, h_;
  Parameter* w_;
};

// The bias of the recurrent GEMM also added elementwise: a parameter the executor would need
// to treat as both a GEMM operand and a per-unit vector (it falls back to composed).
class SharedBias final : public Cell {
 public:
  explicit SharedBias(const CellArgs& a) : in_(a.input_size), h_(a.config.integer("hidden")) {
    w_x_ = &a.params.create(a.prefix + "/W_x", {in_, h_});
    w_h_ = &a.params.create(a.prefix + "/W_h", {h_, h_});
    b_ = &a.params.create(a.prefix + "/b", {h_});
    init::glorot(*w_x_, a.rng);
    init::glorot(*w_h_, a.rng);
    init::uniform(*b_, a.rng, 0.5);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}}; }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return matmul(x, t.param(*w_x_));
  }
  std::vector<Var> step(Tape& t, const Var& p, const std::vector<Var>& s,
                        const CellContext&) override {
    Var b = t.param(*b_);
    return {tanh(add(linear(s[0], t.param(*w_h_), b), add(p, b)))};
  }

 private:
  int64_t in_, h_;
  Parameter *w_x_, *w_h_, *b_;
};

// SRU as first published (Lei et al. 2017, gates from x_t alone): c_t = f ⊙ c_{t-1} +
// (1 - f) ⊙ x~ is a linear recurrence, h_t = r ⊙ tanh(c_t) + (1 - r) ⊙ x_s reads only c_t.
// The step compiler scans c, then computes h in parallel (src/compiler/scan.h).
class Sru2017 final : public Cell {
 public:
  explicit Sru2017(const CellArgs& a) : in_(a.input_size), h_(a.config.integer("hidden")) {
    w_ = &a.params.create(a.prefix + "/W", {in_, 4 * h_});  // [W | W_f | W_r | W_s]
    b_ = &a.params.create(a.prefix + "/b", {4 * h_});
    init::glorot(*w_, a.rng);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}, {"c", h_}}; }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return linear(x, t.param(*w_), t.param(*b_));
  }
  std::vector<Var> step(Tape&, const Var& p, const std::vector<Var>& s,
                        const CellContext&) override {
    Var x = slice(p, 1, 0, h_);
    Var f = sigmoid(slice(p, 1, h_, h_));
    Var r = sigmoid(slice(p, 1, 2 * h_, h_));
    Var xs = slice(p, 1, 3 * h_, h_);
    Var c = add(x, mul(f, sub(s[1], x)));
    return {add(xs, mul(r, sub(tanh(c), xs))), c};
  }

 private:
  int64_t in_, h_;
  Parameter *w_, *b_;
};

// Every form the scan's detection handles (src/compiler/scan.h), states (h, c, d, e):
//   h = λ ⊙ h + P_0                     a: a parameter-only vector (λ = sigmoid(u), hoisted)
//   c = (P_1' - c / 2) ⊙ ρ / q           a = -ρ / (2q): a per-row scalar ρ (a width-1 slice of
//                                        P), a division; P_1' = dropout(P_1) (a seeded constant)
//   d = d + tanh(c_{t-1})                a ≡ 1; reads the previous value of an earlier state
//   e = sigmoid(P_3) ⊙ h_t               a ≡ 0; reads the new value of an earlier state
// and an output() override, tanh(e) + d / 10 (the output part). Two stages: (h, c), then (d, e).
class AffineSink final : public Cell {
 public:
  explicit AffineSink(const CellArgs& a) : in_(a.input_size), h_(a.config.integer("hidden")) {
    w_ = &a.params.create(a.prefix + "/W", {in_, 4 * h_ + 1});
    b_ = &a.params.create(a.prefix + "/b", {4 * h_ + 1});
    u_ = &a.params.create(a.prefix + "/u", {h_});
    init::glorot(*w_, a.rng);
    init::uniform(*u_, a.rng, 0.5);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override {
    return {{"h", h_}, {"c", h_}, {"d", h_}, {"e", h_}};
  }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return linear(x, t.param(*w_), t.param(*b_));
  }
  std::vector<Var> step(Tape& t, const Var& p, const std::vector<Var>& s,
                        const CellContext& ctx) override {
    Var lambda = sigmoid(t.param(*u_));  // hoisted
    Var h = add(mul(s[0], lambda), slice(p, 1, 0, h_));
    Var rho = slice(p, 1, 4 * h_, 1);
    Var ones = t.constant(full({h_}, p.dtype(), 1.0, t.device()));
    Var q = add(square(slice(p, 1, 2 * h_, h_)), ones);
    Var p1 = dropout(slice(p, 1, h_, h_), 0.25, ctx.seed, ctx.training);
    Var c = div(mul(sub(p1, scale(s[1], 0.5)), rho), q);
    Var d = add(s[2], tanh(s[1]));
    Var e = mul(sigmoid(slice(p, 1, 3 * h_, h_)), h);
    return {h, c, d, e};
  }
  Var output(const std::vector<Var>& s) const override {
    return add(tanh(s[3]), scale(s[2], 0.1));
  }

 private:
  int64_t in_, h_;
  Parameter *w_, *b_, *u_;
};

inline const CellRegistry& test_cells() {
  static CellRegistry r = [] {
    CellRegistry reg;
    for (const char* name : {"kitchen_sink", "reducing", "shared_bias", "sru2017", "affine_sink"}) {
      CellType t;
      t.name = name;
      t.doc = "step compiler test cell";
      t.schema = {{"hidden", ParamType::integer, int64_t{4}, false, 1, 64, {}, "hidden units"}};
      if (std::string(name) == "kitchen_sink")
        t.create = [](const CellArgs& a) { return std::make_unique<KitchenSink>(a); };
      else if (std::string(name) == "reducing")
        t.create = [](const CellArgs& a) { return std::make_unique<Reducing>(a); };
      else if (std::string(name) == "sru2017")
        t.create = [](const CellArgs& a) { return std::make_unique<Sru2017>(a); };
      else if (std::string(name) == "affine_sink")
        t.create = [](const CellArgs& a) { return std::make_unique<AffineSink>(a); };
      else
        t.create = [](const CellArgs& a) { return std::make_unique<SharedBias>(a); };
      reg.add(std::move(t));
    }
    return reg;
  }();
  return r;
}

}  // namespace rnnlab::test
