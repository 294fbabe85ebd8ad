// Quasi-recurrent neural network (Bradbury, Merity, Xiong & Socher 2017).
//
// project_inputs — a masked (causal) convolution over time, window k, then the gate
// nonlinearities, for all steps at once (so P holds ACTIVATED gates):
//   X̃ [T,B,kI] = [shift_0(X), shift_1(X), .., shift_{k-1}(X)]    shift_j(X)_t = x_{t-j}
//                 (x_{t-j} = 0 for t-j < 0, or the carried inputs in stateful mode)
//   Y = X̃ W + b                          W [kI, nH] (row block j multiplies x_{t-j}), b [nH]
//   z = tanh(Y_z)   f = σ(Y_f)   o = σ(Y_o)   i = σ(Y_i)          each [T,B,H]
//   zoneout (training only): f ← 1 - dropout_p(1 - f)  (inverted dropout, so E[f] = f and
//   evaluation uses f unchanged; masks are counter-based from ctx.seed)
//   P = [z, f] (pooling f) | [z, f, o] (fo) | [z, f, o, i] (ifo)    [T,B,nH], n = 2 | 3 | 4
//
// step — the pooling, elementwise:
//   f:    h_t = f ⊙ h_{t-1} + (1-f) ⊙ z                  state (h)      [B,H]
//   fo:   c_t = f ⊙ c_{t-1} + (1-f) ⊙ z,  h_t = o ⊙ c_t   state (h, c)   each [B,H]
//   ifo:  c_t = f ⊙ c_{t-1} + i ⊙ z,      h_t = o ⊙ c_t   state (h, c)
//
// Stateful mode (ctx.stateful): the last k-1 input rows X[T-k+1..T-1] are kept (detached) and
// become the zero padding of the next batch, so the convolution continues across batches;
// reset_state() forgets them (as does a batch of another size). The carried rows are the last
// k-1 rows of the batch tensor, i.e. stateful mode assumes full-length batches.
//
// Salesforce pytorch-qrnn: QRNNLayer.linear.weight [nH, kI] = Wᵀ with source = cat([X, X_{t-1}])
// (same block order), bias = b, gate order Z, F, O; its ForgetMult uses F' = 1 - f.
// Init: W Glorot, b 0.
// Fused kernels (qrnn_fused_cpu.cpp, qrnn_fused_cuda.cu; per element: qrnn_maths.h): the pooling
// over the whole sequence in one node.
#pragma once

#include <cstdint>
#include <string>

#include "qrnn_maths.h"  // Pooling and the per-element maths of the fused kernels
#include "rnnlab/cell.h"
#include "rnnlab/fused_kernel.h"

namespace rnnlab::qrnn {

Pooling parse_pooling(const std::string& name);
int64_t gate_count(Pooling p);  // n: 2, 3, 4

// Sizes of one fused pooling call (both kernels): P [steps, batch, gates], each state
// [batch, h], the packed output [steps, batch, width], width = ΣS: h (pooling f) or 2h.
struct PoolingDims {
  int64_t steps, batch, h, gates, width;
};
// The sizes of p [T,B,nH] and h0 [B,H]; throws (naming `kernel`) unless n = gate_count(m).
PoolingDims pooling_dims(Pooling m, const Var& p, const Var& h0, const char* kernel);

class QrnnCell final : public Cell {
 public:
  explicit QrnnCell(const CellArgs& args);
  int64_t input_size() const override { return input_; }
  int64_t hidden_size() const override { return hidden_; }
  std::vector<StateSpec> state_specs() const override;
  Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) override;
  std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                        const CellContext& ctx) override;
  bool has_fused(Device d) const override { return RNNLAB_FUSED_ON(d); }
  Var fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0, const Var& mask,
                     const CellContext& ctx) override;
  void reset_state() override { window_carry_ = Tensor{}; }
  void save_carry(const std::string& prefix, NamedTensors& out) const override {
    if (window_carry_.defined()) out[prefix + "window"] = window_carry_;
  }
  void load_carry(const std::string& prefix, const NamedTensors& in) override {
    auto it = in.find(prefix + "window");
    window_carry_ = it == in.end() ? Tensor{} : it->second;
  }

 private:
  // X̃ [T,B,kI]: the k shifted copies of x side by side (qrnn_inputs.cpp).
  Var shifted_inputs(Tape& tape, const Var& x, const CellContext& ctx);
  Var activate_gates(const Var& y, const CellContext& ctx);

  int64_t input_, hidden_, window_;
  Pooling pooling_;
  double zoneout_;
  Parameter* w_;
  Parameter* b_;
  Tensor window_carry_;  // [k-1,B,I] last inputs of the previous batch (stateful mode)
};

// packed [T,B,ΣS] = h_t (pooling f) or (h_t, c_t) for every t.
// p [T,B,nH] activated gates, h0 [B,H], c0 [B,H] (invalid for pooling f), mask [T,B,1] or an
// invalid Var.
using QrnnKernel = Var(Tape& tape, const Var& p, const Var& h0, const Var& c0, const Var& mask);
// A device's kernels: run<T, M> for each pooling mode M and element type T.
struct QrnnKernels {
  RealKernels<QrnnKernel> f, fo, ifo;
  const RealKernels<QrnnKernel>& of(Pooling pooling) const {
    return pooling == Pooling::fo ? fo : pooling == Pooling::ifo ? ifo : f;
  }
};
// A kernel file's table of its `template <typename T, Pooling M> Var run(...)`.
// clang-format off
#define RNNLAB_QRNN_KERNELS(run)                                   \
  QrnnKernels{{run<float, Pooling::f>, run<double, Pooling::f>},   \
              {run<float, Pooling::fo>, run<double, Pooling::fo>}, \
              {run<float, Pooling::ifo>, run<double, Pooling::ifo>}}
// clang-format on
// qrnn_fused_cpu.cpp; qrnn_fused_cuda.cu (defined only when the plugin is built with CUDA). QrnnCell::
// fused_sequence picks one by device, pooling and dtype (rnnlab/fused_kernel.h).
extern const QrnnKernels qrnn_fused_cpu;
extern const QrnnKernels qrnn_fused_cuda;

}  // namespace rnnlab::qrnn
