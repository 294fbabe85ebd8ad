// The step compiler's test cells (a registry of its own): kitchen_sink exercises every op the
// compiler supports, reducing uses one it does not know, shared_bias a parameter it refuses.
// Used by test_step_compiler.cpp and test_step_compiler_shim.cpp.
#pragma once

#include "rnnlab/cell.h"
#include "rnnlab/ops.h"
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
    Var a = exp(t.param(*log_a_));                                        // hoisted
    Var ones = t.constant(full({h_}, p.dtype(), 1.0, t.device()));
    Var pos = add(square(r), ones);                                       // > 0
    Var e = sub(div(log(pos), add(exp(scale(c, -0.5)), ones)), mul(c, row));
    Var m = maximum(e, t.param(*u_));
    Var m2 = maximum(m, row);
    // One row per op of op_table.h not used above, each added into `more` (rnnlab/ops.h).
    Var more = mul(sqrt(pos), rsqrt(add(pos, ones)));
    more = add(more, abs(e));
    more = add(more, log_sigmoid(r));
    more = add(more, minimum(e, row));  // a per-row second input
    more = add(more, clamp(m, -0.3, 0.4));
    Var c_new = add(add(mul(c, a), mul(sub(m2, mul(c, t.param(*k_))), slice(p, 1, 2 * h_, h_))),
                    more);
    Var h_new = dropout(add(h, mul(f, sub(g, h))), 0.25, ctx.seed, ctx.training);
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

inline const CellRegistry& test_cells() {
  static CellRegistry r = [] {
    CellRegistry reg;
    for (const char* name : {"kitchen_sink", "reducing", "shared_bias"}) {
      CellType t;
      t.name = name;
      t.doc = "step compiler test cell";
      t.schema = {{"hidden", ParamType::integer, int64_t{4}, false, 1, 64, {}, "hidden units"}};
      if (std::string(name) == "kitchen_sink")
        t.create = [](const CellArgs& a) { return std::make_unique<KitchenSink>(a); };
      else if (std::string(name) == "reducing")
        t.create = [](const CellArgs& a) { return std::make_unique<Reducing>(a); };
      else
        t.create = [](const CellArgs& a) { return std::make_unique<SharedBias>(a); };
      reg.add(std::move(t));
    }
    return reg;
  }();
  return r;
}

}  // namespace rnnlab::test
