// Step compiler, stage 2: lower a traced Graph to a Program (see program.h).
//
//  1. values: every row node gets a base (its own storage, or the node it is a view of: slice,
//     same-shape reshape) and a level = the number of GEMMs on its longest path from the inputs
//     (a row reduction [B,H] -> [B,1] is an instruction of its input's region: no level);
//  2. uses: which level reads each base, whether a GEMM reads it, whether the backward needs
//     its forward value (an op's or a reduction's `reads`, op_table.h; blend: the mask);
//  3. homes: next states and y are written straight into their sequence buffers (or copied
//     there), GEMM outputs into theirs; a base read at a higher level, by a GEMM or by the
//     backward is saved for all steps, unless it is cheap to recompute from what the backward
//     has anyway (a `cheap` op of op_table.h on P, states, saved values, externs): then the
//     backward program replays its forward instructions first (a saved value costs a write
//     and a read of [T,B,w] in a memory-bound sweep; the replay is a few vector ops on
//     operands already in cache); everything else lives in per-row scratch;
//  4. forward instructions per level, in graph order;
//  5. backward (lower_backward.cpp), level by level from the top, the graph in reverse: each
//     op's adjoint rule adds into its inputs' adjoints. An adjoint read across levels (or by a GEMM's backward) lives
//     in a per-step buffer zeroed at the start of the step; the others in scratch, where the
//     first full-width contribution assigns instead of adding (no zero fill).
#include <algorithm>
#include <map>
#include <sstream>
#include <utility>

#include "compiler/lowerer.h"

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

namespace detail {

namespace {

[[noreturn]] void refuse(const std::string& why) { throw Unsupported(why); }

}  // namespace

bool Lowerer::region_op(const GNode& n) const {
  return n.src == Src::op && n.row &&
         (n.op.kind == OpKind::elementwise || n.op.kind == OpKind::reduce ||
          n.op.kind == OpKind::mask_blend);
}

void Lowerer::header() {
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
}

void Lowerer::values() {
  const int64_t B = g_.batch;
  vals_.assign(g_.nodes.size(), {});
  for (std::size_t u = 0; u < g_.nodes.size(); ++u) {
    const auto i = static_cast<int32_t>(u);
    const GNode& n = node(i);
    if (!n.row) continue;
    if (n.shape.size() != 2 || n.shape[0] != B)
      refuse("a value of shape " + shape_str(n.shape) + " is not a [batch, width] row");
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
    switch (n.op.kind) {
      case OpKind::slice: {
        const int32_t src = n.in[0];
        if (n.op.i0 != 1) refuse("a slice along the batch axis");
        val(i) = {val(src).base, val(src).off + n.op.i1, n.op.i2, val(src).level};
        break;
      }
      case OpKind::reshape:
        if (!node(n.in[0]).row || node(n.in[0]).shape != n.shape)
          refuse("a reshape that changes a row's shape");
        val(i) = val(n.in[0]);
        break;
      case OpKind::concat:
        if (n.op.i0 != 1) refuse("a concat along the batch axis");
        for (int32_t j : n.in)
          if (!node(j).row) refuse("a concat with a constant piece");
        new_base(i, w, level);
        break;
      case OpKind::matmul:
      case OpKind::linear: {
        if (n.op.i0 != 0 || !node(n.in[0]).row || !is_ext(n.in[1]) ||
            node(n.in[1]).shape.size() != 2)
          refuse("a matmul that is not [batch, K] x weight");
        const int32_t b = new_base(i, w, level + 1);
        Base& bs = bases_[static_cast<std::size_t>(b)];
        bs.home = Slot::gemm;
        bs.home_id = static_cast<int32_t>(prog_.gemm_width.size());
        prog_.gemm_width.push_back(w);
        levels_ = std::max(levels_, level + 2);
        break;
      }
      case OpKind::elementwise:
      case OpKind::mask_blend:
        new_base(i, w, level);
        break;
      case OpKind::reduce:  // [B,H] -> [B,1], an instruction of its input's region
        if (!node(n.in[0]).row || w != 1)
          refuse("a row reduction that is not [batch, H] -> [batch, 1]");
        new_base(i, w, level);
        break;
      default:
        refuse("an op the executor does not support");
    }
  }
}

void Lowerer::uses() {
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
    if (n.src != Src::op || !n.row || n.op.kind == OpKind::slice || n.op.kind == OpKind::reshape)
      continue;
    const int level = val(i).level;
    for (int32_t j : n.in) use(j, level);
    if (n.op.kind == OpKind::elementwise) {  // what its adjoints read (op_table.h)
      const int reads = op_table::info(n.op.elem).reads;
      if (reads & op_table::kA) need(n.in[0]);
      if (reads & op_table::kB) need(n.in[1]);
      if (reads & op_table::kY) need(i);
    } else if (n.op.kind == OpKind::reduce) {
      const int reads = op_table::info(n.op.reduce).reads;
      if (reads & op_table::kA) need(n.in[0]);
      if (reads & op_table::kY) need(i);
    } else if (n.op.kind == OpKind::mask_blend) {
      need(n.in[0]);
    }
    items_[static_cast<std::size_t>(level)].push_back({i, -1, -1});
  }
}

// A scratch base that only the backward reads at its own level and that the backward can
// rebuild: a cheap op (op_table.h) whose row operands are available then (not scratch: P,
// states, GEMM outputs, values saved anyway) or recomputable themselves.
bool Lowerer::recomputable(int32_t bi) {
  signed char& memo = recomp_[static_cast<std::size_t>(bi)];
  if (memo >= 0) return memo != 0;
  memo = 0;
  const Base& b = bases_[static_cast<std::size_t>(bi)];
  const int32_t i = producer_[static_cast<std::size_t>(bi)];
  if (i < 0 || b.home != Slot::scratch || b.out || b.max_use > b.level) return false;
  const GNode& n = node(i);
  if (n.op.kind != OpKind::elementwise || !op_table::info(n.op.elem).cheap) return false;
  for (int32_t j : n.in) {
    if (!node(j).row) continue;
    const Base& o = base_of(j);
    // Saved (or rebuilt earlier in the same replay: a needed base at this level).
    if (o.home != Slot::scratch || o.needed || o.max_use > o.level) continue;
    if (!recomputable(val(j).base)) return false;  // a scratch temporary: rebuild it too
  }
  memo = 1;
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
  producer_.assign(bases_.size(), -1);
  recomp_.assign(bases_.size(), -1);
  for (std::size_t u = 0; u < g_.nodes.size(); ++u) {
    const auto i = static_cast<int32_t>(u);
    if (!region_op(node(i))) continue;
    const Val& v = val(i);
    if (v.off == 0 && v.w == bases_[static_cast<std::size_t>(v.base)].w)
      producer_[static_cast<std::size_t>(v.base)] = i;
  }
  // Needed values that can be rebuilt, and the scratch values they are rebuilt from.
  std::vector<int32_t> stack;
  for (std::size_t bi = 0; bi < bases_.size(); ++bi)
    if (bases_[bi].needed && recomputable(static_cast<int32_t>(bi)))
      stack.push_back(static_cast<int32_t>(bi));
  while (!stack.empty()) {
    Base& b = bases_[static_cast<std::size_t>(stack.back())];
    const int32_t i = producer_[static_cast<std::size_t>(stack.back())];
    stack.pop_back();
    if (b.remat) continue;
    b.remat = true;
    for (int32_t j : node(i).in)
      if (node(j).row && base_of(j).home == Slot::scratch && !base_of(j).remat &&
          recomputable(val(j).base))
        stack.push_back(val(j).base);
  }
  for (Base& b : bases_) {
    if (b.home == Slot::scratch && !b.remat && (b.needed || b.max_use > b.level)) {
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

Operand Lowerer::operand(int32_t i, Broadcast::Kind bc, int64_t w) {
  const GNode& n = node(i);
  if (n.row) {
    const Val& v = val(i);
    const Operand o{{bases_[static_cast<std::size_t>(v.base)].slot, v.off},
                    bc == Broadcast::Kind::prefix || (v.w == 1 && w != 1)};
    if (!o.scalar && v.w != w)
      refuse("operands of widths " + std::to_string(v.w) + " and " + std::to_string(w));
    return o;
  }
  if (n.src != Src::ext) refuse("an operand that is neither a row nor an extern");
  const int64_t ne = numel(i), B = g_.batch;
  const auto e = static_cast<std::size_t>(n.index);
  if (bc == Broadcast::Kind::suffix && (ne == w || ne == 1)) {
    if (prog_.ext_use[e] == ExtUse::row || prog_.ext_use[e] == ExtUse::matrix)
      refuse("a parameter used both in a matmul and elementwise (or per row and per unit)");
    prog_.ext_use[e] = ExtUse::vector;
    return {{slot(Slot::ext_unit, n.index, 0), 0}, ne == 1 && w != 1};
  }
  if ((bc == Broadcast::Kind::none && ne == B * w) || (bc == Broadcast::Kind::prefix && ne == B)) {
    if (prog_.ext_use[e] != ExtUse::unused && prog_.ext_use[e] != ExtUse::row)
      refuse("an extern used both per row and per unit");
    if (g_.ext_grad(e)) refuse("a parameter used as a per-row value");
    prog_.ext_use[e] = ExtUse::row;
    return {{slot(Slot::ext_row, n.index, ne / B), 0}, bc == Broadcast::Kind::prefix};
  }
  refuse("an extern of shape " + shape_str(n.shape) + " broadcast over width " +
         std::to_string(w));
}

// The GEMM of a matmul / linear node at `level`: out = a op(W) (+ bias).
void Lowerer::gemm(int level, int32_t i) {
  const GNode& n = node(i);
  GemmOp gm;
  gm.id = base_of(i).home_id;
  const Val& a = val(n.in[0]);
  gm.a = {bases_[static_cast<std::size_t>(a.base)].slot, a.off};
  gm.k = a.w;
  gm.n = val(i).w;
  gm.tb = n.op.kind == OpKind::matmul && n.op.i1 != 0;
  // An extern is a GEMM operand or an elementwise one, not both (their gradients are collected
  // differently): else fall back.
  auto as_matrix = [&](int32_t e) {
    ExtUse& u = prog_.ext_use[static_cast<std::size_t>(e)];
    if (u != ExtUse::unused && u != ExtUse::matrix)
      refuse("a parameter used both in a matmul and elementwise");
    u = ExtUse::matrix;
  };
  gm.w_ext = node(n.in[1]).index;
  as_matrix(gm.w_ext);
  if (n.op.kind == OpKind::linear) {
    if (!is_ext(n.in[2])) refuse("a linear with a computed bias");
    gm.bias_ext = node(n.in[2]).index;
    as_matrix(gm.bias_ext);
  }
  const Shape& ws = node(n.in[1]).shape;
  if ((gm.tb ? ws[1] : ws[0]) != gm.k) refuse("a matmul whose weight does not fit");
  prog_.levels[static_cast<std::size_t>(level)].gemms.push_back(gm);
}

void Lowerer::forward() {
  prog_.levels.assign(static_cast<std::size_t>(levels_), {});
  remat_.assign(static_cast<std::size_t>(levels_), {});
  for (int l = 0; l < levels_; ++l) {
    std::vector<Instr>& fwd = prog_.levels[static_cast<std::size_t>(l)].fwd;
    for (const Item& it : items_[static_cast<std::size_t>(l)]) {
      Instr in;
      if (it.node < 0) {  // output copy
        const Val& s = val(it.src);
        fwd.push_back(copy_instr(s.w, {bases_[static_cast<std::size_t>(s.base)].slot, s.off},
                                 {base_of(it.dst).slot, 0}));
        continue;
      }
      const GNode& n = node(it.node);
      const int64_t w = val(it.node).w;
      in.d = {base_of(it.node).slot, 0};
      in.w = w;
      switch (n.op.kind) {
        case OpKind::matmul:
        case OpKind::linear:
          gemm(l, it.node);
          continue;
        case OpKind::concat: {
          int64_t off = 0;
          for (int32_t j : n.in) {
            fwd.push_back(copy_instr(val(j).w, operand(j, Broadcast::Kind::none, val(j).w).ref,
                                     {in.d.slot, off}));
            off += val(j).w;
          }
          continue;
        }
        case OpKind::mask_blend: {
          in.code = Code::blend;
          const Operand m = operand(n.in[0], n.op.bc, w), b = operand(n.in[2], Broadcast::Kind::none, w);
          in.a = operand(n.in[1], Broadcast::Kind::none, w).ref;
          in.b = b.ref;
          in.bs = b.scalar;
          in.c = m.ref;
          in.cs = m.scalar;
          break;
        }
        case OpKind::reduce:
          in = reduce_instr(it.node);
          break;
        default:  // elementwise: an op of op_table.h
          in = op_instr(it.node);
      }
      fwd.push_back(in);
      if (base_of(it.node).remat) remat_[static_cast<std::size_t>(l)].push_back(in);
    }
  }
}

// An instruction of node i's op into its own base (d), over w columns, with its scalars.
Instr Lowerer::own_instr(int32_t i, Code code, int64_t w) {
  Instr in;
  in.code = code;
  in.op = node(i).op.elem;
  in.reduce = node(i).op.reduce;
  in.s = node(i).op.s;
  in.t = node(i).op.t;
  in.w = w;
  in.d = {base_of(i).slot, 0};
  return in;
}

// The forward instruction of an elementwise node: d = F(a, b).
Instr Lowerer::op_instr(int32_t i) {
  const GNode& n = node(i);
  Instr in = own_instr(i, Code::op, val(i).w);
  const Operand a = operand(n.in[0], Broadcast::Kind::none, in.w);
  if (a.scalar) refuse("a broadcast first operand");
  in.a = a.ref;
  if (n.in.size() > 1) {
    const Operand b = operand(n.in[1], n.op.bc, in.w);
    in.b = b.ref;
    in.bs = b.scalar;
  }
  return in;
}

// The forward instruction of a row reduction: d[0] = R(a[0..H)).
Instr Lowerer::reduce_instr(int32_t i) {
  const int32_t x = node(i).in[0];
  Instr in = own_instr(i, Code::red, val(x).w);
  in.a = operand(x, Broadcast::Kind::none, in.w).ref;
  return in;
}

// GEMM dA targets: the adjoint of the A operand (its base's external adjoint).
void Lowerer::gemm_da_targets() {
  for (Level& L : prog_.levels)
    for (GemmOp& gm : L.gemms)
      for (const Base& b : bases_)
        if (b.slot == gm.a.slot) gm.da = {b.adj, gm.a.off};
}

// dP: when the backward step's first write to every column of dP_t is a plain store over
// columns not written yet, make those stores assignments (the executor then need not zero
// dP); else the executor zeroes each dP_t row first and every write accumulates.
void Lowerer::assign_dp() {
  int dps = -1;
  for (std::size_t s = 0; s < prog_.slots.size(); ++s)
    if (prog_.slots[s].kind == Slot::dp) dps = static_cast<int>(s);
  if (dps < 0) return;
  for (const Level& L : prog_.levels)
    for (const GemmOp& gm : L.gemms)
      if (gm.da.slot == dps) return;
  std::vector<char> cov(static_cast<std::size_t>(prog_.p_width), 0);
  std::vector<Instr*> first;
  for (auto L = prog_.levels.rbegin(); L != prog_.levels.rend(); ++L)
    for (Instr& in : L->bwd) {
      if (in.d.slot != dps) continue;
      const auto c0 = static_cast<std::size_t>(in.d.off), c1 = c0 + static_cast<std::size_t>(in.w);
      if (in.d.off < 0 || c1 > cov.size()) return;  // not a plain column range of dP: keep zeroing
      const auto n = std::count(cov.begin() + static_cast<std::ptrdiff_t>(c0),
                                cov.begin() + static_cast<std::ptrdiff_t>(c1), 1);
      if (in.store != Store::acc || (n != 0 && static_cast<std::size_t>(n) != c1 - c0)) return;
      if (n == 0) first.push_back(&in);
      std::fill(cov.begin() + static_cast<std::ptrdiff_t>(c0),
                cov.begin() + static_cast<std::ptrdiff_t>(c1), 1);
    }
  if (std::count(cov.begin(), cov.end(), 1) != prog_.p_width) return;
  for (Instr* in : first) in->store = Store::assign;
  prog_.dp_assigns = true;
}

void Lowerer::count_work() {
  prog_.diagonal = prog_.gemm_width.empty();
  for (const Level& L : prog_.levels) {
    for (const Instr& in : L.fwd) prog_.fwd_work += in.w;
    for (const Instr& in : L.bwd) prog_.bwd_work += in.w;
  }
}

std::shared_ptr<const Program> Lowerer::run() {
  header();
  values();
  uses();
  if (!node(g_.y).row) refuse("the output does not depend on the state");
  homes();
  forward();
  backward();
  gemm_da_targets();
  assign_dp();
  count_work();
  return std::make_shared<const Program>(std::move(prog_));
}

}  // namespace detail

std::shared_ptr<const Program> lower(const Graph& g) { return detail::Lowerer(g).run(); }

}  // namespace rnnlab::compiler
