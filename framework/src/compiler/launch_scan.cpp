// Step compiler: the launch of a scan plan's emitted kernels (emit_scan_cuda.cpp) on a
// KernelDevice, device-independent host code; computes what exec_scan.cpp computes (scan.h),
// with the same buffers. A part runs once over all T*B rows (one slot table; the per-batch-row
// constants it reads, [B,w], are tiled T times); the scan's own kernels run per state.
//
// Forward, stage by stage: part fwd (grid T*B); per state of a recurrent stage: fold, carry,
// apply. Then the output part. Backward: dP filled with 0 when no part writes it (else the
// first part's kernel zeroes or assigns its rows); the output part's bwd; per stage from the
// last, per state: D = the packed gradient's columns + what later parts sent (copy_rows,
// add_rows), G by rev_fold / rev_carry / rev_apply (recurrent) or G = D, the seeds (seed),
// the part's bwd, its per-unit sums (sum_rows over T*B rows); ds0 gets what parts sent to
// s_{-1} at t = 0.
#include <algorithm>
#include <map>

#include "compiler/launch.h"
#include "compiler/scan.h"
#include "rnnlab/error.h"

namespace rnnlab::compiler {

namespace {

struct ScanLaunch {
  const ScanPlan& S;
  const std::string& name;
  KernelDevice& dev;
  Backend& be;
  int64_t steps = 0, B = 0, G = 0, W = 0, C = 0, es = 0, y_off = 0;
  std::vector<int64_t> off;
  Addr p = 0, mask = 0, full = 0, dp = 0, dpacked = 0;
  std::vector<Addr> saved, a_buf, b_buf;
  const std::vector<Tensor>& ext;
  std::map<const ScanPart*, std::vector<Addr>> contrib;
  std::vector<Tensor> keep;

  ScanLaunch(const ScanPlan& plan, const std::string& n, KernelDevice& d, const Tensor& p_t,
             const Tensor& mask_t, const std::vector<Tensor>& ext_t)
      : S(plan), name(n), dev(d), be(d.backend()), ext(ext_t) {
    steps = p_t.dim(0);
    B = p_t.dim(1);
    G = p_t.dim(2);
    W = plan.packed_width();
    C = std::min<int64_t>(steps, kScanChunks);
    es = static_cast<int64_t>(dtype_size(plan.dtype));
    for (int64_t w : plan.state_width) off.push_back(std::exchange(y_off, y_off + w));
    p = addr(p_t);
    mask = addr(mask_t);
  }

  Addr at(Addr b, int64_t elems) const { return b ? b + static_cast<Addr>(elems * es) : 0; }
  Tensor alloc(const Shape& s, bool zero) {
    Tensor t = be.empty(s, S.dtype);
    if (zero) be.fill(t, 0.0);
    keep.push_back(t);
    return t;
  }
  int64_t width(int32_t k) const { return S.state_width[static_cast<std::size_t>(k)]; }
  void buffers(const Buffers& buf) {
    full = addr(buf.full);
    for (const Tensor& t : buf.saved) saved.push_back(addr(t));
    a_buf.assign(S.state_width.size(), 0);
    b_buf.assign(S.state_width.size(), 0);
    for (const ScanStage& st : S.stages)
      for (std::size_t i = 0; i < st.states.size(); ++i) {
        const auto k = static_cast<std::size_t>(st.states[i]);
        if (st.a_buffer[i] >= 0) a_buf[k] = saved[static_cast<std::size_t>(st.a_buffer[i])];
        if (st.b_buffer[i] >= 0) b_buf[k] = saved[static_cast<std::size_t>(st.b_buffer[i])];
      }
  }

  // A part's kernel `dir` over all T*B rows; seed: its dpacked (coefficient parts, backward).
  void part(const ScanPart& part, const std::string& prefix, const char* dir, Addr seed,
            std::vector<Tensor>* dext) {
    const Program& P = *part.prog;
    const int64_t rows = steps * B, n_out = static_cast<int64_t>(part.outs.size());
    const int64_t row_scratch = std::max<int64_t>(1, P.scratch + P.dscratch);
    const Addr scratch = addr(alloc({rows, row_scratch}, false));
    int64_t widest = 1, pw = 0, dsaved_w = 0;
    for (int64_t w : P.state_width) pw += w;
    for (const SlotDesc& d : P.slots) widest = std::max(widest, d.width);
    for (int64_t w : P.dsaved_width) dsaved_w += w;
    const Addr zeros = addr(alloc({widest}, true));
    const Addr dsaved = addr(alloc({rows, std::max<int64_t>(1, dsaved_w)}, false));
    std::vector<Addr> base(P.slots.size(), 0);
    std::vector<int64_t> rs(P.slots.size(), 0);
    std::vector<std::pair<Addr, const SlotDesc*>> dunit;
    int64_t dsaved_off = 0;
    for (std::size_t s = 0; s < P.slots.size(); ++s) {
      const SlotDesc& d = P.slots[s];
      Addr b = 0;
      int64_t r = d.width;
      switch (d.kind) {
        case Slot::p: b = p; r = G; break;
        case Slot::s_prev: {
          const ScanPart::Leaf& lf = part.leaves[static_cast<std::size_t>(d.id - n_out)];
          b = at(full, (lf.next ? B * W : 0) + off[static_cast<std::size_t>(lf.state)]);
          r = W;
        } break;
        case Slot::s_next: {
          const ScanPart::Out& o = part.outs[static_cast<std::size_t>(d.id)];
          const auto k = static_cast<std::size_t>(o.state);
          if (o.to == ScanPart::To::a || (o.to == ScanPart::To::b && b_buf[k])) {
            b = o.to == ScanPart::To::a ? a_buf[k] : b_buf[k];
            r = width(o.state);
          } else {
            b = at(full, B * W + (o.to == ScanPart::To::b ? off[k] : y_off));
            r = W;
          }
        } break;
        case Slot::saved: b = saved[static_cast<std::size_t>(part.saved[static_cast<std::size_t>(d.id)])]; break;
        case Slot::scratch: b = at(scratch, d.offset); r = row_scratch; break;
        case Slot::dscratch: b = at(scratch, P.scratch + d.offset); r = row_scratch; break;
        case Slot::ext_unit: b = ext_of(part, d.id, 1); r = 0; break;
        case Slot::ext_row: b = ext_of(part, d.id, steps); break;  // tiled: [T*B, w]
        case Slot::mask: b = mask; r = 1; break;
        case Slot::dp: b = dp; r = G; break;
        case Slot::ds_cur: b = zeros; r = 0; break;
        case Slot::ds_prev:
          if (d.id < n_out) {
            b = zeros;  // never written: the plan drops the zeroing of the outputs' adjoints
            r = 0;
          } else if (auto it = contrib.find(&part); it != contrib.end()) {
            b = it->second[static_cast<std::size_t>(d.id - n_out)];
          }
          break;
        case Slot::dsaved:
          b = at(dsaved, std::exchange(dsaved_off, dsaved_off + d.width));
          r = dsaved_w;
          break;
        case Slot::dpacked:
          if (part.outs[0].to == ScanPart::To::y) {
            b = at(dpacked, y_off);
            r = W;
          } else {
            b = seed;
            r = pw;
          }
          break;
        case Slot::dunit:
          b = addr(alloc({rows, d.width}, true));
          dunit.push_back({b, &d});
          break;
        case Slot::gemm: case Slot::dgemm: case Slot::y: break;  // none in a part
      }
      base[s] = b;
      rs[s] = r;
    }
    static_assert(sizeof(Addr) == 8 && sizeof(int64_t) == 8);
    const auto ns = static_cast<int64_t>(std::max<std::size_t>(1, P.slots.size()));
    Tensor base_dev = alloc({ns}, false), rs_dev = alloc({ns}, false);
    if (S.dtype != DType::f64) {  // the tables are 8-byte elements whatever the program's type
      base_dev = be.empty({ns}, DType::f64);
      rs_dev = be.empty({ns}, DType::f64);
      keep.push_back(base_dev);
      keep.push_back(rs_dev);
    }
    be.upload(base.data(), base_dev);
    be.upload(rs.data(), rs_dev);
    Addr bp = addr(base_dev), rp = addr(rs_dev);
    void* args[] = {&bp, &rp};
    dev.launch(prefix + "_L0_" + dir, rows, args);
    if (dext)
      for (const auto& [acc, d] : dunit) {
        Tensor& g = (*dext)[static_cast<std::size_t>(d->id)];
        if (d->id >= S.ext_count || !g.defined()) continue;
        Addr dg = addr(g), a = acc;
        long long nr = rows, nn = d->width;
        void* sargs[] = {&dg, &a, &nr, &nn};
        dev.launch(prefix + "_sum_rows", (d->width + dev.block_threads() - 1) / dev.block_threads(), sargs);
      }
  }

  // An extern of a part on the device (the plan's constants are uploaded); a per-row one,
  // [B,w], tiled `tiles` times to [tiles*B, w] so that row t*B + b reads row b.
  Addr ext_of(const ScanPart& part, int32_t id, int64_t tiles) {
    Tensor src;
    if (id < S.ext_count) {
      src = ext[static_cast<std::size_t>(id)];
    } else {
      const Tensor& host = part.consts[static_cast<std::size_t>(id - S.ext_count)];
      src = alloc(host.shape(), false);
      be.upload(host.raw(), src);
    }
    if (tiles == 1) return addr(src);
    const int64_t n = src.numel();
    Tensor d = alloc({tiles * n}, false);
    be.block_copy(src, d, {tiles, n, 0, 0, n, 0}, false);
    return addr(d);
  }

  // A scan kernel over n threads.
  void scan_kernel(const std::string& k, int64_t n, std::vector<void*> args) {
    const int64_t th = dev.block_threads();
    dev.launch(name + "_" + k, (n + th - 1) / th, args.data());
  }
};

// The constant a_k (0 or 1) and its row buffer, as the kernels take them.
struct Coefs {
  Addr a = 0;
  double ac = 0;
  long long a_rs = 0;
};

}  // namespace

void run_scan_forward_kernels(const ScanPlan& S, const std::string& name, KernelDevice& dev,
                              const Tensor& p, const std::vector<Tensor>& s0, const Tensor& mask,
                              const std::vector<Tensor>& ext, Buffers& buf) {
  ScanLaunch L(S, name, dev, p, mask, ext);
  Backend& be = L.be;
  const int64_t steps = L.steps, B = L.B, W = L.W;
  buf.full = be.empty({steps + 1, B, W}, S.dtype);
  buf.packed = tail_view(buf.full);
  for (std::size_t k = 0; k < s0.size(); ++k) {
    const int64_t w = S.state_width[k];
    be.block_copy(s0[k], buf.full, {B, w, w, 0, W, L.off[k]}, false);
  }
  buf.saved = S.alloc_saved(be, steps, B);
  L.buffers(buf);
  long long T_ = steps, B_ = B, C_ = L.C;
  for (std::size_t si = 0; si < S.stages.size(); ++si) {
    const ScanStage& st = S.stages[si];
    L.part(st.part, name + "_s" + std::to_string(si), "fwd", 0, nullptr);
    if (!st.recurrent) continue;
    for (std::size_t i = 0; i < st.states.size(); ++i) {
      const int32_t k = st.states[i];
      const auto kk = static_cast<std::size_t>(k);
      long long S_ = L.width(k), W_ = W, s_rs = W;
      Addr a = L.a_buf[kk], m = L.mask;
      // The kernels take the constant in the program's type.
      double ac = st.a[i] == Coef::one ? 1.0 : 0.0;
      float acf = static_cast<float>(ac);
      void* acp = S.dtype == DType::f64 ? static_cast<void*>(&ac) : static_cast<void*>(&acf);
      long long a_rs = S_;
      Addr b = L.b_buf[kk] ? L.b_buf[kk] : L.at(L.full, B * W + L.off[kk]);
      long long b_rs = L.b_buf[kk] ? S_ : W_;
      Addr comp = addr(L.alloc({L.C * 2 * B * S_}, false));
      Addr start = addr(L.alloc({L.C * B * S_}, false));
      Addr s0a = L.at(L.full, L.off[kk]);
      Addr s = L.at(L.full, B * W + L.off[kk]);
      L.scan_kernel("fold", L.C * B * S_, {&a, acp, &a_rs, &b, &b_rs, &m, &comp, &T_, &B_, &S_, &C_});
      L.scan_kernel("carry", B * S_, {&comp, &s0a, &W_, &start, &B_, &S_, &C_});
      L.scan_kernel("apply", L.C * B * S_,
                    {&a, acp, &a_rs, &b, &b_rs, &s, &s_rs, &m, &start, &T_, &B_, &S_, &C_});
    }
  }
  for (const ScanPart& y : S.y) L.part(y, name + "_y", "fwd", 0, nullptr);
}

void run_scan_backward_kernels(const ScanPlan& S, const std::string& name, KernelDevice& dev,
                               const Tensor& p, const Tensor& mask, const std::vector<Tensor>& ext,
                               const Buffers& buf, const Tensor& dpacked, Tensor& dp,
                               std::vector<Tensor>& ds0, std::vector<Tensor>& dext) {
  ScanLaunch L(S, name, dev, p, mask, ext);
  const int64_t steps = L.steps, B = L.B, W = L.W;
  L.buffers(buf);
  Tensor dp_buf = dp.defined() ? dp : L.alloc(p.shape(), false);
  if (S.dp_fill) L.be.fill(dp_buf, 0.0);
  L.dp = addr(dp_buf);
  L.dpacked = addr(dpacked);
  auto add_contrib = [&](const ScanPart& part) {
    std::vector<Addr>& v = L.contrib[&part];
    for (const ScanPart::Leaf& lf : part.leaves)
      v.push_back(addr(L.alloc({steps, B, L.width(lf.state)}, false)));
  };
  ds0.assign(S.state_width.size(), Tensor{});
  for (std::size_t k = 0; k < S.state_width.size(); ++k)
    ds0[k] = L.alloc({B, S.state_width[k]}, true);
  long long T_ = steps, B_ = B, C_ = L.C, W_ = W, rows = steps * B;
  for (const ScanPart& y : S.y) {
    add_contrib(y);
    L.part(y, name + "_y", "bwd", 0, &dext);
  }
  for (std::size_t si = S.stages.size(); si-- > 0;) {
    const ScanStage& st = S.stages[si];
    add_contrib(st.part);
    long long pw = 0;
    std::vector<long long> out_off;
    for (const ScanPart::Out& o : st.part.outs) out_off.push_back(std::exchange(pw, pw + L.width(o.state)));
    Addr seed = addr(L.alloc({steps * B, pw}, false));
    for (std::size_t i = 0; i < st.states.size(); ++i) {
      const int32_t k = st.states[i];
      const auto kk = static_cast<std::size_t>(k);
      long long S_ = L.width(k);
      // D = the packed gradient's columns of s_t,k + what the later parts sent.
      Addr d = addr(L.alloc({steps, B, S_}, false));
      Addr src = L.at(L.dpacked, L.off[kk]);
      L.scan_kernel("copy_rows", rows * S_, {&d, &S_, &src, &W_, &rows, &S_});
      for (const auto& [q, bufs] : L.contrib)
        for (std::size_t li = 0; li < q->leaves.size(); ++li) {
          if (q->leaves[li].state != k) continue;
          Addr c = bufs[li];
          long long n_rows = rows;
          if (!q->leaves[li].next) {  // s_{t-1}'s adjoint from step t: row t-1 of D
            c = L.at(c, B * S_);
            n_rows = (steps - 1) * B;
          }
          L.scan_kernel("add_rows", n_rows * S_, {&d, &S_, &c, &S_, &n_rows, &S_});
        }
      Addr g = d;
      if (st.recurrent) {
        Addr a = L.a_buf[kk], m = L.mask;
        double ac = st.a[i] == Coef::one ? 1.0 : 0.0;
        float acf = static_cast<float>(ac);
        void* acp = S.dtype == DType::f64 ? static_cast<void*>(&ac) : static_cast<void*>(&acf);
        long long a_rs = S_;
        Addr comp = addr(L.alloc({L.C * 2 * B * S_}, false));
        Addr gin = addr(L.alloc({L.C * B * S_}, false));
        g = addr(L.alloc({steps, B, S_}, false));
        Addr d0 = addr(ds0[kk]);
        L.scan_kernel("rev_fold", L.C * B * S_, {&a, acp, &a_rs, &m, &d, &S_, &comp, &T_, &B_, &S_, &C_});
        L.scan_kernel("rev_carry", B * S_, {&comp, &gin, &B_, &S_, &C_});
        L.scan_kernel("rev_apply", L.C * B * S_,
                      {&a, acp, &a_rs, &m, &d, &S_, &gin, &g, &d0, &T_, &B_, &S_, &C_});
      }
      for (std::size_t q = 0; q < st.part.outs.size(); ++q) {
        const ScanPart::Out& o = st.part.outs[q];
        if (o.state != k) continue;
        Addr sd = L.at(seed, out_off[q]);
        Addr sprev = o.to == ScanPart::To::a ? L.at(L.full, L.off[kk]) : 0;
        Addr m = L.mask;
        L.scan_kernel("seed", rows * S_, {&sd, &pw, &g, &sprev, &W_, &m, &rows, &S_});
      }
    }
    L.part(st.part, name + "_s" + std::to_string(si), "bwd", seed, &dext);
  }
  // What the parts sent to s_{-1} = s_0 at t = 0.
  for (const auto& [q, bufs] : L.contrib)
    for (std::size_t li = 0; li < q->leaves.size(); ++li) {
      if (q->leaves[li].next) continue;
      const auto kk = static_cast<std::size_t>(q->leaves[li].state);
      Addr d = addr(ds0[kk]), c = bufs[li];
      long long S_ = L.width(q->leaves[li].state), n_rows = B;
      L.scan_kernel("add_rows", B * S_, {&d, &S_, &c, &S_, &n_rows, &S_});
    }
}

}  // namespace rnnlab::compiler
