// Step compiler: the launch of the emitted kernels (launch.h), device-independent host code.
#include "compiler/launch.h"

#include <algorithm>
#include <cstring>

#include "rnnlab/error.h"

namespace rnnlab::compiler {

namespace {

// The device buffers of one call and the slot tables built from them.
struct Launch {
  const Program& P;
  const std::string& name;
  KernelDevice& dev;
  Backend& be;
  int64_t steps = 0, batch = 0, es = 0;  // es: bytes per element
  int64_t W = 0, y_off = 0;
  std::vector<int64_t> state_off;
  Addr p = 0, mask = 0, full = 0, scratch = 0;
  std::vector<Addr> gemm, saved, ext;
  Addr dp = 0, dpacked = 0;
  std::vector<Addr> ds[2], dgemm, dsaved, dunit;
  // Host copies of the tables ([T, ns]) and their device copies.
  std::vector<Addr> base;
  std::vector<int64_t> rs;
  Tensor base_dev, rs_dev;
  std::vector<Tensor> keep;  // device buffers owned by this call

  Launch(const Program& prog, const std::string& n, KernelDevice& d, const Tensor& p_t,
         const Tensor& mask_t, const std::vector<Tensor>& ext_t)
      : P(prog), name(n), dev(d), be(d.backend()) {
    steps = p_t.dim(0);
    batch = p_t.dim(1);
    es = static_cast<int64_t>(dtype_size(P.dtype));
    W = P.packed_width();
    for (int64_t w : P.state_width) {
      state_off.push_back(y_off);
      y_off += w;
    }
    p = addr(p_t);
    mask = addr(mask_t);
    for (const Tensor& e : ext_t) ext.push_back(addr(e));
    Tensor scr = be.empty({batch, std::max<int64_t>(1, P.scratch + P.dscratch)}, P.dtype);
    keep.push_back(scr);
    scratch = addr(scr);
  }

  Addr at(Addr b, int64_t elems) const { return b ? b + static_cast<Addr>(elems * es) : 0; }
  Tensor alloc(const Shape& s, bool zero) {
    Tensor t = be.empty(s, P.dtype);
    if (zero) be.fill(t, 0.0);
    keep.push_back(t);
    return t;
  }

  // Slot s at step t: base address and row stride (elements). exec_cpu.cpp's resolve(), but
  // scratch rows are strided per batch row.
  void resolve(int64_t t, Addr* b_out, int64_t* rs_out) const {
    const int64_t B = batch, row_scratch = std::max<int64_t>(1, P.scratch + P.dscratch);
    for (std::size_t s = 0; s < P.slots.size(); ++s) {
      const SlotDesc& d = P.slots[s];
      const auto id = static_cast<std::size_t>(d.id);
      int64_t r = d.width;
      Addr b = 0;
      switch (d.kind) {
        case Slot::p: b = at(p, t * B * r); break;
        case Slot::s_prev: b = at(full, t * B * W + state_off[id]); r = W; break;
        case Slot::s_next: b = at(full, (t + 1) * B * W + state_off[id]); r = W; break;
        case Slot::gemm: b = at(gemm[id], t * B * r); break;
        case Slot::saved: b = at(saved[id], t * B * r); break;
        case Slot::y: b = at(full, (t + 1) * B * W + y_off); r = W; break;
        case Slot::mask: b = at(mask, t * B); r = 1; break;
        case Slot::ext_unit: b = ext[id]; r = 0; break;
        case Slot::ext_row: b = ext[id]; break;
        case Slot::scratch: b = at(scratch, d.offset); r = row_scratch; break;
        case Slot::dp: b = at(dp, t * B * r); break;
        case Slot::ds_cur: b = ds[t % 2].empty() ? 0 : ds[t % 2][id]; break;
        case Slot::ds_prev: b = ds[(t + 1) % 2].empty() ? 0 : ds[(t + 1) % 2][id]; break;
        case Slot::dgemm: b = dgemm.empty() ? 0 : at(dgemm[id], t * B * r); break;
        case Slot::dsaved: b = dsaved.empty() ? 0 : dsaved[id]; break;
        case Slot::dpacked: b = at(dpacked, t * B * r); break;
        case Slot::dunit: b = dunit.empty() ? 0 : dunit[id]; break;
        case Slot::dscratch: b = at(scratch, P.scratch + d.offset); r = row_scratch; break;
      }
      b_out[s] = b;
      rs_out[s] = r;
    }
  }

  // Resolves every step and uploads the tables.
  void build_tables() {
    const auto ns = static_cast<int64_t>(P.slots.size());
    const auto n = static_cast<std::size_t>(std::max<int64_t>(1, steps * ns));
    base.assign(n, 0);
    rs.assign(n, 0);
    for (int64_t t = 0; t < steps; ++t)
      resolve(t, base.data() + t * ns, rs.data() + t * ns);
    // 8-byte elements: f64 tensors carry the raw addresses and strides.
    static_assert(sizeof(Addr) == 8 && sizeof(int64_t) == 8);
    base_dev = be.empty({static_cast<int64_t>(n)}, DType::f64);
    rs_dev = be.empty({static_cast<int64_t>(n)}, DType::f64);
    be.upload(base.data(), base_dev);
    be.upload(rs.data(), rs_dev);
  }

  // The region kernel `L<l>_<dir>` for step t, one block per row.
  void region(std::size_t l, const char* dir, int64_t t) {
    const auto ns = static_cast<int64_t>(P.slots.size());
    Addr b = addr(base_dev) + static_cast<Addr>(t * ns * 8);
    Addr r = addr(rs_dev) + static_cast<Addr>(t * ns * 8);
    void* args[] = {&b, &r};
    dev.launch(name + "_L" + std::to_string(l) + "_" + dir, batch, args);
  }

  // Slot s's address at step t plus column offset, and its row stride.
  Addr operand(const Ref& ref, int64_t t, int64_t* lda) const {
    const auto ns = static_cast<int64_t>(P.slots.size());
    const auto i = static_cast<std::size_t>(t * ns + ref.slot);
    *lda = rs[i];
    return at(base[i], ref.off);
  }

  void* ptr(Addr a) const { return reinterpret_cast<void*>(a); }

  void gemm_forward(const GemmOp& g, int64_t t) {
    Addr out = at(gemm[static_cast<std::size_t>(g.id)], t * batch * g.n);
    double beta = 0.0;
    if (g.bias_ext >= 0) {
      Addr bias = ext[static_cast<std::size_t>(g.bias_ext)];
      long long n = g.n;
      void* args[] = {&out, &bias, &n};
      dev.launch(name + "_bias_rows", batch, args);
      beta = 1.0;
    }
    int64_t lda = 0;
    const Addr a = operand(g.a, t, &lda);
    dev.gemm(false, g.tb, batch, g.n, g.k, ptr(a), lda, ptr(ext[static_cast<std::size_t>(g.w_ext)]),
             g.tb ? g.k : g.n, beta, ptr(out), g.n);
  }

  void gemm_backward(const GemmOp& g, int64_t t) {
    if (g.da.slot < 0) return;
    int64_t ldd = 0;
    const Addr da = operand(g.da, t, &ldd);
    if (!da) return;
    const Addr dout = at(dgemm[static_cast<std::size_t>(g.id)], t * batch * g.n);
    dev.gemm(false, !g.tb, batch, g.k, g.n, ptr(dout), g.n,
             ptr(ext[static_cast<std::size_t>(g.w_ext)]), g.tb ? g.k : g.n, 1.0, ptr(da), ldd);
  }

  // d[j] += Σ_r rows[r, j] over nrows rows (the CPU's order).
  void sum_rows(Addr d, Addr rows, int64_t nrows, int64_t n) {
    long long nr = nrows, nn = n;
    void* args[] = {&d, &rows, &nr, &nn};
    const int64_t threads = dev.block_threads();
    dev.launch(name + "_sum_rows", (n + threads - 1) / threads, args);
  }
};

}  // namespace

void run_forward_kernels(const Program& P, const std::string& name, KernelDevice& dev,
                         const Tensor& p, const std::vector<Tensor>& s0, const Tensor& mask,
                         const std::vector<Tensor>& ext, Buffers& buf) {
  Launch L(P, name, dev, p, mask, ext);
  Backend& be = L.be;
  const int64_t steps = L.steps, B = L.batch, W = L.W;
  buf.full = be.empty({steps + 1, B, W}, P.dtype);
  buf.packed = tail_view(buf.full);
  for (std::size_t k = 0; k < s0.size(); ++k) {
    const int64_t w = P.state_width[k];
    be.block_copy(s0[k], buf.full, {B, w, w, 0, W, L.state_off[k]}, false);
  }
  for (int64_t w : P.gemm_width) buf.gemm.push_back(be.empty({steps, B, w}, P.dtype));
  for (int64_t w : P.saved_width) buf.saved.push_back(be.empty({steps, B, w}, P.dtype));
  L.full = addr(buf.full);
  for (const Tensor& t : buf.gemm) L.gemm.push_back(addr(t));
  for (const Tensor& t : buf.saved) L.saved.push_back(addr(t));
  L.build_tables();
  for (int64_t t = 0; t < steps; ++t)
    for (std::size_t l = 0; l < P.levels.size(); ++l) {
      for (const GemmOp& g : P.levels[l].gemms) L.gemm_forward(g, t);
      L.region(l, "fwd", t);
    }
}

void run_backward_kernels(const Program& P, const std::string& name, KernelDevice& dev,
                          const Tensor& p, const Tensor& mask, const std::vector<Tensor>& ext,
                          const Buffers& buf, const Tensor& dpacked, Tensor& dp,
                          std::vector<Tensor>& ds0, std::vector<Tensor>& dext) {
  Launch L(P, name, dev, p, mask, ext);
  const int64_t steps = L.steps, B = L.batch;
  L.full = addr(buf.full);
  for (const Tensor& t : buf.gemm) L.gemm.push_back(addr(t));
  for (const Tensor& t : buf.saved) L.saved.push_back(addr(t));
  bool has_dp_slot = false;
  for (const SlotDesc& d : P.slots) has_dp_slot = has_dp_slot || d.kind == Slot::dp;
  // dP: assigned by the program, zeroed row by row by the top level's kernel, or (no dP slot
  // at all) filled here. Not wanted: a sink that is zeroed like a wanted one.
  Tensor dp_buf = dp.defined() ? dp : L.alloc({steps, B, P.p_width}, !has_dp_slot);
  if (dp.defined() && !has_dp_slot && !P.dp_assigns) L.be.fill(dp, 0.0);
  L.dp = addr(dp_buf);
  std::vector<Tensor> ds[2];
  for (int par = 0; par < 2; ++par)
    for (int64_t w : P.state_width) {
      ds[par].push_back(L.alloc({B, w}, true));
      L.ds[par].push_back(addr(ds[par].back()));
    }
  // dGEMM_t and dSaved are zeroed by the program at the start of each step.
  for (int64_t w : P.gemm_width) L.dgemm.push_back(addr(L.alloc({steps, B, w}, false)));
  for (int64_t w : P.dsaved_width) L.dsaved.push_back(addr(L.alloc({B, w}, false)));
  // Per-row accumulators of every per-unit vector extern (a sink when it needs no gradient).
  for (std::size_t e = 0; e < P.ext_use.size(); ++e)
    L.dunit.push_back(P.ext_use[e] == ExtUse::vector
                          ? addr(L.alloc({B, P.ext_numel[e]}, true))
                          : 0);
  L.dpacked = addr(dpacked);
  L.build_tables();

  for (int64_t t = steps - 1; t >= 0; --t)
    for (std::size_t l = P.levels.size(); l-- > 0;) {
      L.region(l, "bwd", t);
      for (const GemmOp& g : P.levels[l].gemms) L.gemm_backward(g, t);
    }
  // Weight and bias gradients over all steps at once.
  for (const Level& lv : P.levels)
    for (const GemmOp& g : lv.gemms) {
      const Addr dout = L.dgemm[static_cast<std::size_t>(g.id)];
      Tensor& dw = dext[static_cast<std::size_t>(g.w_ext)];
      if (dw.defined()) {
        int64_t lda = 0;
        const Addr a_all = L.operand(g.a, 0, &lda);
        if (!g.tb)
          dev.gemm(true, false, g.k, g.n, steps * B, L.ptr(a_all), lda, L.ptr(dout), g.n, 1.0,
                   dw.raw(), g.n);
        else
          dev.gemm(true, false, g.n, g.k, steps * B, L.ptr(dout), g.n, L.ptr(a_all), lda, 1.0,
                   dw.raw(), g.k);
      }
      if (g.bias_ext >= 0 && dext[static_cast<std::size_t>(g.bias_ext)].defined())
        L.sum_rows(addr(dext[static_cast<std::size_t>(g.bias_ext)]), dout, steps * B, g.n);
    }
  for (std::size_t e = 0; e < P.ext_use.size(); ++e)
    if (P.ext_use[e] == ExtUse::vector && dext[e].defined())
      L.sum_rows(addr(dext[e]), L.dunit[e], B, P.ext_numel[e]);
  // After t = 0 the gradient of s_0 sits in dS_prev(0) = ds[1].
  ds0 = ds[1];
}

}  // namespace rnnlab::compiler
