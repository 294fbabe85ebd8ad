// Step compiler: linear recurrences run as parallel scans over time (internal).
//
// A diagonal step (no GEMM on the recurrent path) whose every state k obeys
//     s_t,k = m_t ? a_t,k ⊙ s_{t-1,k} + b_t,k : s_{t-1,k}          (m_t: the mask, 1 unmasked)
// with a_t,k and b_t,k independent of s_{t-1,k} is a linear recurrence: minGRU
// (a = 1 - z, b = z ⊙ h̃), QRNN's pooling (a = f, b = (1 - f) ⊙ z), SRU 2017's c, a user's
// cell of the same form. Such a step need not walk t one step after another: everything that
// is not the recurrence runs in parallel over t, the recurrence itself as a chunked scan.
//
// Detection (scan_plan.cpp, on the traced Graph): the trace's mask blend is peeled off each
// next state (the driver folds the mask: a' = m ? a : 1, b' = m ? b : 0); then every node is
// classified, for the state k being analysed, as known (free of s_{t-1,k} and of the states
// not scanned yet) or affine A ⊙ s_{t-1,k} + B with known A, B:
//     s_{t-1,k}: (1, 0)      add/sub: A_u ± A_v, B_u ± B_v      scale, neg: s A, s B
//     mul(u, x), x known: (x A, x B)      div(u, x), x known: (A / x, B / x)
// anything else on an affine value (a product of two, sigmoid/tanh/relu/exp/log/square, max,
// a slice/concat that moves columns, a broadcast of it) declines with the reason. States are
// scanned in stages: stage 1 holds the states whose coefficients read no state; stage s+1 those
// whose coefficients read only states of earlier stages (their previous values s_{t-1,j} or
// their new values s_t,j, known once those are scanned): QRNN fo/ifo's h = o ⊙ c_t and SRU
// 2017's h = r ⊙ tanh(c_t) + (1 - r) ⊙ x are stage 2 with a ≡ 0 (unmasked: no scan at all,
// only a parallel pass). A state left over (e.g. SRU with v_f ⊙ c_{t-1} inside its gate: f,
// hence a, depends on c) declines.
//
// Each stage's coefficients a (unless the constant 0 or 1) and b (unless 0) are the outputs of
// a "part": a Graph built from the step's nodes plus the few ops that combine A and B, lowered
// by the ordinary lowerer (lower.cpp) into a one-level diagonal Program whose state inputs are
// the earlier stages' states (leaves) and whose "next states" are the coefficient rows; the
// output y = output(s_t) (when the cell overrides output()) is one more part reading the new
// states. Parts run through the row interpreter (interpret.h) with the slots resolved by the
// scan driver (exec_scan.cpp), never through op maths of their own.
//
// Forward, stage by stage, over C chunks of t (C = min(T, kScanChunks), fixed: the sums do not
// depend on the thread count):
//   1. parallel over chunks: the part at each t (a_t into its buffer, kept for the backward;
//      b_t straight into s_t's place in the packed output unless the part's backward reads it
//      back), folding (a', b') into the chunk's composite map
//      s_end = Π a' ⊙ s_start + Σ (Π later a') b';
//   2. sequential over chunks: the carry s_start of each chunk (s_{-1} = s_0: the stateful carry);
//   3. parallel over chunks: s_t = a'_t ⊙ s_{t-1} + b'_t from the chunk's s_start, in place.
//   Then the y part in parallel over t.
// Backward: the y part's reverse program in parallel over t; then each stage from the last,
// with G_t = the whole adjoint of s_t,k and D_t its direct part (the packed gradient of s_t,k
// plus what the y part and the later stages' parts send to s_t,k or, reading s_{t-1}, to
// s_{t-1,k} from step t+1):
//     G_t = D_t + a'_{t+1} ⊙ G_{t+1}   (G_T = 0: a reverse linear scan, chunked the same way)
//     da_t = m_t ? G_t ⊙ s_{t-1} : 0,  db_t = m_t ? G_t : 0 -> the part's reverse program
//     (dP_t, per-unit parameter gradients, the leaves' adjoints) in parallel over t;
//     ds_0 = a'_0 ⊙ G_0 (+ what the parts send to s_{-1} at t = 0).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/stages.h"

namespace rnnlab::compiler {
class KernelDevice;  // launch.h
}

namespace rnnlab::compiler {

// One lowered part (see above). Its program's state inputs are leaves: state index n_out + i
// is leaves[i]; its next states (index k < n_out) are outs[k].
struct ScanPart {
  std::shared_ptr<const Program> prog;  // one level, diagonal, unmasked
  struct Leaf {
    int32_t state = 0;
    bool next = true;  // s_t (true) or s_{t-1}
  };
  std::vector<Leaf> leaves;
  enum class To : uint8_t { a, b, y };
  struct Out {
    To to = To::b;
    int32_t state = 0;  // for a and b
  };
  std::vector<Out> outs;
  std::vector<Tensor> consts;  // externs after the step's own (index ext_count + i): 1s, scalars
  // The first part to write dP in the backward zeroes dP_t first unless its program assigns
  // every column; the others add (their programs are marked dp_assigns: nothing zeroes dP).
  bool zero_dp = false;
  std::vector<int32_t> saved;  // Buffers::saved index of each of the program's saved values
};

enum class Coef : uint8_t { zero, one, row };

struct ScanStage {
  std::vector<int32_t> states;
  std::vector<Coef> a;             // per state: a ≡ 0, a ≡ 1 or a row output of the part
  std::vector<int32_t> a_buffer;   // per state: Buffers::saved index of a_t ([T,B,S]) or -1
  // per state: Buffers::saved index of b_t ([T,B,S]) when the part's backward reads it, else
  // -1: b_t is written into s_t's place and the scan turns it into s_t there
  std::vector<int32_t> b_buffer;
  bool recurrent = true;           // false: every a ≡ 0 and unmasked, s_t = b_t (no scan)
  ScanPart part;
};

struct ScanPlan {
  DType dtype = DType::f32;
  int64_t batch = 0, p_width = 0, hidden = 0;
  bool masked = false, y_in_packed = false;
  std::vector<int64_t> state_width;
  int32_t ext_count = 0;
  std::vector<ScanStage> stages;
  std::vector<ScanPart> y;       // the output part (one, or none)
  int32_t buffers = 0;           // Buffers::saved entries the forward keeps
  bool dp_fill = false;          // no part writes dP: the backward fills it with 0
  std::vector<std::string> names;  // the cell's state names (for describe)
  int64_t packed_width() const;
  // Buffers::saved of a forward over `steps` x `batch` rows on `be`: the a and b buffers of
  // the states ([T,B,S_k]) and every part's saved values ([T,B,w]), uninitialised.
  std::vector<Tensor> alloc_saved(Backend& be, int64_t steps, int64_t batch) const;
  // e.g. "scan: c = a ⊙ c + b; then h = b (no recurrence)"
  std::string describe() const;
};

// The scan plan of a traced step; throws Unsupported with the one-line reason when the step is
// not a linear recurrence (`names`: the cell's state names, for the reason and describe()).
std::shared_ptr<const ScanPlan> plan_scan(const Graph& g, const std::vector<std::string>& names = {});

// The chunk count over T (fixed, see above).
constexpr int64_t kScanChunks = 64;

// As run_forward / run_backward (stages.h), same buffers contract (Buffers::saved holds the
// scan's own buffers), on the CPU.
void run_scan_forward(const ScanPlan& plan, const Tensor& p, const std::vector<Tensor>& s0,
                      const Tensor& mask, const std::vector<Tensor>& ext, Buffers& buf);
void run_scan_backward(const ScanPlan& plan, const Tensor& p, const Tensor& mask,
                       const std::vector<Tensor>& ext, const Buffers& buf, const Tensor& dpacked,
                       Tensor& dp, std::vector<Tensor>& ds0, std::vector<Tensor>& dext);

// CUDA C for the plan (emit_scan_cuda.cpp): each part's kernels (emit_cuda) and the scan's.
std::string emit_scan_cuda(const ScanPlan& plan, const std::string& name);
// run_scan_forward / run_scan_backward through those kernels on a device (launch_scan.cpp;
// `name`: the prefix they were emitted with): the CUDA launcher's, or the host shim's.
void run_scan_forward_kernels(const ScanPlan& plan, const std::string& name, KernelDevice& dev,
                              const Tensor& p, const std::vector<Tensor>& s0, const Tensor& mask,
                              const std::vector<Tensor>& ext, Buffers& buf);
void run_scan_backward_kernels(const ScanPlan& plan, const std::string& name, KernelDevice& dev,
                               const Tensor& p, const Tensor& mask, const std::vector<Tensor>& ext,
                               const Buffers& buf, const Tensor& dpacked, Tensor& dp,
                               std::vector<Tensor>& ds0, std::vector<Tensor>& dext);

// The CUDA KernelDevice of the plan (cuda_launcher.cpp): NVRTC builds emit_scan_cuda(plan,
// name) on first use; throws rnnlab::Error without CUDA or when it does not build.
std::shared_ptr<KernelDevice> cuda_scan_kernel_device(const ScanPlan& plan,
                                                      const std::string& name);

// Whether the compiled path runs a scannable step as a scan by itself: when the rows cannot
// keep every thread busy on the diagonal driver and the sequence is long enough to split.
bool scan_pays(int64_t batch, int64_t steps, int threads);

}  // namespace rnnlab::compiler
