// Tensor metadata; memory comes from a Backend.
#include "rnnlab/tensor.h"

#include <sstream>

namespace rnnlab {

std::size_t dtype_size(DType t) {
  switch (t) {
    case DType::f32: return 4;
    case DType::f64: return 8;
    case DType::i32: return 4;
  }
  return 0;
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::f32: return "f32";
    case DType::f64: return "f64";
    case DType::i32: return "i32";
  }
  return "?";
}

const char* device_name(Device d) { return d == Device::cpu ? "cpu" : "cuda"; }

std::string shape_str(const Shape& s) {
  std::ostringstream os;
  os << '[';
  for (std::size_t i = 0; i < s.size(); ++i) os << (i ? "," : "") << s[i];
  os << ']';
  return os.str();
}

int64_t shape_numel(const Shape& s) {
  int64_t n = 1;
  for (auto d : s) n *= d;
  return n;
}

Tensor::Tensor(Shape shape, DType dtype, Device device, std::shared_ptr<Storage> storage)
    : shape_(std::move(shape)), dtype_(dtype), device_(device), storage_(std::move(storage)) {
  for (auto d : shape_) RNNLAB_CHECK(d >= 0, "negative dimension in shape ", shape_str(shape_));
  RNNLAB_CHECK(!storage_ || storage_->bytes >= bytes(), "tensor of shape ", shape_str(shape_),
               " needs ", bytes(), " bytes, storage has ", storage_->bytes);
}

int64_t Tensor::dim(int i) const {
  int r = rank();
  int j = i < 0 ? i + r : i;
  RNNLAB_CHECK(j >= 0 && j < r, "dim(", i, ") of a rank-", r, " tensor ", shape_str(shape_));
  return shape_[j];
}

Tensor Tensor::reshape(Shape shape) const {
  int64_t known = 1;
  int infer = -1;
  for (std::size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == -1) {
      RNNLAB_CHECK(infer < 0, "reshape ", shape_str(shape), ": more than one -1");
      infer = static_cast<int>(i);
    } else {
      known *= shape[i];
    }
  }
  if (infer >= 0) {
    RNNLAB_CHECK(known > 0 && numel() % known == 0, "cannot reshape ", shape_str(shape_), " to ",
                 shape_str(shape));
    shape[infer] = numel() / known;
  }
  RNNLAB_CHECK(shape_numel(shape) == numel(), "cannot reshape ", shape_str(shape_), " (",
               numel(), " elements) to ", shape_str(shape));
  return Tensor(std::move(shape), dtype_, device_, storage_);
}

}  // namespace rnnlab
