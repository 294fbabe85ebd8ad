// Step compiler, stage 1: trace one step on a tracing tape into a Graph (see graph.h).
//
// Every node the outputs need is classified: the P_t / state / mask leaves, parameters and
// constants (externs), and annotated ops. An op that depends on none of the leaves is either
// folded into a constant (it only reads constants) or refused (it reads a parameter: its
// gradient would have to flow outside the step).
#include <cstring>
#include <sstream>

#include "compiler/stages.h"

namespace rnnlab::compiler {

namespace {

const char* kind_name(OpKind k) {
  switch (k) {
    case OpKind::none: return "an unannotated op";
    case OpKind::add: return "add";
    case OpKind::sub: return "sub";
    case OpKind::mul: return "mul";
    case OpKind::div: return "div";
    case OpKind::max: return "maximum";
    case OpKind::scale: return "scale";
    case OpKind::unary: return "a unary op";
    case OpKind::mask_blend: return "mask_blend";
    case OpKind::dropout: return "dropout";
    case OpKind::slice: return "slice";
    case OpKind::reshape: return "reshape";
    case OpKind::concat: return "concat";
    case OpKind::matmul: return "matmul";
    case OpKind::linear: return "linear";
  }
  return "?";
}

}  // namespace

std::string Graph::key() const {
  std::ostringstream os;
  os << batch << '/' << static_cast<int>(dtype) << '/' << masked << '|';
  for (const GNode& n : nodes) {
    uint64_t sbits = 0;
    std::memcpy(&sbits, &n.s, sizeof sbits);
    os << static_cast<int>(n.src) << ',' << n.index << ',' << static_cast<int>(n.kind) << ','
       << static_cast<int>(n.unary) << ',' << static_cast<int>(n.bc) << ',' << n.i0 << ','
       << n.i1 << ',' << n.i2 << ',' << sbits << ',' << n.row << '[';
    for (int32_t i : n.in) os << i << ' ';
    os << ']' << shape_str(n.shape) << ';';
  }
  os << '|';
  for (int32_t s : next_state) os << s << ',';
  os << y;
  for (std::size_t e = 0; e < ext_param.size(); ++e) os << (ext_grad(e) ? 'g' : 'c');
  return os.str();
}

bool trace_step(Cell& cell, const Tensor& p0, const std::vector<Tensor>& s0, bool masked,
                const CellContext& ctx, Graph* g, std::string* why) {
  Tape tape(p0.device());
  tape.set_tracing(true);
  Var p = tape.leaf(p0);
  std::vector<Var> state;
  for (const Tensor& s : s0) state.push_back(tape.leaf(s));
  const int64_t batch = p0.dim(0);
  Var m;
  if (masked) m = tape.constant(full({batch, 1}, p0.dtype(), 1.0, p0.device()));
  std::vector<Var> next = cell.step(tape, p, state, ctx);
  if (next.size() != state.size()) {
    *why = "step returned " + std::to_string(next.size()) + " state tensors, expected " +
           std::to_string(state.size());
    return false;
  }
  if (masked)
    for (std::size_t k = 0; k < next.size(); ++k) next[k] = mask_blend(m, next[k], state[k]);
  Var y = cell.output(next);

  // Liveness: what the outputs need.
  const auto n = static_cast<int32_t>(tape.size());
  std::vector<char> live(static_cast<std::size_t>(n), 0);
  for (const Var& v : next) live[static_cast<std::size_t>(v.index())] = 1;
  live[static_cast<std::size_t>(y.index())] = 1;
  for (int32_t i = n - 1; i >= 0; --i)
    if (live[static_cast<std::size_t>(i)])
      for (int32_t j : tape.node(i).inputs) live[static_cast<std::size_t>(j)] = 1;

  Graph out;
  out.batch = batch;
  out.dtype = p0.dtype();
  out.masked = masked;
  std::vector<int32_t> id(static_cast<std::size_t>(n), -1);
  auto add_ext = [&](Parameter* prm, const Tensor& value, Graph::Hoist hoist = {}) {
    GNode e;
    e.src = Src::ext;
    e.index = static_cast<int32_t>(out.ext_param.size());
    e.shape = value.shape();
    out.ext_param.push_back(prm);
    out.ext_const.push_back(prm || hoist.kind != OpKind::none ? Tensor{} : value);
    out.ext_hoist.push_back(std::move(hoist));
    out.nodes.push_back(std::move(e));
    return static_cast<int32_t>(out.nodes.size() - 1);
  };
  for (int32_t i = 0; i < n; ++i) {
    if (!live[static_cast<std::size_t>(i)]) continue;
    const Tape::NodeView v = tape.node(i);
    int32_t gid = -1;
    if (i == p.index() || (m.valid() && i == m.index())) {
      GNode l;
      l.src = i == p.index() ? Src::p : Src::mask;
      l.shape = v.value.shape();
      l.row = true;
      out.nodes.push_back(std::move(l));
      gid = static_cast<int32_t>(out.nodes.size() - 1);
    } else if (v.param) {
      gid = add_ext(v.param, v.value);
    } else if (v.inputs.empty()) {
      bool is_state = false;
      for (std::size_t k = 0; k < state.size(); ++k)
        if (i == state[k].index()) {
          GNode l;
          l.src = Src::state;
          l.index = static_cast<int32_t>(k);
          l.shape = v.value.shape();
          l.row = true;
          out.nodes.push_back(std::move(l));
          gid = static_cast<int32_t>(out.nodes.size() - 1);
          is_state = true;
        }
      if (!is_state) gid = add_ext(nullptr, v.value);  // a constant made inside step
    } else {
      if (v.op.kind == OpKind::none) {
        std::string ins;
        for (int32_t j : v.inputs) ins += " " + shape_str(tape.node(j).value.shape());
        *why = "step uses an op the compiler does not know (tape node " + std::to_string(i) +
               ", shape " + shape_str(v.value.shape()) + ", inputs" + ins + ")";
        return false;
      }
      GNode o;
      o.src = Src::op;
      o.kind = v.op.kind;
      o.unary = v.op.unary;
      o.bc = v.op.bc;
      o.i0 = v.op.i0;
      o.i1 = v.op.i1;
      o.i2 = v.op.i2;
      o.s = v.op.s;
      o.shape = v.value.shape();
      bool reads_param = false;
      for (int32_t j : v.inputs) {
        const int32_t gj = id[static_cast<std::size_t>(j)];
        o.in.push_back(gj);
        const GNode& src = out.nodes[static_cast<std::size_t>(gj)];
        o.row = o.row || src.row;
        reads_param = reads_param || (src.src == Src::ext && out.ext_grad(static_cast<std::size_t>(src.index)));
      }
      if (!o.row) {
        if (reads_param) {  // hoisted: replayed on the caller's tape from its ext inputs
          if (o.kind == OpKind::dropout || o.kind == OpKind::mask_blend) {
            *why = std::string("step computes ") + kind_name(o.kind) + " from parameters alone";
            return false;
          }
          Graph::Hoist hz{o.kind, o.unary, o.i0, o.i1, o.i2, o.s, o.shape, {}};
          for (int32_t gj : o.in) hz.in.push_back(out.nodes[static_cast<std::size_t>(gj)].index);
          gid = add_ext(nullptr, v.value, std::move(hz));
        } else {
          gid = add_ext(nullptr, v.value);  // constant folding: the traced value
        }
      } else {
        if (o.kind == OpKind::dropout) {  // x * mask: the mask is a constant of this batch
          const int32_t mk = add_ext(nullptr, v.op.aux);
          o.kind = OpKind::mul;
          o.in.push_back(mk);
        }
        out.nodes.push_back(std::move(o));
        gid = static_cast<int32_t>(out.nodes.size() - 1);
      }
    }
    id[static_cast<std::size_t>(i)] = gid;
  }
  for (const Var& v : next) out.next_state.push_back(id[static_cast<std::size_t>(v.index())]);
  out.y = id[static_cast<std::size_t>(y.index())];
  for (int32_t s : out.next_state)
    if (!out.nodes[static_cast<std::size_t>(s)].row) {
      *why = "a next state does not depend on the step's inputs";
      return false;
    }
  *g = std::move(out);
  return true;
}

}  // namespace rnnlab::compiler
