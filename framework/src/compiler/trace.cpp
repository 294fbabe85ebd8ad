// Step compiler, stage 1: trace one step on a tracing tape into a Graph (see graph.h).
//
// Every node the outputs need is classified: the P_t / state / mask leaves, parameters and
// constants (externs), and annotated ops. An op that depends on none of the leaves is either
// folded into a constant (it only reads constants) or hoisted (it reads a parameter: an
// extern replayed once per forward on the caller's tape, so its gradient reaches the
// parameter). What the compiler cannot handle throws Unsupported (stages.h).
#include <cstring>
#include <sstream>

#include "compiler/stages.h"

namespace rnnlab::compiler {

std::string Graph::key() const {
  std::ostringstream os;
  os << batch << '/' << static_cast<int>(dtype) << '/' << masked << '|';
  auto bits = [](double v) {
    uint64_t b = 0;
    std::memcpy(&b, &v, sizeof b);
    return b;
  };
  for (const GNode& n : nodes) {
    const OpInfo& o = n.op;
    os << static_cast<int>(n.src) << ',' << n.index << ',' << static_cast<int>(o.kind) << ','
       << static_cast<int>(o.elem) << ',' << static_cast<int>(o.reduce) << ','
       << static_cast<int>(o.bc) << ',' << o.i0 << ',' << o.i1
       << ',' << o.i2 << ',' << bits(o.s) << ',' << bits(o.t) << ',' << n.row << '[';
    for (int32_t i : n.in) os << i << ' ';
    os << ']' << shape_str(n.shape) << ';';
  }
  os << '|';
  for (int32_t s : next_state) os << s << ',';
  os << y;
  for (std::size_t e = 0; e < ext_param.size(); ++e) os << (ext_grad(e) ? 'g' : 'c');
  return os.str();
}

namespace {

// The graph being built from a tracing tape: tape node ids -> graph node ids.
class Tracer {
 public:
  Tracer(const Tape& tape, Graph& out) : tape_(tape), out_(out), id_(tape.size(), -1) {}

  void leaf(int32_t i, Src src, int32_t index) {
    GNode l;
    l.src = src;
    l.index = index;
    l.shape = tape_.node(i).value.shape();
    l.row = true;
    put(i, std::move(l));
  }
  // A parameter, a constant made inside step, or a value of parameters alone (hoisted).
  int32_t ext(Parameter* prm, const Tensor& value, Graph::Hoist hoist = {}) {
    GNode e;
    e.src = Src::ext;
    e.index = static_cast<int32_t>(out_.ext_param.size());
    e.shape = value.shape();
    out_.ext_param.push_back(prm);
    out_.ext_const.push_back(prm || hoist.op.kind != OpKind::none ? Tensor{} : value);
    out_.ext_hoist.push_back(std::move(hoist));
    out_.nodes.push_back(std::move(e));
    return static_cast<int32_t>(out_.nodes.size() - 1);
  }
  void op(int32_t i) {
    const Tape::NodeView v = tape_.node(i);
    if (v.op.kind == OpKind::none) {
      std::string ins;
      for (int32_t j : v.inputs) ins.append(" ").append(shape_str(tape_.node(j).value.shape()));
      throw Unsupported("step uses an op the compiler does not know (tape node " +
                        std::to_string(i) + ", shape " + shape_str(v.value.shape()) +
                        ", inputs" + ins + ")");
    }
    GNode o;
    o.op = v.op;
    o.op.aux = Tensor{};
    o.shape = v.value.shape();
    bool reads_param = false;
    for (int32_t j : v.inputs) {
      const int32_t gj = id(j);
      o.in.push_back(gj);
      const GNode& src = out_.nodes[static_cast<std::size_t>(gj)];
      o.row = o.row || src.row;
      reads_param = reads_param ||
                    (src.src == Src::ext && out_.ext_grad(static_cast<std::size_t>(src.index)));
    }
    if (o.row) {
      if (o.op.kind == OpKind::dropout) {  // x * mask: the mask is a constant of this batch
        o.in.push_back(ext(nullptr, v.op.aux));
        o.op.kind = OpKind::elementwise;
        o.op.elem = ElemOp::mul;
      }
      put(i, std::move(o));
    } else if (!reads_param) {
      id_[static_cast<std::size_t>(i)] = ext(nullptr, v.value);  // folded: the traced value
    } else {  // hoisted: replayed on the caller's tape from its ext inputs
      if (o.op.kind == OpKind::dropout || o.op.kind == OpKind::mask_blend)
        throw Unsupported(std::string("step computes ") +
                          (o.op.kind == OpKind::dropout ? "dropout" : "mask_blend") +
                          " from parameters alone");
      Graph::Hoist h{o.op, o.shape, {}};
      for (int32_t gj : o.in) h.in.push_back(out_.nodes[static_cast<std::size_t>(gj)].index);
      id_[static_cast<std::size_t>(i)] = ext(nullptr, v.value, std::move(h));
    }
  }
  void set(int32_t i, int32_t gid) { id_[static_cast<std::size_t>(i)] = gid; }
  int32_t id(int32_t i) const { return id_[static_cast<std::size_t>(i)]; }

 private:
  void put(int32_t i, GNode n) {
    out_.nodes.push_back(std::move(n));
    id_[static_cast<std::size_t>(i)] = static_cast<int32_t>(out_.nodes.size() - 1);
  }
  const Tape& tape_;
  Graph& out_;
  std::vector<int32_t> id_;
};

// Tape nodes that `outputs` depend on.
std::vector<char> live_nodes(const Tape& tape, const std::vector<Var>& outputs) {
  std::vector<char> live(tape.size(), 0);
  for (const Var& v : outputs) live[static_cast<std::size_t>(v.index())] = 1;
  for (auto i = static_cast<int32_t>(tape.size()) - 1; i >= 0; --i)
    if (live[static_cast<std::size_t>(i)])
      for (int32_t j : tape.node(i).inputs) live[static_cast<std::size_t>(j)] = 1;
  return live;
}

}  // namespace

Graph trace_step(Cell& cell, const Tensor& p0, const std::vector<Tensor>& s0, bool masked,
                 const CellContext& ctx) {
  Tape tape(p0.device());
  tape.set_tracing(true);
  Var p = tape.leaf(p0);
  std::vector<Var> state;
  for (const Tensor& s : s0) state.push_back(tape.leaf(s));
  const int64_t batch = p0.dim(0);
  Var m;
  if (masked) m = tape.constant(full({batch, 1}, p0.dtype(), 1.0, p0.device()));
  std::vector<Var> next = cell.step(tape, p, state, ctx);
  if (next.size() != state.size())
    throw Unsupported("step returned " + std::to_string(next.size()) +
                      " state tensors, expected " + std::to_string(state.size()));
  if (masked)
    for (std::size_t k = 0; k < next.size(); ++k) next[k] = mask_blend(m, next[k], state[k]);
  Var y = cell.output(next);
  std::vector<Var> outputs = next;
  outputs.push_back(y);
  const std::vector<char> live = live_nodes(tape, outputs);

  Graph out;
  out.batch = batch;
  out.dtype = p0.dtype();
  out.masked = masked;
  Tracer tr(tape, out);
  for (auto i = int32_t{0}; i < static_cast<int32_t>(tape.size()); ++i) {
    if (!live[static_cast<std::size_t>(i)]) continue;
    const Tape::NodeView v = tape.node(i);
    int32_t k = -1;
    for (std::size_t s = 0; s < state.size(); ++s)
      if (i == state[s].index()) k = static_cast<int32_t>(s);
    if (i == p.index()) tr.leaf(i, Src::p, -1);
    else if (m.valid() && i == m.index()) tr.leaf(i, Src::mask, -1);
    else if (k >= 0) tr.leaf(i, Src::state, k);
    else if (v.param) tr.set(i, tr.ext(v.param, v.value));
    else if (v.inputs.empty()) tr.set(i, tr.ext(nullptr, v.value));  // a constant made in step
    else tr.op(i);
  }
  for (const Var& v : next) out.next_state.push_back(tr.id(v.index()));
  out.y = tr.id(y.index());
  for (int32_t s : out.next_state)
    if (!out.nodes[static_cast<std::size_t>(s)].row)
      throw Unsupported("a next state does not depend on the step's inputs");
  return out;
}

}  // namespace rnnlab::compiler
