// Reverse-mode automatic differentiation on a flat tape.
//
// Every op appends one Node to `Tape::nodes_` (so the vector is in topological order by
// construction). `backward(loss)` seeds dloss = 1 and walks the vector ONCE from the end to
// the start, calling each node's backward function, which adds its contribution to the
// gradients of its inputs: the first contribution to a gradient may be written in place of a
// zero-filled buffer (BackwardContext::grad_in_whole, accumulate), later ones add. There is no
// recursion anywhere: a T=1000 unrolled sequence is just a longer vector.
//
// Needs-grad pruning: a node requires grad iff one of its inputs does (parameters and leaves
// created with requires_grad do). Nodes that do not require grad keep no backward function and
// are skipped; gradients are only allocated for nodes that receive one.
//
// Var is a cheap handle (tape, index, generation). After `Tape::reset()` every old Var is
// stale and any use throws, instead of silently reading another node.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rnnlab/backend.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

class Tape;
struct Parameter;

class Var {
 public:
  Var() = default;
  bool valid() const { return tape_ != nullptr; }
  const Tensor& value() const;
  const Shape& shape() const { return value().shape(); }
  int64_t dim(int i) const { return value().dim(i); }
  DType dtype() const { return value().dtype(); }
  bool requires_grad() const;
  Tape& tape() const;
  int32_t index() const { return index_; }

 private:
  friend class Tape;
  Var(Tape* t, int32_t i, uint64_t gen) : tape_(t), index_(i), generation_(gen) {}
  Tape* tape_ = nullptr;
  int32_t index_ = -1;
  uint64_t generation_ = 0;
};

// What an op's backward function sees.
class BackwardContext {
 public:
  const Tensor& grad_out() const { return grad_out_; }
  const Tensor& out() const;
  const Tensor& in(int k) const;
  bool needs(int k) const;   // does input k want a gradient?
  Tensor& grad_in(int k);    // zero-initialised on first use; only if needs(k)
  // For a backward that writes EVERY element of input k's gradient: when input k has no
  // gradient yet the slot is allocated uninitialised and `assign` is true (write, don't add);
  // otherwise it is the gradient so far and `assign` is false (add). Only if needs(k).
  Tensor& grad_in_whole(int k, bool& assign);
  // Adds g into input k's gradient. When input k has none yet, g simply becomes it (no zero
  // fill, no copy), so g must be a fresh tensor that nothing else holds. Only if needs(k).
  void accumulate(int k, Tensor g);
  Backend& backend() const { return *backend_; }

 private:
  friend class Tape;
  Tape* tape_ = nullptr;
  int32_t node_ = -1;
  Tensor grad_out_;
  Backend* backend_ = nullptr;
};

using BackwardFn = std::function<void(BackwardContext&)>;

// What an op was, for the step compiler (step_compiler.h). Ops annotate the node they record
// only while the tape is tracing (Tape::set_tracing); a node without an annotation is opaque.
//   elementwise:  elem = the op (op_table.h), bc = how input 1 broadcasts over input 0, s and
//                 t = its scalars
//   reduce:       reduce = the row reduction over the last axis (op_table.h), s = 1/H
//   slice:        i0 = axis, i1 = start, i2 = length
//   reshape:      the node's own shape;  concat: i0 = axis
//   matmul:       i0 = trans_a, i1 = trans_b;  linear: x W + b
//   mask_blend:   inputs m, a, b;  dropout: aux = the scaled 0/1 mask
enum class OpKind : uint8_t {
  none, elementwise, reduce, mask_blend, dropout, slice, reshape, concat, matmul, linear
};
struct OpInfo {
  OpKind kind = OpKind::none;
  ElemOp elem = ElemOp::add;
  ReduceOp reduce = ReduceOp::sum_last;
  Broadcast::Kind bc = Broadcast::Kind::none;
  int64_t i0 = 0, i1 = 0, i2 = 0;
  double s = 0.0, t = 0.0;
  Tensor aux;
};

class Tape {
 public:
  explicit Tape(Device device = Device::cpu);
  Tape(const Tape&) = delete;
  Tape& operator=(const Tape&) = delete;

  Device device() const { return device_; }
  Backend& backend() const { return *backend_; }

  // A value that never gets a gradient (data, masks, detached state).
  Var constant(Tensor value);
  // An input that collects a gradient (used by gradient checks and for initial states).
  Var leaf(Tensor value, bool requires_grad = true);
  // A trainable parameter. The same Parameter used many times on one tape is one node; its
  // gradient is accumulated into param.grad by backward().
  Var param(Parameter& p);
  // The output of an op. `backward` is kept only if some input requires grad.
  Var record(Tensor out, std::initializer_list<Var> inputs, BackwardFn backward);
  Var record(Tensor out, const std::vector<Var>& inputs, BackwardFn backward);

  // Reverse sweep from a scalar `loss`. Parameter gradients are accumulated into
  // Parameter::grad; other gradients are available from grad().
  void backward(const Var& loss);
  // Gradient of v after backward() (undefined tensor if v got none).
  const Tensor& grad(const Var& v) const;

  // Forget every node; all Vars of this tape become stale.
  void reset();
  std::size_t size() const { return nodes_.size(); }

  // Tracing (the step compiler): while on, every recorded node keeps its inputs (also those
  // that need no gradient) and ops annotate it with what they computed.
  void set_tracing(bool on) { tracing_ = on; }
  bool tracing() const { return tracing_; }
  void annotate(const Var& v, OpInfo info);
  // Read-only view of node i (for the tracer).
  struct NodeView {
    const Tensor& value;
    const std::vector<int32_t>& inputs;
    const OpInfo& op;
    Parameter* param;
  };
  NodeView node(int32_t i) const;
  // Annotates v when tracing; returns v (ops end with `return tape.traced(v, {...})`).
  Var traced(const Var& v, OpInfo info) {
    if (tracing_) annotate(v, std::move(info));
    return v;
  }

  // Used by Var / BackwardContext.
  const Tensor& value_of(int32_t index, uint64_t generation) const;
  bool requires_grad_of(int32_t index, uint64_t generation) const;

 private:
  friend class BackwardContext;
  struct Node {
    Tensor value;
    Tensor grad;
    std::vector<int32_t> inputs;
    BackwardFn backward;
    Parameter* param = nullptr;
    bool requires_grad = false;
    OpInfo op;  // set only while tracing
  };
  Var push(Node n);
  void check(const Var& v) const;
  Tensor& grad_slot(int32_t index, bool* assign = nullptr);

  Device device_;
  Backend* backend_;
  std::vector<Node> nodes_;
  uint64_t generation_;
  bool tracing_ = false;
};

}  // namespace rnnlab
