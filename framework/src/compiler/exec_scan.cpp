// Step compiler: the scan driver on the CPU (maths and passes in scan.h).
//
// Layout. full [T+1,B,W] as in exec_cpu.cpp: block t+1 holds s_t (block 0: s_0, the initial
// state or the stateful carry), row stride W; a_t,k ([T,B,S_k], kept: the backward's scan
// coefficient), b_t,k where the part's backward reads it back, and each part's saved values
// ([T,B,w]) are Buffers::saved entries. A part's slots resolve per step t: P_t, its leaves
// (s_t or s_{t-1} of an earlier stage's state, in full), its outputs (a_t into its buffer, b_t
// into s_t's place in full or its buffer, y_t into full's y columns), scratch per task. The
// mask is applied where a and b are used: a' = m ? a : 1, b' = m ? b : 0. Backward: the seed of a coefficient output (da, db) is a
// per-task [B, Σ widths] row block read through the part's dpacked slot (its dS_cur is a zero
// row); the adjoints the part sends to its leaves land in [T,B,S] buffers per part and leaf,
// read by the stage of that state; per-unit parameter gradients go to per-chunk, per-row
// accumulators summed afterwards in chunk order (deterministic, independent of the threads).
#include <algorithm>
#include <cstring>
#include <map>
#include <type_traits>
#include <utility>

#include "compiler/interpret.h"
#include "compiler/scan.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/error.h"

namespace rnnlab::compiler {

namespace {

// Below this much work (elements) per parallel task the chunks run on the calling thread.
constexpr int64_t kChunkWork = 32768;

// Forward fold of one row into its chunk's composite, s_end = pa ⊙ s_start + pb, with
// a' = a (a row, or the constant ac) and b' = b where m; where not, a' = 1, b' = 0: no change.
template <typename T>
RNNLAB_SIMD_CLONES void fold_row(int64_t n, bool m, const T* __restrict a, T ac,
                                 const T* __restrict b, T* __restrict pa, T* __restrict pb) {
  if (!m) return;
  if (a) {
    for (int64_t j = 0; j < n; ++j) {
      pa[j] *= a[j];
      pb[j] = a[j] * pb[j] + b[j];
    }
  } else {
    for (int64_t j = 0; j < n; ++j) {
      pa[j] *= ac;
      pb[j] = ac * pb[j] + b[j];
    }
  }
}

// s = m ? a ⊙ prev + b : prev (a a row, or the constant ac); b may be s itself (in place).
template <typename T>
RNNLAB_SIMD_CLONES void apply_row(int64_t n, bool m, const T* __restrict a, T ac,
                                  const T* prev, const T* b, T* s) {
  if (!m) {
    std::memmove(s, prev, sizeof(T) * static_cast<std::size_t>(n));
    return;
  }
  if (a)
    for (int64_t j = 0; j < n; ++j) s[j] = a[j] * prev[j] + b[j];
  else
    for (int64_t j = 0; j < n; ++j) s[j] = ac * prev[j] + b[j];
}

// Reverse: g = d + a1 ⊙ g (a1 a row, or the constant ac), folded into the composite
// (p, q) when fold, else applied to g.
template <typename T>
RNNLAB_SIMD_CLONES void rev_row(int64_t n, const T* __restrict a1, T ac, const T* __restrict d,
                                T* __restrict p, T* __restrict g) {
  if (p) {
    if (a1)
      for (int64_t j = 0; j < n; ++j) {
        p[j] *= a1[j];
        g[j] = d[j] + a1[j] * g[j];
      }
    else
      for (int64_t j = 0; j < n; ++j) {
        p[j] *= ac;
        g[j] = d[j] + ac * g[j];
      }
    return;
  }
  if (a1)
    for (int64_t j = 0; j < n; ++j) g[j] = d[j] + a1[j] * g[j];
  else
    for (int64_t j = 0; j < n; ++j) g[j] = d[j] + ac * g[j];
}

// A temporary of n elements (composites, carries, accumulators) from the backend's block cache:
// no fresh pages each call, unlike a std::vector of this size.
template <typename T>
struct Temp {
  Tensor t;
  T* p;
  Temp(int64_t n, bool zero)
      : t(backend_for(Device::cpu)
              .empty({std::max<int64_t>(1, n)}, std::is_same_v<T, double> ? DType::f64 : DType::f32)),
        p(t.data<T>()) {
    if (zero) std::fill(p, p + std::max<int64_t>(1, n), T(0));
  }
};

// Where a part's per-task and per-chunk areas go (offsets by slot index).
struct Layout {
  std::vector<int64_t> out_off;   // output k's columns in the part's packed row
  int64_t pw = 0;                 // the packed row's width (the seeds)
  std::vector<int64_t> slot_off;  // dsaved / dunit slots: offset in their area
  int64_t dsaved = 0, dunit = 0, widest = 1;
};

Layout layout_of(const ScanPart& part, int64_t B) {
  const Program& P = *part.prog;
  Layout L;
  for (int64_t w : P.state_width) {
    L.out_off.push_back(L.pw);
    L.pw += w;
    L.widest = std::max(L.widest, w);
  }
  L.slot_off.assign(P.slots.size(), 0);
  for (std::size_t s = 0; s < P.slots.size(); ++s) {
    const SlotDesc& d = P.slots[s];
    L.widest = std::max(L.widest, d.width);
    if (d.kind == Slot::dsaved) L.slot_off[s] = std::exchange(L.dsaved, L.dsaved + d.width);
    if (d.kind == Slot::dunit) L.slot_off[s] = std::exchange(L.dunit, L.dunit + B * d.width);
  }
  return L;
}

// One parallel task's buffers for a part.
template <typename T>
struct Task {
  std::vector<T> scr, zeros, sink, seed, dsaved;
  T* dunit = nullptr;  // this chunk's accumulators (set per chunk)
  std::vector<T*> base, ptr;
  std::vector<int64_t> rs;
  Task(const ScanPart* part, const Layout* L, int64_t B) {
    if (!part) return;
    const Program& P = *part->prog;
    scr.assign(static_cast<std::size_t>(P.scratch + P.dscratch + 1), T(0));
    zeros.assign(static_cast<std::size_t>(L->widest), T(0));
    sink.assign(static_cast<std::size_t>(L->widest), T(0));
    seed.assign(static_cast<std::size_t>(B * L->pw + 1), T(0));
    dsaved.assign(static_cast<std::size_t>(L->dsaved + 1), T(0));
    base.assign(P.slots.size(), nullptr);
    ptr.assign(P.slots.size(), nullptr);
    rs.assign(P.slots.size(), 0);
  }
};

template <typename T>
struct Ctx {
  const ScanPlan& S;
  int64_t steps = 0, B = 0, W = 0, G = 0, C = 0, y_off = 0;
  T* p = nullptr;
  const T* mask = nullptr;
  T* full = nullptr;
  std::vector<int64_t> off;  // state k's columns in a row of full
  std::vector<T*> a_buf;     // state k's a_t buffer [T,B,S_k] (nullptr: a constant)
  std::vector<T*> b_buf;     // state k's b_t buffer [T,B,S_k] (nullptr: in s_t's place)
  std::vector<Coef> a_kind;  // per state
  std::vector<const T*> ext;
  std::vector<T*> saved;
  // backward
  T* dp = nullptr;
  const T* dpacked = nullptr;
  std::map<const ScanPart*, std::vector<T*>> contrib;  // per part: per leaf [T,B,S]

  Ctx(const ScanPlan& plan, const Tensor& pt, const Tensor& mask_t, const std::vector<Tensor>& e,
      const Buffers& buf)
      : S(plan) {
    steps = pt.dim(0);
    B = pt.dim(1);
    G = pt.dim(2);
    W = plan.packed_width();
    C = std::min<int64_t>(steps, kScanChunks);
    p = const_cast<T*>(pt.data<T>());
    mask = mask_t.defined() ? mask_t.data<T>() : nullptr;
    full = const_cast<T*>(buf.full.data<T>());
    for (int64_t w : plan.state_width) off.push_back(std::exchange(y_off, y_off + w));
    for (const Tensor& t : e) ext.push_back(t.defined() ? t.data<T>() : nullptr);
    for (const Tensor& t : buf.saved) saved.push_back(const_cast<T*>(t.data<T>()));
    a_buf.assign(plan.state_width.size(), nullptr);
    b_buf.assign(plan.state_width.size(), nullptr);
    a_kind.assign(plan.state_width.size(), Coef::zero);
    for (const ScanStage& st : plan.stages)
      for (std::size_t i = 0; i < st.states.size(); ++i) {
        const auto k = static_cast<std::size_t>(st.states[i]);
        a_kind[k] = st.a[i];
        if (st.a_buffer[i] >= 0) a_buf[k] = saved[static_cast<std::size_t>(st.a_buffer[i])];
        if (st.b_buffer[i] >= 0) b_buf[k] = saved[static_cast<std::size_t>(st.b_buffer[i])];
      }
  }

  int64_t t0(int64_t c) const { return c * steps / C; }
  bool m(int64_t t, int64_t r) const { return !mask || mask[t * B + r] != T(0); }
  int64_t width(int32_t k) const { return S.state_width[static_cast<std::size_t>(k)]; }
  // Row r of s_t,k (t = -1: the initial state).
  T* st(int64_t t, int64_t r, int32_t k) const {
    return full + ((t + 1) * B + r) * W + off[static_cast<std::size_t>(k)];
  }
  // a'_t,k = m_t ? a_t,k : 1 of row r: a row (returned) or the constant *ac.
  const T* a_prime(int64_t t, int64_t r, int32_t k, T* ac) const {
    const auto kk = static_cast<std::size_t>(k);
    *ac = !m(t, r) || a_kind[kk] == Coef::one ? T(1) : T(0);
    if (!m(t, r) || !a_buf[kk]) return nullptr;
    return a_buf[kk] + (t * B + r) * width(k);
  }
  // b_t,k of row r (before the scan of its stage: then in s_t's place unless kept apart).
  T* b_row(int64_t t, int64_t r, int32_t k) const {
    const auto kk = static_cast<std::size_t>(k);
    return b_buf[kk] ? b_buf[kk] + (t * B + r) * width(k) : st(t, r, k);
  }
  const T* ext_ptr(const ScanPart& part, int32_t id) const {
    if (id < S.ext_count) return ext[static_cast<std::size_t>(id)];
    return part.consts[static_cast<std::size_t>(id - S.ext_count)].template data<T>();
  }

  void resolve(const ScanPart& part, const Layout& L, int64_t t, Task<T>& k) const {
    const Program& P = *part.prog;
    const auto n_out = static_cast<int32_t>(part.outs.size());
    for (std::size_t s = 0; s < P.slots.size(); ++s) {
      const SlotDesc& d = P.slots[s];
      T* b = nullptr;
      int64_t r = d.width;
      switch (d.kind) {
        case Slot::p: b = p + t * B * G; r = G; break;
        case Slot::s_prev: {
          const ScanPart::Leaf& lf = part.leaves[static_cast<std::size_t>(d.id - n_out)];
          b = st(lf.next ? t : t - 1, 0, lf.state);
          r = W;
        } break;
        case Slot::s_next: {
          const ScanPart::Out& o = part.outs[static_cast<std::size_t>(d.id)];
          if (o.to == ScanPart::To::a) {
            r = width(o.state);
            b = a_buf[static_cast<std::size_t>(o.state)] + t * B * r;
          } else if (o.to == ScanPart::To::b && b_buf[static_cast<std::size_t>(o.state)]) {
            r = width(o.state);
            b = b_buf[static_cast<std::size_t>(o.state)] + t * B * r;
          } else {
            b = o.to == ScanPart::To::b ? st(t, 0, o.state) : full + (t + 1) * B * W + y_off;
            r = W;
          }
        } break;
        case Slot::saved: b = saved[static_cast<std::size_t>(part.saved[static_cast<std::size_t>(d.id)])] + t * B * r; break;
        case Slot::scratch: b = k.scr.data() + d.offset; r = 0; break;
        case Slot::dscratch: b = k.scr.data() + P.scratch + d.offset; r = 0; break;
        case Slot::ext_unit: b = const_cast<T*>(ext_ptr(part, d.id)); r = 0; break;
        case Slot::ext_row: b = const_cast<T*>(ext_ptr(part, d.id)); break;
        case Slot::mask: b = const_cast<T*>(mask) + t * B; r = 1; break;
        case Slot::dp: b = dp + t * B * G; r = G; break;
        case Slot::ds_cur: b = k.zeros.data(); r = 0; break;
        case Slot::ds_prev:
          if (d.id < n_out) {
            b = k.sink.data();
            r = 0;
          } else if (auto it = contrib.find(&part); it != contrib.end()) {  // backward only
            b = it->second[static_cast<std::size_t>(d.id - n_out)] + t * B * r;
          }
          break;
        case Slot::dsaved: b = k.dsaved.data() + L.slot_off[s]; r = 0; break;
        case Slot::dpacked:
          if (part.outs[0].to == ScanPart::To::y) {
            b = const_cast<T*>(dpacked) + t * B * W + y_off;
            r = W;
          } else {
            b = k.seed.data();
            r = L.pw;
          }
          break;
        case Slot::dunit: b = k.dunit ? k.dunit + L.slot_off[s] : nullptr; break;
        case Slot::gemm: case Slot::dgemm: case Slot::y: break;  // none in a part
      }
      k.base[s] = b;
      k.rs[s] = r;
    }
  }

  void rows(const std::vector<Instr>& prog, Task<T>& k) const {
    const std::size_t ns = k.base.size();
    for (int64_t r = 0; r < B; ++r) {
      for (std::size_t s = 0; s < ns; ++s) k.ptr[s] = k.base[s] ? k.base[s] + r * k.rs[s] : nullptr;
      exec_row<T>(prog.data(), prog.size(), k.ptr.data());
    }
  }

  // f(c, task) for every chunk c, in parallel when each task gets enough work.
  template <typename F>
  void chunks(const ScanPart* part, const Layout* L, int64_t work_per_step, F&& f) const {
    const int64_t per_chunk = std::max<int64_t>(1, work_per_step * ((steps + C - 1) / C));
    const int64_t grain = std::max<int64_t>(1, kChunkWork / per_chunk);
    cpu_parallel_for(C, grain, [&](int64_t c0, int64_t c1) {
      Task<T> k(part, L, B);
      for (int64_t c = c0; c < c1; ++c) f(c, k);
    });
  }
};

template <typename T>
int64_t stage_width(const Ctx<T>& x, const ScanStage& st) {
  int64_t w = 0;
  for (int32_t k : st.states) w += x.B * x.width(k);
  return w;
}

template <typename T>
void forward_stage(Ctx<T>& x, const ScanStage& st) {
  const ScanPart& part = st.part;
  const Layout L = layout_of(part, x.B);
  const std::vector<Instr>& fwd = part.prog->levels[0].fwd;
  const int64_t cw = stage_width(x, st);  // composite width: Σ B S_k
  const int64_t work = x.B * part.prog->fwd_work + 2 * cw;
  if (!st.recurrent) {  // s_t = b_t: the part alone, in parallel over t
    x.chunks(&part, &L, work, [&](int64_t c, Task<T>& k) {
      for (int64_t t = x.t0(c); t < x.t0(c + 1); ++t) {
        x.resolve(part, L, t, k);
        x.rows(fwd, k);
      }
    });
    return;
  }
  // 1. The part at every t, folded into each chunk's composite (pa, pb).
  Temp<T> comp(x.C * 2 * cw, false);
  x.chunks(&part, &L, work, [&](int64_t c, Task<T>& k) {
    T* pa = comp.p + c * 2 * cw;
    T* pb = pa + cw;
    std::fill(pa, pb, T(1));
    std::fill(pb, pb + cw, T(0));
    for (int64_t t = x.t0(c); t < x.t0(c + 1); ++t) {
      x.resolve(part, L, t, k);
      x.rows(fwd, k);
      int64_t o = 0;
      for (std::size_t i = 0; i < st.states.size(); ++i) {
        const int32_t s = st.states[i];
        const int64_t n = x.width(s);
        for (int64_t r = 0; r < x.B; ++r, o += n) {
          T ac = T(0);
          const T* a = x.a_prime(t, r, s, &ac);
          fold_row<T>(n, x.m(t, r), a, ac, x.b_row(t, r, s), pa + o, pb + o);
        }
      }
    }
  });
  // 2. The carry: each chunk's starting state (chunk 0: s_0).
  Temp<T> start(x.C * cw, false);
  {
    int64_t o = 0;
    for (int32_t s : st.states)
      for (int64_t r = 0; r < x.B; ++r, o += x.width(s))
        std::memcpy(start.p + o, x.st(-1, r, s), sizeof(T) * static_cast<std::size_t>(x.width(s)));
    for (int64_t c = 0; c + 1 < x.C; ++c) {
      const T* pa = comp.p + c * 2 * cw;
      const T* pb = pa + cw;
      const T* s0 = start.p + c * cw;
      T* s1 = start.p + (c + 1) * cw;
      for (int64_t j = 0; j < cw; ++j) s1[j] = pa[j] * s0[j] + pb[j];
    }
  }
  // 3. Each chunk from its start: s_t = a'_t s_{t-1} + b'_t, in place over b_t.
  x.chunks(nullptr, nullptr, 2 * cw, [&](int64_t c, Task<T>&) {
    for (int64_t t = x.t0(c); t < x.t0(c + 1); ++t) {
      int64_t o = 0;
      for (int32_t s : st.states) {
        const int64_t n = x.width(s);
        for (int64_t r = 0; r < x.B; ++r, o += n) {
          T ac = T(0);
          const T* a = x.a_prime(t, r, s, &ac);
          const T* prev = t == x.t0(c) ? start.p + c * cw + o : x.st(t - 1, r, s);
          apply_row<T>(n, x.m(t, r), a, ac, prev, x.b_row(t, r, s), x.st(t, r, s));
        }
      }
    }
  });
}

// The y part: forward or backward at every t, in parallel.
template <typename T>
void run_part_all(Ctx<T>& x, const ScanPart& part, bool backward, T* dunit) {
  const Layout L = layout_of(part, x.B);
  const std::vector<Instr>& prog = backward ? part.prog->levels[0].bwd : part.prog->levels[0].fwd;
  const int64_t work = x.B * (backward ? part.prog->bwd_work : part.prog->fwd_work);
  x.chunks(&part, &L, work, [&](int64_t c, Task<T>& k) {
    if (dunit) k.dunit = dunit + c * L.dunit;
    for (int64_t t = x.t0(c); t < x.t0(c + 1); ++t) {
      if (backward && part.zero_dp)
        std::memset(x.dp + t * x.B * x.G, 0, sizeof(T) * static_cast<std::size_t>(x.B * x.G));
      x.resolve(part, L, t, k);
      x.rows(prog, k);
    }
  });
}

// Adds a part's per-chunk, per-row vector-extern accumulators into dext (chunk, row order).
template <typename T>
void sum_dunit(const Ctx<T>& x, const ScanPart& part, const T* acc, std::vector<Tensor>& dext) {
  const Layout L = layout_of(part, x.B);
  const Program& P = *part.prog;
  for (std::size_t s = 0; s < P.slots.size(); ++s) {
    const SlotDesc& d = P.slots[s];
    if (d.kind != Slot::dunit || d.id >= x.S.ext_count) continue;
    Tensor& g = dext[static_cast<std::size_t>(d.id)];
    if (!g.defined()) continue;
    T* out = g.data<T>();
    for (int64_t c = 0; c < x.C; ++c)
      for (int64_t r = 0; r < x.B; ++r) {
        const T* a = acc + c * L.dunit + L.slot_off[s] + r * d.width;
        for (int64_t j = 0; j < d.width; ++j) out[j] += a[j];
      }
  }
}

// A stage's reverse scan and its part's reverse program (see scan.h, Backward).
template <typename T>
void backward_stage(Ctx<T>& x, const ScanStage& st, std::vector<Tensor>& ds0,
                    std::vector<Tensor>& dext) {
  const ScanPart& part = st.part;
  const Layout L = layout_of(part, x.B);
  const int64_t cw = stage_width(x, st);
  // Who else sends an adjoint to each state of the stage: (buffer, reads s_t rather than s_{t-1}).
  std::vector<std::vector<std::pair<const T*, bool>>> readers(st.states.size());
  for (const auto& [q, bufs] : x.contrib)
    for (std::size_t i = 0; i < q->leaves.size(); ++i)
      for (std::size_t si = 0; si < st.states.size(); ++si)
        if (q->leaves[i].state == st.states[si]) readers[si].push_back({bufs[i], q->leaves[i].next});
  // D_t of state i, row r: the packed gradient's row itself, or a sum made in d.
  auto direct = [&](int64_t t, std::size_t i, int64_t r, T* d) -> const T* {
    const int32_t s = st.states[i];
    const int64_t n = x.width(s);
    const T* g = x.dpacked + (t * x.B + r) * x.W + x.off[static_cast<std::size_t>(s)];
    if (readers[i].empty()) return g;
    std::memcpy(d, g, sizeof(T) * static_cast<std::size_t>(n));
    for (const auto& [b, next] : readers[i]) {
      const int64_t tt = next ? t : t + 1;
      if (tt >= x.steps) continue;
      const T* a = b + (tt * x.B + r) * n;
      for (int64_t j = 0; j < n; ++j) d[j] += a[j];
    }
    return d;
  };
  // a'_{t+1} (0 past the end: G_T = 0).
  auto a_next = [&](int64_t t, int64_t r, int32_t s, T* ac) -> const T* {
    if (t + 1 >= x.steps) {
      *ac = T(0);
      return nullptr;
    }
    return x.a_prime(t + 1, r, s, ac);
  };
  const int64_t widest = *std::max_element(x.S.state_width.begin(), x.S.state_width.end());
  Temp<T> gin(x.C * cw, true);  // G_{t1} entering chunk c
  if (st.recurrent) {
    Temp<T> comp(x.C * 2 * cw, false);
    x.chunks(nullptr, nullptr, 3 * cw, [&](int64_t c, Task<T>&) {
      T* pp = comp.p + c * 2 * cw;
      T* qq = pp + cw;
      std::fill(pp, qq, T(1));
      std::fill(qq, qq + cw, T(0));
      std::vector<T> d(static_cast<std::size_t>(widest));
      for (int64_t t = x.t0(c + 1) - 1; t >= x.t0(c); --t) {
        int64_t o = 0;
        for (std::size_t i = 0; i < st.states.size(); ++i) {
          const int64_t n = x.width(st.states[i]);
          for (int64_t r = 0; r < x.B; ++r, o += n) {
            const T* dt = direct(t, i, r, d.data());
            T ac = T(0);
            const T* a1 = a_next(t, r, st.states[i], &ac);
            rev_row<T>(n, a1, ac, dt, pp + o, qq + o);
          }
        }
      }
    });
    // G entering the last chunk is G_T = 0; G_{t0(c)} = pp_c G_{t1(c)} + qq_c enters chunk c-1.
    for (int64_t c = x.C - 1; c > 0; --c) {
      const T* pp = comp.p + c * 2 * cw;
      const T* qq = pp + cw;
      const T* g1 = gin.p + c * cw;
      T* g0 = gin.p + (c - 1) * cw;
      for (int64_t j = 0; j < cw; ++j) g0[j] = pp[j] * g1[j] + qq[j];
    }
  }
  Temp<T> dunit(x.C * L.dunit, true);
  const std::vector<Instr>& bwd = part.prog->levels[0].bwd;
  x.chunks(&part, &L, x.B * part.prog->bwd_work + 3 * cw, [&](int64_t c, Task<T>& k) {
    k.dunit = dunit.p + c * L.dunit;
    std::vector<T> g(gin.p + c * cw, gin.p + (c + 1) * cw);
    std::vector<T> d(static_cast<std::size_t>(widest));
    for (int64_t t = x.t0(c + 1) - 1; t >= x.t0(c); --t) {
      int64_t o = 0;
      for (std::size_t i = 0; i < st.states.size(); ++i) {
        const int32_t s = st.states[i];
        const int64_t n = x.width(s);
        for (int64_t r = 0; r < x.B; ++r, o += n) {
          const T* dt = direct(t, i, r, d.data());
          T ac = T(0);
          const T* a1 = st.recurrent ? a_next(t, r, s, &ac) : nullptr;
          rev_row<T>(n, a1, ac, dt, nullptr, g.data() + o);
          if (t == 0) {  // ds_0 = a'_0 ⊙ G_0
            T a0c = T(0);
            const T* a0 = st.recurrent ? x.a_prime(0, r, s, &a0c) : nullptr;
            T* out = ds0[static_cast<std::size_t>(s)].template data<T>() + r * n;
            for (int64_t j = 0; j < n; ++j) out[j] = (a0 ? a0[j] : a0c) * g[static_cast<std::size_t>(o + j)];
          }
        }
      }
      // Seeds: da = m ? G ⊙ s_{t-1} : 0, db = m ? G : 0, per output of the part.
      for (std::size_t q = 0; q < part.outs.size(); ++q) {
        const ScanPart::Out& out = part.outs[q];
        std::size_t i = 0;
        int64_t o = 0;
        while (st.states[i] != out.state) o += x.B * x.width(st.states[i++]);
        const int64_t n = x.width(out.state);
        for (int64_t r = 0; r < x.B; ++r) {
          T* sd = k.seed.data() + r * L.pw + L.out_off[q];
          const T* gr = g.data() + o + r * n;
          if (!x.m(t, r)) {
            std::fill(sd, sd + n, T(0));
          } else if (out.to == ScanPart::To::a) {
            const T* prev = x.st(t - 1, r, out.state);
            for (int64_t j = 0; j < n; ++j) sd[j] = gr[j] * prev[j];
          } else {
            std::memcpy(sd, gr, sizeof(T) * static_cast<std::size_t>(n));
          }
        }
      }
      if (part.zero_dp)
        std::memset(x.dp + t * x.B * x.G, 0, sizeof(T) * static_cast<std::size_t>(x.B * x.G));
      x.resolve(part, L, t, k);
      x.rows(bwd, k);
    }
  });
  sum_dunit(x, part, dunit.p, dext);
}

template <typename T>
void forward_t(const ScanPlan& S, const Tensor& p, const std::vector<Tensor>& s0,
               const Tensor& mask, const std::vector<Tensor>& ext, Buffers& buf) {
  Backend& be = backend_for(Device::cpu);
  const int64_t steps = p.dim(0), B = p.dim(1);
  start_packed(steps, B, S.dtype, S.state_width, S.packed_width(), s0, buf);
  buf.saved = S.alloc_saved(be, steps, B);
  Ctx<T> x(S, p, mask, ext, buf);
  for (const ScanStage& st : S.stages) forward_stage(x, st);
  for (const ScanPart& y : S.y) run_part_all<T>(x, y, false, nullptr);
}

template <typename T>
void backward_t(const ScanPlan& S, const Tensor& p, const Tensor& mask,
                const std::vector<Tensor>& ext, const Buffers& buf, const Tensor& dpacked,
                Tensor& dp, std::vector<Tensor>& ds0, std::vector<Tensor>& dext) {
  Backend& be = backend_for(Device::cpu);
  const int64_t steps = p.dim(0), B = p.dim(1);
  Ctx<T> x(S, p, mask, ext, buf);
  Tensor dp_own;
  if (!dp.defined()) dp_own = be.empty(p.shape(), S.dtype);
  Tensor& dpt = dp.defined() ? dp : dp_own;
  if (S.dp_fill) be.fill(dpt, 0.0);
  x.dp = dpt.data<T>();
  x.dpacked = dpacked.data<T>();
  std::vector<Tensor> keep;
  auto add_contrib = [&](const ScanPart& part) {
    std::vector<T*>& v = x.contrib[&part];
    for (const ScanPart::Leaf& lf : part.leaves) {
      keep.push_back(be.empty({steps, B, x.width(lf.state)}, S.dtype));
      v.push_back(keep.back().data<T>());
    }
  };
  ds0.assign(S.state_width.size(), Tensor{});
  for (std::size_t k = 0; k < S.state_width.size(); ++k)
    ds0[k] = zeros({B, S.state_width[k]}, S.dtype);
  for (const ScanPart& y : S.y) {
    add_contrib(y);
    Temp<T> dunit(x.C * layout_of(y, B).dunit, true);
    run_part_all(x, y, true, dunit.p);
    sum_dunit(x, y, dunit.p, dext);
  }
  for (auto st = S.stages.rbegin(); st != S.stages.rend(); ++st) {
    add_contrib(st->part);  // its leaves are earlier stages' states: read by those only
    backward_stage(x, *st, ds0, dext);
  }
  // What the parts sent to s_{-1} = s_0 at t = 0.
  for (const auto& [part, bufs] : x.contrib)
    for (std::size_t i = 0; i < part->leaves.size(); ++i) {
      if (part->leaves[i].next) continue;
      const int32_t s = part->leaves[i].state;
      T* d = ds0[static_cast<std::size_t>(s)].template data<T>();
      const T* a = bufs[i];
      for (int64_t j = 0; j < B * x.width(s); ++j) d[j] += a[j];
    }
}

}  // namespace

void run_scan_forward(const ScanPlan& plan, const Tensor& p, const std::vector<Tensor>& s0,
                      const Tensor& mask, const std::vector<Tensor>& ext, Buffers& buf) {
  if (plan.dtype == DType::f64) forward_t<double>(plan, p, s0, mask, ext, buf);
  else forward_t<float>(plan, p, s0, mask, ext, buf);
}

void run_scan_backward(const ScanPlan& plan, const Tensor& p, const Tensor& mask,
                       const std::vector<Tensor>& ext, const Buffers& buf, const Tensor& dpacked,
                       Tensor& dp, std::vector<Tensor>& ds0, std::vector<Tensor>& dext) {
  if (plan.dtype == DType::f64) backward_t<double>(plan, p, mask, ext, buf, dpacked, dp, ds0, dext);
  else backward_t<float>(plan, p, mask, ext, buf, dpacked, dp, ds0, dext);
}

}  // namespace rnnlab::compiler
