// Step compiler, stage 2b: the backward program of every elementwise region, derived from the
// forward graph by reverse mode (see lower.cpp, step 5). Per op, the adjoint rules (g = the
// adjoint of the op's output; Σ = over the broadcast columns when an operand is per-row):
//   add: da += g, db += g          sub: da += g, db -= g          scale: da += s g
//   mul: da += g b, db += g a      div: t = g / b, da += t, db -= t out
//   max: da += g [a >= b], db += g [a < b]                         blend: da += m g, db += (1-m) g
//   f(x): dx += g f'(x, y)         concat / copy: each piece's adjoint += its slice of g
// Seeds: the adjoint of s_t,k is dS_cur,k + the packed gradient's columns of state k (and of y).
#include <algorithm>

#include "compiler/lowerer.h"

namespace rnnlab::compiler::detail {

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
    // Values recomputed instead of saved (homes()): their forward instructions come first.
    const auto& rm = remat_[static_cast<std::size_t>(l)];
    if (!bwd.empty()) bwd.insert(bwd.begin(), rm.begin(), rm.end());
    prog_.levels[static_cast<std::size_t>(l)].bwd = std::move(bwd);
  }
}

}  // namespace rnnlab::compiler::detail
