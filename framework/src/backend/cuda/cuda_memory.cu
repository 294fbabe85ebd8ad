// CUDA backend: the context (device, stream, cuBLAS handle), the caching allocator, and the
// memory kernels fill / copy / upload / download / block_copy / cast.
//
// Allocator: a request of `bytes` is rounded up to its size class (512 B minimum; above that the
// next multiple of a quarter of the largest power of two <= bytes, so at most 25 % slack) and
// served from that class's free list; only a miss calls cudaMalloc. Freed blocks go back to
// their list at once (safe with one stream, see rnnlab/cuda_kernel.h). When cudaMalloc runs out of
// memory, every cached block is cudaFree'd and the allocation retried once. No managed memory.
#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "backend/cuda/cuda_blas.h"
#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

void cuda_fail(const char* call, const char* file, int line, const char* name,
               const char* what) {
  const char* base = std::strrchr(file, '/');
  throw Error(detail::concat(call, " failed: ", name ? name : "?", ": ", what ? what : "?", " (",
                             base ? base + 1 : file, ":", line, ")"));
}

namespace {

std::atomic<bool>& debug_sync_flag() {
  static std::atomic<bool> on{[] {
    const char* v = std::getenv("RNNLAB_CUDA_SYNC");
    return v != nullptr && std::string(v) == "1";
  }()};
  return on;
}

}  // namespace

bool cuda_debug_sync() { return debug_sync_flag().load(std::memory_order_relaxed); }
void cuda_set_debug_sync(bool on) { debug_sync_flag().store(on, std::memory_order_relaxed); }

namespace {

std::size_t size_class(std::size_t bytes) {
  if (bytes <= 512) return 512;
  std::size_t p = std::size_t(1) << (63 - __builtin_clzll(bytes));  // largest 2^k <= bytes
  std::size_t step = p / 4;
  return (bytes + step - 1) / step * step;
}

class DevicePool {
 public:
  void* get(std::size_t cls) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(cls);
      if (it != free_.end() && !it->second.empty()) {
        void* p = it->second.back();
        it->second.pop_back();
        cached_ -= cls;
        in_use_ += cls;
        return p;
      }
    }
    void* p = nullptr;
    cudaError_t err = cudaMalloc(&p, cls);
    if (err == cudaErrorMemoryAllocation) {
      (void)cudaGetLastError();  // clear the sticky-free error state of this thread
      release_cached();
      err = cudaMalloc(&p, cls);
    }
    if (err != cudaSuccess) {
      (void)cudaGetLastError();
      std::lock_guard<std::mutex> lock(mu_);
      throw Error(detail::concat("cudaMalloc(", cls, " bytes) failed: ", cudaGetErrorName(err),
                                 ": ", cudaGetErrorString(err), " (", in_use_,
                                 " bytes in use by rnnlab tensors)"));
    }
    std::lock_guard<std::mutex> lock(mu_);
    in_use_ += cls;
    return p;
  }
  void put(void* p, std::size_t cls) {
    std::lock_guard<std::mutex> lock(mu_);
    free_[cls].push_back(p);
    cached_ += cls;
    in_use_ -= cls;
  }
  void release_cached() {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [cls, list] : free_)
      for (void* p : list) (void)cudaFree(p);  // cudaFree synchronizes the device first
    free_.clear();
    cached_ = 0;
  }
  std::size_t in_use() const {
    std::lock_guard<std::mutex> lock(mu_);
    return in_use_;
  }
  std::size_t cached() const {
    std::lock_guard<std::mutex> lock(mu_);
    return cached_;
  }

 private:
  mutable std::mutex mu_;
  std::map<std::size_t, std::vector<void*>> free_;
  std::size_t cached_ = 0, in_use_ = 0;
};

}  // namespace

struct CudaBackend::Impl {
  int device = 0;
  cudaStream_t stream = nullptr;
  cublasHandle_t blas = nullptr;
  std::shared_ptr<DevicePool> pool = std::make_shared<DevicePool>();
};

CudaBackend::CudaBackend() : impl_(std::make_unique<Impl>()) {
  RNNLAB_CUDA_CHECK(cudaGetDevice(&impl_->device));
  RNNLAB_CUDA_CHECK(cudaStreamCreateWithFlags(&impl_->stream, cudaStreamDefault));
  const cublas::Api& blas = cublas::api();
  RNNLAB_CUBLAS_CHECK(blas.create(&impl_->blas));
  RNNLAB_CUBLAS_CHECK(blas.set_stream(impl_->blas, impl_->stream));
  // Full-precision float GEMMs (no TF32): parity with the CPU backend is part of the contract.
  RNNLAB_CUBLAS_CHECK(blas.set_math_mode(impl_->blas, CUBLAS_DEFAULT_MATH));
}

CudaBackend::~CudaBackend() {
  if (impl_->blas) (void)cublas::api().destroy(impl_->blas);
  if (impl_->stream) (void)cudaStreamDestroy(impl_->stream);
}

CudaBackend& cuda_backend() {
  static CudaBackend* backend = new CudaBackend();  // never destroyed, see cuda_backend.h
  return *backend;
}

cudaStream_t cuda_stream() { return cuda_backend().impl().stream; }
cublasHandle_t cuda_cublas_handle() { return cuda_backend().impl().blas; }

std::string CudaBackend::device_description() const {
  cudaDeviceProp prop{};
  RNNLAB_CUDA_CHECK(cudaGetDeviceProperties(&prop, impl_->device));
  int driver = 0, runtime = 0;
  RNNLAB_CUDA_CHECK(cudaDriverGetVersion(&driver));
  RNNLAB_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  return detail::concat(prop.name, " (sm_", prop.major, prop.minor, ", driver ", driver / 1000,
                        ".", (driver % 1000) / 10, ", runtime ", runtime / 1000, ".",
                        (runtime % 1000) / 10, ")");
}

void CudaBackend::set_threads(int n) {
  RNNLAB_CHECK_INPUT(n >= 1, "thread count must be >= 1, found ", n);
  threads_ = n;
}

std::size_t CudaBackend::bytes_in_use() const { return impl_->pool->in_use(); }
std::size_t CudaBackend::bytes_cached() const { return impl_->pool->cached(); }

Tensor CudaBackend::empty(const Shape& shape, DType dtype) {
  std::size_t bytes = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  std::size_t cls = size_class(bytes);
  auto st = std::make_shared<Storage>();
  st->data = impl_->pool->get(cls);
  st->bytes = cls;
  st->device = Device::cuda;
  std::weak_ptr<DevicePool> weak = impl_->pool;
  st->release = [weak](void* p, std::size_t b) {
    if (auto pool = weak.lock())
      pool->put(p, b);
    else
      (void)cudaFree(p);  // never throws from a deleter
  };
  return Tensor(shape, dtype, Device::cuda, std::move(st));
}

namespace {

template <typename T>
__global__ void fill_kernel(T* p, T v, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) p[i] = v;
}

template <typename O, typename I>
__global__ void cast_kernel(const I* in, O* out, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) out[i] = static_cast<O>(in[i]);
}

// dst[o*ds + doff + j] (+)= src[o*ss + soff + j]; E is the element type (any 4/8-byte word for
// plain copies).
template <typename E, bool Acc>
__global__ void block_copy_kernel(const E* src, E* dst, Backend::Block b) {
  const int64_t n = b.outer * b.len;
  RNNLAB_GRID_STRIDE(i, n) {
    int64_t o = i / b.len, j = i - o * b.len;
    const E v = src[o * b.src_stride + b.src_off + j];
    E& d = dst[o * b.dst_stride + b.dst_off + j];
    if constexpr (Acc)
      d += v;
    else
      d = v;
  }
}

template <typename O>
void launch_cast(const Tensor& src, O* out, cudaStream_t s) {
  int64_t n = src.numel();
  switch (src.dtype()) {
    case DType::f32:
      cast_kernel<O, float><<<cuda_blocks(n), kCudaThreads, 0, s>>>(src.data<float>(), out, n);
      break;
    case DType::f64:
      cast_kernel<O, double><<<cuda_blocks(n), kCudaThreads, 0, s>>>(src.data<double>(), out, n);
      break;
    case DType::i32:
      cast_kernel<O, int32_t><<<cuda_blocks(n), kCudaThreads, 0, s>>>(src.data<int32_t>(), out, n);
      break;
  }
  RNNLAB_CUDA_LAUNCHED("cast_kernel");
}

}  // namespace

void CudaBackend::fill(Tensor& t, double value) {
  cuda_detail::check_cuda(t, "fill target");
  int64_t n = t.numel();
  if (n == 0) return;
  cudaStream_t s = impl_->stream;
  if (value == 0.0 && !std::signbit(value)) {  // all-zero bits for f32, f64 and i32
    RNNLAB_CUDA_CHECK(cudaMemsetAsync(t.raw(), 0, t.bytes(), s));
    return;
  }
  if (t.dtype() == DType::i32) {
    fill_kernel<int32_t><<<cuda_blocks(n), kCudaThreads, 0, s>>>(
        t.data<int32_t>(), static_cast<int32_t>(value), n);
    RNNLAB_CUDA_LAUNCHED("fill_kernel<i32>");
    return;
  }
  dispatch_float(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    fill_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, s>>>(t.data<T>(), static_cast<T>(value), n);
    RNNLAB_CUDA_LAUNCHED("fill_kernel");
  });
}

void CudaBackend::copy(const Tensor& src, Tensor& dst) {
  RNNLAB_CHECK(src.numel() == dst.numel() && src.dtype() == dst.dtype(), "copy ",
               shape_str(src.shape()), " ", dtype_name(src.dtype()), " into ",
               shape_str(dst.shape()), " ", dtype_name(dst.dtype()));
  cuda_detail::check_cuda(src, "copy source");
  cuda_detail::check_cuda(dst, "copy target");
  if (src.raw() != dst.raw() && src.bytes() > 0)
    RNNLAB_CUDA_CHECK(cudaMemcpyAsync(dst.raw(), src.raw(), src.bytes(), cudaMemcpyDeviceToDevice,
                                      impl_->stream));
}

// From pageable host memory cudaMemcpyAsync returns once the bytes are staged, so `host` may be
// reused right after; the copy is ordered on the stream before any later kernel.
void CudaBackend::upload(const void* host, Tensor& dst) {
  cuda_detail::check_cuda(dst, "upload target");
  if (dst.bytes() == 0) return;
  RNNLAB_CUDA_CHECK(
      cudaMemcpyAsync(dst.raw(), host, dst.bytes(), cudaMemcpyHostToDevice, impl_->stream));
}

// Waits for every queued kernel that writes src (the stream is in order), then copies.
void CudaBackend::download(const Tensor& src, void* host) {
  cuda_detail::check_cuda(src, "download source");
  if (src.bytes() == 0) return;
  RNNLAB_CUDA_CHECK(
      cudaMemcpyAsync(host, src.raw(), src.bytes(), cudaMemcpyDeviceToHost, impl_->stream));
  RNNLAB_CUDA_CHECK(cudaStreamSynchronize(impl_->stream));
}

void CudaBackend::cast(const Tensor& src, Tensor& dst) {
  RNNLAB_CHECK(src.numel() == dst.numel(), "cast between different sizes");
  cuda_detail::check_cuda(src, "cast source");
  cuda_detail::check_cuda(dst, "cast target");
  if (src.numel() == 0) return;
  if (src.dtype() == dst.dtype()) {
    copy(src, dst);
    return;
  }
  switch (dst.dtype()) {
    case DType::f32: launch_cast(src, dst.data<float>(), impl_->stream); break;
    case DType::f64: launch_cast(src, dst.data<double>(), impl_->stream); break;
    case DType::i32: launch_cast(src, dst.data<int32_t>(), impl_->stream); break;
  }
}

void CudaBackend::block_copy(const Tensor& src, Tensor& dst, const Block& b, bool accumulate) {
  RNNLAB_CHECK(src.dtype() == dst.dtype(), "block_copy between dtypes");
  RNNLAB_CHECK(b.outer == 0 || ((b.outer - 1) * b.src_stride + b.src_off + b.len <= src.numel() &&
                                (b.outer - 1) * b.dst_stride + b.dst_off + b.len <= dst.numel()),
               "block_copy out of bounds");
  cuda_detail::check_cuda(src, "block_copy source");
  cuda_detail::check_cuda(dst, "block_copy target");
  const int64_t n = b.outer * b.len;
  if (n == 0) return;
  cudaStream_t s = impl_->stream;
  if (!accumulate) {
    const std::size_t es = dtype_size(src.dtype());
    if (b.outer == 1 || (b.src_stride == b.len && b.dst_stride == b.len)) {  // one range
      RNNLAB_CUDA_CHECK(cudaMemcpyAsync(static_cast<char*>(dst.raw()) + b.dst_off * es,
                                        static_cast<const char*>(src.raw()) + b.src_off * es,
                                        static_cast<std::size_t>(n) * es,
                                        cudaMemcpyDeviceToDevice, s));
      return;
    }
    if (es == 8)
      block_copy_kernel<unsigned long long, false><<<cuda_blocks(n), kCudaThreads, 0, s>>>(
          static_cast<const unsigned long long*>(src.raw()),
          static_cast<unsigned long long*>(dst.raw()), b);
    else
      block_copy_kernel<unsigned int, false><<<cuda_blocks(n), kCudaThreads, 0, s>>>(
          static_cast<const unsigned int*>(src.raw()), static_cast<unsigned int*>(dst.raw()), b);
    RNNLAB_CUDA_LAUNCHED("block_copy_kernel");
    return;
  }
  dispatch_float(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    block_copy_kernel<T, true><<<cuda_blocks(n), kCudaThreads, 0, s>>>(src.data<T>(),
                                                                         dst.data<T>(), b);
    RNNLAB_CUDA_LAUNCHED("block_copy_kernel<acc>");
  });
}

}  // namespace rnnlab

namespace rnnlab {
// backend_for(Device::cuda) (backend_common.cpp) after backend_available() said yes.
Backend& cuda_backend_instance() { return cuda_backend(); }
}  // namespace rnnlab
