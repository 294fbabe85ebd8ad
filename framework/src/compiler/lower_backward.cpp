// Step compiler, stage 2b: the backward program of every elementwise region, derived from the
// forward graph by reverse mode (see lower.cpp, step 5). Per op, the adjoint rules (g = the
// adjoint of the op's output; Σ = over the broadcast columns when an operand is per-row):
//   an op of op_table.h:   da += G_a(g, a, b, y),  db += G_b(g, a, b, y)  (Σ when b is per-row)
//   a row reduction:       dx_j += G(g, x_j, y) at every j, or only at its pick (op_table.h)
//   blend:                 da += m g,  db += (1-m) g
//   concat / copy:         each piece's adjoint += its slice of g
//   matmul / linear:       the GEMM's backward (the executor): dA += dOut op(W)ᵀ
// Seeds: the adjoint of s_t,k is dS_cur,k + the packed gradient's columns of state k (and of y).
#include <algorithm>

#include "compiler/lowerer.h"

namespace rnnlab::compiler::detail {

// The adjoint of node i read as an operand of width w; has = false when i gets no gradient.
Operand Lowerer::adj_ref(int32_t i, Broadcast::Kind bc, int64_t w, bool* has) {
  const GNode& n = node(i);
  *has = false;
  if (!n.row) {
    const auto e = static_cast<std::size_t>(n.index);
    if (n.src != Src::ext || !g_.ext_grad(e)) return {};
    *has = true;
    return {{slot(Slot::dunit, n.index, numel(i)), 0}, numel(i) == 1 && w != 1};
  }
  const Val& v = val(i);
  const Base& b = bases_[static_cast<std::size_t>(v.base)];
  if (b.adj < 0) return {};
  *has = true;
  return {{b.adj, v.off}, bc == Broadcast::Kind::prefix || (v.w == 1 && w != 1)};
}

void Lowerer::contrib(std::vector<Instr>& out, int32_t target, Broadcast::Kind bc, Instr in) {
  bool has = false;
  const Operand d = adj_ref(target, bc, in.w, &has);
  if (!has) return;
  in.d = d.ref;
  in.store = d.scalar ? Store::reduce : Store::acc;
  out.push_back(in);
  mark_written(target);
}

// A scratch adjoint that has received a contribution: later ones accumulate into it.
void Lowerer::mark_written(int32_t i) {
  if (node(i).row && bases_[static_cast<std::size_t>(val(i).base)].adj_scratch)
    written_[static_cast<std::size_t>(val(i).base)] = 1;
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

// The gradient of s_t,k (from step t+1 and the packed output) and of y_t: assigned at the
// value's level, or (an adjoint read across levels) accumulated at the top level.
void Lowerer::seed_outputs() {
  seeds_.assign(static_cast<std::size_t>(levels_), {});
  const int dpk = slot(Slot::dpacked, 0, prog_.packed_width());
  auto seed = [&](int32_t v, Instr in) {
    const Base& b = base_of(v);
    in.d = {b.adj, 0};
    in.w = b.w;
    if (b.adj_external) {
      in.store = Store::acc;
      top_seeds_.push_back(in);
    } else {
      in.store = Store::assign;
      seeds_[static_cast<std::size_t>(b.level)].push_back(in);
      written_[static_cast<std::size_t>(val(v).base)] = 1;
    }
  };
  int64_t off = 0;
  for (std::size_t k = 0; k < out_state_val_.size(); ++k) {
    Instr in;
    in.code = Code::op;
    in.op = ElemOp::add;
    in.a = {slot(Slot::ds_cur, static_cast<int32_t>(k), prog_.state_width[k]), 0};
    in.b = {dpk, off};
    seed(out_state_val_[k], in);
    off += prog_.state_width[k];
  }
  if (y_val_ >= 0) seed(y_val_, copy_instr(0, {dpk, off}));
}

// Zeroes of the per-step external adjoints at the start of the step (the top level runs
// first): every state's dS_prev, also of a state the step does not read (it becomes dS_cur
// next), the adjoints read across levels and the GEMM outputs' adjoints.
std::vector<Instr> Lowerer::step_zeros() {
  for (std::size_t k = 0; k < prog_.state_width.size(); ++k)
    slot(Slot::ds_prev, static_cast<int32_t>(k), prog_.state_width[k]);
  std::vector<Instr> zeros;
  for (std::size_t s = 0; s < prog_.slots.size(); ++s) {
    const SlotDesc& sd = prog_.slots[s];
    if (sd.kind != Slot::ds_prev && sd.kind != Slot::dsaved && sd.kind != Slot::dgemm) continue;
    Instr z;
    z.code = Code::zero;
    z.w = sd.width;
    z.d = {static_cast<int32_t>(s), 0};
    zeros.push_back(z);
  }
  return zeros;
}

// The adjoint rule of one forward item (an op node or an output copy), appended to bwd.
void Lowerer::adjoint(const Item& it, std::vector<Instr>& bwd) {
  if (it.node < 0) {  // copy: src += g(dst)
    if (!written_[static_cast<std::size_t>(val(it.dst).base)]) return;
    contrib(bwd, it.src, Broadcast::Kind::none, copy_instr(val(it.src).w, {base_of(it.dst).adj, 0}));
    return;
  }
  const int32_t i = it.node;
  const GNode& n = node(i);
  if (!written_[static_cast<std::size_t>(val(i).base)]) return;  // no gradient reaches it
  const int64_t w = val(i).w;
  const Ref g{base_of(i).adj, 0};
  switch (n.op.kind) {
    case OpKind::matmul:
    case OpKind::linear:
      return;  // the GEMM's backward (executor): dA += dOut op(W)ᵀ
    case OpKind::concat: {
      int64_t o = 0;
      for (int32_t j : n.in) {
        contrib(bwd, j, Broadcast::Kind::none, copy_instr(val(j).w, {g.slot, o}));
        o += val(j).w;
      }
      return;
    }
    case OpKind::reduce: {  // dx += G(g, x, y) at every column or at the reduction's pick
      Instr in = reduce_instr(i);
      in.y = in.d;
      in.c = g;
      in.cs = true;
      in.code = Code::red_grad;
      contrib(bwd, n.in[0], Broadcast::Kind::none, in);
      return;
    }
    case OpKind::mask_blend: {
      const Operand m = operand(n.in[0], n.op.bc, w);
      Instr in;
      in.w = w;
      in.a = g;
      in.c = m.ref;
      in.cs = m.scalar;
      in.code = Code::g_if_c;
      contrib(bwd, n.in[1], Broadcast::Kind::none, in);
      in.code = Code::g_if_not_c;
      contrib(bwd, n.in[2], Broadcast::Kind::none, in);
      return;
    }
    default: {  // an op of op_table.h: its grad_a and grad_b, from its forward's operands
      Instr in = op_instr(i);
      in.y = in.d;
      in.c = g;
      in.code = Code::op_grad_a;
      contrib(bwd, n.in[0], Broadcast::Kind::none, in);
      if (n.in.size() > 1) {
        in.code = Code::op_grad_b;
        contrib(bwd, n.in[1], n.op.bc, in);
      }
    }
  }
}

void Lowerer::backward() {
  written_.assign(bases_.size(), 0);  // scratch adjoints with a contribution
  for (std::size_t b = 0; b < bases_.size(); ++b) written_[b] = !bases_[b].adj_scratch;
  seed_outputs();
  const std::vector<Instr> zeros = step_zeros();
  for (int l = levels_ - 1; l >= 0; --l) {
    std::vector<Instr> bwd = seeds_[static_cast<std::size_t>(l)];
    const auto& its = items_[static_cast<std::size_t>(l)];
    for (auto it = its.rbegin(); it != its.rend(); ++it) adjoint(*it, bwd);
    if (l == levels_ - 1) {
      bwd.insert(bwd.begin(), top_seeds_.begin(), top_seeds_.end());
      bwd.insert(bwd.begin(), zeros.begin(), zeros.end());
    }
    fix_scratch_stores(bwd);
    // Values recomputed instead of saved (homes()): their forward instructions come first.
    const auto& rm = remat_[static_cast<std::size_t>(l)];
    if (!bwd.empty()) bwd.insert(bwd.begin(), rm.begin(), rm.end());
    prog_.levels[static_cast<std::size_t>(l)].bwd = std::move(bwd);
  }
}

}  // namespace rnnlab::compiler::detail
