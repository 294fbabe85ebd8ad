// rnnlab/xview.h: as_xtensor<T>(tensor) is a no-copy xtensor view of a CPU tensor with its
// shape, writes go to the tensor, and a wrong dtype, a device tensor or an undefined tensor is
// an Error naming what was found.
#include <doctest/doctest.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "rnnlab/backend.h"
#include "rnnlab/xview.h"

using namespace rnnlab;

namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "<no Error>";
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("xview: f32 and f64 views have the tensor's shape and alias its memory") {
  Tensor f = from_vector(std::vector<float>{0, 1, 2, 3, 4, 5}, {2, 3});
  auto v = as_xtensor<float>(f);
  CHECK(v.shape() == std::vector<std::size_t>{2, 3});
  CHECK(v(1, 2) == 5.0f);
  CHECK(&v(0, 0) == f.data<float>());  // no copy
  CHECK(xt::sum(v)() == 15.0f);
  xt::view(v, 1, xt::all()) = 7.0f;  // writes go to the tensor (and its shared storage)
  const Tensor alias = f;
  CHECK(to_vector<float>(alias) == std::vector<float>{0, 1, 2, 7, 7, 7});

  Tensor d = from_vector(std::vector<double>{1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 2});
  auto w = as_xtensor<double>(d);
  CHECK(w.dimension() == 3);
  CHECK(w(1, 0, 1) == 6.0);
  CHECK(xt::sum(w, {0, 1})(1) == 2.0 + 4.0 + 6.0 + 8.0);

  Tensor ids = from_vector(std::vector<int32_t>{3, 1, 4}, {3});
  CHECK(as_xtensor<int32_t>(ids)(2) == 4);
  Tensor scalar = from_vector(std::vector<double>{2.5}, {});
  CHECK(as_xtensor<double>(scalar)() == 2.5);
}

TEST_CASE("xview: a wrong dtype and a non-CPU or undefined tensor are errors naming it") {
  Tensor f = zeros({2, 3}, DType::f32);
  CHECK(error_of([&] { as_xtensor<double>(f); }) ==
        "as_xtensor<f64>: the tensor [2,3] is f32, expected f64");
  auto on_device = std::make_shared<Storage>();
  on_device->device = Device::cuda;  // never dereferenced: the device is checked first
  on_device->bytes = 4 * sizeof(float);
  Tensor g({4}, DType::f32, Device::cuda, on_device);
  CHECK(error_of([&] { as_xtensor<float>(g); }) ==
        "as_xtensor<f32>: the tensor [4] is on cuda, expected a cpu tensor (copy it to the host "
        "first)");
  CHECK(error_of([&] { as_xtensor<float>(Tensor()); }) ==
        "as_xtensor<f32>: the tensor is undefined (no storage)");
}

TEST_SUITE_END();
