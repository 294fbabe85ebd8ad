// Step compiler, CPU executor: runs a Program over a whole sequence (see program.h).
//
// General step (GEMMs on the recurrent path), for t = 0..T-1: for each level, its GEMMs
// (PackedWeight on [B,K] x W, W packed once per sequence; operands addressed in place with
// their row strides), then its region as one pass over the rows (parallel over rows above ~16k
// elements of work).
// Backward, t = T-1..0: levels from the top, region reverse program then dA += dOut op(W)ᵀ;
// after the loop dW += A_allᵀ dOut_all (one GEMM per weight over all T*B rows) and the per-row
// accumulators of vector parameters are summed over the rows (fixed order: deterministic).
// Diagonal step (no GEMM): rows are independent for the whole sequence, so each task takes a
// block of rows and walks t forward (and, in the backward, t backward) itself.
#include <algorithm>
#include <cstring>
#include <memory>

#include "compiler/interpret.h"
#include "compiler/stages.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/error.h"

namespace rnnlab::compiler {

namespace {

constexpr int64_t kRowWork = 16384;  // elements of work per parallel task
// A diagonal sweep is one parallel region per pass: below this much work per task (elements,
// all steps) it runs on the calling thread, where waking the workers costs more than it saves
// (digits: 16 rows x 8 steps; 15-20 % of the whole training step).
constexpr int64_t kDiagonalWork = 131072;

template <typename T>
struct Run {
  const Program& P;
  int64_t steps = 0, batch = 0;
  T* p = nullptr;
  const T* mask = nullptr;
  T* full = nullptr;               // [T+1,B,W]: s_0..s_T (and y_t in block t+1)
  int64_t W = 0;                   // its row stride
  std::vector<int64_t> state_off;  // column of state k in a row of full; y after them
  int64_t y_off = 0;
  std::vector<T*> gemm, saved, ext;
  // backward
  T* dp = nullptr;
  bool dp_zero = false;  // zero each dP_t row before the program runs (not prog.dp_assigns)
  std::vector<T*> ds[2], dgemm, dsaved, dunit;
  const T* dpacked = nullptr;
  // By gemm id: op(W) (forward) or op(W)ᵀ (backward), packed once per sequence for the
  // small-M kernel (PackedWeight: it decides whether packing pays; else it calls cpu_gemm).
  std::vector<std::unique_ptr<const PackedWeight<T>>> wpack;

  void pack_weights(bool backward) {
    wpack.resize(P.gemm_width.size());
    for (const Level& L : P.levels)
      for (const GemmOp& g : L.gemms) {
        if (backward && g.da.slot < 0) continue;
        const T* w = ext[static_cast<std::size_t>(g.w_ext)];
        const int64_t ldw = g.tb ? g.k : g.n;
        wpack[static_cast<std::size_t>(g.id)] =
            backward ? std::make_unique<const PackedWeight<T>>(!g.tb, g.n, g.k, w, ldw, batch)
                     : std::make_unique<const PackedWeight<T>>(g.tb, g.k, g.n, w, ldw, batch);
      }
  }

  // Slot bases and row strides at step t for a task with scratch buffers `scr`, `dscr`.
  void resolve(int64_t t, T* scr, T* dscr, T** base, int64_t* rs) const {
    const int64_t B = batch;
    for (std::size_t s = 0; s < P.slots.size(); ++s) {
      const SlotDesc& d = P.slots[s];
      const auto id = static_cast<std::size_t>(d.id);
      int64_t r = d.width;
      T* b = nullptr;
      switch (d.kind) {
        case Slot::p: b = p + t * B * r; break;
        case Slot::s_prev: b = full + t * B * W + state_off[id]; r = W; break;
        case Slot::s_next: b = full + (t + 1) * B * W + state_off[id]; r = W; break;
        case Slot::gemm: b = gemm[id] + t * B * r; break;
        case Slot::saved: b = saved[id] + t * B * r; break;
        case Slot::y: b = full + (t + 1) * B * W + y_off; r = W; break;
        case Slot::mask: b = const_cast<T*>(mask) + t * B; r = 1; break;
        case Slot::ext_unit: b = ext[id]; r = 0; break;
        case Slot::ext_row: b = ext[id]; break;
        case Slot::scratch: b = scr + d.offset; r = 0; break;
        case Slot::dp: b = dp ? dp + t * B * r : nullptr; break;
        case Slot::ds_cur: b = ds[t % 2].empty() ? nullptr : ds[t % 2][id]; break;
        case Slot::ds_prev: b = ds[(t + 1) % 2].empty() ? nullptr : ds[(t + 1) % 2][id]; break;
        case Slot::dgemm: b = dgemm.empty() ? nullptr : dgemm[id] + t * B * r; break;
        case Slot::dsaved: b = dsaved.empty() ? nullptr : dsaved[id]; break;
        case Slot::dpacked: b = dpacked ? const_cast<T*>(dpacked) + t * B * r : nullptr; break;
        case Slot::dunit: b = dunit.empty() ? nullptr : dunit[id]; break;
        case Slot::dscratch: b = dscr + d.offset; r = 0; break;
      }
      base[s] = b;
      rs[s] = r;
    }
  }

  // One region program for rows [r0, r1) at step t; zero_dp: first zero the rows of dP_t
  // (the first backward pass at t when dp_zero).
  void rows(const std::vector<Instr>& prog, int64_t t, int64_t r0, int64_t r1, T* scr, T* dscr,
            T** base, int64_t* rs, T** ptr, bool zero_dp = false) const {
    if (zero_dp)
      std::memset(dp + (t * batch + r0) * P.p_width, 0,
                  sizeof(T) * static_cast<std::size_t>((r1 - r0) * P.p_width));
    if (prog.empty()) return;
    resolve(t, scr, dscr, base, rs);
    const std::size_t ns = P.slots.size();
    for (int64_t r = r0; r < r1; ++r) {
      for (std::size_t s = 0; s < ns; ++s) ptr[s] = base[s] ? base[s] + r * rs[s] : nullptr;
      exec_row<T>(prog.data(), prog.size(), ptr);
    }
  }

  // Runs f(r0, r1, scratch...) over the rows, in parallel when there is enough work. Blocks
  // are at least `min_rows` rows: a diagonal sweep walks t with its block of rows, and
  // contiguous rows at each t are what keeps the hardware prefetcher streaming (one-row blocks
  // turn every row-step into cache misses on [T,B,·] buffers).
  template <typename F>
  void over_rows(int64_t work_per_row, F&& f, int64_t min_rows = 1,
                 int64_t task_work = kRowWork) const {
    const int64_t grain = std::max<int64_t>(
        min_rows, task_work / std::max<int64_t>(1, work_per_row));
    cpu_parallel_for(batch, grain, [&](int64_t r0, int64_t r1) {
      const std::size_t ns = P.slots.size();
      std::vector<T> scr(static_cast<std::size_t>(P.scratch + P.dscratch + 1));
      std::vector<T*> base(ns), ptr(ns);
      std::vector<int64_t> rs(ns);
      f(r0, r1, scr.data(), scr.data() + P.scratch, base.data(), rs.data(), ptr.data());
    });
  }

  void gemm_forward(const GemmOp& g, int64_t t) const {
    std::vector<T*> base(P.slots.size());
    std::vector<int64_t> rs(P.slots.size());
    resolve(t, nullptr, nullptr, base.data(), rs.data());
    const auto sa = static_cast<std::size_t>(g.a.slot);
    const T* a = base[sa] + g.a.off;
    T* out = gemm[static_cast<std::size_t>(g.id)] + t * batch * g.n;
    T beta = T(0);
    if (g.bias_ext >= 0) {
      const T* bias = ext[static_cast<std::size_t>(g.bias_ext)];
      for (int64_t r = 0; r < batch; ++r) std::memcpy(out + r * g.n, bias, sizeof(T) * static_cast<std::size_t>(g.n));
      beta = T(1);
    }
    wpack[static_cast<std::size_t>(g.id)]->gemm(batch, T(1), a, rs[sa], beta, out, g.n);
  }

  void gemm_backward(const GemmOp& g, int64_t t) const {
    if (g.da.slot < 0) return;
    std::vector<T*> base(P.slots.size());
    std::vector<int64_t> rs(P.slots.size());
    resolve(t, nullptr, nullptr, base.data(), rs.data());
    const auto sd = static_cast<std::size_t>(g.da.slot);
    if (!base[sd]) return;
    const T* dout = dgemm[static_cast<std::size_t>(g.id)] + t * batch * g.n;
    wpack[static_cast<std::size_t>(g.id)]->gemm(batch, T(1), dout, g.n, T(1), base[sd] + g.da.off,
                                                rs[sd]);
  }
};

// Rows per task of a diagonal sweep: two blocks per thread.
int64_t diagonal_block(int64_t batch) {
  const int64_t threads = std::max(1, backend_for(Device::cpu).threads());
  return std::max<int64_t>(1, batch / (2 * threads));
}

template <typename T>
Run<T> make_run(const Program& P, const Tensor& p, const Tensor& mask,
                const std::vector<Tensor>& ext, const Buffers& buf) {
  Run<T> r{P, 0, 0, nullptr, nullptr, nullptr, 0, {}, 0, {}, {}, {}, nullptr, false, {}, {}, {}, {}, nullptr, {}};
  r.steps = p.dim(0);
  r.batch = p.dim(1);
  r.p = const_cast<T*>(p.data<T>());
  r.mask = mask.defined() ? mask.data<T>() : nullptr;
  r.full = const_cast<T*>(buf.full.data<T>());
  r.W = P.packed_width();
  for (int64_t w : P.state_width) {
    r.state_off.push_back(r.y_off);
    r.y_off += w;
  }
  for (const Tensor& s : buf.gemm) r.gemm.push_back(const_cast<T*>(s.data<T>()));
  for (const Tensor& s : buf.saved) r.saved.push_back(const_cast<T*>(s.data<T>()));
  for (const Tensor& e : ext) r.ext.push_back(e.defined() ? const_cast<T*>(e.data<T>()) : nullptr);
  return r;
}

template <typename T>
void forward_t(const Program& P, const Tensor& p, const std::vector<Tensor>& s0,
               const Tensor& mask, const std::vector<Tensor>& ext, Buffers& buf) {
  Backend& be = backend_for(Device::cpu);
  const int64_t steps = p.dim(0), B = p.dim(1);
  start_packed(steps, B, P.dtype, P.state_width, P.packed_width(), s0, buf);
  for (int64_t w : P.gemm_width) buf.gemm.push_back(be.empty({steps, B, w}, P.dtype));
  for (int64_t w : P.saved_width) buf.saved.push_back(be.empty({steps, B, w}, P.dtype));
  Run<T> r = make_run<T>(P, p, mask, ext, buf);
  if (P.diagonal) {
    const std::vector<Instr>& prog = P.levels[0].fwd;
    r.over_rows(P.fwd_work * steps, [&](int64_t r0, int64_t r1, T* scr, T* dscr, T** base,
                                        int64_t* rs, T** ptr) {
      for (int64_t t = 0; t < steps; ++t) r.rows(prog, t, r0, r1, scr, dscr, base, rs, ptr);
    }, diagonal_block(B), kDiagonalWork);
    return;
  }
  r.pack_weights(false);
  for (int64_t t = 0; t < steps; ++t)
    for (const Level& L : P.levels) {
      for (const GemmOp& g : L.gemms) r.gemm_forward(g, t);
      int64_t work = 0;
      for (const Instr& in : L.fwd) work += in.w;
      r.over_rows(work, [&](int64_t r0, int64_t r1, T* scr, T* dscr, T** base, int64_t* rs,
                            T** ptr) { r.rows(L.fwd, t, r0, r1, scr, dscr, base, rs, ptr); });
    }
}

template <typename T>
void backward_t(const Program& P, const Tensor& p, const Tensor& mask,
                const std::vector<Tensor>& ext, const Buffers& buf, const Tensor& dpacked,
                Tensor& dp, std::vector<Tensor>& ds0, std::vector<Tensor>& dext) {
  Backend& be = backend_for(Device::cpu);
  const int64_t steps = p.dim(0), B = p.dim(1);
  Run<T> r = make_run<T>(P, p, mask, ext, buf);
  std::vector<Tensor> keep;
  auto zeroed = [&](const Shape& s) {
    Tensor t = be.empty(s, P.dtype);
    be.fill(t, 0.0);
    keep.push_back(t);
    return t.data<T>();
  };
  r.dp = dp.defined() ? dp.data<T>() : zeroed({steps, B, P.p_width});
  r.dp_zero = dp.defined() && !P.dp_assigns;
  for (int par = 0; par < 2; ++par)
    for (int64_t w : P.state_width) r.ds[par].push_back(zeroed({B, w}));
  // dGEMM_t and dSaved are zeroed by the program at the start of each step.
  auto scratch = [&](const Shape& s) {
    keep.push_back(be.empty(s, P.dtype));
    return keep.back().data<T>();
  };
  for (int64_t w : P.gemm_width) r.dgemm.push_back(scratch({steps, B, w}));
  for (int64_t w : P.dsaved_width) r.dsaved.push_back(scratch({B, w}));
  for (std::size_t e = 0; e < P.ext_use.size(); ++e)
    r.dunit.push_back(P.ext_use[e] == ExtUse::vector && dext[e].defined()
                          ? zeroed({B, P.ext_numel[e]})
                          : nullptr);
  // Vector externs that need no gradient still get a sink (their instructions run anyway).
  for (std::size_t e = 0; e < P.ext_use.size(); ++e)
    if (!r.dunit[e] && P.ext_use[e] == ExtUse::vector) r.dunit[e] = zeroed({B, P.ext_numel[e]});
  r.dpacked = dpacked.data<T>();

  if (P.diagonal) {
    const std::vector<Instr>& prog = P.levels[0].bwd;
    r.over_rows(P.bwd_work * steps, [&](int64_t r0, int64_t r1, T* scr, T* dscr, T** base,
                                        int64_t* rs, T** ptr) {
      for (int64_t t = steps - 1; t >= 0; --t)
        r.rows(prog, t, r0, r1, scr, dscr, base, rs, ptr, r.dp_zero);
    }, diagonal_block(B), kDiagonalWork);
  } else {
    r.pack_weights(true);
    for (int64_t t = steps - 1; t >= 0; --t)
      for (auto L = P.levels.rbegin(); L != P.levels.rend(); ++L) {
        int64_t work = 0;
        for (const Instr& in : L->bwd) work += in.w;
        const bool zero_dp = r.dp_zero && L == P.levels.rbegin();
        if (zero_dp) work = std::max<int64_t>(work, P.p_width);
        r.over_rows(work, [&](int64_t r0, int64_t r1, T* scr, T* dscr, T** base, int64_t* rs,
                              T** ptr) { r.rows(L->bwd, t, r0, r1, scr, dscr, base, rs, ptr, zero_dp); });
        for (const GemmOp& g : L->gemms) r.gemm_backward(g, t);
      }
    // Weight gradients over all steps at once.
    for (const Level& L : P.levels)
      for (const GemmOp& g : L.gemms) {
        const T* dout = r.dgemm[static_cast<std::size_t>(g.id)];
        Tensor& dw = dext[static_cast<std::size_t>(g.w_ext)];
        if (dw.defined()) {
          std::vector<T*> base(P.slots.size());
          std::vector<int64_t> rs(P.slots.size());
          r.resolve(0, nullptr, nullptr, base.data(), rs.data());
          const auto sa = static_cast<std::size_t>(g.a.slot);
          const T* a_all = base[sa] + g.a.off;
          if (!g.tb)
            cpu_gemm(true, false, g.k, g.n, steps * B, T(1), a_all, rs[sa], dout, g.n, T(1),
                     dw.data<T>(), g.n);
          else
            cpu_gemm(true, false, g.n, g.k, steps * B, T(1), dout, g.n, a_all, rs[sa], T(1),
                     dw.data<T>(), g.k);
        }
        if (g.bias_ext >= 0 && dext[static_cast<std::size_t>(g.bias_ext)].defined()) {
          T* db = dext[static_cast<std::size_t>(g.bias_ext)].data<T>();
          for (int64_t row = 0; row < steps * B; ++row)
            for (int64_t j = 0; j < g.n; ++j) db[j] += dout[row * g.n + j];
        }
      }
  }
  for (std::size_t e = 0; e < P.ext_use.size(); ++e)
    if (P.ext_use[e] == ExtUse::vector && dext[e].defined()) {
      T* d = dext[e].data<T>();
      const int64_t n = P.ext_numel[e];
      for (int64_t row = 0; row < B; ++row)
        for (int64_t j = 0; j < n; ++j) d[j] += r.dunit[e][row * n + j];
    }
  // After t = 0 the gradient of s_0 sits in dS_prev(0) = ds[1].
  for (std::size_t k = 0; k < P.state_width.size(); ++k) {
    ds0[k] = be.empty({B, P.state_width[k]}, P.dtype);
    std::memcpy(ds0[k].data<T>(), r.ds[1][k], sizeof(T) * static_cast<std::size_t>(B * P.state_width[k]));
  }
}

}  // namespace

void start_packed(int64_t steps, int64_t B, DType dt, const std::vector<int64_t>& state_width,
                  int64_t W, const std::vector<Tensor>& s0, Buffers& buf) {
  const std::size_t es = dtype_size(dt);
  buf.full = backend_for(Device::cpu).empty({steps + 1, B, W}, dt);
  buf.packed = tail_view(buf.full);
  char* f = static_cast<char*>(buf.full.raw());
  int64_t off = 0;
  for (std::size_t k = 0; k < s0.size(); ++k) {
    const int64_t w = state_width[k];
    const char* src = static_cast<const char*>(s0[k].raw());
    for (int64_t b = 0; b < B; ++b)
      std::memcpy(f + static_cast<std::size_t>(b * W + off) * es,
                  src + static_cast<std::size_t>(b * w) * es, es * static_cast<std::size_t>(w));
    off += w;
  }
}

Tensor tail_view(const Tensor& full) {
  const int64_t block = full.dim(1) * full.dim(2);
  const std::size_t skip = static_cast<std::size_t>(block) * dtype_size(full.dtype());
  auto st = std::make_shared<Storage>();
  st->data = static_cast<char*>(full.raw()) + skip;
  st->bytes = static_cast<std::size_t>(full.numel()) * dtype_size(full.dtype()) - skip;
  st->device = full.device();
  Tensor keep = full;
  st->release = [keep](void*, std::size_t) {};
  return Tensor({full.dim(0) - 1, full.dim(1), full.dim(2)}, full.dtype(), full.device(),
                std::move(st));
}

void run_forward(const Program& prog, const Tensor& p, const std::vector<Tensor>& s0,
                 const Tensor& mask, const std::vector<Tensor>& ext, Buffers& buf) {
  if (prog.dtype == DType::f64) forward_t<double>(prog, p, s0, mask, ext, buf);
  else forward_t<float>(prog, p, s0, mask, ext, buf);
}

void run_backward(const Program& prog, const Tensor& p, const Tensor& mask,
                  const std::vector<Tensor>& ext, const Buffers& buf, const Tensor& dpacked,
                  Tensor& dp, std::vector<Tensor>& ds0, std::vector<Tensor>& dext) {
  ds0.resize(prog.state_width.size());
  if (prog.dtype == DType::f64) backward_t<double>(prog, p, mask, ext, buf, dpacked, dp, ds0, dext);
  else backward_t<float>(prog, p, mask, ext, buf, dpacked, dp, ds0, dext);
}

}  // namespace rnnlab::compiler
