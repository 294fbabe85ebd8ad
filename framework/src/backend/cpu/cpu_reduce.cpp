// CPU backend: reductions and indexing (xtensor views over the tensor memory).
#include <cmath>
#include <xtensor/xmath.hpp>
#include <xtensor/xreducer.hpp>
#include <xtensor/xview.hpp>

#include "backend/cpu/cpu_backend.h"
#include "backend/cpu/cpu_dispatch.h"
#include "rnnlab/cpu_math.h"  // RNNLAB_SIMD_CLONES
#include "rnnlab/xview.h"

namespace rnnlab {

namespace {

// The order both devices share (hd_math::argmax_beats: NaN first, then the first largest), in
// vectorizable passes: the max and whether a NaN occurs, then the first NaN or the first max.
template <typename T>
RNNLAB_SIMD_CLONES int64_t argmax_row(const T* row, int64_t c) {
  T m = row[0];
  bool nan = false;
  for (int64_t j = 0; j < c; ++j) {
    m = row[j] > m ? row[j] : m;
    nan |= row[j] != row[j];
  }
  if (nan)
    for (int64_t j = 0; j < c; ++j)
      if (row[j] != row[j]) return j;
  for (int64_t j = 0; j < c; ++j)
    if (row[j] == m) return j;
  return 0;  // unreachable: m is one of the row's values
}

}  // namespace

namespace {
// The tensor's elements as a 1-d xtensor view (rnnlab/xview.h; reshape is a view too).
template <typename T>
auto flat_view(const Tensor& t) {
  return as_xtensor<T>(t.reshape({t.numel()}));
}
}  // namespace

// Sum of squares in fixed chunks, partial sums added in order (thread-count independent).
double CpuBackend::sum_squares(const Tensor& x) {
  return dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto v = flat_view<T>(x);
    int64_t n = x.numel();
    int64_t chunks = (n + kReduceChunk - 1) / kReduceChunk;
    std::vector<double> part(static_cast<std::size_t>(chunks), 0.0);
    cpu_parallel_for(chunks, 1, [&](int64_t c0, int64_t c1) {
      for (int64_t c = c0; c < c1; ++c) {
        std::size_t b = static_cast<std::size_t>(c * kReduceChunk);
        std::size_t e = static_cast<std::size_t>(std::min(n, (c + 1) * kReduceChunk));
        // xtensor view of the chunk, summed with a vectorizable raw loop over its data
        auto block = xt::view(v, xt::range(b, e));
        const T* p = &*block.begin();
        T s = 0;
        for (std::size_t i = 0; i < e - b; ++i) s += p[i] * p[i];
        part[static_cast<std::size_t>(c)] = static_cast<double>(s);
      }
    });
    double total = 0;
    for (double p : part) total += p;
    return total;
  });
}

bool CpuBackend::all_finite(const Tensor& x) {
  return dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto v = flat_view<T>(x);
    return xt::all(xt::isfinite(v));
  });
}

void CpuBackend::gather_rows(const Tensor& table, const Tensor& ids, Tensor& out) {
  int64_t v = table.dim(0), d = table.numel() / v, n = ids.numel();
  const int32_t* id = ids.data<int32_t>();
  for (int64_t i = 0; i < n; ++i)
    RNNLAB_CHECK(id[i] >= 0 && id[i] < v, "embedding id ", id[i], " at position ", i,
                 " is outside the table [0, ", v, ")");
  std::size_t es = dtype_size(table.dtype());
  const char* t = static_cast<const char*>(table.raw());
  char* o = static_cast<char*>(out.raw());
  cpu_parallel_for(n, std::max<int64_t>(1, kGrain / d), [&](int64_t s, int64_t e) {
    for (int64_t i = s; i < e; ++i) std::memcpy(o + i * d * es, t + id[i] * d * es, d * es);
  });
}

// Sequential over ids (several rows may hit one table row); order fixed => deterministic.
void CpuBackend::scatter_add_rows(const Tensor& dout, const Tensor& ids, Tensor& dtable) {
  dispatch_float(dout.dtype(), [&](auto tag) {
    using T = decltype(tag);
    int64_t d = dtable.numel() / dtable.dim(0), n = ids.numel();
    const int32_t* id = ids.data<int32_t>();
    const T* g = dout.data<T>();
    T* t = dtable.data<T>();
    for (int64_t i = 0; i < n; ++i) {
      T* row = t + id[i] * d;
      const T* gr = g + i * d;
      for (int64_t j = 0; j < d; ++j) row[j] += gr[j];
    }
  });
}

void CpuBackend::argmax_rows(const Tensor& x, Tensor& out) {
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    int64_t n = x.dim(0), c = x.numel() / n;
    const T* p = x.data<T>();
    int32_t* o = out.data<int32_t>();
    cpu_parallel_for(n, std::max<int64_t>(1, kGrain / c), [&](int64_t s, int64_t e) {
      for (int64_t i = s; i < e; ++i) o[i] = static_cast<int32_t>(argmax_row(p + i * c, c));
    });
  });
}

}  // namespace rnnlab
