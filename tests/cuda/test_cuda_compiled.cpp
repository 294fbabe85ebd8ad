// The step compiler on CUDA (compiler/launch.h, cuda_launcher.cpp): every built-in step cell
// forced onto the compiled path runs its emitted CUDA C (NVRTC, cuBLAS) and must equal the CPU
// compiled path (the row interpreter) with the same weights: outputs, final states, the input
// gradient and every parameter gradient, on a variable-length (masked) and an unpadded batch;
// f32 (rel err <= 1e-5) and f64 (1e-12); the same CUDA step twice gives identical bits. The
// linear recurrences forced onto the scan path run the scan's kernels (emit_scan_cuda,
// launch_scan.cpp) and must equal the CPU scan the same way. The kernels themselves are checked
// without a device by tests/test_step_compiler_shim.cpp.
#include <doctest/doctest.h>

#include "builtin_plugins.h"
#include "cuda_test_util.h"
#include "rnnlab/recurrent.h"

using namespace rnnlab;
using namespace rnnlab::cuda_test;
using rnnlab::test::builtin_cells;

namespace {

constexpr int64_t kT = 7, kB = 5, kI = 6;

struct Result {
  Tensor outputs, x_grad;
  std::vector<Tensor> final_state, grads;
  std::string path;
};

// One forward + backward on `path` of L = Σ outputs ⊙ R + Σ_k state_k ⊙ R_k on device d.
Result run(const std::string& cell, Device d, DType dt, const std::vector<int32_t>& lengths,
           RecurrentPath path = RecurrentPath::compiled, int64_t steps = kT) {
  ParameterStore params(d, dt);
  Rng rng(1);
  auto c = builtin_cells().create(cell, {{"hidden", ParamValue{int64_t{16}}}}, kI, params,
                                  "m/" + cell, rng);
  Recurrent rnn(std::move(c), Recurrent::Options{false, true, path});
  for (auto& p : params.all())
    p->value = to_device(
        rand_t(p->value.shape(), mix64(std::hash<std::string>{}(p->name)), dt, -0.5, 0.5), d);
  Tape tape(d);
  Var x = tape.leaf(to_device(rand_t({steps, kB, kI}, 5, dt), d));
  CellContext ctx;
  ctx.training = true;
  ctx.seed = 3;
  auto o = rnn.forward(tape, x, lengths, ctx);
  Var loss = sum(mul(o.outputs, tape.constant(to_device(rand_t(o.outputs.shape(), 101, dt), d))));
  for (std::size_t k = 0; k < o.final_state.size(); ++k)
    loss = add(loss, sum(mul(o.final_state[k],
                             tape.constant(to_device(rand_t(o.final_state[k].shape(), 200 + k, dt), d)))));
  params.zero_grad();
  tape.backward(loss);
  Result r;
  r.path = rnn.path_used() + (rnn.path_note().empty() ? "" : " (" + rnn.path_note() + ")");
  r.outputs = to_device(o.outputs.value(), Device::cpu);
  for (auto& s : o.final_state) r.final_state.push_back(to_device(s.value(), Device::cpu));
  r.x_grad = to_device(tape.grad(x), Device::cpu);
  for (auto& p : params.all())
    r.grads.push_back(p->grad.defined() ? to_device(p->grad, Device::cpu) : Tensor());
  return r;
}

void compare(const Result& got, const Result& want, double tolerance) {
  CHECK(rel_err(got.outputs, want.outputs) <= tolerance);
  for (std::size_t k = 0; k < want.final_state.size(); ++k)
    CHECK(rel_err(got.final_state[k], want.final_state[k]) <= tolerance);
  CHECK(rel_err(got.x_grad, want.x_grad) <= tolerance);
  for (std::size_t p = 0; p < want.grads.size(); ++p)
    if (want.grads[p].defined()) {
      INFO("parameter " << p);
      CHECK(rel_err(got.grads[p], want.grads[p]) <= tolerance);
    }
}

}  // namespace

TEST_CASE("cuda compiled: every built-in step cell on the compiled path equals the cpu compiled "
          "path") {
  for (const std::string& cell : rnnlab::test::builtin_step_cells())
    for (DType dt : {DType::f32, DType::f64})
      for (const std::vector<int32_t>& lengths :
           {std::vector<int32_t>{7, 4, 1, 6, 7}, std::vector<int32_t>{}}) {
        INFO(cell << ", " << dtype_name(dt) << (lengths.empty() ? ", unpadded" : ", masked"));
        const Result want = run(cell, Device::cpu, dt, lengths);
        const Result got = run(cell, Device::cuda, dt, lengths);
        CHECK(want.path == "compiled");
        CHECK(got.path == "compiled");
        compare(got, want, tol(dt));
        const Result again = run(cell, Device::cuda, dt, lengths);
        CHECK(bits_equal(got.outputs, again.outputs));
        CHECK(bits_equal(got.x_grad, again.x_grad));
      }
}

TEST_CASE("cuda scan: every linear recurrence on the scan path equals the cpu scan path") {
  const int64_t steps = 150;  // 64 chunks of 2-3 steps
  for (const char* cell : {"mingru", "minlstm", "qrnn"})
    for (DType dt : {DType::f32, DType::f64})
      for (const std::vector<int32_t>& lengths :
           {std::vector<int32_t>{150, 97, 1, 64, 150}, std::vector<int32_t>{}}) {
        INFO(cell << ", " << dtype_name(dt) << (lengths.empty() ? ", unpadded" : ", masked"));
        const Result want = run(cell, Device::cpu, dt, lengths, RecurrentPath::scan, steps);
        const Result got = run(cell, Device::cuda, dt, lengths, RecurrentPath::scan, steps);
        CHECK(want.path == "scan");
        CHECK(got.path == "scan");
        compare(got, want, tol(dt));
      }
}
