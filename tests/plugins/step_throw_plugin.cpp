// Test plugin "tp_step_throw": an Elman-like cell `tp_step_throw` (h' = tanh(p + h W)) whose
// step() throws the int 42 once it has been called `after` times (a parameter), i.e. a
// plugin bug that shows up during training, after the runner's one-batch dry run. The CLI test
// checks that the run is marked failed with the model, cell and plugin file named, and that the
// experiment's other models still run. Use it with `path composed` (the compiled path traces
// step() once and would not call it again).
#include "rnnlab/cell.h"
#include "rnnlab/plugin_api.h"
#include "rnnlab/schema.h"

namespace {

using namespace rnnlab;

class StepThrow final : public Cell {
 public:
  explicit StepThrow(const CellArgs& a)
      : in_(a.input_size), h_(a.config.integer("hidden")), after_(a.config.integer("after")) {
    w_x_ = &a.params.create(a.prefix + "/W_x", {in_, h_});
    w_h_ = &a.params.create(a.prefix + "/W_h", {h_, h_});
    b_ = &a.params.create(a.prefix + "/b", {h_});
    init::glorot(*w_x_, a.rng);
    init::orthogonal(*w_h_, a.rng, 1);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}}; }
  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return linear(x, t.param(*w_x_), t.param(*b_));
  }
  std::vector<Var> step(Tape& t, const Var& p, const std::vector<Var>& state,
                        const CellContext&) override {
    if (++calls_ > after_) throw 42;
    return {tanh(add(p, matmul(state[0], t.param(*w_h_))))};
  }

 private:
  int64_t in_, h_, after_;
  int64_t calls_ = 0;
  Parameter *w_x_, *w_h_, *b_;
};

void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "tp_step_throw";
  t.doc = "test cell whose step throws 42 after a number of calls";
  t.schema = {param::integer("hidden").def(4).range(1, 1024).doc("hidden units H"),
              param::integer("after").def(100).range(0, 1000000).doc("step calls before it throws")};
  t.create = [](const CellArgs& a) { return std::make_unique<StepThrow>(a); };
  r.add(std::move(t));
}

}  // namespace

RNNLAB_PLUGIN("tp_step_throw", "0.1.0", register_cells)
