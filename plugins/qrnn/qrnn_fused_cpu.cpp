// Fused QRNN pooling for the CPU: the whole recurrence over time is one tape node.
//
// The pooling is elementwise, so the work is split into tiles of (batch row b, block of hidden
// units j) run in parallel (cpu_parallel_for); each tile walks the time axis sequentially.
// P holds activated gates [z, f, o, i] (qrnn_cell.h); c_{-1} = c0 (pooling f: h0).
// Forward, t = 0..T-1: the pooling per element (qrnn_maths.h); a padded row copies the state.
// Backward, t = T-1..0, dh/dc = gradients flowing into state t (plus the packed gradient): the
//   gate gradients and dh/dc of state t-1 per element (qrnn_maths.h); padded rows pass dh, dc
//   through and get dP = 0. After t = 0, dh and dc are the gradients of h0 and c0.
#include <algorithm>
#include <cstring>

#include "qrnn_cell.h"
#include "rnnlab/cpu_kernels.h"
#include "rnnlab/error.h"

namespace rnnlab::qrnn {

namespace {

constexpr int64_t kTile = 256;  // hidden units per tile

// One tile of one step (maths in qrnn_maths.h). p: the row's gates, c_prev: previous state (c,
// or h for pooling f), h_out/c_out: this step's state (the same pointer for pooling f).
template <typename T, Pooling M>
RNNLAB_SIMD_CLONES void forward_tile(const T* p, const T* c_prev, T* h_out, T* c_out, int64_t h,
                                     int64_t j0, int64_t j1) {
  for (int64_t j = j0; j < j1; ++j) {
    const Gates<T> g = load_gates<M>(p, h, j);
    const T c = next_c<M>(g, c_prev[j]);
    if constexpr (M != Pooling::f) c_out[j] = c;
    h_out[j] = next_h<M>(g, c);
  }
}

// dh, dc: gradients into the state of this step on entry, of the previous step on exit.
template <typename T, Pooling M>
RNNLAB_SIMD_CLONES void backward_tile(const T* p, const T* c_prev, const T* c_t, T* dh, T* dc,
                                      T* dp, int64_t h, int64_t j0, int64_t j1) {
  for (int64_t j = j0; j < j1; ++j) {
    T dh_j = dh[j], dc_j = M == Pooling::f ? T(0) : dc[j];
    const T c_j = M == Pooling::f ? T(0) : c_t[j];
    add_gates<M>(dp, h, j, backward<M>(load_gates<M>(p, h, j), c_prev[j], c_j, dh_j, dc_j));
    dh[j] = dh_j;
    if constexpr (M != Pooling::f) dc[j] = dc_j;
  }
}

// The work is split into tiles of (batch row, kTile hidden units): `tiles` in all, each walking
// the time axis; `grain` tiles per parallel task.
struct Tiles {
  int64_t per_row, count, grain;
  explicit Tiles(const PoolingDims& d)
      : per_row((d.h + kTile - 1) / kTile),
        count(d.batch * per_row),
        grain(std::max<int64_t>(1, 16384 / std::max<int64_t>(1, d.steps * kTile))) {}
};

template <typename T, Pooling M>
void forward_all(const PoolingDims& d, const T* P, const T* H0, const T* C0, const T* Mk, T* S) {
  const int64_t h = d.h, c_off = M == Pooling::f ? 0 : h;
  const Tiles tiles(d);
  cpu_parallel_for(tiles.count, tiles.grain, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t b = s / tiles.per_row, j0 = (s % tiles.per_row) * kTile;
      const int64_t j1 = std::min(h, j0 + kTile);
      for (int64_t t = 0; t < d.steps; ++t) {
        const int64_t row = t * d.batch + b;
        const T* prev = t == 0 ? nullptr : S + (row - d.batch) * d.width;
        const T* h_prev = prev ? prev : H0 + b * h;
        const T* c_prev = prev ? prev + c_off : (M == Pooling::f ? H0 : C0) + b * h;
        T* out = S + row * d.width;
        if (Mk && Mk[row] == T(0)) {
          std::copy(h_prev + j0, h_prev + j1, out + j0);
          if (c_off) std::copy(c_prev + j0, c_prev + j1, out + c_off + j0);
          continue;
        }
        forward_tile<T, M>(P + row * d.gates, c_prev, out, out + c_off, h, j0, j1);
      }
    }
  });
}

template <typename T, Pooling M>
void backward_all(const PoolingDims& d, const T* P, const T* H0, const T* C0, const T* Mk,
                  const T* S, const T* dS, T* DH, T* DC, T* DP) {
  const int64_t h = d.h, c_off = M == Pooling::f ? 0 : h;
  const Tiles tiles(d);
  cpu_parallel_for(tiles.count, tiles.grain, [&](int64_t s0, int64_t s1) {
    for (int64_t s = s0; s < s1; ++s) {
      const int64_t b = s / tiles.per_row, j0 = (s % tiles.per_row) * kTile;
      const int64_t j1 = std::min(h, j0 + kTile);
      T* dh = DH + b * h;
      T* dc = DC + b * h;
      for (int64_t t = d.steps - 1; t >= 0; --t) {
        const int64_t row = t * d.batch + b;
        const T* g_row = dS + row * d.width;
        for (int64_t j = j0; j < j1; ++j) dh[j] += g_row[j];
        if (c_off)
          for (int64_t j = j0; j < j1; ++j) dc[j] += g_row[c_off + j];
        if (Mk && Mk[row] == T(0)) continue;
        const T* c_prev =
            t == 0 ? (M == Pooling::f ? H0 : C0) + b * h : S + (row - d.batch) * d.width + c_off;
        backward_tile<T, M>(P + row * d.gates, c_prev, S + row * d.width + c_off, dh, dc,
                            DP + row * d.gates, h, j0, j1);
      }
    }
  });
}

template <typename T, Pooling M>
Var run(Tape& tape, const Var& p, const Var& h0, const Var& c0, const Var& mask) {
  Backend& be = tape.backend();
  const PoolingDims d = pooling_dims(M, p, h0, "qrnn_fused_cpu");
  Tensor packed = be.empty({d.steps, d.batch, d.width}, p.dtype());
  const T* Mk = optional_value<T>(mask);
  const T* C0 = M == Pooling::f ? nullptr : optional_value<T>(c0);
  forward_all<T, M>(d, p.value().data<T>(), h0.value().data<T>(), C0, Mk, packed.data<T>());

  const bool has_c = M != Pooling::f, has_mask = mask.valid();
  std::vector<Var> inputs{p, h0};
  if (has_c) inputs.push_back(c0);
  if (has_mask) inputs.push_back(mask);
  return tape.record(packed, inputs, [d, has_c, has_mask](BackwardContext& ctx) {
    Backend& be = ctx.backend();
    const DType dt = ctx.out().dtype();
    const int c_in = has_c ? 2 : -1, m_in = has_c ? 3 : 2;
    Tensor dh = be.empty({d.batch, d.h}, dt), dc = be.empty({d.batch, d.h}, dt);
    be.fill(dh, 0.0);
    be.fill(dc, 0.0);
    Tensor dp_scratch;
    if (!ctx.needs(0)) {
      dp_scratch = be.empty(ctx.in(0).shape(), dt);
      be.fill(dp_scratch, 0.0);
    }
    T* DP = ctx.needs(0) ? ctx.grad_in(0).data<T>() : dp_scratch.data<T>();
    backward_all<T, M>(d, ctx.in(0).data<T>(), ctx.in(1).data<T>(),
                       optional_input<T>(ctx, c_in, has_c), optional_input<T>(ctx, m_in, has_mask),
                       ctx.out().data<T>(), ctx.grad_out().data<T>(), dh.data<T>(), dc.data<T>(),
                       DP);
    if (ctx.needs(1)) be.axpby(1.0, dh, 1.0, ctx.grad_in(1));
    if (has_c && ctx.needs(c_in)) be.axpby(1.0, dc, 1.0, ctx.grad_in(c_in));
  });
}

}  // namespace

const QrnnKernels qrnn_fused_cpu = RNNLAB_QRNN_KERNELS(run);

}  // namespace rnnlab::qrnn
