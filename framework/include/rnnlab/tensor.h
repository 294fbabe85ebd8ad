// Tensor: a dense, contiguous, row-major n-d array with a dtype and a device.
//
//   shape   [d0, d1, ..., dn-1]   (int64; a scalar has shape [])
//   dtype   f32 | f64 | i32        (f64 for gradient checks, i32 for labels and token ids)
//   device  cpu | cuda             (the backend that owns the memory)
//
// Storage is shared (copying a Tensor is cheap and aliases); `reshape` is a view. All math on
// tensors goes through a Backend (backend.h): ops never touch the memory themselves.
// On the CPU, `as_xtensor<T>(t)` (rnnlab/xview.h) views the data as an xtensor expression.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/error.h"

namespace rnnlab {

enum class DType { f32, f64, i32 };
enum class Device { cpu, cuda };

using Shape = std::vector<int64_t>;

std::size_t dtype_size(DType t);
const char* dtype_name(DType t);
const char* device_name(Device d);
std::string shape_str(const Shape& s);
int64_t shape_numel(const Shape& s);

template <typename T>
constexpr DType dtype_of();
template <>
constexpr DType dtype_of<float>() { return DType::f32; }
template <>
constexpr DType dtype_of<double>() { return DType::f64; }
template <>
constexpr DType dtype_of<int32_t>() { return DType::i32; }

// A block of device memory. The deleter gives it back to its backend's allocator.
struct Storage {
  void* data = nullptr;
  std::size_t bytes = 0;
  Device device = Device::cpu;
  std::function<void(void*, std::size_t)> release;  // may be empty (memory not owned)
  Storage() = default;
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;
  ~Storage() {
    if (release) release(data, bytes);
  }
};

class Tensor {
 public:
  Tensor() = default;
  Tensor(Shape shape, DType dtype, Device device, std::shared_ptr<Storage> storage);

  const Shape& shape() const { return shape_; }
  int64_t dim(int i) const;  // negative i counts from the end
  int rank() const { return static_cast<int>(shape_.size()); }
  int64_t numel() const { return shape_numel(shape_); }
  DType dtype() const { return dtype_; }
  Device device() const { return device_; }
  bool defined() const { return storage_ != nullptr; }
  std::size_t bytes() const { return static_cast<std::size_t>(numel()) * dtype_size(dtype_); }

  // Raw pointer to the first element (device memory for cuda tensors).
  void* raw() const { return storage_ ? storage_->data : nullptr; }
  template <typename T>
  T* data() const {
    RNNLAB_CHECK(dtype_of<T>() == dtype_, "tensor data<", dtype_name(dtype_of<T>()),
                 ">() on a ", dtype_name(dtype_), " tensor");
    return static_cast<T*>(raw());
  }

  // Same storage, new shape with the same number of elements; one dim may be -1.
  Tensor reshape(Shape shape) const;
  bool same_storage(const Tensor& o) const { return storage_ == o.storage_; }
  const std::shared_ptr<Storage>& storage() const { return storage_; }

 private:
  Shape shape_;
  DType dtype_ = DType::f32;
  Device device_ = Device::cpu;
  std::shared_ptr<Storage> storage_;
};

}  // namespace rnnlab
