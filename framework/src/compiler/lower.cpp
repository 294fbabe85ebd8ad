// Step compiler, stage 2: lower a traced Graph to a Program (see program.h).
//
//  1. values: every row node gets a base (its own storage, or the node it is a view of: slice,
//     same-shape reshape) and a level = the number of GEMMs on its longest path from the inputs;
//  2. uses: which level reads each base, whether a GEMM reads it, whether the backward needs
//     its forward value (mul: both operands; div: b and out; max: both; sigmoid/tanh/exp/relu:
//     the output; log/square: the input; blend: the mask);
//  3. homes: next states and y are written straight into their sequence buffers (or copied
//     there), GEMM outputs into theirs; a base read at a higher level, by a GEMM or by the
//     backward is saved for all steps, unless it is cheap to recompute from what the backward
//     has anyway (add/sub/mul/max/scale/neg of P, states, saved values, externs): then the
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

// A scratch base that only the backward reads at its own level and that the backward can
// rebuild: a cheap op whose row operands are available then (not scratch: P, states, GEMM
// outputs, values saved anyway) or recomputable themselves.
bool Lowerer::recomputable(int32_t bi) {
  signed char& memo = recomp_[static_cast<std::size_t>(bi)];
  if (memo >= 0) return memo != 0;
  memo = 0;
  const Base& b = bases_[static_cast<std::size_t>(bi)];
  const int32_t i = producer_[static_cast<std::size_t>(bi)];
  if (i < 0 || b.home != Slot::scratch || b.out || b.max_use > b.level) return false;
  const GNode& n = node(i);
  const bool cheap = n.kind == OpKind::add || n.kind == OpKind::sub || n.kind == OpKind::mul ||
                     n.kind == OpKind::max || n.kind == OpKind::scale ||
                     (n.kind == OpKind::unary && n.unary == UnaryOp::neg);
  if (!cheap) return false;
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
    const GNode& n = node(i);
    if (n.src != Src::op || !n.row || n.kind == OpKind::slice || n.kind == OpKind::reshape ||
        n.kind == OpKind::concat || n.kind == OpKind::matmul || n.kind == OpKind::linear)
      continue;
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
  remat_.assign(static_cast<std::size_t>(levels_), {});
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
      if (base_of(it.node).remat) remat_[static_cast<std::size_t>(l)].push_back(in);
    }
  }
  return true;
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
  // dP: when the backward step's first write to every column of dP_t is a plain store over
  // columns not written yet, make those stores assignments (the executor then need not zero
  // dP); else the executor zeroes each dP_t row first and every write accumulates.
  int dps = -1;
  for (std::size_t s = 0; s < prog_.slots.size(); ++s)
    if (prog_.slots[s].kind == Slot::dp) dps = static_cast<int>(s);
  bool dp_ok = dps >= 0;
  for (const Level& L : prog_.levels)
    for (const GemmOp& gm : L.gemms) dp_ok = dp_ok && gm.da.slot != dps;
  if (dp_ok) {
    std::vector<char> cov(static_cast<std::size_t>(prog_.p_width), 0);
    std::vector<Instr*> first;
    for (auto L = prog_.levels.rbegin(); L != prog_.levels.rend() && dp_ok; ++L)
      for (Instr& in : L->bwd) {
        if (in.d.slot != dps) continue;
        const auto c0 = static_cast<std::size_t>(in.d.off), c1 = c0 + static_cast<std::size_t>(in.w);
        if (in.d.off < 0 || c1 > cov.size()) {  // not a plain column range of dP: keep zeroing
          dp_ok = false;
          break;
        }
        const auto n = std::count(cov.begin() + static_cast<std::ptrdiff_t>(c0),
                                  cov.begin() + static_cast<std::ptrdiff_t>(c1), 1);
        if (in.store != Store::acc || (n != 0 && static_cast<std::size_t>(n) != c1 - c0)) {
          dp_ok = false;
          break;
        }
        if (n == 0) first.push_back(&in);
        std::fill(cov.begin() + static_cast<std::ptrdiff_t>(c0), cov.begin() + static_cast<std::ptrdiff_t>(c1), 1);
      }
    if (dp_ok && std::count(cov.begin(), cov.end(), 1) == prog_.p_width) {
      for (Instr* in : first) in->store = Store::assign;
      prog_.dp_assigns = true;
    }
  }
  prog_.diagonal = prog_.gemm_width.empty();
  for (const Level& L : prog_.levels) {
    for (const Instr& in : L.fwd) prog_.fwd_work += in.w;
    for (const Instr& in : L.bwd) prog_.bwd_work += in.w;
  }
  return std::make_shared<const Program>(std::move(prog_));
}


}  // namespace detail

std::shared_ptr<const Program> lower(const Graph& g, std::string* why) {
  detail::Lowerer l(g);
  return l.run(why);
}

}  // namespace rnnlab::compiler
