// The CPU backend: cblas (OpenBLAS) for GEMM, oneTBB for parallel elementwise kernels and
// reductions, a caching allocator for tensor memory, xtensor views where they are convenient.
//
// Who owns the cores: TBB alone, with one thread budget N (default: hardware threads, set by
// global_control). OpenBLAS runs single-threaded inside TBB's tasks: cpu_gemm cuts a large
// GEMM into one tile per thread (cpu_gemm.cpp says why OpenBLAS's own pool is not used). Small
// kernels (below a grain size) stay on the calling thread: forking costs more than it saves.
//
// Determinism: every reduction splits its work into fixed chunks independent of the thread
// count and adds the partial sums in order, so results are identical with 1 or N threads.
#pragma once

#include <functional>
#include <memory>

#include "rnnlab/backend.h"
#include "rnnlab/cpu_kernels.h"

namespace rnnlab {

class CpuBackend final : public Backend {
 public:
  CpuBackend();
  ~CpuBackend() override;
  Device device() const override { return Device::cpu; }
  std::string name() const override { return "cpu"; }

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

  void set_threads(int n) override;
  int threads() const override { return threads_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  int threads_ = 1;
};

CpuBackend& cpu_backend();

}  // namespace rnnlab
