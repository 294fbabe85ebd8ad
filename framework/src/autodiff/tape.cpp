// The tape: nodes in topological order, one reverse loop, no recursion.
#include <atomic>

#include "rnnlab/autodiff.h"
#include "rnnlab/parameter.h"

namespace rnnlab {

namespace {
// Globally unique generations: a Var from another tape or an old generation never matches.
uint64_t next_generation() {
  static std::atomic<uint64_t> g{1};
  return g.fetch_add(1);
}
}  // namespace

Tape::Tape(Device device)
    : device_(device), backend_(&backend_for(device)), generation_(next_generation()) {}

void Tape::reset() {
  nodes_.clear();
  generation_ = next_generation();
}

void Tape::check(const Var& v) const {
  RNNLAB_CHECK(v.tape_ == this, "a Var from another tape was used on this tape");
  RNNLAB_CHECK(v.generation_ == generation_ && v.index_ >= 0 &&
                   v.index_ < static_cast<int32_t>(nodes_.size()),
               "stale Var (node ", v.index_, "): the tape was reset after it was created");
}

const Tensor& Tape::value_of(int32_t index, uint64_t generation) const {
  RNNLAB_CHECK(generation == generation_ && index >= 0 &&
                   index < static_cast<int32_t>(nodes_.size()),
               "stale Var (node ", index, "): the tape was reset after it was created");
  return nodes_[static_cast<std::size_t>(index)].value;
}

bool Tape::requires_grad_of(int32_t index, uint64_t generation) const {
  value_of(index, generation);
  return nodes_[static_cast<std::size_t>(index)].requires_grad;
}

const Tensor& Var::value() const {
  RNNLAB_CHECK(tape_ != nullptr, "use of an empty Var");
  return tape_->value_of(index_, generation_);
}
bool Var::requires_grad() const {
  RNNLAB_CHECK(tape_ != nullptr, "use of an empty Var");
  return tape_->requires_grad_of(index_, generation_);
}
Tape& Var::tape() const {
  RNNLAB_CHECK(tape_ != nullptr, "use of an empty Var");
  return *tape_;
}

Var Tape::push(Node n) {
  RNNLAB_CHECK(n.value.defined(), "recording an undefined tensor");
  RNNLAB_CHECK(n.value.device() == device_, "a ", device_name(n.value.device()),
               " tensor recorded on a ", device_name(device_), " tape");
  nodes_.push_back(std::move(n));
  return Var(this, static_cast<int32_t>(nodes_.size() - 1), generation_);
}

Var Tape::constant(Tensor value) {
  Node n;
  n.value = std::move(value);
  return push(std::move(n));
}

Var Tape::leaf(Tensor value, bool requires_grad) {
  Node n;
  n.value = std::move(value);
  n.requires_grad = requires_grad;
  return push(std::move(n));
}

Var Tape::param(Parameter& p) {
  if (p.tape_generation == generation_) return Var(this, p.tape_node, generation_);
  Node n;
  n.value = p.value;
  n.requires_grad = true;
  n.param = &p;
  Var v = push(std::move(n));
  p.tape_generation = generation_;
  p.tape_node = v.index();
  return v;
}

Var Tape::record(Tensor out, std::initializer_list<Var> inputs, BackwardFn backward) {
  return record(std::move(out), std::vector<Var>(inputs), std::move(backward));
}

Var Tape::record(Tensor out, const std::vector<Var>& inputs, BackwardFn backward) {
  Node n;
  n.value = std::move(out);
  for (const Var& v : inputs) {
    check(v);
    if (nodes_[static_cast<std::size_t>(v.index_)].requires_grad) n.requires_grad = true;
  }
  if (n.requires_grad || tracing_) {
    n.inputs.reserve(inputs.size());
    for (const Var& v : inputs) n.inputs.push_back(v.index_);
  }
  if (n.requires_grad) n.backward = std::move(backward);
  return push(std::move(n));
}

void Tape::annotate(const Var& v, OpInfo info) {
  check(v);
  nodes_[static_cast<std::size_t>(v.index_)].op = std::move(info);
}

Tape::NodeView Tape::node(int32_t i) const {
  RNNLAB_CHECK(i >= 0 && i < static_cast<int32_t>(nodes_.size()), "node ", i, " out of range");
  const Node& n = nodes_[static_cast<std::size_t>(i)];
  return {n.value, n.inputs, n.op, n.param};
}

// With `assign` (a caller that writes the whole slot), a slot created here is left
// uninitialised and *assign says so; without it, a new slot is zero-filled.
Tensor& Tape::grad_slot(int32_t index, bool* assign) {
  Node& n = nodes_[static_cast<std::size_t>(index)];
  if (assign) *assign = false;
  if (!n.grad.defined()) {
    if (n.param) {
      // Parameters accumulate straight into Parameter::grad.
      if (!n.param->grad.defined()) {
        n.param->grad = backend_->empty(n.value.shape(), n.value.dtype());
        if (assign) *assign = true;
        else backend_->fill(n.param->grad, 0.0);
      }
      n.grad = n.param->grad;
    } else {
      n.grad = backend_->empty(n.value.shape(), n.value.dtype());
      if (assign) *assign = true;
      else backend_->fill(n.grad, 0.0);
    }
  }
  return n.grad;
}

const Tensor& BackwardContext::out() const {
  return tape_->nodes_[static_cast<std::size_t>(node_)].value;
}
const Tensor& BackwardContext::in(int k) const {
  const auto& ins = tape_->nodes_[static_cast<std::size_t>(node_)].inputs;
  return tape_->nodes_[static_cast<std::size_t>(ins.at(static_cast<std::size_t>(k)))].value;
}
bool BackwardContext::needs(int k) const {
  const auto& ins = tape_->nodes_[static_cast<std::size_t>(node_)].inputs;
  return tape_->nodes_[static_cast<std::size_t>(ins.at(static_cast<std::size_t>(k)))]
      .requires_grad;
}
Tensor& BackwardContext::grad_in(int k) {
  RNNLAB_CHECK(needs(k), "grad_in(", k, ") of an input that needs no gradient");
  const auto& ins = tape_->nodes_[static_cast<std::size_t>(node_)].inputs;
  return tape_->grad_slot(ins.at(static_cast<std::size_t>(k)));
}

Tensor& BackwardContext::grad_in_whole(int k, bool& assign) {
  RNNLAB_CHECK(needs(k), "grad_in_whole(", k, ") of an input that needs no gradient");
  const auto& ins = tape_->nodes_[static_cast<std::size_t>(node_)].inputs;
  return tape_->grad_slot(ins.at(static_cast<std::size_t>(k)), &assign);
}

void BackwardContext::accumulate(int k, Tensor g) {
  RNNLAB_CHECK(needs(k), "accumulate(", k, ") into an input that needs no gradient");
  const auto& ins = tape_->nodes_[static_cast<std::size_t>(node_)].inputs;
  Tape::Node& n = tape_->nodes_[static_cast<std::size_t>(ins.at(static_cast<std::size_t>(k)))];
  RNNLAB_CHECK(g.numel() == n.value.numel() && g.dtype() == n.value.dtype(),
               "accumulate: gradient ", shape_str(g.shape()), " for a value of shape ",
               shape_str(n.value.shape()));
  if (!n.grad.defined()) {
    if (!n.param) {
      n.grad = g.reshape(n.value.shape());
      return;
    }
    if (!n.param->grad.defined()) {
      n.param->grad = g.reshape(n.value.shape());
      n.grad = n.param->grad;
      return;
    }
    n.grad = n.param->grad;
  }
  backend_->axpby(1.0, g, 1.0, n.grad);
}

void Tape::backward(const Var& loss) {
  check(loss);
  RNNLAB_CHECK(loss.value().numel() == 1, "backward() needs a scalar loss, found shape ",
               shape_str(loss.value().shape()));
  if (!nodes_[static_cast<std::size_t>(loss.index())].requires_grad) return;
  backend_->fill(grad_slot(loss.index()), 1.0);
  BackwardContext ctx;
  ctx.tape_ = this;
  ctx.backend_ = backend_;
  // One reverse sweep. Node i's inputs all have indices < i, so when we reach i its gradient is
  // complete.
  for (int32_t i = loss.index(); i >= 0; --i) {
    Node& n = nodes_[static_cast<std::size_t>(i)];
    if (!n.requires_grad || !n.backward || !n.grad.defined()) continue;
    ctx.node_ = i;
    ctx.grad_out_ = n.grad;
    n.backward(ctx);
  }
}

const Tensor& Tape::grad(const Var& v) const {
  check(v);
  return nodes_[static_cast<std::size_t>(v.index())].grad;
}

}  // namespace rnnlab
