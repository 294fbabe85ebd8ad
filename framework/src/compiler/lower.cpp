// Step compiler, stage 2: lower a traced Graph to a Program (see program.h).
//
//  1. values: every row node gets a base (its own storage, or the node it is a view of: slice,
//     same-shape reshape) and a level = the number of GEMMs on its longest path from the inputs;
//  2. uses: which level reads each base, whether a GEMM reads it, whether the backward needs
//     its forward value (mul: both operands; div: b and out; max: both; sigmoid/tanh/exp/relu:
//     the output; log/square: the input; blend: the mask);
//  3. homes: next states and y are written straight into their sequence buffers (or copied
//     there), GEMM outputs into theirs; a base read at a higher level, by a GEMM or by the
//     backward is saved for all steps; everything else lives in per-row scratch;
//  4. forward instructions per level, in graph order;
//  5. backward, level by level from the top, the graph in reverse: each op's adjoint rule adds
//     into its inputs' adjoints. An adjoint read across levels (or by a GEMM's backward) lives
//     in a per-step buffer zeroed at the start of the step; the others in scratch, where the
//     first full-width contribution assigns instead of adding (no zero fill).
#include <algorithm>
#include <map>
#include <sstream>
#include <utility>

#include "compiler/stages.h"

namespace rnnlab::compiler {

int64_t Program::packed_width() const {
  int64_t w = 0;
  for (int64_t s : state_width) w += s;
  return w + (y_in_packed ? hidden : 0);
}

std::string Program::describe() const {
  int64_t nf = 0, nb = 0, ng = 0;
  for (const Level& l : levels) {
    nf += static_cast<int64_t>(l.fwd.size());
    nb += static_cast<int64_t>(l.bwd.size());
    ng += static_cast<int64_t>(l.gemms.size());
  }
  std::ostringstream os;
  if (diagonal) os << "diagonal (whole sequence per row), ";
  os << levels.size() << (levels.size() == 1 ? " level, " : " levels, ") << ng
     << (ng == 1 ? " GEMM, " : " GEMMs, ") << nf << "+" << nb << " instructions, "
     << saved_width.size() << " saved";
  return os.str();
}

namespace {

struct Val {
  int32_t base = -1;
  int64_t off = 0, w = 0;
  int level = 0;
};

struct Base {
  Slot home = Slot::scratch;
  int32_t home_id = 0;
  int64_t w = 0;
  int level = 0;
  int max_use = -1;      // highest level that reads it
  bool needed = false;   // the backward reads its value
  bool out = false;      // a next state or y lives here
  int slot = -1, adj = -1;
  bool adj_external = false, adj_scratch = false;
};

struct Item {  // one forward unit of work, for the backward
  int32_t node = -1;               // graph op node, or -1 for a copy
  int32_t src = -1, dst = -1;      // copy: value ids
};

class Lowerer {
 public:
  explicit Lowerer(const Graph& g) : g_(g) {}
  std::shared_ptr<const Program> run(std::string* why);

 private:
  bool fail(const std::string& w) {
    why_ = w;
    return false;
  }
  const GNode& node(int32_t i) const { return g_.nodes[static_cast<std::size_t>(i)]; }
  Val& val(int32_t i) { return vals_[static_cast<std::size_t>(i)]; }
  Base& base_of(int32_t i) { return bases_[static_cast<std::size_t>(val(i).base)]; }
  int32_t new_base(int32_t v, int64_t w, int level) {
    bases_.push_back({});
    bases_.back().w = w;
    bases_.back().level = level;
    val(v) = {static_cast<int32_t>(bases_.size() - 1), 0, w, level};
    return val(v).base;
  }
  int32_t new_value() {
    vals_.push_back({});
    return static_cast<int32_t>(vals_.size() - 1);
  }
  int slot(Slot kind, int32_t id, int64_t width) {
    auto key = std::make_pair(static_cast<int>(kind), id);
    if (kind != Slot::scratch && kind != Slot::dscratch) {
      auto it = slot_ids_.find(key);
      if (it != slot_ids_.end()) return it->second;
    }
    SlotDesc d;
    d.kind = kind;
    d.id = id;
    d.width = width;
    if (kind == Slot::scratch) d.offset = std::exchange(prog_.scratch, prog_.scratch + width);
    if (kind == Slot::dscratch) d.offset = std::exchange(prog_.dscratch, prog_.dscratch + width);
    prog_.slots.push_back(d);
    const int s = static_cast<int>(prog_.slots.size() - 1);
    slot_ids_[key] = s;
    return s;
  }
  bool is_ext(int32_t i) const { return node(i).src == Src::ext; }
  int64_t numel(int32_t i) const { return shape_numel(node(i).shape); }

  bool values();
  bool uses();
  void homes();
  // An operand: the value (row node) or an extern used with broadcast `bc`.
  bool operand(int32_t i, Broadcast::Kind bc, int64_t w, Ref* r, bool* scalar);
  bool forward();
  void backward();
  Ref adj_ref(int32_t i, Broadcast::Kind bc, int64_t w, bool* has, bool* scalar);
  void contrib(std::vector<Instr>& out, int32_t target, Broadcast::Kind bc, int64_t w, Code code,
               Ref a, Ref b, bool bs, Ref c, bool cs, UnaryOp u = UnaryOp::neg, double s = 0);
  void fix_scratch_stores(std::vector<Instr>& bwd);

  const Graph& g_;
  Program prog_;
  std::string why_;
  std::vector<Val> vals_;
  std::vector<Base> bases_;
  std::vector<std::vector<Item>> items_;  // per level
  std::map<std::pair<int, int32_t>, int> slot_ids_;
  std::vector<int32_t> out_state_val_;    // value holding s_t,k (a copy or the node)
  int32_t y_val_ = -1;
  int levels_ = 1;
};

bool Lowerer::values() {
  const int64_t B = g_.batch;
  vals_.assign(g_.nodes.size(), {});
  for (std::size_t u = 0; u < g_.nodes.size(); ++u) {
    const auto i = static_cast<int32_t>(u);
    const GNode& n = node(i);
    if (!n.row) continue;
    if (n.shape.size() != 2 || n.shape[0] != B)
      return fail("a value of shape " + shape_str(n.shape) + " is not a [batch, width] row");
    const int64_t w = n.shape[1];
    if (n.src == Src::p || n.src == Src::state || n.src == Src::mask) {
      const int32_t b = new_base(i, w, 0);
      bases_[static_cast<std::size_t>(b)].home =
          n.src == Src::p ? Slot::p : n.src == Src::state ? Slot::s_prev : Slot::mask;
      bases_[static_cast<std::size_t>(b)].home_id = n.index;
      continue;
    }
    int level = 0;
    for (int32_t j : n.in)
      if (node(j).row) level = std::max(level, val(j).level);
    switch (n.kind) {
      case OpKind::slice: {
        const int32_t src = n.in[0];
        if (n.i0 != 1) return fail("a slice along the batch axis");
        val(i) = {val(src).base, val(src).off + n.i1, n.i2, val(src).level};
        break;
      }
      case OpKind::reshape:
        if (!node(n.in[0]).row || node(n.in[0]).shape != n.shape)
          return fail("a reshape that changes a row's shape");
        val(i) = val(n.in[0]);
        break;
      case OpKind::concat:
        if (n.i0 != 1) return fail("a concat along the batch axis");
        for (int32_t j : n.in)
          if (!node(j).row) return fail("a concat with a constant piece");
        new_base(i, w, level);
        break;
      case OpKind::matmul:
      case OpKind::linear: {
        if (n.i0 != 0 || !node(n.in[0]).row || !is_ext(n.in[1]) || node(n.in[1]).shape.size() != 2)
          return fail("a matmul that is not [batch, K] x weight");
        const int32_t b = new_base(i, w, level + 1);
        Base& bs = bases_[static_cast<std::size_t>(b)];
        bs.home = Slot::gemm;
        bs.home_id = static_cast<int32_t>(prog_.gemm_width.size());
        prog_.gemm_width.push_back(w);
        levels_ = std::max(levels_, level + 2);
        break;
      }
      case OpKind::add: case OpKind::sub: case OpKind::mul: case OpKind::div: case OpKind::max:
      case OpKind::scale: case OpKind::unary: case OpKind::mask_blend:
        new_base(i, w, level);
        break;
      default:
        return fail("an op the executor does not support");
    }
  }
  return true;
}

bool Lowerer::uses() {
  items_.assign(static_cast<std::size_t>(levels_), {});
  auto use = [&](int32_t j, int level) {
    if (!node(j).row) return;
    Base& b = base_of(j);
    b.max_use = std::max(b.max_use, level);
  };
  auto need = [&](int32_t j) {
    if (node(j).row) base_of(j).needed = true;
  };
  for (std::size_t u = 0; u < g_.nodes.size(); ++u) {
    const auto i = static_cast<int32_t>(u);
    const GNode& n = node(i);
    if (n.src != Src::op || !n.row || n.kind == OpKind::slice || n.kind == OpKind::reshape)
      continue;
    const int level = val(i).level;
    for (int32_t j : n.in) use(j, level);
    switch (n.kind) {
      case OpKind::mul: case OpKind::max: need(n.in[0]); need(n.in[1]); break;
      case OpKind::div: need(n.in[1]); need(i); break;
      case OpKind::mask_blend: need(n.in[0]); break;
      case OpKind::unary:
        if (n.unary == UnaryOp::log || n.unary == UnaryOp::square) need(n.in[0]);
        else if (n.unary != UnaryOp::neg) need(i);
        break;
      default: break;
    }
    items_[static_cast<std::size_t>(level)].push_back({i, -1, -1});
  }
  return true;
}

void Lowerer::homes() {
  // Outputs: a node of its own goes straight into its sequence buffer; else a copy.
  auto place = [&](int32_t v, Slot home, int32_t id) -> int32_t {
    const GNode& n = node(v);
    const Val vv = val(v);
    const auto bi = static_cast<std::size_t>(vv.base);
    const bool own = n.src == Src::op && vv.off == 0 && vv.w == bases_[bi].w &&
                     bases_[bi].home == Slot::scratch && !bases_[bi].out;
    if (own) {
      bases_[bi].home = home;
      bases_[bi].home_id = id;
      bases_[bi].out = true;
      return v;
    }
    bases_[bi].max_use = std::max(bases_[bi].max_use, vv.level);
    const int32_t c = new_value();
    const int32_t cb = new_base(c, vv.w, vv.level);
    bases_[static_cast<std::size_t>(cb)].home = home;
    bases_[static_cast<std::size_t>(cb)].home_id = id;
    bases_[static_cast<std::size_t>(cb)].out = true;
    items_[static_cast<std::size_t>(vv.level)].push_back({-1, v, c});
    return c;
  };
  for (std::size_t k = 0; k < g_.next_state.size(); ++k)
    out_state_val_.push_back(place(g_.next_state[k], Slot::s_next, static_cast<int32_t>(k)));
  prog_.y_in_packed = g_.y != g_.next_state[0];
  if (prog_.y_in_packed) y_val_ = place(g_.y, Slot::y, 0);
  for (Base& b : bases_) {
    if (b.home == Slot::scratch && (b.needed || b.max_use > b.level)) {
      b.home = Slot::saved;
      b.home_id = static_cast<int32_t>(prog_.saved_width.size());
      prog_.saved_width.push_back(b.w);
    }
    b.slot = b.home == Slot::scratch ? slot(Slot::scratch, 0, b.w) : slot(b.home, b.home_id, b.w);
    // adjoint
    if (b.home == Slot::p) b.adj = slot(Slot::dp, 0, b.w);
    else if (b.home == Slot::s_prev) b.adj = slot(Slot::ds_prev, b.home_id, b.w);
    else if (b.home == Slot::gemm) b.adj = slot(Slot::dgemm, b.home_id, b.w);
    else if (b.home == Slot::mask) b.adj = -1;
    else if (b.max_use > b.level) {
      b.adj_external = true;
      b.adj = slot(Slot::dsaved, static_cast<int32_t>(prog_.dsaved_width.size()), b.w);
      prog_.dsaved_width.push_back(b.w);
    } else {
      b.adj_scratch = true;
      b.adj = slot(Slot::dscratch, 0, b.w);
    }
  }
}

bool Lowerer::operand(int32_t i, Broadcast::Kind bc, int64_t w, Ref* r, bool* scalar) {
  const GNode& n = node(i);
  *scalar = false;
  if (n.row) {
    const Val& v = val(i);
    *r = {bases_[static_cast<std::size_t>(v.base)].slot, v.off};
    if (bc == Broadcast::Kind::prefix || (v.w == 1 && w != 1)) *scalar = true;
    else if (v.w != w) return fail("operands of widths " + std::to_string(v.w) + " and " + std::to_string(w));
    return true;
  }
  if (n.src != Src::ext) return fail("an operand that is neither a row nor an extern");
  const int64_t ne = numel(i), B = g_.batch;
  const auto e = static_cast<std::size_t>(n.index);
  if (bc == Broadcast::Kind::suffix && (ne == w || ne == 1)) {
    if (prog_.ext_use[e] == ExtUse::row || prog_.ext_use[e] == ExtUse::matrix)
      return fail("a parameter used both in a matmul and elementwise (or per row and per unit)");
    prog_.ext_use[e] = ExtUse::vector;
    *r = {slot(Slot::ext_unit, n.index, 0), 0};
    *scalar = ne == 1 && w != 1;
    return true;
  }
  if ((bc == Broadcast::Kind::none && ne == B * w) || (bc == Broadcast::Kind::prefix && ne == B)) {
    if (prog_.ext_use[e] != ExtUse::unused && prog_.ext_use[e] != ExtUse::row)
      return fail("an extern used both per row and per unit");
    if (g_.ext_grad(e)) return fail("a parameter used as a per-row value");
    prog_.ext_use[e] = ExtUse::row;
    *r = {slot(Slot::ext_row, n.index, ne / B), 0};
    *scalar = bc == Broadcast::Kind::prefix;
    return true;
  }
  return fail("an extern of shape " + shape_str(n.shape) + " broadcast over width " +
              std::to_string(w));
}

bool Lowerer::forward() {
  prog_.levels.assign(static_cast<std::size_t>(levels_), {});
  for (int l = 0; l < levels_; ++l) {
    Level& L = prog_.levels[static_cast<std::size_t>(l)];
    for (const Item& it : items_[static_cast<std::size_t>(l)]) {
      Instr in;
      if (it.node < 0) {  // output copy
        const Val& s = val(it.src);
        in.code = Code::copy;
        in.w = s.w;
        in.a = {bases_[static_cast<std::size_t>(s.base)].slot, s.off};
        in.d = {base_of(it.dst).slot, 0};
        L.fwd.push_back(in);
        continue;
      }
      const GNode& n = node(it.node);
      const int64_t w = val(it.node).w;
      in.d = {base_of(it.node).slot, 0};
      in.w = w;
      bool sc = false;
      switch (n.kind) {
        case OpKind::matmul:
        case OpKind::linear: {
          GemmOp gm;
          gm.id = base_of(it.node).home_id;
          const Val& a = val(n.in[0]);
          gm.a = {bases_[static_cast<std::size_t>(a.base)].slot, a.off};
          gm.k = a.w;
          gm.n = w;
          gm.tb = n.kind == OpKind::matmul && n.i1 != 0;
          // An extern is a GEMM operand or an elementwise one, not both (their gradients are
          // collected differently): else fall back.
          auto as_matrix = [&](int32_t e) {
            ExtUse& u = prog_.ext_use[static_cast<std::size_t>(e)];
            if (u != ExtUse::unused && u != ExtUse::matrix) return false;
            u = ExtUse::matrix;
            return true;
          };
          gm.w_ext = node(n.in[1]).index;
          if (!as_matrix(gm.w_ext)) return fail("a parameter used both in a matmul and elementwise");
          if (n.kind == OpKind::linear) {
            if (!is_ext(n.in[2])) return fail("a linear with a computed bias");
            gm.bias_ext = node(n.in[2]).index;
            if (!as_matrix(gm.bias_ext))
              return fail("a parameter used both in a matmul and elementwise");
          }
          const Shape& ws = node(n.in[1]).shape;
          if ((gm.tb ? ws[1] : ws[0]) != gm.k) return fail("a matmul whose weight does not fit");
          prog_.levels[static_cast<std::size_t>(l)].gemms.push_back(gm);
          continue;
        }
        case OpKind::concat: {
          int64_t off = 0;
          for (int32_t j : n.in) {
            Instr c;
            c.code = Code::copy;
            c.w = val(j).w;
            if (!operand(j, Broadcast::Kind::none, c.w, &c.a, &sc)) return false;
            c.d = {in.d.slot, off};
            off += c.w;
            L.fwd.push_back(c);
          }
          continue;
        }
        case OpKind::scale:
        case OpKind::unary:
          in.code = n.kind == OpKind::scale ? Code::scale : Code::unary;
          in.unary = n.unary;
          in.s = n.s;
          if (!operand(n.in[0], Broadcast::Kind::none, w, &in.a, &sc)) return false;
          break;
        case OpKind::mask_blend:
          in.code = Code::blend;
          if (!operand(n.in[0], n.bc, w, &in.c, &in.cs) ||
              !operand(n.in[1], Broadcast::Kind::none, w, &in.a, &sc) ||
              !operand(n.in[2], Broadcast::Kind::none, w, &in.b, &in.bs))
            return false;
          break;
        default:
          in.code = n.kind == OpKind::add ? Code::add : n.kind == OpKind::sub ? Code::sub
                  : n.kind == OpKind::mul ? Code::mul : n.kind == OpKind::div ? Code::div
                  : Code::max;
          if (!operand(n.in[0], Broadcast::Kind::none, w, &in.a, &sc) ||
              !operand(n.in[1], n.bc, w, &in.b, &in.bs))
            return false;
          if (sc) return fail("a broadcast first operand");
      }
      L.fwd.push_back(in);
    }
  }
  return true;
}

// The adjoint of node i read as an operand of width w; has = false when i gets no gradient.
Ref Lowerer::adj_ref(int32_t i, Broadcast::Kind bc, int64_t w, bool* has, bool* scalar) {
  const GNode& n = i < static_cast<int32_t>(g_.nodes.size()) ? node(i) : GNode{};
  *has = false;
  *scalar = false;
  if (i < static_cast<int32_t>(g_.nodes.size()) && !n.row) {
    const auto e = static_cast<std::size_t>(n.index);
    if (n.src != Src::ext || !g_.ext_grad(e)) return {};
    *has = true;
    *scalar = numel(i) == 1 && w != 1;
    (void)bc;
    return {slot(Slot::dunit, n.index, numel(i)), 0};
  }
  const Val& v = val(i);
  const Base& b = bases_[static_cast<std::size_t>(v.base)];
  if (b.adj < 0) return {};
  *has = true;
  *scalar = bc == Broadcast::Kind::prefix || (v.w == 1 && w != 1);
  return {b.adj, v.off};
}

void Lowerer::contrib(std::vector<Instr>& out, int32_t target, Broadcast::Kind bc, int64_t w,
                      Code code, Ref a, Ref b, bool bs, Ref c, bool cs, UnaryOp u, double s) {
  bool has = false, scalar = false;
  Ref d = adj_ref(target, bc, w, &has, &scalar);
  if (!has) return;
  Instr in;
  in.code = code;
  in.store = scalar ? Store::reduce : Store::acc;
  in.w = w;
  in.d = d;
  in.a = a;
  in.b = b;
  in.bs = bs;
  in.c = c;
  in.cs = cs;
  in.unary = u;
  in.s = s;
  out.push_back(in);
}

void Lowerer::fix_scratch_stores(std::vector<Instr>& bwd) {
  std::vector<char> seen(prog_.slots.size(), 0);
  std::vector<Instr> zeros;
  for (Instr& in : bwd) {
    const SlotDesc& sd = prog_.slots[static_cast<std::size_t>(in.d.slot)];
    if (sd.kind != Slot::dscratch || seen[static_cast<std::size_t>(in.d.slot)]) continue;
    seen[static_cast<std::size_t>(in.d.slot)] = 1;
    if (in.store == Store::assign) continue;
    if (in.store == Store::acc && in.d.off == 0 && in.w == sd.width) {
      in.store = Store::assign;
    } else {
      Instr z;
      z.code = Code::zero;
      z.w = sd.width;
      z.d = {in.d.slot, 0};
      zeros.push_back(z);
    }
  }
  bwd.insert(bwd.begin(), zeros.begin(), zeros.end());
}

void Lowerer::backward() {
  std::vector<char> written(bases_.size(), 0);  // scratch adjoints with a contribution
  for (std::size_t b = 0; b < bases_.size(); ++b) written[b] = !bases_[b].adj_scratch;
  // Seeds: the gradient of s_t,k (from step t+1 and the packed output) and of y_t.
  std::vector<int64_t> packed_off;
  int64_t off = 0;
  for (int64_t s : prog_.state_width) {
    packed_off.push_back(off);
    off += s;
  }
  const int dpk = slot(Slot::dpacked, 0, prog_.packed_width());
  std::vector<std::vector<Instr>> seeds(static_cast<std::size_t>(levels_));
  std::vector<Instr> top;
  auto seed = [&](int32_t v, Instr in) {
    const Base& b = base_of(v);
    in.d = {b.adj, 0};
    in.w = b.w;
    if (b.adj_external) {
      in.store = Store::acc;
      top.push_back(in);
    } else {
      in.store = Store::assign;
      seeds[static_cast<std::size_t>(b.level)].push_back(in);
      written[static_cast<std::size_t>(val(v).base)] = 1;
    }
  };
  for (std::size_t k = 0; k < out_state_val_.size(); ++k) {
    Instr in;
    in.code = Code::add;
    in.a = {slot(Slot::ds_cur, static_cast<int32_t>(k), prog_.state_width[k]), 0};
    in.b = {dpk, packed_off[k]};
    seed(out_state_val_[k], in);
  }
  if (y_val_ >= 0) {
    Instr in;
    in.code = Code::g;
    in.a = {dpk, off};
    seed(y_val_, in);
  }
  // Zero the per-step external adjoints at the start of the step (the top level runs first);
  // every state's dS_prev, also of a state the step does not read (it becomes dS_cur next).
  for (std::size_t k = 0; k < prog_.state_width.size(); ++k)
    slot(Slot::ds_prev, static_cast<int32_t>(k), prog_.state_width[k]);
  std::vector<Instr> zeros;
  for (const SlotDesc& sd : std::vector<SlotDesc>(prog_.slots))
    if (sd.kind == Slot::ds_prev || sd.kind == Slot::dsaved || sd.kind == Slot::dgemm) {
      Instr z;
      z.code = Code::zero;
      z.w = sd.width;
      z.d = {slot(sd.kind, sd.id, sd.width), 0};
      zeros.push_back(z);
    }

  for (int l = levels_ - 1; l >= 0; --l) {
    std::vector<Instr> bwd = seeds[static_cast<std::size_t>(l)];
    const auto& its = items_[static_cast<std::size_t>(l)];
    for (auto it = its.rbegin(); it != its.rend(); ++it) {
      if (it->node < 0) {  // copy: src += g(dst)
        const Base& db = base_of(it->dst);
        if (!written[static_cast<std::size_t>(val(it->dst).base)]) continue;
        const Val& s = val(it->src);
        contrib(bwd, it->src, Broadcast::Kind::none, s.w, Code::g, {db.adj, 0}, {}, false, {}, false);
        if (bases_[static_cast<std::size_t>(s.base)].adj_scratch) written[static_cast<std::size_t>(s.base)] = 1;
        continue;
      }
      const int32_t i = it->node;
      const GNode& n = node(i);
      const Base& ob = base_of(i);
      if (!written[static_cast<std::size_t>(val(i).base)]) continue;  // no gradient reaches it
      const int64_t w = val(i).w;
      const Ref g{ob.adj, 0};
      const Ref out{ob.slot, 0};
      Ref ra, rb, rc;
      bool sa = false, sb = false, scc = false;
      auto mark = [&](int32_t j) {
        if (node(j).row && bases_[static_cast<std::size_t>(val(j).base)].adj_scratch)
          written[static_cast<std::size_t>(val(j).base)] = 1;
      };
      switch (n.kind) {
        case OpKind::matmul:
        case OpKind::linear:
          break;  // the GEMM's backward (executor): dA += dOut op(W)ᵀ
        case OpKind::concat: {
          int64_t o = 0;
          for (int32_t j : n.in) {
            contrib(bwd, j, Broadcast::Kind::none, val(j).w, Code::g, {g.slot, o}, {}, false, {}, false);
            mark(j);
            o += val(j).w;
          }
          break;
        }
        case OpKind::scale:
          contrib(bwd, n.in[0], Broadcast::Kind::none, w, Code::scale_g, g, {}, false, {}, false,
                  UnaryOp::neg, n.s);
          mark(n.in[0]);
          break;
        case OpKind::unary:
          operand(n.in[0], Broadcast::Kind::none, w, &ra, &sa);
          contrib(bwd, n.in[0], Broadcast::Kind::none, w, Code::unary_grad, g, ra, false, out, false,
                  n.unary);
          mark(n.in[0]);
          break;
        case OpKind::mask_blend:
          operand(n.in[0], n.bc, w, &rc, &scc);
          contrib(bwd, n.in[1], Broadcast::Kind::none, w, Code::g_if_c, g, {}, false, rc, scc);
          contrib(bwd, n.in[2], Broadcast::Kind::none, w, Code::g_if_not_c, g, {}, false, rc, scc);
          mark(n.in[1]);
          mark(n.in[2]);
          break;
        default: {
          operand(n.in[0], Broadcast::Kind::none, w, &ra, &sa);
          operand(n.in[1], n.bc, w, &rb, &sb);
          const int32_t a = n.in[0], b = n.in[1];
          switch (n.kind) {
            case OpKind::add:
              contrib(bwd, a, Broadcast::Kind::none, w, Code::g, g, {}, false, {}, false);
              contrib(bwd, b, n.bc, w, Code::g, g, {}, false, {}, false);
              break;
            case OpKind::sub:
              contrib(bwd, a, Broadcast::Kind::none, w, Code::g, g, {}, false, {}, false);
              contrib(bwd, b, n.bc, w, Code::neg_g, g, {}, false, {}, false);
              break;
            case OpKind::mul:
              contrib(bwd, a, Broadcast::Kind::none, w, Code::g_mul_b, g, rb, sb, {}, false);
              contrib(bwd, b, n.bc, w, Code::g_mul_b, g, ra, false, {}, false);
              break;
            case OpKind::div: {  // tmp = g / b;  da += tmp;  db -= Σ tmp ⊙ out
              Instr t;
              t.code = Code::g_div_b;
              t.w = w;
              t.d = {slot(Slot::dscratch, 0, w), 0};
              t.a = g;
              t.b = rb;
              t.bs = sb;
              bwd.push_back(t);
              contrib(bwd, a, Broadcast::Kind::none, w, Code::g, t.d, {}, false, {}, false);
              contrib(bwd, b, n.bc, w, Code::neg_g_mul_b, t.d, out, false, {}, false);
              break;
            }
            default:  // max: ties to a
              contrib(bwd, a, Broadcast::Kind::none, w, Code::g_ge, g, ra, false, rb, sb);
              contrib(bwd, b, n.bc, w, Code::g_lt, g, ra, false, rb, sb);
          }
          mark(a);
          mark(b);
        }
      }
    }
    if (l == levels_ - 1) {
      bwd.insert(bwd.begin(), top.begin(), top.end());
      bwd.insert(bwd.begin(), zeros.begin(), zeros.end());
    }
    fix_scratch_stores(bwd);
    prog_.levels[static_cast<std::size_t>(l)].bwd = std::move(bwd);
  }
}

std::shared_ptr<const Program> Lowerer::run(std::string* why) {
  prog_.dtype = g_.dtype;
  prog_.batch = g_.batch;
  prog_.masked = g_.masked;
  prog_.ext_use.assign(g_.ext_param.size(), ExtUse::unused);
  for (const GNode& n : g_.nodes) {
    if (n.src == Src::p) prog_.p_width = n.shape[1];
    if (n.src == Src::ext) prog_.ext_numel.push_back(shape_numel(n.shape));
  }
  prog_.state_width.assign(g_.next_state.size(), 0);
  for (std::size_t k = 0; k < g_.next_state.size(); ++k)
    prog_.state_width[k] = node(g_.next_state[k]).shape.back();
  prog_.hidden = node(g_.y).shape.back();
  if (!values() || !uses()) {
    *why = why_;
    return nullptr;
  }
  if (!node(g_.y).row) {
    *why = "the output does not depend on the state";
    return nullptr;
  }
  homes();
  if (!forward()) {
    *why = why_;
    return nullptr;
  }
  backward();
  if (!why_.empty()) {
    *why = why_;
    return nullptr;
  }
  // GEMM dA targets: the adjoint of the A operand (its base's external adjoint).
  for (Level& L : prog_.levels)
    for (GemmOp& gm : L.gemms) {
      for (const Base& b : bases_)
        if (b.slot == gm.a.slot) gm.da = {b.adj, gm.a.off};
    }
  prog_.diagonal = prog_.gemm_width.empty();
  for (const Level& L : prog_.levels) {
    for (const Instr& in : L.fwd) prog_.fwd_work += in.w;
    for (const Instr& in : L.bwd) prog_.bwd_work += in.w;
  }
  return std::make_shared<const Program>(std::move(prog_));
}

}  // namespace

std::shared_ptr<const Program> lower(const Graph& g, std::string* why) {
  Lowerer l(g);
  return l.run(why);
}

}  // namespace rnnlab::compiler
