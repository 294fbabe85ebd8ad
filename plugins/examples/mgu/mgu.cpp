// MGU, the minimal gated unit (Zhou et al. 2016): the worked example of plugins/README.md.
//
//   f  = σ(x W_fx + h W_fh + b_f)               [B,H]
//   h̃  = tanh(x W_hx + (f ⊙ h) W_hh + b_h)      [B,H]
//   h' = (1 - f) ⊙ h + f ⊙ h̃                    state (h) [B,H]
//
// project_inputs does the x parts for every step in one GEMM: P = x [W_fx|W_hx] + [b_f|b_h],
// [T,B,2H]. step does the rest with autodiff ops, so gradients come for free.
#include "rnnlab/cell.h"
#include "rnnlab/plugin_api.h"
#include "rnnlab/schema.h"

namespace {

using namespace rnnlab;

class Mgu final : public Cell {
 public:
  explicit Mgu(const CellArgs& a) : in_(a.input_size), h_(a.config.integer("hidden")) {
    w_x_ = &a.params.create(a.prefix + "/W_x", {in_, 2 * h_});  // [W_fx | W_hx]
    w_fh_ = &a.params.create(a.prefix + "/W_fh", {h_, h_});
    w_hh_ = &a.params.create(a.prefix + "/W_hh", {h_, h_});
    b_ = &a.params.create(a.prefix + "/b", {2 * h_});  // [b_f | b_h], zero
    init::glorot(*w_x_, a.rng);
    init::orthogonal(*w_fh_, a.rng, 1);
    init::orthogonal(*w_hh_, a.rng, 1);
  }
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}}; }

  Var project_inputs(Tape& t, const Var& x, const CellContext&) override {
    return linear(x, t.param(*w_x_), t.param(*b_));  // [T,B,2H]
  }

  std::vector<Var> step(Tape& t, const Var& p, const std::vector<Var>& state,
                        const CellContext&) override {
    const Var& h = state[0];
    Var f = sigmoid(add(slice(p, 1, 0, h_), matmul(h, t.param(*w_fh_))));
    Var h_hat = tanh(add(slice(p, 1, h_, h_), matmul(mul(f, h), t.param(*w_hh_))));
    return {lerp(h, h_hat, f)};  // (1 - f) ⊙ h + f ⊙ h̃
  }

 private:
  int64_t in_, h_;
  Parameter *w_x_, *w_fh_, *w_hh_, *b_;
};

void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "mgu";
  t.doc = "minimal gated unit (Zhou et al. 2016): one forget gate, composed step";
  t.schema = {param::integer("hidden").def(128).range(1, 65536).doc("hidden units H")};
  t.create = [](const CellArgs& a) { return std::make_unique<Mgu>(a); };
  r.add(std::move(t));
}

}  // namespace

RNNLAB_PLUGIN("mgu", "1.0.0", register_cells)
