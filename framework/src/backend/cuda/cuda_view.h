// Non-owning views into CUDA tensors, for the fused sequence kernels of the built-in plugins
// (plugins/*/ *_cuda.cu): a step's rows of a [T,B,N] buffer as a [B,N] tensor that the backend's
// gemm can read or write. The view does not keep `base` alive: the caller holds `base` while
// the view is in use (views are made and used inside one kernel function). Header-only.
#pragma once

#include <memory>

#include "rnnlab/error.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

// Elements [offset, offset + numel(shape)) of contiguous `base`, shaped `shape`.
inline Tensor cuda_view(const Tensor& base, int64_t offset, Shape shape) {
  const int64_t n = shape_numel(shape);
  RNNLAB_CHECK(offset >= 0 && offset + n <= base.numel(), "cuda_view: elements [", offset, ", ",
               offset + n, ") outside a tensor of ", base.numel());
  auto s = std::make_shared<Storage>();  // empty release: memory not owned
  s->data =
      static_cast<char*>(base.raw()) + offset * static_cast<int64_t>(dtype_size(base.dtype()));
  s->bytes = static_cast<std::size_t>(n) * dtype_size(base.dtype());
  s->device = base.device();
  return Tensor(std::move(shape), base.dtype(), base.device(), std::move(s));
}

}  // namespace rnnlab
