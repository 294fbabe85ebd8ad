// CPU backend: construction, threads, the caching allocator, fill/copy/cast/block_copy.
//
// Allocator: freed blocks go back to a per-size free list and are handed out again, so a
// training loop that allocates the same shapes every step stops calling malloc (large mallocs
// are mmaps, and fresh pages fault on first touch). Sizes are rounded up to size classes (8
// per power of two above 4 KiB: at most 12.5 % slack) so that batches whose length varies a
// little from step to step (variable-length data: T = the longest sequence of the batch) hit
// the cache too; exact sizes made every such step fault in fresh pages (6x slower at T ~ 1000).
// The cache is dropped when it exceeds kMaxCachedBytes.
#include <cblas.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <tbb/global_control.h>
#include <tbb/parallel_for.h>
#include <thread>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"

namespace rnnlab {

namespace {
constexpr std::size_t kAlign = 64;
constexpr std::size_t kMaxCachedBytes = std::size_t(1) << 30;

// Bytes rounded up to the allocation class: multiples of kAlign up to 4 KiB, then 8 classes
// per power of two.
std::size_t size_class(std::size_t bytes) {
  std::size_t r = std::max<std::size_t>(kAlign, (bytes + kAlign - 1) / kAlign * kAlign);
  if (r <= 4096) return r;
  std::size_t top = std::size_t(1) << (63 - __builtin_clzll(r));  // largest power of 2 <= r
  const std::size_t step = top / 8;
  return (r + step - 1) / step * step;
}

class BlockCache {
 public:
  void* get(std::size_t bytes) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      auto it = free_.find(bytes);
      if (it != free_.end()) {
        void* p = it->second;
        free_.erase(it);
        cached_ -= bytes;
        return p;
      }
    }
    void* p = std::aligned_alloc(kAlign, bytes);
    RNNLAB_CHECK(p != nullptr, "out of host memory allocating ", bytes, " bytes");
    return p;
  }
  void put(void* p, std::size_t bytes) {
    std::lock_guard<std::mutex> lock(mu_);
    if (cached_ + bytes > kMaxCachedBytes) {
      for (auto& [b, q] : free_) std::free(q);
      free_.clear();
      cached_ = 0;
    }
    free_.emplace(bytes, p);
    cached_ += bytes;
  }
  ~BlockCache() {
    for (auto& [b, q] : free_) std::free(q);
  }

 private:
  std::mutex mu_;
  std::multimap<std::size_t, void*> free_;
  std::size_t cached_ = 0;
};
}  // namespace

struct CpuBackend::Impl {
  std::shared_ptr<BlockCache> cache = std::make_shared<BlockCache>();
  std::unique_ptr<tbb::global_control> control;
};

CpuBackend::CpuBackend() : impl_(std::make_unique<Impl>()) {
  int n = static_cast<int>(std::thread::hardware_concurrency());
  if (const char* env = std::getenv("RNNLAB_THREADS")) n = std::atoi(env);
  set_threads(n > 0 ? n : 1);
}
CpuBackend::~CpuBackend() = default;

CpuBackend& cpu_backend() {
  static CpuBackend backend;
  return backend;
}

void CpuBackend::set_threads(int n) {
  RNNLAB_CHECK_INPUT(n >= 1, "thread count must be >= 1, found ", n);
  threads_ = n;
  impl_->control.reset();
  impl_->control = std::make_unique<tbb::global_control>(
      tbb::global_control::max_allowed_parallelism, static_cast<std::size_t>(n));
  openblas_set_num_threads(1);  // OpenBLAS runs inside TBB's tasks (cpu_gemm.cpp)
}

void cpu_parallel_for(int64_t n, int64_t grain, const std::function<void(int64_t, int64_t)>& f) {
  if (n <= 0) return;
  if (cpu_backend().threads() == 1 || n < 2 * grain) {
    f(0, n);
    return;
  }
  tbb::parallel_for(tbb::blocked_range<int64_t>(0, n, grain),
                    [&](const tbb::blocked_range<int64_t>& r) { f(r.begin(), r.end()); });
}

Tensor CpuBackend::empty(const Shape& shape, DType dtype) {
  std::size_t bytes = static_cast<std::size_t>(shape_numel(shape)) * dtype_size(dtype);
  const std::size_t rounded = size_class(bytes);
  auto st = std::make_shared<Storage>();
  st->data = impl_->cache->get(rounded);
  st->bytes = rounded;
  st->device = Device::cpu;
  std::weak_ptr<BlockCache> weak = impl_->cache;
  st->release = [weak](void* p, std::size_t b) {
    if (auto c = weak.lock())
      c->put(p, b);
    else
      std::free(p);
  };
  return Tensor(shape, dtype, Device::cpu, std::move(st));
}

void CpuBackend::fill(Tensor& t, double value) {
  if (t.dtype() == DType::i32) {
    int32_t* p = t.data<int32_t>();
    std::fill(p, p + t.numel(), static_cast<int32_t>(value));
    return;
  }
  dispatch_float(t.dtype(), [&](auto tag) {
    using T = decltype(tag);
    T* p = t.data<T>();
    T v = static_cast<T>(value);
    cpu_parallel_for(t.numel(), kGrain, [&](int64_t b, int64_t e) { std::fill(p + b, p + e, v); });
  });
}

void CpuBackend::copy(const Tensor& src, Tensor& dst) {
  RNNLAB_CHECK(src.numel() == dst.numel() && src.dtype() == dst.dtype(), "copy ",
               shape_str(src.shape()), " ", dtype_name(src.dtype()), " into ",
               shape_str(dst.shape()), " ", dtype_name(dst.dtype()));
  if (src.raw() != dst.raw()) std::memcpy(dst.raw(), src.raw(), src.bytes());
}

// An empty tensor comes with a null host pointer (an empty std::vector's data()): memcpy with
// a null argument is undefined even for 0 bytes (UBSan reports it), so 0 bytes copy nothing.
void CpuBackend::upload(const void* host, Tensor& dst) {
  if (dst.bytes() > 0) std::memcpy(dst.raw(), host, dst.bytes());
}
void CpuBackend::download(const Tensor& src, void* host) {
  if (src.bytes() > 0) std::memcpy(host, src.raw(), src.bytes());
}

void CpuBackend::cast(const Tensor& src, Tensor& dst) {
  RNNLAB_CHECK(src.numel() == dst.numel(), "cast between different sizes");
  auto run = [&](auto* out) {
    using O = std::remove_pointer_t<decltype(out)>;
    int64_t n = src.numel();
    switch (src.dtype()) {
      case DType::f32: { auto* in = src.data<float>(); for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(in[i]); break; }
      case DType::f64: { auto* in = src.data<double>(); for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(in[i]); break; }
      case DType::i32: { auto* in = src.data<int32_t>(); for (int64_t i = 0; i < n; ++i) out[i] = static_cast<O>(in[i]); break; }
    }
  };
  switch (dst.dtype()) {
    case DType::f32: run(dst.data<float>()); break;
    case DType::f64: run(dst.data<double>()); break;
    case DType::i32: run(dst.data<int32_t>()); break;
  }
}

void CpuBackend::block_copy(const Tensor& src, Tensor& dst, const Block& b, bool accumulate) {
  RNNLAB_CHECK(src.dtype() == dst.dtype(), "block_copy between dtypes");
  RNNLAB_CHECK(b.outer == 0 || ((b.outer - 1) * b.src_stride + b.src_off + b.len <= src.numel() &&
                                (b.outer - 1) * b.dst_stride + b.dst_off + b.len <= dst.numel()),
               "block_copy out of bounds");
  std::size_t es = dtype_size(src.dtype());
  if (!accumulate) {
    const char* s = static_cast<const char*>(src.raw());
    char* d = static_cast<char*>(dst.raw());
    cpu_parallel_for(b.outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, b.len)),
                     [&](int64_t o0, int64_t o1) {
                       for (int64_t o = o0; o < o1; ++o)
                         std::memcpy(d + (o * b.dst_stride + b.dst_off) * es,
                                     s + (o * b.src_stride + b.src_off) * es, b.len * es);
                     });
    return;
  }
  dispatch_float(src.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* s = src.data<T>();
    T* d = dst.data<T>();
    cpu_parallel_for(b.outer, std::max<int64_t>(1, kGrain / std::max<int64_t>(1, b.len)),
                     [&](int64_t o0, int64_t o1) {
                       for (int64_t o = o0; o < o1; ++o) {
                         const T* so = s + o * b.src_stride + b.src_off;
                         T* dd = d + o * b.dst_stride + b.dst_off;
                         for (int64_t j = 0; j < b.len; ++j) dd[j] += so[j];
                       }
                     });
  });
}

}  // namespace rnnlab
