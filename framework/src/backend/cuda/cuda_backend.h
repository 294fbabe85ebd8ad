// The CUDA backend: cuBLAS for GEMM, hand-written kernels for everything else, a pooled caching
// allocator for device memory, one stream (rnnlab/cuda_kernel.h). Implements every kernel of
// rnnlab::Backend (backend.h) with the CPU backend's semantics, for f32 and f64 (and i32 where
// the CPU accepts it: fill, copy, block_copy without accumulation, cast, gather_rows).
//
// Files, one job each:
//   cuda_memory.cu        context (stream, cuBLAS handle), allocator, fill/copy/upload/download,
//                         block_copy, cast
//   cuda_gemm.cu          gemm (row-major through swapped cuBLAS operands)
//   cuda_elementwise.cu   elementwise, elementwise_grad, mul_acc, axpby, mask_blend
//   cuda_reduce.cu        reduce_acc, sum_squares, all_finite, gather/scatter, argmax
//   cuda_loss.cu          softmax_xent, bce_logits and their gradients, scalar_broadcast_acc,
//                         the fused losses (mse_with_grad, softmax_xent_with_grad), scale_by
//   cuda_random_optim.cu  dropout_mask (the CPU's counter-based hash), apply_update(s)
//
// Host <-> device copies happen only in upload() and download() (and the few kernels whose
// result is a host value: sum_squares, all_finite, and the id/label range checks, which read
// back one flag through download()). Reductions are deterministic (fixed partition, tree sums);
// scatter_add_rows uses atomicAdd and is not bit-reproducible when ids repeat.
// Only compiled when RNNLAB_HAVE_CUDA.
#pragma once

#include <memory>

#include "rnnlab/backend.h"

namespace rnnlab {

class CudaBackend final : public Backend {
 public:
  CudaBackend();
  ~CudaBackend() override;
  Device device() const override { return Device::cuda; }
  std::string name() const override { return "cuda"; }
  // "NVIDIA H100 80GB HBM3 (sm_90, driver 12.8, runtime 13.0)"
  std::string device_description() const;

  Tensor empty(const Shape& shape, DType dtype) override;
  void fill(Tensor& t, double value) override;
  void copy(const Tensor& src, Tensor& dst) override;
  void upload(const void* host, Tensor& dst) override;
  void download(const Tensor& src, void* host) override;
  void block_copy(const Tensor& src, Tensor& dst, const Block& b, bool accumulate) override;
  void cast(const Tensor& src, Tensor& dst) override;

  void gemm(bool trans_a, bool trans_b, double alpha, const Tensor& a, const Tensor& b,
            double beta, Tensor& c) override;

  void elementwise(const ElemCall& c, const Tensor& a, const Tensor& b, Tensor& out) override;
  void elementwise_grad(const ElemCall& c, int input, const Tensor& g, const Tensor& a,
                        const Tensor& b, const Tensor& y, bool accumulate, Tensor& out) override;
  void mul_acc(const Tensor& dy, const Tensor& b, Broadcast bc, bool one_minus,
               Tensor& da) override;
  void reduce_acc(const Tensor& x, const Tensor& other, Broadcast bc, double alpha,
                  Tensor& db) override;
  void reduce_last(ReduceOp op, const Tensor& x, Tensor& y) override;
  void reduce_last_grad_acc(ReduceOp op, const Tensor& g, const Tensor& x, const Tensor& y,
                            Tensor& dx) override;
  void layer_norm(const Tensor& x, const Tensor& gain, const Tensor& bias, double eps, Tensor& y,
                  Tensor& mean, Tensor& rstd) override;
  void layer_norm_grad(const Tensor& dy, const Tensor& x, const Tensor& gain, const Tensor& mean,
                       const Tensor& rstd, Tensor* dx, bool assign_dx, Tensor* dgain,
                       Tensor* dbias) override;
  void axpby(double alpha, const Tensor& x, double beta, Tensor& y) override;
  void mask_blend(const Tensor& m, const Tensor& a, const Tensor& b, Tensor& out) override;

  double sum_squares(const Tensor& x) override;
  bool all_finite(const Tensor& x) override;

  void gather_rows(const Tensor& table, const Tensor& ids, Tensor& out) override;
  void scatter_add_rows(const Tensor& dout, const Tensor& ids, Tensor& dtable) override;
  void argmax_rows(const Tensor& x, Tensor& out_ids) override;

  void softmax_xent(const Tensor& logits, const Tensor& labels, Tensor& probs,
                    Tensor& loss) override;
  void softmax_xent_grad_acc(const Tensor& probs, const Tensor& labels, const Tensor& dloss,
                             double scale, Tensor& dlogits) override;
  void bce_logits(const Tensor& x, const Tensor& t, Tensor& loss) override;
  void bce_logits_grad_acc(const Tensor& x, const Tensor& t, const Tensor& dloss, double scale,
                           Tensor& dx) override;
  void scalar_broadcast_acc(const Tensor& dloss, double scale, Tensor& dx) override;
  void mse_with_grad(const Tensor& pred, const Tensor& target, double scale, Tensor& loss,
                     Tensor& dpred) override;
  void softmax_xent_with_grad(const Tensor& logits, const Tensor& labels, double scale,
                              Tensor& loss, Tensor& dlogits) override;
  void scale_by(const Tensor& dloss, Tensor& x) override;

  void dropout_mask(double p, uint64_t seed, Tensor& mask) override;
  void apply_update(const UpdateRule& rule, Tensor& param, const Tensor& grad, Tensor& slot1,
                    Tensor& slot2) override;
  void apply_updates(const UpdateRule& rule, const std::vector<UpdateTarget>& group) override;

  // Host threads do not matter here; the count is kept for the interface only.
  void set_threads(int n) override;
  int threads() const override { return threads_; }

  // Allocator statistics (bytes): handed out now, and cached in the free lists.
  std::size_t bytes_in_use() const;
  std::size_t bytes_cached() const;

  struct Impl;
  Impl& impl() { return *impl_; }

 private:
  void softmax_rows(const Tensor& logits, const Tensor& labels, bool grad, double scale,
                    Tensor& probs, Tensor& loss);
  std::unique_ptr<Impl> impl_;
  int threads_ = 1;
};

// The process-wide CUDA backend, created on first use (never destroyed: the CUDA runtime may
// already be torn down when static destructors run). Throws rnnlab::Error if it cannot start.
CudaBackend& cuda_backend();

}  // namespace rnnlab
