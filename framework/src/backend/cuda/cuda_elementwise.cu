// CUDA backend: elementwise kernels, one thread per element (grid-stride).
//
//   elementwise       out = F(a, b[bi(i)], s, t)        every op of op_table.h, one kernel each
//   elementwise_grad  out (+)= G(g, a, b[bi(i)], y)     its adjoints (op_table.h), a's shape
//   mul_acc           da += dy * b[bi(i)]               or dy * (1 - b[bi(i)]) with one_minus
//   axpby             y = alpha x + beta y              (beta == 0 overwrites, as on the CPU: no 0*NaN)
//   mask_blend        out = m[row] != 0 ? a : b         m one value per row of a
// bi(i) is the broadcast map of backend.h (none i, suffix i % nb, prefix i / (n/nb)).
#include "backend/cuda/cuda_common.cuh"

namespace rnnlab {

using cuda_detail::BIndex;

namespace {

using op_table::Elem;

template <ElemOp OP, typename T>
__global__ void elementwise_kernel(const T* a, const T* b, BIndex bi, T s, T t, T* out,
                                   int64_t n) {
  RNNLAB_GRID_STRIDE(i, n) {
    T bv = T(0);
    if constexpr (Elem<OP>::arity == 2) bv = b[bi(i)];
    out[i] = Elem<OP>::forward(a[i], bv, s, t);
  }
}

// Unread operands (op_table.h: `reads`) are not loaded and may be null.
template <ElemOp OP, int INPUT, typename T>
__global__ void elementwise_grad_kernel(const T* g, const T* a, const T* b, BIndex bi,
                                        const T* y, T s, T t, bool accumulate, T* out,
                                        int64_t n) {
  constexpr int reads = Elem<OP>::reads;
  RNNLAB_GRID_STRIDE(i, n) {
    const T av = (reads & op_table::kA) ? a[i] : T(0);
    const T bv = (reads & op_table::kB) ? b[bi(i)] : T(0);
    const T yv = (reads & op_table::kY) ? y[i] : T(0);
    const T v = Elem<OP>::template grad<INPUT>(g[i], av, bv, yv, s, t);
    out[i] = accumulate ? out[i] + v : v;
  }
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

}  // namespace

void CudaBackend::elementwise(const ElemCall& c, const Tensor& a, const Tensor& b,
                              Tensor& out) {
  cuda_detail::check_cuda(a, "elementwise a");
  cuda_detail::check_cuda(out, "elementwise out");
  const bool binary = op_table::info(c.op).arity() == 2;
  if (binary) {
    cuda_detail::check_cuda(b, "elementwise b");
    cuda_detail::check_same(a, b, "elementwise");
  }
  const int64_t n = a.numel();
  if (n == 0) return;
  const BIndex bi = cuda_detail::make_bindex(c.bc, n, binary ? b.numel() : n);
  dispatch_float(a.dtype(), [&](auto tag) {
    using T = decltype(tag);
    op_table::visit(c.op, [&](auto op_tag) {
      elementwise_kernel<decltype(op_tag)::value, T>
          <<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
              a.data<T>(), binary ? b.data<T>() : nullptr, bi, static_cast<T>(c.s),
              static_cast<T>(c.t), out.data<T>(), n);
    });
    RNNLAB_CUDA_LAUNCHED("elementwise_kernel");
  });
}

void CudaBackend::elementwise_grad(const ElemCall& c, int input, const Tensor& g, const Tensor& a,
                                   const Tensor& b, const Tensor& y, bool accumulate,
                                   Tensor& out) {
  check_elem_grad_operands(c, input, a, b, y);
  cuda_detail::check_cuda(g, "elementwise_grad g");
  cuda_detail::check_cuda(out, "elementwise_grad out");
  for (const Tensor* t : {&a, &b, &y})
    if (t->defined()) cuda_detail::check_cuda(*t, "elementwise_grad operand");
  const int64_t n = g.numel();
  if (n == 0) return;
  const BIndex bi = cuda_detail::make_bindex(c.bc, n, b.defined() ? b.numel() : n);
  dispatch_float(g.dtype(), [&](auto tag) {
    using T = decltype(tag);
    auto ptr = [](const Tensor& t) { return t.defined() ? t.data<T>() : nullptr; };
    op_table::visit(c.op, [&](auto op_tag) {
      constexpr ElemOp OP = decltype(op_tag)::value;
      auto launch = [&](auto kernel) {
        kernel<<<cuda_blocks(n), kCudaThreads, 0, cuda_stream()>>>(
            g.data<T>(), ptr(a), ptr(b), bi, ptr(y), static_cast<T>(c.s), static_cast<T>(c.t),
            accumulate, out.data<T>(), n);
      };
      if (input == 0) launch(elementwise_grad_kernel<OP, 0, T>);
      else if constexpr (Elem<OP>::arity == 2) launch(elementwise_grad_kernel<OP, 1, T>);
    });
    RNNLAB_CUDA_LAUNCHED("elementwise_grad_kernel");
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
