// CUDA backend: reductions and indexing.
//
//   reduce_acc    db[j] += alpha * Σ_{i -> j} x[i] (* other[i])   with the broadcast map i -> j:
//                   none: elementwise;  suffix nb == 1 (or prefix nb == 1): the total;
//                   suffix: column sums of x [rows, nb];  prefix: row sums of x [nb, inner]
//   sum_squares   Σ x²  (double accumulation)      all_finite   no NaN/Inf in x
//   gather_rows   out[i,:] = table[ids[i],:]      (an id outside [0, V) gives a zero row; in
//                                                  debug mode (cuda_debug_sync) it throws
//                                                  rnnlab::Error as on the CPU, found through a
//                                                  read-back flag)
//   scatter_add_rows  dtable[ids[i],:] += dout[i,:]   (the rows of one id added in position
//                                                      order, as on the CPU: id_segments.h)
//   argmax_rows   out[i] = first j with x[i,j] = max_j x[i,j]; NaN ranks above every number
//                 (hd_math::argmax_beats, the CPU's rule too)
//
// Determinism: every sum uses a fixed partition (row blocks, fixed-size chunks, column chunks)
// and block trees in a fixed order, so repeated runs give identical bits. Sums accumulate in
// T (double for sum_squares); they differ from the CPU's order only by rounding.
#include <limits>
#include <vector>

#include "backend/cuda/cuda_common.cuh"
#include "backend/id_segments.h"

namespace rnnlab {

using cuda_detail::block_sum;

namespace {

constexpr int64_t kTotalChunk = 8192;  // elements per block in the first pass of a total

// Loads: what is summed for element i.
template <typename T, typename A>
struct ProdLoad {
  const T* x;
  const T* o;  // may be null
  __device__ A operator()(int64_t i) const { return o ? A(x[i] * o[i]) : A(x[i]); }
};
template <typename T>
struct SquareLoad {
  const T* x;
  __device__ double operator()(int64_t i) const {
    const double v = static_cast<double>(x[i]);
    return v * v;
  }
};
template <typename A>
struct PlainLoad {
  const A* p;
  __device__ A operator()(int64_t i) const { return p[i]; }
};

// Stores: what happens with row r's sum s.
template <typename T, typename A>
struct AccStore {
  T* d;
  T alpha;
  __device__ void operator()(int64_t r, A s) const { d[r] += alpha * static_cast<T>(s); }
};
template <typename A>
struct PartStore {
  A* p;
  __device__ void operator()(int64_t r, A s) const { p[r] = s; }
};

// Row r covers elements [r*len, min(n, (r+1)*len)); one block per row (grid-stride over rows).
template <typename A, typename Load, typename Store>
__global__ void rows_kernel(Load load, Store store, int64_t rows, int64_t len, int64_t n) {
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const int64_t b = r * len, e = b + len < n ? b + len : n;
    A acc = A(0);
    for (int64_t i = b + threadIdx.x; i < e; i += blockDim.x) acc += load(i);
    const A s = block_sum(acc);
    if (threadIdx.x == 0) store(r, s);
  }
}

template <typename A, typename Load, typename Store>
void launch_rows(Load load, Store store, int64_t rows, int64_t len, int64_t n, cudaStream_t s) {
  const unsigned grid = static_cast<unsigned>(std::min<int64_t>(rows, 65536));
  rows_kernel<A><<<grid, kCudaThreads, 0, s>>>(load, store, rows, len, n);
  RNNLAB_CUDA_LAUNCHED("rows_kernel");
}

// Column sums of x [rows, nb] over row chunk blockIdx.y (rows [k*per, (k+1)*per)).
// chunks == 1: db[c] += alpha * sum; else part[k, c] = sum.
template <typename T>
__global__ void colsum_kernel(const T* x, const T* o, int64_t rows, int64_t nb, int64_t per,
                              T* part, T* db, T alpha) {
  const int64_t c = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (c >= nb) return;
  const int64_t k = blockIdx.y;
  const int64_t r0 = k * per, r1 = r0 + per < rows ? r0 + per : rows;
  T acc = T(0);
  if (o)
    for (int64_t r = r0; r < r1; ++r) acc += x[r * nb + c] * o[r * nb + c];
  else
    for (int64_t r = r0; r < r1; ++r) acc += x[r * nb + c];
  if (gridDim.y == 1)
    db[c] += alpha * acc;
  else
    part[k * nb + c] = acc;
}

template <typename T>
__global__ void colsum_finish_kernel(const T* part, int64_t chunks, int64_t nb, T* db, T alpha) {
  RNNLAB_GRID_STRIDE(c, nb) {
    T acc = T(0);
    for (int64_t k = 0; k < chunks; ++k) acc += part[k * nb + c];
    db[c] += alpha * acc;
  }
}

template <typename T>
__global__ void elementwise_acc_kernel(const T* x, const T* o, T alpha, T* d, int64_t n) {
  if (o) {
    RNNLAB_GRID_STRIDE(i, n) d[i] += alpha * x[i] * o[i];
  } else {
    RNNLAB_GRID_STRIDE(i, n) d[i] += alpha * x[i];
  }
}

template <typename T>
__global__ void finite_kernel(const T* x, int64_t n, int32_t* flag) {
  RNNLAB_GRID_STRIDE(i, n) {
    if (!isfinite(x[i])) *flag = 1;
  }
}

// E: a word of the element size (gather is a copy, any dtype).
template <typename E>
__global__ void gather_kernel(const E* table, const int32_t* ids, int64_t v, int64_t d, E* out,
                              int64_t n, unsigned long long* bad) {
  RNNLAB_GRID_STRIDE(i, n) {
    const int64_t row = i / d, j = i - row * d;
    const int32_t id = ids[row];
    if (id < 0 || id >= v) {
      atomicMin(bad, static_cast<unsigned long long>(row));
      out[i] = E(0);
    } else {
      out[i] = table[static_cast<int64_t>(id) * d + j];
    }
  }
}

// One thread per (segment s, column j) of id_segments.h: table[id[s], j] += the rows of id[s]
// in position order (the CPU's order: deterministic, no atomics). seg = id [S], start [S+1],
// order [m], one i32 buffer.
template <typename T>
__global__ void scatter_kernel(const T* g, const int32_t* seg, int64_t segments, int64_t d,
                               T* table) {
  const int32_t* id = seg;
  const int32_t* start = seg + segments;
  const int32_t* order = start + segments + 1;
  RNNLAB_GRID_STRIDE(i, segments * d) {
    const int64_t s = i / d, j = i - s * d;
    T* out = table + static_cast<int64_t>(id[s]) * d + j;
    T acc = *out;
    for (int32_t k = start[s]; k < start[s + 1]; ++k)
      acc += g[static_cast<int64_t>(order[k]) * d + j];
    *out = acc;
  }
}

// One block per row: the largest value, the smallest index among equals.
template <typename T>
__global__ void argmax_kernel(const T* x, int64_t rows, int64_t c, int32_t* out) {
  __shared__ T best_v[kCudaThreads];
  __shared__ int64_t best_i[kCudaThreads];
  const unsigned t = threadIdx.x;
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * c;
    T bv = T(0);
    int64_t bi = -1;
    for (int64_t j = t; j < c; j += blockDim.x)
      if (hd_math::argmax_beats(row[j], j, bv, bi)) {
        bv = row[j];
        bi = j;
      }
    best_v[t] = bv;
    best_i[t] = bi;
    __syncthreads();
    for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
      if (t < s) {
        const int64_t oi = best_i[t + s];
        const T ov = best_v[t + s];
        if (oi >= 0 && hd_math::argmax_beats(ov, oi, best_v[t], best_i[t])) {
          best_v[t] = ov;
          best_i[t] = oi;
        }
      }
      __syncthreads();
    }
    if (t == 0) out[r] = static_cast<int32_t>(best_i[0] < 0 ? 0 : best_i[0]);
    __syncthreads();
  }
}

}  // namespace

void CudaBackend::reduce_acc(const Tensor& x, const Tensor& other, Broadcast bc, double alpha,
                             Tensor& db) {
  cuda_detail::check_cuda(x, "reduce_acc x");
  cuda_detail::check_cuda(db, "reduce_acc db");
  if (other.defined()) cuda_detail::check_cuda(other, "reduce_acc other");
  const int64_t n = x.numel(), nb = db.numel();
  if (n == 0 || nb == 0) return;
  cudaStream_t s = cuda_stream();
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T* xp = x.data<T>();
    const T* op = other.defined() ? other.data<T>() : nullptr;
    T* d = db.data<T>();
    const T al = static_cast<T>(alpha);
    if (bc.kind == Broadcast::Kind::none) {
      elementwise_acc_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, s>>>(xp, op, al, d, n);
      RNNLAB_CUDA_LAUNCHED("elementwise_acc_kernel");
    } else if (nb == 1) {
      // total: fixed chunks -> partial sums -> one block adds them in a fixed tree
      const int64_t chunks = (n + kTotalChunk - 1) / kTotalChunk;
      if (chunks == 1) {
        launch_rows<T>(ProdLoad<T, T>{xp, op}, AccStore<T, T>{d, al}, 1, n, n, s);
      } else {
        Tensor part = empty({chunks}, x.dtype());
        launch_rows<T>(ProdLoad<T, T>{xp, op}, PartStore<T>{part.data<T>()}, chunks, kTotalChunk,
                       n, s);
        launch_rows<T>(PlainLoad<T>{part.data<T>()}, AccStore<T, T>{d, al}, 1, chunks, chunks, s);
      }
    } else if (bc.kind == Broadcast::Kind::suffix) {
      // column sums of [rows, nb]: row chunks in parallel, then chunk partials in order
      const int64_t rows = n / nb;
      const int64_t col_blocks = (nb + kCudaThreads - 1) / kCudaThreads;
      int64_t want = std::max<int64_t>(1, std::min<int64_t>(rows / 32, 256 / col_blocks));
      want = std::min<int64_t>(want, 65535);
      const int64_t per = (rows + want - 1) / want;
      const int64_t chunks = (rows + per - 1) / per;
      Tensor part;
      if (chunks > 1) part = empty({chunks, nb}, x.dtype());
      dim3 grid(static_cast<unsigned>(col_blocks), static_cast<unsigned>(chunks));
      colsum_kernel<T><<<grid, kCudaThreads, 0, s>>>(xp, op, rows, nb, per,
                                                     chunks > 1 ? part.data<T>() : nullptr, d, al);
      RNNLAB_CUDA_LAUNCHED("colsum_kernel");
      if (chunks > 1) {
        colsum_finish_kernel<T><<<cuda_blocks(nb), kCudaThreads, 0, s>>>(part.data<T>(), chunks,
                                                                         nb, d, al);
        RNNLAB_CUDA_LAUNCHED("colsum_finish_kernel");
      }
    } else {
      // row sums of [nb, inner]: one block per row
      const int64_t inner = n / nb;
      launch_rows<T>(ProdLoad<T, T>{xp, op}, AccStore<T, T>{d, al}, nb, inner, n, s);
    }
  });
}

double CudaBackend::sum_squares(const Tensor& x) {
  cuda_detail::check_cuda(x, "sum_squares input");
  const int64_t n = x.numel();
  if (n == 0) return 0.0;
  cudaStream_t s = cuda_stream();
  Tensor result = empty({1}, DType::f64);
  double* out = result.data<double>();
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const int64_t chunks = (n + kTotalChunk - 1) / kTotalChunk;
    if (chunks == 1) {
      launch_rows<double>(SquareLoad<T>{x.data<T>()}, PartStore<double>{out}, 1, n, n, s);
    } else {
      Tensor part = empty({chunks}, DType::f64);
      launch_rows<double>(SquareLoad<T>{x.data<T>()}, PartStore<double>{part.data<double>()},
                          chunks, kTotalChunk, n, s);
      launch_rows<double>(PlainLoad<double>{part.data<double>()}, PartStore<double>{out}, 1,
                          chunks, chunks, s);
    }
  });
  double host = 0;
  download(result, &host);
  return host;
}

bool CudaBackend::all_finite(const Tensor& x) {
  cuda_detail::check_cuda(x, "all_finite input");
  const int64_t n = x.numel();
  if (n == 0) return true;
  Tensor flag = empty({1}, DType::i32);
  fill(flag, 0.0);
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    finite_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(x.data<T>(), n,
                                                                         flag.data<int32_t>());
    RNNLAB_CUDA_LAUNCHED("finite_kernel");
  });
  int32_t host = 0;
  download(flag, &host);
  return host == 0;
}

void CudaBackend::gather_rows(const Tensor& table, const Tensor& ids, Tensor& out) {
  cuda_detail::check_cuda(table, "gather_rows table");
  cuda_detail::check_cuda(ids, "gather_rows ids");
  cuda_detail::check_cuda(out, "gather_rows out");
  RNNLAB_CHECK(ids.dtype() == DType::i32, "gather_rows: ids must be i32, found ",
               dtype_name(ids.dtype()));
  const int64_t v = table.dim(0), d = table.numel() / std::max<int64_t>(1, v), rows = ids.numel();
  const int64_t n = rows * d;
  if (n == 0) return;
  // The first bad position (all ones = none), read back after the kernel.
  Tensor bad = empty({2}, DType::i32);  // 8 bytes
  auto* badp = static_cast<unsigned long long*>(bad.raw());
  cudaStream_t s = cuda_stream();
  RNNLAB_CUDA_CHECK(cudaMemsetAsync(badp, 0xFF, sizeof(unsigned long long), s));
  if (dtype_size(table.dtype()) == 8)
    gather_kernel<unsigned long long><<<cuda_blocks(n), kCudaThreads, 0, s>>>(
        static_cast<const unsigned long long*>(table.raw()), ids.data<int32_t>(), v, d,
        static_cast<unsigned long long*>(out.raw()), n, badp);
  else
    gather_kernel<unsigned int><<<cuda_blocks(n), kCudaThreads, 0, s>>>(
        static_cast<const unsigned int*>(table.raw()), ids.data<int32_t>(), v, d,
        static_cast<unsigned int*>(out.raw()), n, badp);
  RNNLAB_CUDA_LAUNCHED("gather_kernel");
  if (!cuda_debug_sync()) return;  // the read-back is a stream sync (cuda_kernel.h)
  unsigned long long first_bad = 0;
  download(bad, &first_bad);  // 8 bytes: the i32 pair holds the u64
  if (first_bad != std::numeric_limits<unsigned long long>::max()) {
    std::vector<int32_t> host(static_cast<std::size_t>(rows));
    download(ids, host.data());
    RNNLAB_CHECK(false, "embedding id ", host[static_cast<std::size_t>(first_bad)],
                 " at position ", first_bad, " is outside the table [0, ", v, ")");
  }
}

void CudaBackend::scatter_add_rows(const Tensor& dout, const Tensor& ids, Tensor& dtable) {
  cuda_detail::check_cuda(dout, "scatter_add_rows dout");
  cuda_detail::check_cuda(ids, "scatter_add_rows ids");
  cuda_detail::check_cuda(dtable, "scatter_add_rows dtable");
  const int64_t v = dtable.dim(0), d = dtable.numel() / std::max<int64_t>(1, v);
  if (ids.numel() * d == 0) return;
  // The ids grouped on the host (one read-back per backward), then one ordered sum per (id,
  // column): deterministic, bit-identical to the CPU loop (id_segments.h).
  std::vector<int32_t> host(static_cast<std::size_t>(ids.numel()));
  download(ids, host.data());
  const IdSegments segs = id_segments(host, v);
  const auto segments = static_cast<int64_t>(segs.id.size());
  if (segments == 0) return;
  std::vector<int32_t> packed(segs.id);
  packed.insert(packed.end(), segs.start.begin(), segs.start.end());
  packed.insert(packed.end(), segs.order.begin(), segs.order.end());
  Tensor seg = empty({static_cast<int64_t>(packed.size())}, DType::i32);
  upload(packed.data(), seg);
  dispatch_float(dout.dtype(), [&](auto tag) {
    using T = decltype(tag);
    scatter_kernel<T><<<cuda_blocks(segments * d), kCudaThreads, 0, cuda_stream()>>>(
        dout.data<T>(), seg.data<int32_t>(), segments, d, dtable.data<T>());
    RNNLAB_CUDA_LAUNCHED("scatter_kernel");
  });
}

void CudaBackend::argmax_rows(const Tensor& x, Tensor& out) {
  cuda_detail::check_cuda(x, "argmax_rows x");
  cuda_detail::check_cuda(out, "argmax_rows out");
  const int64_t rows = x.dim(0);
  if (rows == 0) return;
  const int64_t c = x.numel() / rows;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(rows, 65536));
    argmax_kernel<T><<<grid, kCudaThreads, 0, cuda_stream()>>>(x.data<T>(), rows, c,
                                                               out.data<int32_t>());
    RNNLAB_CUDA_LAUNCHED("argmax_kernel");
  });
}

}  // namespace rnnlab
