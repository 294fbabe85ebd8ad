// CUDA backend: losses (numerically stable forms, the CPU backend's formulas).
//
//   softmax_xent        mx = max_j x[n,j];  z = Σ_j exp(x[n,j] - mx)  (double);
//                       probs[n,j] = exp(x[n,j] - mx) / z;  loss[n] = log z + mx - x[n, label[n]]
//   softmax_xent_grad_acc  g = dloss[0] * scale;  dlogits[n,j] += g probs[n,j];  dlogits[n,label] -= g
//   (a label of -1 is not scored: loss[n] = 0, no gradient for row n)
//   bce_logits          loss = max(x,0) - x t + log1p(exp(-|x|))
//   bce_logits_grad_acc dx += g (sigmoid(x) - t)
//   scalar_broadcast_acc dx += g
//   softmax_xent_with_grad  softmax_xent, and probs[n,j] -> s probs[n,j] - s [j = label]
//                       (s = scale; the row is 0 for label -1)
//   mse_with_grad       d = p - t;  loss = scale Σ d d (reduce_acc's deterministic sum);
//                       dpred = 2 scale d
//   scale_by            x *= g
// The scalar g is read from the device tensor dloss inside the kernel (no host round trip).
// Labels outside [0, C) other than -1 give loss 0; in debug mode (cuda_debug_sync) they throw
// rnnlab::Error naming the row, found through a read-back flag.
#include <limits>
#include <vector>

#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

namespace {

// One block per row.
template <typename T>
__global__ void softmax_xent_kernel(const T* x, const int32_t* y, int64_t rows, int64_t c, T* p,
                                    T* loss, unsigned long long* bad, bool grad, double scale) {
  const T g = static_cast<T>(scale);
  for (int64_t r = blockIdx.x; r < rows; r += gridDim.x) {
    const T* row = x + r * c;
    T* pr = p + r * c;
    if (grad && y[r] == -1) {  // not scored: a zero gradient row (the same for every thread)
      for (int64_t j = threadIdx.x; j < c; j += blockDim.x) pr[j] = T(0);
      if (threadIdx.x == 0) loss[r] = T(0);
      continue;
    }
    T mx = row[0];
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) mx = row[j] > mx ? row[j] : mx;
    mx = cuda_detail::block_max(mx);
    double z = 0;
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x)
      z += exp(static_cast<double>(row[j] - mx));
    z = cuda_detail::block_sum(z);
    for (int64_t j = threadIdx.x; j < c; j += blockDim.x) {
      const T v = static_cast<T>(exp(static_cast<double>(row[j] - mx)) / z);
      pr[j] = grad ? (j == y[r] ? g * v - g : g * v) : v;
    }
    if (threadIdx.x == 0) {
      const int32_t label = y[r];
      if (label == -1) {
        loss[r] = T(0);
      } else if (label < 0 || label >= c) {
        atomicMin(bad, static_cast<unsigned long long>(r));
        loss[r] = T(0);
      } else {
        loss[r] = static_cast<T>(log(z) + mx - row[label]);
      }
    }
  }
}

template <typename T>
__global__ void softmax_xent_grad_kernel(const T* p, const int32_t* y, const T* dloss,
                                         double scale, T* d, int64_t c, int64_t n) {
  const T g = static_cast<T>(cuda_detail::scalar_at(dloss) * scale);
  RNNLAB_GRID_STRIDE(i, n) {
    const int64_t r = i / c, j = i - r * c;
    if (y[r] < 0) continue;  // not scored
    T v = d[i] + g * p[i];
    if (j == y[r]) v -= g;
    d[i] = v;
  }
}

template <typename T>
__global__ void bce_kernel(const T* x, const T* t, T* loss, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) {
    const T v = x[i];
    loss[i] = (v > T(0) ? v : T(0)) - v * t[i] +
              cuda_detail::d_log1p(cuda_detail::d_exp(-cuda_detail::d_fabs(v)));
  }
}

template <typename T>
__global__ void bce_grad_kernel(const T* x, const T* t, const T* dloss, double scale, T* d,
                                int64_t n) {
  const T g = static_cast<T>(cuda_detail::scalar_at(dloss) * scale);
  RNNLAB_GRID_STRIDE(i, n) d[i] += g * (T(1) / (T(1) + cuda_detail::d_exp(-x[i])) - t[i]);
}

template <typename T>
__global__ void diff_kernel(const T* p, const T* t, T* d, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) d[i] = p[i] - t[i];
}

template <typename T>
__global__ void scale_kernel(T s, T* x, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) x[i] *= s;
}

template <typename T>
__global__ void scale_by_kernel(const T* dloss, T* x, int64_t n) {
  const T g = cuda_detail::scalar_at(dloss);
  RNNLAB_GRID_STRIDE(i, n) x[i] *= g;
}

template <typename T>
__global__ void scalar_broadcast_kernel(const T* dloss, double scale, T* d, int64_t n) {
  const T g = static_cast<T>(cuda_detail::scalar_at(dloss) * scale);
  RNNLAB_GRID_STRIDE(i, n) d[i] += g;
}

}  // namespace

// softmax_xent (grad false) and softmax_xent_with_grad (grad true, probs = dlogits).
void CudaBackend::softmax_rows(const Tensor& logits, const Tensor& labels, bool grad,
                               double scale, Tensor& probs, Tensor& loss) {
  cuda_detail::check_cuda(logits, "softmax_xent logits");
  cuda_detail::check_cuda(labels, "softmax_xent labels");
  cuda_detail::check_cuda(probs, "softmax_xent probs");
  cuda_detail::check_cuda(loss, "softmax_xent loss");
  RNNLAB_CHECK(labels.dtype() == DType::i32, "softmax_xent: labels must be i32");
  const int64_t rows = logits.dim(0);
  if (rows == 0) return;
  const int64_t c = logits.numel() / rows;
  RNNLAB_CHECK(c > 0, "softmax_xent over zero classes ", shape_str(logits.shape()));
  cudaStream_t s = cuda_stream();
  Tensor bad = empty({2}, DType::i32);  // 8 bytes: the first bad row, all ones = none
  auto* badp = static_cast<unsigned long long*>(bad.raw());
  RNNLAB_CUDA_CHECK(cudaMemsetAsync(badp, 0xFF, sizeof(unsigned long long), s));
  dispatch_float(logits.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const unsigned grid = static_cast<unsigned>(std::min<int64_t>(rows, 65536));
    softmax_xent_kernel<T><<<grid, kCudaThreads, 0, s>>>(logits.data<T>(), labels.data<int32_t>(),
                                                         rows, c, probs.data<T>(),
                                                         loss.data<T>(), badp, grad, scale);
    RNNLAB_CUDA_LAUNCHED("softmax_xent_kernel");
  });
  if (!cuda_debug_sync()) return;  // the read-back is a stream sync (cuda_kernel.h)
  unsigned long long first_bad = 0;
  download(bad, &first_bad);
  if (first_bad != std::numeric_limits<unsigned long long>::max()) {
    std::vector<int32_t> host(static_cast<std::size_t>(rows));
    download(labels, host.data());
    RNNLAB_CHECK(false, "label ", host[static_cast<std::size_t>(first_bad)], " of row ",
                 first_bad, " is outside [0, ", c, ")");
  }
}

void CudaBackend::softmax_xent(const Tensor& logits, const Tensor& labels, Tensor& probs,
                               Tensor& loss) {
  softmax_rows(logits, labels, false, 1.0, probs, loss);
}

void CudaBackend::softmax_xent_with_grad(const Tensor& logits, const Tensor& labels,
                                         double scale, Tensor& loss, Tensor& dlogits) {
  softmax_rows(logits, labels, true, scale, dlogits, loss);
}

void CudaBackend::mse_with_grad(const Tensor& pred, const Tensor& target, double scale,
                                Tensor& loss, Tensor& dpred) {
  cuda_detail::check_cuda(pred, "mse_with_grad pred");
  cuda_detail::check_cuda(target, "mse_with_grad target");
  cuda_detail::check_cuda(loss, "mse_with_grad loss");
  const int64_t n = pred.numel();
  fill(loss, 0.0);
  if (n == 0) return;
  Tensor d = dpred.defined() ? dpred : empty(pred.shape(), pred.dtype());
  cuda_detail::check_cuda(d, "mse_with_grad dpred");
  dispatch_float(pred.dtype(), [&](auto tag) {
    using T = decltype(tag);
    diff_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        pred.data<T>(), target.data<T>(), d.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("diff_kernel");
    reduce_acc(d, d, Broadcast{Broadcast::Kind::suffix}, scale, loss);
    if (!dpred.defined()) return;
    scale_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        static_cast<T>(2.0 * scale), d.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("scale_kernel");
  });
}

void CudaBackend::scale_by(const Tensor& dloss, Tensor& x) {
  cuda_detail::check_cuda(dloss, "scale_by dloss");
  cuda_detail::check_cuda(x, "scale_by x");
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    scale_by_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(dloss.data<T>(),
                                                                          x.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("scale_by_kernel");
  });
}

void CudaBackend::softmax_xent_grad_acc(const Tensor& probs, const Tensor& labels,
                                        const Tensor& dloss, double scale, Tensor& dlogits) {
  cuda_detail::check_cuda(probs, "softmax_xent_grad_acc probs");
  cuda_detail::check_cuda(labels, "softmax_xent_grad_acc labels");
  cuda_detail::check_cuda(dloss, "softmax_xent_grad_acc dloss");
  cuda_detail::check_cuda(dlogits, "softmax_xent_grad_acc dlogits");
  const int64_t rows = probs.dim(0), n = probs.numel();
  if (n == 0) return;
  dispatch_float(probs.dtype(), [&](auto tag) {
    using T = decltype(tag);
    softmax_xent_grad_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        probs.data<T>(), labels.data<int32_t>(), dloss.data<T>(), scale, dlogits.data<T>(),
        n / rows, n);
    RNNLAB_CUDA_LAUNCHED("softmax_xent_grad_kernel");
  });
}

void CudaBackend::bce_logits(const Tensor& x, const Tensor& t, Tensor& loss) {
  cuda_detail::check_cuda(x, "bce_logits x");
  cuda_detail::check_cuda(t, "bce_logits target");
  cuda_detail::check_cuda(loss, "bce_logits loss");
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    bce_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(x.data<T>(), t.data<T>(),
                                                                     loss.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("bce_kernel");
  });
}

void CudaBackend::bce_logits_grad_acc(const Tensor& x, const Tensor& t, const Tensor& dloss,
                                      double scale, Tensor& dx) {
  cuda_detail::check_cuda(x, "bce_logits_grad_acc x");
  cuda_detail::check_cuda(t, "bce_logits_grad_acc target");
  cuda_detail::check_cuda(dloss, "bce_logits_grad_acc dloss");
  cuda_detail::check_cuda(dx, "bce_logits_grad_acc dx");
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    bce_grad_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        x.data<T>(), t.data<T>(), dloss.data<T>(), scale, dx.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("bce_grad_kernel");
  });
}

void CudaBackend::scalar_broadcast_acc(const Tensor& dloss, double scale, Tensor& dx) {
  cuda_detail::check_cuda(dloss, "scalar_broadcast_acc dloss");
  cuda_detail::check_cuda(dx, "scalar_broadcast_acc dx");
  const int64_t n = dx.numel();
  if (n == 0) return;
  dispatch_float(dx.dtype(), [&](auto tag) {
    using T = decltype(tag);
    scalar_broadcast_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        dloss.data<T>(), scale, dx.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("scalar_broadcast_kernel");
  });
}

}  // namespace rnnlab
