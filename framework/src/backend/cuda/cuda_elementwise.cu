// CUDA backend: elementwise kernels, one thread per element (grid-stride).
//
//   unary           y = f(x)               sigmoid 1/(1+e^-x), tanh, relu, exp, log, -x, x²
//   unary_grad_acc  dx += f'(x) dy         from y where cheaper (sigmoid y(1-y), tanh 1-y², exp y)
//   binary          out = a op b[bi(i)]    add sub mul div, max (ties to a), ge (a >= b ? 1 : 0)
//   mul_acc         da += dy * b[bi(i)]    or dy * (1 - b[bi(i)]) with one_minus
//   axpby           y = alpha x + beta y   (beta == 0 overwrites, as on the CPU: no 0*NaN)
//   mask_blend      out = m[row] != 0 ? a : b   m one value per row of a
// bi(i) is the broadcast map of backend.h (none i, suffix i % nb, prefix i / (n/nb)).
#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

using cuda_detail::BIndex;

namespace {

template <typename T>
__global__ void unary_kernel(int op, const T* x, T* y, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) {
    const T v = x[i];
    T r;
    switch (op) {
      case 0: r = cuda_detail::d_sigmoid(v); break;
      case 1: r = cuda_detail::d_tanh(v); break;
      case 2: r = v > T(0) ? v : T(0); break;
      case 3: r = cuda_detail::d_exp(v); break;
      case 4: r = cuda_detail::d_log(v); break;
      case 5: r = -v; break;
      default: r = v * v; break;
    }
    y[i] = r;
  }
}

template <typename T>
__global__ void unary_grad_kernel(int op, const T* x, const T* y, const T* dy, T* dx, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) {
    const T g = dy[i];
    switch (op) {
      case 0: dx[i] += g * y[i] * (T(1) - y[i]); break;
      case 1: dx[i] += g * (T(1) - y[i] * y[i]); break;
      case 2: dx[i] += x[i] > T(0) ? g : T(0); break;
      case 3: dx[i] += g * y[i]; break;
      case 4: dx[i] += g / x[i]; break;
      case 5: dx[i] -= g; break;
      default: dx[i] += T(2) * x[i] * g; break;
    }
  }
}

template <typename T>
__device__ inline T apply_binary(int op, T a, T b) {
  switch (op) {
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return a / b;
    case 4: return a >= b ? a : b;
    default: return a >= b ? T(1) : T(0);
  }
}

template <typename T>
__global__ void binary_kernel(int op, const T* a, const T* b, BIndex bi, T* out, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) out[i] = apply_binary(op, a[i], b[bi(i)]);
}

template <typename T>
__global__ void mul_acc_kernel(const T* dy, const T* b, BIndex bi, T o, T s, T* da, int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) da[i] += dy[i] * (o + s * b[bi(i)]);
}

template <typename T>
__global__ void axpby_kernel(T alpha, const T* x, T beta, T* y, int64_t n) {
  if (beta == T(0)) {
    RNNLAB_GRID_STRIDE(i, n) y[i] = alpha * x[i];
  } else {
    RNNLAB_GRID_STRIDE(i, n) y[i] = alpha * x[i] + beta * y[i];
  }
}

template <typename T>
__global__ void mask_blend_kernel(const T* m, const T* a, const T* b, T* out, int64_t inner,
                                  int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) out[i] = m[i / inner] != T(0) ? a[i] : b[i];
}

int unary_code(UnaryOp op) {
  switch (op) {
    case UnaryOp::sigmoid: return 0;
    case UnaryOp::tanh: return 1;
    case UnaryOp::relu: return 2;
    case UnaryOp::exp: return 3;
    case UnaryOp::log: return 4;
    case UnaryOp::neg: return 5;
    case UnaryOp::square: return 6;
  }
  return 6;
}

int binary_code(BinaryOp op) {
  switch (op) {
    case BinaryOp::add: return 0;
    case BinaryOp::sub: return 1;
    case BinaryOp::mul: return 2;
    case BinaryOp::div: return 3;
    case BinaryOp::max: return 4;
    case BinaryOp::ge: return 5;
  }
  return 0;
}

}  // namespace

void CudaBackend::unary(UnaryOp op, const Tensor& x, Tensor& y) {
  cuda_detail::check_cuda(x, "unary input");
  cuda_detail::check_cuda(y, "unary output");
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    unary_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(unary_code(op),
                                                                        x.data<T>(), y.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("unary_kernel");
  });
}

void CudaBackend::unary_grad_acc(UnaryOp op, const Tensor& x, const Tensor& y, const Tensor& dy,
                                 Tensor& dx) {
  cuda_detail::check_cuda(dy, "unary_grad_acc dy");
  cuda_detail::check_cuda(dx, "unary_grad_acc dx");
  const int64_t n = dy.numel();
  if (n == 0) return;
  const int code = unary_code(op);
  const bool wants_x = code == 2 || code == 4 || code == 6;
  const bool wants_y = code == 0 || code == 1 || code == 3;
  RNNLAB_CHECK(!wants_x || x.defined(), "unary_grad_acc: this op needs its input x");
  RNNLAB_CHECK(!wants_y || y.defined(), "unary_grad_acc: this op needs its output y");
  dispatch_float(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    unary_grad_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        code, x.defined() ? x.data<T>() : nullptr, y.defined() ? y.data<T>() : nullptr,
        dy.data<T>(), dx.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("unary_grad_kernel");
  });
}

void CudaBackend::binary(BinaryOp op, const Tensor& a, const Tensor& b, Broadcast bc,
                         Tensor& out) {
  cuda_detail::check_cuda(a, "binary a");
  cuda_detail::check_cuda(b, "binary b");
  cuda_detail::check_cuda(out, "binary out");
  cuda_detail::check_same(a, b, "binary");
  const int64_t n = a.numel();
  if (n == 0) return;
  BIndex bi = cuda_detail::make_bindex(bc, n, b.numel());
  dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    binary_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        binary_code(op), a.data<T>(), b.data<T>(), bi, out.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("binary_kernel");
  });
}

void CudaBackend::mul_acc(const Tensor& dy, const Tensor& b, Broadcast bc, bool one_minus,
                          Tensor& da) {
  cuda_detail::check_cuda(dy, "mul_acc dy");
  cuda_detail::check_cuda(b, "mul_acc b");
  cuda_detail::check_cuda(da, "mul_acc da");
  const int64_t n = dy.numel();
  if (n == 0) return;
  BIndex bi = cuda_detail::make_bindex(bc, n, b.numel());
  dispatch_float(dy.dtype(), [&](auto tag) {
    using T = decltype(tag);
    const T s = one_minus ? T(-1) : T(1), o = one_minus ? T(1) : T(0);
    mul_acc_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        dy.data<T>(), b.data<T>(), bi, o, s, da.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("mul_acc_kernel");
  });
}

void CudaBackend::axpby(double alpha, const Tensor& x, double beta, Tensor& y) {
  cuda_detail::check_cuda(x, "axpby x");
  cuda_detail::check_cuda(y, "axpby y");
  const int64_t n = x.numel();
  if (n == 0) return;
  dispatch_float(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    axpby_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        static_cast<T>(alpha), x.data<T>(), static_cast<T>(beta), y.data<T>(), n);
    RNNLAB_CUDA_LAUNCHED("axpby_kernel");
  });
}

void CudaBackend::mask_blend(const Tensor& m, const Tensor& a, const Tensor& b, Tensor& out) {
  cuda_detail::check_cuda(m, "mask_blend mask");
  cuda_detail::check_cuda(a, "mask_blend a");
  cuda_detail::check_cuda(b, "mask_blend b");
  cuda_detail::check_cuda(out, "mask_blend out");
  const int64_t rows = m.numel(), n = a.numel();
  if (n == 0 || rows == 0) return;
  dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    mask_blend_kernel<T><<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
        m.data<T>(), a.data<T>(), b.data<T>(), out.data<T>(), n / rows, n);
    RNNLAB_CUDA_LAUNCHED("mask_blend_kernel");
  });
}

}  // namespace rnnlab
