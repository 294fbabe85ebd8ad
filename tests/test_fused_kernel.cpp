// rnnlab/fused_kernel.h, the rules every fused cell kernel shares (CPU and CUDA):
//   * dispatch_real / fused_kernel_for pick the float or double instance by dtype, name the
//     kernel "<cell>_fused_<device>" in the error for any other dtype, and give null where the
//     device has no kernel (a plugin built without CUDA);
//   * add_recurrent_weight_grad issues dW += h0ᵀ dG_0, then H[0:T-1]ᵀ dG[1:T] (T > 1 only);
//   * accumulate_needed adds only into the inputs that want a gradient.
#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <vector>

#include "rnnlab/autodiff.h"
#include "rnnlab/backend.h"
#include "rnnlab/error.h"
#include "rnnlab/fused_kernel.h"

using namespace rnnlab;

namespace {

using ProbeKernel = Var(Tape&, const Var&);
Var probe_float(Tape& t, const Var&) { return t.constant(zeros({1}, DType::f32)); }
Var probe_double(Tape& t, const Var&) { return t.constant(zeros({2}, DType::f64)); }
const RealKernels<ProbeKernel> kProbe{probe_float, probe_double};

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("fused kernel: dispatch_real calls fn with the element type of f32 and f64") {
  auto size_of = [](auto real) { return sizeof(typename decltype(real)::type); };
  CHECK(dispatch_real(DType::f32, "k", size_of) == sizeof(float));
  CHECK(dispatch_real(DType::f64, "k", size_of) == sizeof(double));
  CHECK_THROWS_WITH_AS(dispatch_real(DType::i32, "k", size_of), "k: expected f32 or f64, found i32",
                       Error);
}

TEST_CASE("fused kernel: fused_kernel_for picks the device and dtype instance or none") {
  Tape tape(Device::cpu);
  CHECK((fused_kernel_for(tape, DType::f32, "probe", kProbe, nullptr) == probe_float));
  CHECK((fused_kernel_for(tape, DType::f64, "probe", kProbe, &kProbe) == probe_double));
  CHECK_THROWS_WITH_AS(fused_kernel_for(tape, DType::i32, "probe", kProbe, nullptr),
                       "probe_fused_cpu: expected f32 or f64, found i32", Error);
}

TEST_CASE("fused kernel: add_recurrent_weight_grad reads h0 then the saved states") {
  using Call = std::tuple<PrevStates, int64_t, int64_t>;  // states, first grad row, rows
  std::vector<Call> calls;
  auto record = [&](PrevStates s, int64_t g, int64_t k) { calls.emplace_back(s, g, k); };
  add_recurrent_weight_grad(1, 4, record);
  CHECK(calls == std::vector<Call>{{PrevStates::initial, 0, 4}});
  calls.clear();
  add_recurrent_weight_grad(3, 4, record);
  CHECK(calls == std::vector<Call>{{PrevStates::initial, 0, 4}, {PrevStates::saved, 4, 8}});
}

TEST_CASE("fused kernel: optional_value is null for an absent input and never reads it") {
  // Every fused forward on both devices takes its mask and QRNN's c0 through this: an empty
  // Var (no mask, f pooling) must give null, not Var::value()'s throw (issue: the CUDA QRNN
  // forward evaluated c0.value() before checking the flag).
  Tape tape(Device::cpu);
  const Var absent;
  CHECK_NOTHROW(optional_value<float>(absent));
  CHECK(optional_value<float>(absent) == nullptr);
  const Var m = tape.constant(from_vector(std::vector<float>{1, 0}, {2}));
  CHECK(optional_value<float>(m) == m.value().data<float>());
  CHECK_THROWS_AS(absent.value(), Error);  // what optional_value must not call
}

TEST_CASE("fused kernel: accumulate_needed adds into the inputs that need a gradient") {
  Tape tape(Device::cpu);
  Var a = tape.leaf(from_vector(std::vector<double>{1, 2}, {2}), true);
  Var b = tape.constant(from_vector(std::vector<double>{3, 4}, {2}));
  Var loss =
      tape.record(from_vector(std::vector<double>{0}, {1}), {a, b}, [](BackwardContext& ctx) {
        accumulate_needed(ctx, {{0, from_vector(std::vector<double>{5, 6}, {2})},
                                {1, from_vector(std::vector<double>{7, 8}, {2})}});
      });
  tape.backward(loss);
  CHECK(to_vector<double>(tape.grad(a)) == std::vector<double>{5, 6});
}

TEST_SUITE_END();
