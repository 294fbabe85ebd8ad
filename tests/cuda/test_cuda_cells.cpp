// End-to-end CPU <-> CUDA parity of every built-in cell (elman, lstm, gru, qrnn, rwa, nstep):
// the same weights on both devices, a variable-length batch, training mode (QRNN zoneout masks
// come from the shared counter hash), stateful carry over two batches; forward outputs, final
// states, the input gradient and every parameter gradient, f32 (rel err <= 1e-5) and f64.
// Each cell runs through the fused path when the plugin has one for the device (has_fused),
// else through the composed unroll. A second case compares each CUDA fused kernel with the
// CUDA composed unroll directly (same device, same weights), for every cell that has one.
//
// Each cell configuration is its own test case (a failure or a throw in one cell hides no
// other), and each runs four inputs: the variable-length batch, an unpadded batch (no mask),
// inputs of large magnitude (|x| up to 100: saturated gates, exp's range rule) and a batch with
// one NaN row (NaN where the CPU has NaN, the other rows' outputs equal); finally the same CUDA
// step twice must give identical bits (no atomics, no order-dependent sums).
#include <doctest/doctest.h>

#include "cuda_test_util.h"
#include "rnnlab/recurrent.h"

using namespace rnnlab;
using namespace rnnlab::cuda_test;
using rnnlab::test::builtin_cells;

namespace {

using Params = std::map<std::string, ParamValue>;

struct CellCase {
  const char* label;
  const char* cell;
  Params params;
};

const std::vector<CellCase>& cases() {
  static const std::vector<CellCase> c{
      {"elman tanh", "elman", {{"hidden", int64_t{16}}}},
      {"elman relu", "elman", {{"hidden", int64_t{16}}, {"activation", std::string("relu")}}},
      {"lstm", "lstm", {{"hidden", int64_t{16}}}},
      {"gru", "gru", {{"hidden", int64_t{16}}}},
      {"qrnn f", "qrnn", {{"hidden", int64_t{16}}, {"pooling", std::string("f")}, {"window", int64_t{2}}}},
      {"qrnn fo zoneout", "qrnn",
       {{"hidden", int64_t{16}}, {"pooling", std::string("fo")}, {"window", int64_t{2}}, {"zoneout", 0.25}}},
      {"qrnn ifo", "qrnn", {{"hidden", int64_t{16}}, {"pooling", std::string("ifo")}, {"window", int64_t{1}}}},
      {"rwa", "rwa", {{"hidden", int64_t{16}}}},
      {"nstep lstm 2 layers bidirectional", "nstep",
       {{"cell", std::string("lstm")}, {"hidden", int64_t{8}}, {"layers", int64_t{2}}, {"bidirectional", true}}},
      {"nstep gru", "nstep", {{"cell", std::string("gru")}, {"hidden", int64_t{8}}}},
  };
  return c;
}

constexpr int64_t kT = 9, kB = 5, kI = 6;

// The inputs every cell runs (see the header).
struct Input {
  const char* label;
  std::vector<int32_t> lengths;
  double scale = 1.0;     // x in [-scale, scale]
  int64_t nan_row = -1;   // this batch row gets a NaN at step 2
};
const std::vector<Input>& inputs() {
  static const std::vector<Input> in{
      {"variable lengths", {9, 4, 1, 7, 9}},
      {"unpadded (no mask)", {9, 9, 9, 9, 9}},
      {"large |x| <= 100", {9, 4, 1, 7, 9}, 100.0},
      {"a NaN row", {9, 9, 9, 9, 9}, 1.0, 3},
  };
  return in;
}

struct Net {
  Net(Device d, DType dt) : params(d, dt) {}
  ParameterStore params;
  std::unique_ptr<Recurrent> rnn;
};

// The same cell on `d`: parameters randomised on the CPU (seeded by name), then copied.
std::unique_ptr<Net> make(const CellCase& c, Device d, DType dt, bool fused, bool stateful) {
  auto n = std::make_unique<Net>(d, dt);
  Rng rng(1);
  auto cell = builtin_cells().create(c.cell, c.params, kI, n->params, "m/layer0/" + std::string(c.cell), rng);
  n->rnn = std::make_unique<Recurrent>(std::move(cell), Recurrent::Options{stateful, fused});
  for (auto& p : n->params.all())
    p->value = to_device(rand_t(p->value.shape(), mix64(std::hash<std::string>{}(p->name)), dt, -0.5, 0.5), d);
  return n;
}

struct StepResult {
  Tensor outputs, x_grad;
  std::vector<Tensor> final_state, param_grads;
  std::size_t tape_size = 0;  // nodes on the tape after the step
};

// One training step's forward and backward: L = Σ outputs ⊙ R1 + Σ_k state_k ⊙ R2_k.
StepResult step(Net& net, Device d, DType dt, uint64_t batch_seed, const Input& in) {
  Tape tape(d);
  Tensor xs = rand_t({kT, kB, kI}, 500 + batch_seed, dt, -in.scale, in.scale);
  if (in.nan_row >= 0) {
    auto v = to_vector<double>(xs);
    v[static_cast<std::size_t>((2 * kB + in.nan_row) * kI)] = std::nan("");
    xs = to_dtype(from_vector(v, xs.shape()), dt);
  }
  Var x = tape.leaf(to_device(xs, d));
  CellContext ctx;
  ctx.training = true;
  ctx.seed = 77 + batch_seed;
  ctx.stateful = net.rnn->options().stateful;
  auto o = net.rnn->forward(tape, x, in.lengths, ctx);
  Var loss = sum(mul(o.outputs, tape.constant(to_device(rand_t(o.outputs.shape(), 101, dt), d))));
  for (std::size_t k = 0; k < o.final_state.size(); ++k)
    loss = add(loss, sum(mul(o.final_state[k],
                             tape.constant(to_device(rand_t(o.final_state[k].shape(), 200 + k, dt), d)))));
  net.params.zero_grad();
  tape.backward(loss);
  StepResult r;
  r.outputs = clone(o.outputs.value());
  for (auto& s : o.final_state) r.final_state.push_back(clone(s.value()));
  r.x_grad = clone(tape.grad(x));
  r.tape_size = tape.size();
  for (auto& p : net.params.all())
    r.param_grads.push_back(p->grad.defined() ? clone(p->grad) : Tensor());
  return r;
}

bool bits_equal_all(const StepResult& a, const StepResult& b) {
  bool same = bits_equal(a.outputs, b.outputs) && bits_equal(a.x_grad, b.x_grad);
  for (std::size_t k = 0; k < a.final_state.size(); ++k)
    same = same && bits_equal(a.final_state[k], b.final_state[k]);
  for (std::size_t p = 0; p < a.param_grads.size(); ++p)
    if (a.param_grads[p].defined()) same = same && bits_equal(a.param_grads[p], b.param_grads[p]);
  return same;
}

void compare(const StepResult& got, const StepResult& want, const Net& net, double tolerance) {
  CHECK(rel_err(got.outputs, want.outputs) <= tolerance);
  REQUIRE(got.final_state.size() == want.final_state.size());
  for (std::size_t k = 0; k < got.final_state.size(); ++k) {
    INFO("final state " << k);
    CHECK(rel_err(got.final_state[k], want.final_state[k]) <= tolerance);
  }
  CHECK(rel_err(got.x_grad, want.x_grad) <= tolerance);
  REQUIRE(got.param_grads.size() == want.param_grads.size());
  for (std::size_t p = 0; p < got.param_grads.size(); ++p) {
    INFO("gradient of " << net.params.all()[p]->name);
    REQUIRE(got.param_grads[p].defined() == want.param_grads[p].defined());
    if (got.param_grads[p].defined())
      CHECK(rel_err(got.param_grads[p], want.param_grads[p]) <= tolerance);
  }
}


// CPU <-> CUDA for one cell configuration, every dtype, path and input (see the header).
void cpu_parity(const CellCase& c) {
  for (DType dt : {DType::f32, DType::f64})
    for (bool fused : {false, true})
      for (const Input& in : inputs()) {
        // the CPU reference is always the composed unroll; stateful: two batches with carry
        auto ref = make(c, Device::cpu, dt, false, true);
        auto dev = make(c, Device::cuda, dt, fused, true);
        for (uint64_t batch = 0; batch < 2; ++batch) {
          INFO(c.label << " " << dtype_name(dt) << (fused ? " fused" : " composed") << ", "
                       << in.label << ", batch " << batch << " (cuda fused kernel: "
                       << dev->rnn->cell().has_fused(Device::cuda) << ")");
          StepResult want = step(*ref, Device::cpu, dt, batch, in);
          StepResult got = step(*dev, Device::cuda, dt, batch, in);
          compare(got, want, *ref, dt == DType::f32 ? 1e-5 : 1e-11);
        }
        // The same step twice on CUDA, from the same state: identical bits.
        auto once = make(c, Device::cuda, dt, fused, false);
        auto twice = make(c, Device::cuda, dt, fused, false);
        INFO(c.label << " " << dtype_name(dt) << (fused ? " fused" : " composed") << ", "
                     << in.label << ": repeated");
        CHECK(bits_equal_all(step(*once, Device::cuda, dt, 0, in),
                             step(*twice, Device::cuda, dt, 0, in)));
      }
}

// Cells whose plugin ships a CUDA fused kernel (built whenever this test is: both need CUDA).
bool expects_cuda_kernel(const std::string& cell) {
  return cell == "qrnn" || cell == "lstm" || cell == "gru" || cell == "elman" || cell == "rwa";
}

// The CUDA fused kernel against the CUDA composed unroll, for a cell that has one.
void fused_vs_composed(const CellCase& c) {
  for (DType dt : {DType::f32, DType::f64})
    for (const Input& in : inputs()) {
      auto composed = make(c, Device::cuda, dt, false, true);
      auto fused = make(c, Device::cuda, dt, true, true);
      const bool has = fused->rnn->cell().has_fused(Device::cuda);
      INFO(c.label << " " << dtype_name(dt) << ", " << in.label);
      if (expects_cuda_kernel(c.cell)) REQUIRE(has);
      if (!has) return;
      for (uint64_t batch = 0; batch < 2; ++batch) {  // stateful: the second batch starts from
        INFO("batch " << batch);                       // the carried final state
        StepResult want = step(*composed, Device::cuda, dt, batch, in);
        StepResult got = step(*fused, Device::cuda, dt, batch, in);
        compare(got, want, *composed, dt == DType::f32 ? 1e-5 : 1e-11);
        CHECK(got.tape_size < want.tape_size);  // the fused kernel really ran (one node)
      }
    }
}

const CellCase& case_named(const char* label) {
  for (const CellCase& c : cases())
    if (std::string(c.label) == label) return c;
  FAIL("no cell case '" << label << "'");
  throw Error("unreachable");
}

}  // namespace

// One test case per cell configuration and comparison (the list is cases()).
#define RNNLAB_CUDA_CELL_CASE(label)                                                       \
  TEST_CASE("cuda cells: " label ": a training step on cuda equals the cpu") {             \
    cpu_parity(case_named(label));                                                         \
  }                                                                                        \
  TEST_CASE("cuda cells: " label ": the cuda fused kernel equals the cuda composed path") { \
    fused_vs_composed(case_named(label));                                                  \
  }
RNNLAB_CUDA_CELL_CASE("elman tanh")
RNNLAB_CUDA_CELL_CASE("elman relu")
RNNLAB_CUDA_CELL_CASE("lstm")
RNNLAB_CUDA_CELL_CASE("gru")
RNNLAB_CUDA_CELL_CASE("qrnn f")
RNNLAB_CUDA_CELL_CASE("qrnn fo zoneout")
RNNLAB_CUDA_CELL_CASE("qrnn ifo")
RNNLAB_CUDA_CELL_CASE("rwa")
RNNLAB_CUDA_CELL_CASE("nstep lstm 2 layers bidirectional")
RNNLAB_CUDA_CELL_CASE("nstep gru")

TEST_CASE("cuda cells: every configuration has its test case") {
  CHECK(cases().size() == 10);  // one RNNLAB_CUDA_CELL_CASE line above each
}
