// Step compiler, stage 2 output: a lowered step program (internal).
//
// A step is a list of levels. Level l runs its GEMMs (backend GEMMs, [B,K] x [K,N]) and then
// its elementwise region: ONE pass over the batch rows, each row a short list of instructions
// over row vectors that stay in L1. Level 0 has no GEMMs. Backward runs the levels in reverse:
// the region's derived reverse program (bwd), then the GEMMs' dA = dOut Wᵀ; the weight
// gradients dW = Aᵀ dOut of every step are one GEMM per weight after the time loop.
//
// Operands are (slot, column offset). A slot is a row-addressed buffer resolved per step t:
// ptr(row) = base(t) + row * row_stride. Forward slots: P_t, s_{t-1,k}, s_{t,k}, GEMM outputs,
// saved values ([T,B,w], kept for the backward), scratch (per task, not kept), y_t, m_t and
// externs (per-unit vectors: stride 0; [B,w] constants). Backward slots: dP_t, dS_cur/dS_prev
// (gradient of s_t coming in, of s_{t-1} going out), dGEMM_t, dSaved (per step), the
// gradient of the packed output at t, per-row accumulators of extern vector gradients, and
// backward scratch.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnlab/backend.h"

namespace rnnlab::compiler {

enum class Slot : uint8_t {
  p, s_prev, s_next, gemm, saved, scratch, ext_unit, ext_row, mask, y,
  dp, ds_cur, ds_prev, dgemm, dsaved, dpacked, dunit, dscratch
};

struct SlotDesc {
  Slot kind = Slot::scratch;
  int32_t id = 0;          // state k, gemm g, saved v, ext e
  int64_t width = 0;       // row stride (0 for ext_unit), scratch: its width
  int64_t offset = 0;      // scratch / dscratch: offset in the task's scratch buffer
};

struct Ref {
  int32_t slot = -1;
  int64_t off = 0;
};

// d ⊕= F over w columns, operands a, b (one value per row with bs), c (one per row with cs)
// and y, by code:
//   op          F = forward of `op` (op_table.h) on (a, b), with the scalars s, t
//   op_grad_a   F = its grad_a from g = c, a, b, y (y: the op's forward output), s, t
//   op_grad_b   F = its grad_b, the same operands
//   red         d[0] = the row reduction `reduce` (op_table.h) of a[0..w), in fold_row's order
//   red_grad    F = its grad from g = c[0], a, y = y[0] (the reduction's output), s, at every
//               column, or (a `first` reduction) at its pick and 0 elsewhere
//   blend       F = c != 0 ? a : b                  (mask_blend: c the row mask)
//   g_if_c      F = c != 0 ? a : 0                  (its adjoints: a the incoming gradient)
//   g_if_not_c  F = c != 0 ? 0 : a
//   copy        F = a;  zero: d = 0
// Operands an op's adjoint does not read (op_table.h: `reads`) are never loaded.
//   store: assign d = F, acc d += F, reduce d[0] += Σ_j F
enum class Code : uint8_t {
  op, op_grad_a, op_grad_b, red, red_grad, blend, g_if_c, g_if_not_c, copy, zero
};
enum class Store : uint8_t { assign, acc, reduce };

struct Instr {
  Code code = Code::copy;
  Store store = Store::assign;
  bool bs = false, cs = false;
  ElemOp op = ElemOp::add;
  ReduceOp reduce = ReduceOp::sum_last;
  int64_t w = 0;
  double s = 0.0, t = 0.0;
  Ref d, a, b, c, y;
};

// out = a op(W) (+ bias), a [B,K] (row slot, uniformly strided over t), W an extern matrix.
struct GemmOp {
  int32_t id = 0;          // gemm slot id: G_all[id] [T,B,N]
  Ref a;                   // forward operand
  Ref da;                  // where dA = dOut op(W)ᵀ goes (-1 slot: no gradient)
  int32_t w_ext = -1, bias_ext = -1;  // extern indices
  bool tb = false;
  int64_t k = 0, n = 0;
};

struct Level {
  std::vector<GemmOp> gemms;
  std::vector<Instr> fwd, bwd;
};

enum class ExtUse : uint8_t { unused, matrix, vector, row };

struct Program {
  DType dtype = DType::f32;
  int64_t batch = 0, p_width = 0, hidden = 0;
  std::vector<int64_t> state_width;
  bool masked = false;
  bool y_in_packed = false;  // output(s) is not s_0: packed = [s_0..s_K-1, y]
  bool diagonal = false;     // no GEMM: each row runs the whole sequence on its own
  std::vector<SlotDesc> slots;
  std::vector<Level> levels;
  std::vector<int64_t> gemm_width;   // N per gemm id
  std::vector<int64_t> saved_width;  // w per saved id
  std::vector<int64_t> dsaved_width; // w per dsaved id
  std::vector<ExtUse> ext_use;       // per extern
  std::vector<int64_t> ext_numel;
  int64_t scratch = 0, dscratch = 0;  // per-row scratch sizes (elements)
  int64_t fwd_work = 0, bwd_work = 0; // Σ instruction widths (elements per row)
  bool dp_assigns = false;  // each dP_t column's first backward write is a store: no zeroing
  int64_t packed_width() const;
  // "diagonal, 1 level, 9+14 instructions" or "2 levels, 1 GEMM, ..."
  std::string describe() const;
};

}  // namespace rnnlab::compiler
