// Step compiler: detecting linear recurrences and planning their scan (see scan.h).
//
// For the state k under analysis every graph node is known (free of s_{t-1,k} and of every
// state not scanned yet), affine (A ⊙ s_{t-1,k} + B, A and B known) or neither. A and B are
// built as nodes of the stage's part graph while the analysis runs (Term: a constant, or a
// part node broadcast to [B,S] like an op's second operand: none / suffix / prefix); what a
// declined state left behind is pruned when the part is finished.
#include <algorithm>
#include <map>
#include <sstream>

#include "compiler/scan.h"
#include "rnnlab/op_table.h"

namespace rnnlab::compiler {

namespace {

using BcKind = Broadcast::Kind;

// A [B,S] value: the constant c, or part node `id` broadcast with `bc`.
struct Term {
  bool is_const = true;
  double c = 0.0;
  int32_t id = -1;
  BcKind bc = BcKind::none;
  static Term constant(double v) { return {true, v, -1, BcKind::none}; }
  static Term node(int32_t i, BcKind b) { return {false, 0.0, i, b}; }
  bool is(double v) const { return is_const && c == v; }
};

std::string op_name(const GNode& n) {
  switch (n.op.kind) {
    case OpKind::elementwise: return op_table::info(n.op.elem).name;
    case OpKind::mask_blend: return "a mask blend";
    case OpKind::slice: return "a slice";
    case OpKind::reshape: return "a reshape";
    case OpKind::concat: return "a concat";
    case OpKind::matmul: case OpKind::linear: return "a matmul";
    default: return "an op";
  }
}

// Builds one part's graph: the original externs (same indices), P, leaves for the states
// already scanned, imported step nodes and the combining ops of A and B.
class PartBuilder {
 public:
  PartBuilder(const Graph& g, const std::vector<int32_t>& new_state_of,
              const std::vector<char>& scanned)
      : g_(g), new_state_of_(new_state_of), scanned_(scanned), memo_(g.nodes.size(), -1) {
    for (const GNode& n : g.nodes)
      if (n.src == Src::ext) {
        out_.nodes.push_back(n);
        out_.nodes.back().in.clear();
      }
    GNode p;
    p.src = Src::p;
    for (const GNode& n : g.nodes)
      if (n.src == Src::p) p.shape = n.shape;
    p.row = true;
    out_.nodes.push_back(p);
  }

  // A known node of the step, in the part.
  int32_t import(int32_t i) {
    int32_t& m = memo_[static_cast<std::size_t>(i)];
    if (m >= 0) return m;
    const GNode& n = g_.nodes[static_cast<std::size_t>(i)];
    if (const int32_t j = new_state_of_[static_cast<std::size_t>(i)]; j >= 0)
      return m = leaf(j, true, n.shape);
    switch (n.src) {
      case Src::ext: return m = n.index;
      case Src::p: return m = static_cast<int32_t>(g_.ext_param.size());
      case Src::state:
        if (!scanned_[static_cast<std::size_t>(n.index)])
          throw Error("scan plan: an unscanned state imported as known");
        return m = leaf(n.index, false, n.shape);
      case Src::mask: {
        GNode l = n;
        out_.nodes.push_back(l);
        return m = last();
      }
      case Src::op: break;
    }
    GNode c = n;
    for (int32_t& j : c.in) j = import(j);
    out_.nodes.push_back(std::move(c));
    return m = last();
  }

  // A new [B,w] row node: the elementwise op `e` (op_table.h).
  int32_t op(ElemOp e, std::vector<int32_t> in, BcKind bc, int64_t w, double s = 0.0) {
    GNode n;
    n.src = Src::op;
    n.op.kind = OpKind::elementwise;
    n.op.elem = e;
    n.op.bc = bc;
    n.op.s = s;
    n.in = std::move(in);
    n.shape = {g_.batch, w};
    n.row = true;
    out_.nodes.push_back(std::move(n));
    return last();
  }
  // A constant extern: [B,w] of ones (a row operand), or the scalar c ([1], suffix).
  int32_t ones(int64_t w) {
    auto it = ones_.find(w);
    if (it != ones_.end()) return it->second;
    return ones_[w] = constant(full({g_.batch, w}, g_.dtype, 1.0));
  }
  int32_t scalar(double c) {
    auto it = scalars_.find(c);
    if (it != scalars_.end()) return it->second;
    return scalars_[c] = constant(full({1}, g_.dtype, c));
  }
  bool full_row(const Term& t, int64_t w) const {
    if (t.is_const || t.bc != BcKind::none) return false;
    const GNode& n = out_.nodes[static_cast<std::size_t>(t.id)];
    return n.row && n.shape.size() == 2 && n.shape[1] == w;
  }

  // The part: outputs `outs` (part node ids, full rows) become its next states; unused nodes
  // go; leaves are numbered after the outputs. `leaves` gets the leaf list.
  Graph finish(const std::vector<int32_t>& outs, std::vector<ScanPart::Leaf>* leaves,
               std::vector<Tensor>* consts) {
    std::vector<char> live(out_.nodes.size(), 0);
    for (int32_t o : outs) live[static_cast<std::size_t>(o)] = 1;
    for (std::size_t u = out_.nodes.size(); u-- > 0;) {
      const GNode& n = out_.nodes[u];
      if (n.src == Src::ext || n.src == Src::p) live[u] = 1;
      if (live[u])
        for (int32_t j : n.in) live[static_cast<std::size_t>(j)] = 1;
    }
    Graph r;
    r.batch = g_.batch;
    r.dtype = g_.dtype;
    r.masked = false;
    std::vector<int32_t> id(out_.nodes.size(), -1);
    leaves->clear();
    const auto n_out = static_cast<int32_t>(outs.size());
    for (std::size_t u = 0; u < out_.nodes.size(); ++u) {
      if (!live[u]) continue;
      GNode n = out_.nodes[u];
      for (int32_t& j : n.in) j = id[static_cast<std::size_t>(j)];
      if (n.src == Src::state) {
        leaves->push_back(leaf_of_[static_cast<int32_t>(u)]);
        n.index = n_out + static_cast<int32_t>(leaves->size() - 1);
      }
      r.nodes.push_back(std::move(n));
      id[u] = static_cast<int32_t>(r.nodes.size() - 1);
    }
    for (int32_t o : outs) r.next_state.push_back(id[static_cast<std::size_t>(o)]);
    r.y = r.next_state.front();
    r.ext_param = g_.ext_param;
    r.ext_const = g_.ext_const;
    r.ext_hoist = g_.ext_hoist;
    for (const Tensor& c : consts_) {
      r.ext_param.push_back(nullptr);
      r.ext_const.push_back(c);
      r.ext_hoist.emplace_back();
    }
    *consts = consts_;
    return r;
  }

 private:
  int32_t last() const { return static_cast<int32_t>(out_.nodes.size() - 1); }
  int32_t leaf(int32_t state, bool next, const Shape& shape) {
    const auto key = std::make_pair(state, next);
    if (auto it = leaves_.find(key); it != leaves_.end()) return it->second;
    GNode l;
    l.src = Src::state;
    l.index = state;
    l.shape = shape;
    l.row = true;
    out_.nodes.push_back(std::move(l));
    leaf_of_[last()] = {state, next};
    return leaves_[key] = last();
  }
  // A constant extern (index after the step's externs and the earlier constants). Ext nodes
  // stay in ext order among themselves, which is all the lowerer asks.
  int32_t constant(const Tensor& v) {
    GNode e;
    e.src = Src::ext;
    e.index = static_cast<int32_t>(g_.ext_param.size() + consts_.size());
    e.shape = v.shape();
    consts_.push_back(v);
    out_.nodes.push_back(std::move(e));
    return last();
  }

 private:
  const Graph& g_;
  const std::vector<int32_t>& new_state_of_;
  const std::vector<char>& scanned_;
  std::vector<int32_t> memo_;
  Graph out_;
  std::vector<Tensor> consts_;
  std::map<std::pair<int32_t, bool>, int32_t> leaves_;
  std::map<int32_t, ScanPart::Leaf> leaf_of_;
  std::map<int64_t, int32_t> ones_;
  std::map<double, int32_t> scalars_;
};

// Term arithmetic on [B,w] values; results that are nodes are full rows (a broadcast value is
// first made a row: ones ⊙ x).
class Algebra {
 public:
  Algebra(PartBuilder& b, int64_t w) : b_(b), w_(w) {}
  Term row(const Term& x) {
    if (b_.full_row(x, w_)) return x;
    if (x.is_const)
      return Term::node(b_.op(ElemOp::mul, {b_.ones(w_), b_.scalar(x.c)}, BcKind::suffix, w_),
                        BcKind::none);
    return Term::node(b_.op(ElemOp::mul, {b_.ones(w_), x.id}, x.bc, w_), BcKind::none);
  }
  Term add(Term x, Term y) {
    if (x.is_const && y.is_const) return Term::constant(x.c + y.c);
    if (x.is(0.0)) return y;
    if (y.is(0.0)) return x;
    if (!b_.full_row(x, w_) && b_.full_row(y, w_)) std::swap(x, y);
    x = row(x);
    if (y.is_const) return Term::node(b_.op(ElemOp::add, {x.id, b_.scalar(y.c)}, BcKind::suffix, w_), BcKind::none);
    return Term::node(b_.op(ElemOp::add, {x.id, y.id}, y.bc, w_), BcKind::none);
  }
  Term scale(const Term& x, double s) {
    if (x.is_const) return Term::constant(x.c * s);
    if (s == 1.0) return x;
    return Term::node(b_.op(ElemOp::scale, {row(x).id}, BcKind::none, w_, s), BcKind::none);
  }
  Term sub(const Term& x, const Term& y) { return add(x, scale(y, -1.0)); }
  Term mul(Term x, Term y) {
    if (x.is_const && y.is_const) return Term::constant(x.c * y.c);
    if (x.is(0.0) || y.is(0.0)) return Term::constant(0.0);
    if (x.is_const) return scale(y, x.c);
    if (y.is_const) return scale(x, y.c);
    if (!b_.full_row(x, w_) && b_.full_row(y, w_)) std::swap(x, y);
    x = row(x);
    return Term::node(b_.op(ElemOp::mul, {x.id, y.id}, y.bc, w_), BcKind::none);
  }
  Term div(Term x, const Term& y) {  // y: a known node
    if (x.is(0.0)) return x;
    x = row(x);
    return Term::node(b_.op(ElemOp::div, {x.id, y.id}, y.bc, w_), BcKind::none);
  }

 private:
  PartBuilder& b_;
  int64_t w_;
};

// One state's analysis: every node known, affine or failed (with the reason).
class Affine {
 public:
  struct R {
    enum Kind : uint8_t { known, affine, failed } kind = known;
    Term a, b;
  };
  Affine(const Graph& g, int32_t state, const std::vector<int32_t>& new_state_of,
         const std::vector<char>& scanned, const std::vector<std::string>& names, PartBuilder& b)
      : g_(g), k_(state), new_state_of_(new_state_of), scanned_(scanned), names_(names), b_(b),
        alg_(b, g.nodes[static_cast<std::size_t>(g.next_state[static_cast<std::size_t>(state)])].shape[1]),
        memo_(g.nodes.size()), done_(g.nodes.size(), 0) {}

  R run(int32_t root) { return visit(root); }
  const std::string& why() const { return why_; }
  // The reason is another state not scanned (yet), not this state's own form.
  bool blocked() const { return blocked_; }

 private:
  const GNode& node(int32_t i) const { return g_.nodes[static_cast<std::size_t>(i)]; }
  std::string name(int32_t k) const {
    return static_cast<std::size_t>(k) < names_.size() ? names_[static_cast<std::size_t>(k)]
                                                       : "state " + std::to_string(k);
  }
  R fail(const std::string& w) {
    if (why_.empty()) why_ = w;
    R r;
    r.kind = R::failed;
    return r;
  }
  // A known node as a term, broadcast as the op's operand `bc`.
  Term known(int32_t i, BcKind bc) { return Term::node(b_.import(i), bc); }

  R visit(int32_t i) {
    if (done_[static_cast<std::size_t>(i)]) return memo_[static_cast<std::size_t>(i)];
    R r = compute(i);
    done_[static_cast<std::size_t>(i)] = 1;
    return memo_[static_cast<std::size_t>(i)] = r;
  }

  R compute(int32_t i) {
    const GNode& n = node(i);
    if (new_state_of_[static_cast<std::size_t>(i)] >= 0) return {};
    switch (n.src) {
      case Src::p: case Src::ext: case Src::mask: return {};
      case Src::state:
        if (n.index == k_) return {R::affine, Term::constant(1.0), Term::constant(0.0)};
        if (scanned_[static_cast<std::size_t>(n.index)]) return {};
        if (why_.empty()) blocked_ = true;
        return fail("its update reads " + name(n.index) + ", which is not a linear recurrence "
                    "either");
      case Src::op: break;
    }
    std::vector<R> in;
    bool any = false;
    for (int32_t j : n.in) {
      in.push_back(visit(j));
      if (in.back().kind == R::failed) return in.back();
      any = any || in.back().kind == R::affine;
    }
    if (!any) return {};
    const int64_t w = alg_row_width();
    if (n.shape.size() != 2 || n.shape[1] != w)
      return fail(std::string(op_name(n)) + " moves " + name(k_) + "'s columns");
    const BcKind bc = n.op.bc;
    auto operand = [&](std::size_t j) -> std::pair<Term, Term> {  // (A, B) of input j
      if (in[j].kind == R::affine) return {in[j].a, in[j].b};
      return {Term::constant(0.0), known(n.in[j], j == 1 ? bc : BcKind::none)};
    };
    const std::string dep = " a value that depends on " + name(k_);
    const std::string no = " (" + name(k_) + " is not a linear recurrence)";
    if (n.op.kind != OpKind::elementwise) return fail(op_name(n) + " of" + dep + no);
    switch (n.op.elem) {
      case ElemOp::add: case ElemOp::sub: {
        if (in.size() > 1 && in[1].kind == R::affine && bc != BcKind::none)
          return fail("a broadcast of" + dep + no);
        auto [au, bu] = operand(0);
        auto [av, bv] = operand(1);
        if (n.op.elem == ElemOp::add) return {R::affine, alg_.add(au, av), alg_.add(bu, bv)};
        return {R::affine, alg_.sub(au, av), alg_.sub(bu, bv)};
      }
      case ElemOp::mul: case ElemOp::div: {
        const bool mul = n.op.elem == ElemOp::mul;
        if (in[0].kind == R::affine && in[1].kind == R::affine)
          return fail(std::string(mul ? "a product" : "a quotient") + " of two values that " +
                      "depend on " + name(k_) + no);
        if (in[1].kind == R::affine) {
          if (!mul) return fail("a division by" + dep + no);
          if (bc != BcKind::none) return fail("a broadcast of" + dep + no);
          const Term x = known(n.in[0], BcKind::none);
          return {R::affine, alg_.mul(in[1].a, x), alg_.mul(in[1].b, x)};
        }
        const Term x = known(n.in[1], bc);
        if (mul) return {R::affine, alg_.mul(in[0].a, x), alg_.mul(in[0].b, x)};
        return {R::affine, alg_.div(in[0].a, x), alg_.div(in[0].b, x)};
      }
      case ElemOp::scale:
        return {R::affine, alg_.scale(in[0].a, n.op.s), alg_.scale(in[0].b, n.op.s)};
      default:
        return fail(op_name(n) + " of" + dep + no);
    }
  }
  int64_t alg_row_width() const {
    return node(g_.next_state[static_cast<std::size_t>(k_)]).shape[1];
  }

  const Graph& g_;
  int32_t k_;
  const std::vector<int32_t>& new_state_of_;
  const std::vector<char>& scanned_;
  const std::vector<std::string>& names_;
  PartBuilder& b_;
  Algebra alg_;
  std::vector<R> memo_;
  std::vector<char> done_;
  std::string why_;
  bool blocked_ = false;
};

// Lowers a part graph and checks it is what the driver runs: one diagonal level.
std::shared_ptr<const Program> lower_part(const Graph& pg, const std::string& what) {
  std::shared_ptr<const Program> prog;
  try {
    prog = lower(pg);
  } catch (const Unsupported& e) {
    throw Unsupported(what + " do not lower: " + e.what());
  }
  if (!prog->diagonal || prog->levels.size() != 1) throw Unsupported(what + " need a GEMM");
  // The adjoints its backward sends to its outputs' previous values (dS_prev of a "state" k <
  // n_out) are zeroed and never read: the outputs are coefficients, not states.
  const auto n_out = static_cast<int32_t>(pg.next_state.size());
  auto sink = [&](const Instr& in) {
    const SlotDesc& d = prog->slots[static_cast<std::size_t>(in.d.slot)];
    return in.code == Code::zero && d.kind == Slot::ds_prev && d.id < n_out;
  };
  std::vector<Instr> bwd = prog->levels[0].bwd;
  bwd.erase(std::remove_if(bwd.begin(), bwd.end(), sink), bwd.end());
  if (bwd.size() == prog->levels[0].bwd.size()) return prog;
  auto copy = std::make_shared<Program>(*prog);
  copy->bwd_work = 0;
  for (const Instr& in : bwd) copy->bwd_work += in.w;
  copy->levels[0].bwd = std::move(bwd);
  return copy;
}

// Backward order: the first part that writes dP keeps its dP assignments (or zeroes dP_t
// first: zero_dp); every later part with a dP slot adds to dP, and its program is marked
// dp_assigns so that no executor zeroes dP for it (emit_cuda's backward kernel zeroes dP_t
// unless the program assigns it). Returns false when no part writes dP.
bool order_dp(const std::vector<ScanPart*>& parts) {
  bool first = true;
  for (ScanPart* part : parts) {
    int dps = -1;
    for (std::size_t s = 0; s < part->prog->slots.size(); ++s)
      if (part->prog->slots[s].kind == Slot::dp) dps = static_cast<int>(s);
    if (dps < 0) continue;
    const std::vector<Instr>& bwd = part->prog->levels[0].bwd;
    const bool writes =
        std::any_of(bwd.begin(), bwd.end(), [&](const Instr& in) { return in.d.slot == dps; });
    if (writes && first) {
      part->zero_dp = !part->prog->dp_assigns;
      first = false;
      continue;
    }
    auto copy = std::make_shared<Program>(*part->prog);
    for (Instr& in : copy->levels[0].bwd)
      if (in.d.slot == dps && in.store == Store::assign) in.store = Store::acc;
    copy->dp_assigns = true;
    part->prog = std::move(copy);
  }
  return !first;
}

}  // namespace

int64_t ScanPlan::packed_width() const {
  int64_t w = 0;
  for (int64_t s : state_width) w += s;
  return w + (y_in_packed ? hidden : 0);
}

std::vector<Tensor> ScanPlan::alloc_saved(Backend& be, int64_t steps, int64_t batch) const {
  std::vector<Tensor> saved(static_cast<std::size_t>(buffers));
  for (const ScanStage& st : stages)
    for (std::size_t i = 0; i < st.states.size(); ++i)
      for (int32_t id : {st.a_buffer[i], st.b_buffer[i]})
        if (id >= 0)
          saved[static_cast<std::size_t>(id)] =
              be.empty({steps, batch, state_width[static_cast<std::size_t>(st.states[i])]}, dtype);
  auto part_saved = [&](const ScanPart& part) {
    for (std::size_t v = 0; v < part.saved.size(); ++v)
      saved[static_cast<std::size_t>(part.saved[v])] =
          be.empty({steps, batch, part.prog->saved_width[v]}, dtype);
  };
  for (const ScanStage& st : stages) part_saved(st.part);
  for (const ScanPart& part : y) part_saved(part);
  return saved;
}

std::string ScanPlan::describe() const {
  std::ostringstream os;
  os << "scan: ";
  for (std::size_t s = 0; s < stages.size(); ++s) {
    if (s) os << "; then ";
    const ScanStage& st = stages[s];
    for (std::size_t i = 0; i < st.states.size(); ++i) {
      const auto k = static_cast<std::size_t>(st.states[i]);
      std::ostringstream n;
      if (k < names.size()) n << names[k];
      else n << "s" << k;
      os << (i ? ", " : "") << n.str() << " = ";
      if (st.a[i] == Coef::row) os << "a ⊙ ";
      if (st.a[i] != Coef::zero) os << n.str() << " + ";
      os << "b";
    }
    if (!st.recurrent) os << " (no recurrence)";
  }
  if (!y.empty()) os << "; then the output";
  return os.str();
}

std::shared_ptr<const ScanPlan> plan_scan(const Graph& g, const std::vector<std::string>& names) {
  auto plan = std::make_shared<ScanPlan>();
  plan->dtype = g.dtype;
  plan->batch = g.batch;
  plan->masked = g.masked;
  plan->ext_count = static_cast<int32_t>(g.ext_param.size());
  plan->names = names;
  for (const GNode& n : g.nodes) {
    if (n.src == Src::p) plan->p_width = n.shape[1];
    if (n.src == Src::op && (n.op.kind == OpKind::matmul || n.op.kind == OpKind::linear))
      throw Unsupported("not diagonal (the step has a GEMM)");
  }
  const std::size_t K = g.next_state.size();
  for (int32_t s : g.next_state) plan->state_width.push_back(g.nodes[static_cast<std::size_t>(s)].shape[1]);
  plan->y_in_packed = g.y != g.next_state[0];
  plan->hidden = g.nodes[static_cast<std::size_t>(g.y)].shape[1];
  // The trace's mask blend comes off: pre[k] is the step's own s'_t,k.
  std::vector<int32_t> pre(K);
  for (std::size_t k = 0; k < K; ++k) {
    pre[k] = g.next_state[k];
    if (!g.masked) continue;
    const GNode& n = g.nodes[static_cast<std::size_t>(pre[k])];
    const bool blend = n.src == Src::op && n.op.kind == OpKind::mask_blend && n.in.size() == 3 &&
                       g.nodes[static_cast<std::size_t>(n.in[2])].src == Src::state &&
                       g.nodes[static_cast<std::size_t>(n.in[2])].index == static_cast<int32_t>(k);
    if (!blend) throw Unsupported("a masked next state that is not the mask blend of its update");
    pre[k] = n.in[1];
  }
  std::vector<char> scanned(K, 0);
  std::vector<int32_t> new_state_of(g.nodes.size(), -1);
  auto state_name = [&](std::size_t k) {
    return k < names.size() ? names[k] : "state " + std::to_string(k);
  };
  std::vector<ScanPart*> bwd_order;
  std::size_t left = K;
  while (left > 0) {
    PartBuilder builder(g, new_state_of, scanned);
    ScanStage st;
    std::vector<std::pair<Term, Term>> coef;
    std::string first_why, blocked_why;  // the first own failure, the first blocked one
    for (std::size_t k = 0; k < K; ++k) {
      if (scanned[k]) continue;
      Affine an(g, static_cast<int32_t>(k), new_state_of, scanned, names, builder);
      Affine::R r = an.run(pre[k]);
      if (r.kind == Affine::R::failed) {
        std::string& w = an.blocked() ? blocked_why : first_why;
        if (w.empty()) w = state_name(k) + ": " + an.why();
        continue;
      }
      if (r.kind == Affine::R::known) {  // s'_t,k reads no s_{t-1,k}: a ≡ 0
        r.a = Term::constant(0.0);
        r.b = Term::node(builder.import(pre[k]), BcKind::none);
      }
      st.states.push_back(static_cast<int32_t>(k));
      coef.emplace_back(r.a, r.b);
    }
    if (st.states.empty()) throw Unsupported(first_why.empty() ? blocked_why : first_why);
    // Outputs: per state a (a row unless ≡ 0 or 1) then b (always a row).
    std::vector<int32_t> outs;
    for (std::size_t i = 0; i < st.states.size(); ++i) {
      const int64_t w = plan->state_width[static_cast<std::size_t>(st.states[i])];
      Algebra alg(builder, w);
      const Term& a = coef[i].first;
      const Coef ca = a.is(0.0) ? Coef::zero : a.is(1.0) ? Coef::one : Coef::row;
      st.a.push_back(ca);
      st.a_buffer.push_back(-1);
      if (ca == Coef::row) {
        outs.push_back(alg.row(a).id);
        st.part.outs.push_back({ScanPart::To::a, st.states[i]});
        st.a_buffer.back() = plan->buffers++;
      }
      outs.push_back(alg.row(coef[i].second).id);
      st.part.outs.push_back({ScanPart::To::b, st.states[i]});
    }
    st.recurrent = g.masked || std::any_of(st.a.begin(), st.a.end(),
                                           [](Coef c) { return c != Coef::zero; });
    const Graph pg = builder.finish(outs, &st.part.leaves, &st.part.consts);
    st.part.prog = lower_part(pg, "the coefficients of stage " + std::to_string(plan->stages.size() + 1));
    // b_t read back by the backward (an output whose adjoint reads its value, e.g. tanh) keeps
    // a buffer of its own: s_t's place is overwritten by the scan.
    st.b_buffer.assign(st.states.size(), -1);
    const Program& P = *st.part.prog;
    for (std::size_t s = 0; s < P.slots.size(); ++s) {
      if (P.slots[s].kind != Slot::s_next) continue;
      const ScanPart::Out& o = st.part.outs[static_cast<std::size_t>(P.slots[s].id)];
      if (o.to != ScanPart::To::b || !st.recurrent) continue;
      const auto reads = [&](const Instr& in) {
        for (const Ref* r : {&in.a, &in.b, &in.c, &in.y})
          if (r->slot == static_cast<int>(s)) return true;
        return false;
      };
      if (std::any_of(P.levels[0].bwd.begin(), P.levels[0].bwd.end(), reads)) {
        const auto i = static_cast<std::size_t>(
            std::find(st.states.begin(), st.states.end(), o.state) - st.states.begin());
        st.b_buffer[i] = plan->buffers++;
      }
    }
    for (int32_t k : st.states) {
      scanned[static_cast<std::size_t>(k)] = 1;
      new_state_of[static_cast<std::size_t>(g.next_state[static_cast<std::size_t>(k)])] = k;
      new_state_of[static_cast<std::size_t>(pre[static_cast<std::size_t>(k)])] = k;
      --left;
    }
    plan->stages.push_back(std::move(st));
  }
  if (plan->y_in_packed) {
    PartBuilder builder(g, new_state_of, scanned);
    const int32_t y = builder.import(g.y);
    Algebra alg(builder, plan->hidden);
    const int32_t out = alg.row(Term::node(y, BcKind::none)).id;
    ScanPart part;
    const Graph pg = builder.finish({out}, &part.leaves, &part.consts);
    part.outs.push_back({ScanPart::To::y, 0});
    part.prog = lower_part(pg, "the output's ops");
    plan->y.push_back(std::move(part));
  }
  for (ScanPart& part : plan->y) bwd_order.push_back(&part);
  for (auto st = plan->stages.rbegin(); st != plan->stages.rend(); ++st)
    bwd_order.push_back(&st->part);
  plan->dp_fill = !order_dp(bwd_order);
  for (ScanPart* part : bwd_order)
    for (std::size_t v = 0; v < part->prog->saved_width.size(); ++v)
      part->saved.push_back(plan->buffers++);
  return plan;
}

bool scan_pays(int64_t batch, int64_t steps, int threads) {
  return threads >= 2 && batch * 2 <= threads && steps >= 256;
}

}  // namespace rnnlab::compiler
