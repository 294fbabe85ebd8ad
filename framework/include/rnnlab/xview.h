// as_xtensor: an xtensor view of a CPU tensor's memory, for plugin and data code that wants
// xtensor expressions (views, reductions, broadcasting) over a Tensor instead of index loops.
//
//   Tensor t = zeros({4, 3}, DType::f32);
//   auto v = rnnlab::as_xtensor<float>(t);   // shape [4, 3], row-major, no copy
//   xt::view(v, 1, xt::all()) = 2.0f;         // writes t's memory (row 1)
//   float s = xt::sum(v)();                   // 6
//
// Contract:
//   T        float for an f32 tensor, double for f64 (int32_t for i32: labels, token ids).
//   shape    v.shape() == t.shape() (as std::size_t); a scalar tensor gives a 0-d view.
//   memory   v aliases the tensor's storage (xt::adapt with xt::no_ownership): writes through v
//            are writes to t and to every Tensor sharing its storage (tensor.h). v does not
//            keep the storage alive: keep a Tensor that holds it while v is used.
//   errors   rnnlab::Error, naming the tensor's shape, when t is not a CPU tensor (copy it to
//            the host first: from_vector(to_vector<T>(t), t.shape())), when T does not match
//            t's dtype, or when t is undefined.
//
// Only this header and the core's CPU reductions (src/backend/cpu/cpu_reduce.cpp) and .npy
// reader (src/data/npy.cpp) use xtensor; the backend's kernels use raw loops, cblas and TBB
// (framework/README.md, "Where xtensor is used").
#pragma once

#include <concepts>
#include <cstddef>
#include <cstdint>
#include <vector>

#include <xtensor/xadapt.hpp>

#include "rnnlab/error.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

template <typename T>
concept XtensorElement =
    std::same_as<T, float> || std::same_as<T, double> || std::same_as<T, int32_t>;

template <XtensorElement T>
auto as_xtensor(const Tensor& t) {
  RNNLAB_CHECK(t.defined(), "as_xtensor<", dtype_name(dtype_of<T>()),
               ">: the tensor is undefined (no storage)");
  RNNLAB_CHECK(t.device() == Device::cpu, "as_xtensor<", dtype_name(dtype_of<T>()),
               ">: the tensor ", shape_str(t.shape()), " is on ", device_name(t.device()),
               ", expected a cpu tensor (copy it to the host first)");
  RNNLAB_CHECK(t.dtype() == dtype_of<T>(), "as_xtensor<", dtype_name(dtype_of<T>()),
               ">: the tensor ", shape_str(t.shape()), " is ", dtype_name(t.dtype()),
               ", expected ", dtype_name(dtype_of<T>()));
  std::vector<std::size_t> shape(t.shape().begin(), t.shape().end());
  return xt::adapt(t.data<T>(), static_cast<std::size_t>(t.numel()), xt::no_ownership(),
                   std::move(shape));
}

}  // namespace rnnlab
