// Step compiler: CUDA C from a lowered Program (the same program the CPU interpreter runs).
//
// Kernels (T = float or double), each launched with one block per batch row unless noted:
//   <name>_L<l>_fwd(T* const* base, const long long* rs)   level l's forward region
//   <name>_L<l>_bwd(T* const* base, const long long* rs)   level l's reverse program
//   <name>_bias_rows(T* out, const T* bias, long long n)     out[row, :n] = bias (GEMM bias in)
//   <name>_sum_rows(T* d, const T* rows, long long nrows, long long n)
//       d[j] += Σ_r rows[r, j] in row order r = 0..nrows-1 (the CPU executor's order, so the
//       sums are bit-identical); thread blockIdx.x * blockDim.x + threadIdx.x owns column j.
// A region kernel's block b computes ptr[s] = base[s] + b * rs[s] for every slot s (base/rs:
// the step's row of the slot tables, launch.h: every slot, scratch included, has its own row
// per block), then runs the level's instructions in order, each one a block-strided loop over
// its w columns followed by __syncthreads(); a reduction into a per-row scalar is done by
// thread 0. The top level's backward kernel first zeroes the block's dP_t row when the program
// does not assign every dP column (Program::dp_assigns), as the CPU executor does. GEMMs stay
// host-side calls (cuBLAS) between kernels; launch.h is the whole launch order.
// Constants are printed exactly (17 digits); inf and nan as bit patterns (rn_bits), which both
// NVRTC and a host C++ compiler accept. The maths of every op is op_table.h's: each op and row
// reduction the program uses becomes device functions whose bodies are the table's
// expressions (as text; a reduction runs on thread 0 in column order, as the interpreter),
// over the same primitives: rn_exp with rnnlab's float range rule of hd_math.h (the CUDA
// backend's exp; libm's exp in double), the others the library's log, log1p, sqrt, fabs, tanh. Under RNNLAB_CUDA_HOST_SHIM (cuda_host_shim.h) every
// kernel also gets an extern "C" `<kernel>_host(void** args)` entry taking cuLaunchKernel-style
// arguments, so the same source runs on the CPU through the shim.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <sstream>
#include <vector>

#include "compiler/stages.h"
#include "rnnlab/cpu_math.h"
#include "rnnlab/op_table.h"

namespace rnnlab::compiler {

namespace {

std::string operand(const Ref& r, bool scalar) {
  std::ostringstream os;
  os << "ptr[" << r.slot << "][" << r.off << (scalar ? "" : " + j") << "]";
  return os.str();
}

}  // namespace

// A double constant as a C++ expression: 17 significant digits (exact), the zeros with their
// sign, rn_bits(<IEEE bits>) for inf and nan, which have no literal.
std::string cuda_constant(double v) {
  std::ostringstream os;
  if (v == 0.0) {
    os << (std::signbit(v) ? "(-0.0)" : "(0.0)");  // "-0" would be the integer 0
  } else if (std::isfinite(v)) {
    os.precision(17);
    os << "(" << v << ")";
  } else {
    uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    os << "rn_bits(0x" << std::hex << bits << "ull)";
  }
  return os.str();
}

namespace {

// The device functions of the program's ops and reductions, their bodies op_table.h's
// expressions:
//   op_<name>(a, b, s, t)  op_<name>_da(g, a, b, y, s, t)  op_<name>_db(g, a, b, y, s, t)
//   red_<name>_term(a, s)  _combine(acc, v)  _grad(g, a, y, s)  _pick(a, y)
void op_functions(std::ostringstream& os, const Program& P) {
  std::vector<char> ops(op_table::kElemCount, 0), reds(op_table::kReduceCount, 0);
  for (const Level& L : P.levels)
    for (const auto* prog : {&L.fwd, &L.bwd})
      for (const Instr& in : *prog) {
        if (in.code == Code::op || in.code == Code::op_grad_a || in.code == Code::op_grad_b)
          ops[static_cast<std::size_t>(in.op)] = 1;
        if (in.code == Code::red || in.code == Code::red_grad)
          reds[static_cast<std::size_t>(in.reduce)] = 1;
      }
  const std::string fn = "__device__ __forceinline__ ";
  for (int k = 0; k < op_table::kElemCount; ++k) {
    if (!ops[static_cast<std::size_t>(k)]) continue;
    const op_table::ElemInfo& e = op_table::kElem[k];
    const std::string f = fn + "T op_" + e.name;
    os << f << "(T a, T b, T s, T t) { return " << e.forward << "; }\n"
       << f << "_da(T g, T a, T b, T y, T s, T t) { return " << e.grad_a << "; }\n"
       << f << "_db(T g, T a, T b, T y, T s, T t) { return " << e.grad_b << "; }\n";
  }
  for (int k = 0; k < op_table::kReduceCount; ++k) {
    if (!reds[static_cast<std::size_t>(k)]) continue;
    const op_table::ReduceInfo& r = op_table::kReduce[k];
    const std::string f = std::string("red_") + r.name;
    os << fn << "T " << f << "_term(T a, T s) { return " << r.term << "; }\n"
       << fn << "T " << f << "_combine(T acc, T v) { return " << r.combine << "; }\n"
       << fn << "T " << f << "_grad(T g, T a, T y, T s) { return " << r.grad << "; }\n"
       << fn << "bool " << f << "_pick(T a, T y) { return " << r.pick << "; }\n";
  }
}

// An instruction's operand texts at column j; those an op does not have are (T)0. A
// reduction's gradient and output are one value per row.
struct Operands {
  std::string a, b, c, y, s, st;
  explicit Operands(const Instr& in) {
    const bool per_row = in.code == Code::red_grad;
    a = in.a.slot >= 0 ? operand(in.a, false) : "(T)0";
    b = in.b.slot >= 0 ? operand(in.b, in.bs) : "(T)0";
    c = in.c.slot >= 0 ? operand(in.c, in.cs) : "(T)0";
    y = in.y.slot >= 0 ? operand(in.y, per_row) : "(T)0";
    s = "(T)" + cuda_constant(in.s);
    st = s + ", (T)" + cuda_constant(in.t);
  }
};

// The value of instruction `in` at column j, mirroring interpret.h: operands an op does not
// read are (T)0. A reduction's gradient reads k_ (kernel()).
std::string expr(const Instr& in) {
  const Operands o(in);
  auto read = [](int reads, int flag, const std::string& v) { return reads & flag ? v : "(T)0"; };
  const op_table::ElemInfo& e = op_table::info(in.op);
  const std::string grad_args = o.c + ", " + read(e.reads, op_table::kA, o.a) + ", " +
                                read(e.reads, op_table::kB, o.b) + ", " +
                                read(e.reads, op_table::kY, o.y) + ", " + o.st + ")";
  const op_table::ReduceInfo& r = op_table::info(in.reduce);
  switch (in.code) {
    case Code::op: return std::string("op_") + e.name + "(" + o.a + ", " + o.b + ", " + o.st + ")";
    case Code::op_grad_a: return std::string("op_") + e.name + "_da(" + grad_args;
    case Code::op_grad_b: return std::string("op_") + e.name + "_db(" + grad_args;
    case Code::red: return std::string("red_") + r.name + "_term(" + o.a + ", " + o.s + ")";
    case Code::red_grad:
      return std::string("((k_ < 0 || j == k_) ? red_") + r.name + "_grad(" + o.c + ", " +
             read(r.reads, op_table::kA, o.a) + ", " + read(r.reads, op_table::kY, o.y) + ", " +
             o.s + ") : (T)0)";
    case Code::blend: return "(" + o.c + " != (T)0 ? " + o.a + " : " + o.b + ")";
    case Code::g_if_c: return "(" + o.c + " != (T)0 ? " + o.a + " : (T)0)";
    case Code::g_if_not_c: return "(" + o.c + " != (T)0 ? (T)0 : " + o.a + ")";
    case Code::copy: return o.a;
    case Code::zero: return "(T)0";
  }
  return "(T)0";
}

// By thread 0, the fold of the w >= 1 terms `term` (an expression of j) joined by the function
// `join` (a name: join(acc, v)) in op_table::fold_row's order, into `acc_`.
void emit_fold_row(std::ostringstream& os, int64_t w, const std::string& term, const std::string& join) {
  const int64_t lanes = op_table::kRowLanes, m = std::min(w, lanes);
  os << "  T acc_; { T l_[" << lanes << "]; long long j;\n"
     << "  for (j = 0; j < " << m << "; ++j) l_[j] = " << term << ";\n"
     << "  for (j = " << lanes << "; j < " << w << "; ++j) l_[j % " << lanes << "] = " << join
     << "(l_[j % " << lanes << "], " << term << ");\n"
     << "  for (long long h = " << lanes / 2 << "; h >= 1; h /= 2) for (long long l = 0; l < h; ++l)"
     << " if (l + h < " << m << ") l_[l] = " << join << "(l_[l], l_[l + h]);\n"
     << "  acc_ = l_[0]; }\n";
}

// A row reduction, by thread 0 in fold_row's order (interpret.h's): d[0] = R(a[0..w)).
void reduction(std::ostringstream& os, const Instr& in, const std::string& d) {
  const std::string f = std::string("red_") + op_table::info(in.reduce).name;
  os << "  if (threadIdx.x == 0) {\n";
  emit_fold_row(os, in.w, expr(in), f + "_combine");
  os << "  " << d << "] = acc_; }\n";
}

// k_ of a reduction's gradient: the one column that gets it (its first pick), or -1: all.
void reduction_pick(std::ostringstream& os, const Instr& in) {
  const op_table::ReduceInfo& r = op_table::info(in.reduce);
  os << "  { long long k_ = -1;";
  if (r.first) {
    const Operands o(in);
    os << " k_ = " << in.w << "; for (long long j = 0; j < " << in.w << "; ++j) if (red_"
       << r.name << "_pick(" << o.a << ", " << o.y << ")) { k_ = j; break; }";
  }
  os << "\n";
}

// `zero_dp`: the slot of dP whose row this kernel zeroes first (-1: none).
void kernel(std::ostringstream& os, const Program& P, const std::vector<Instr>& prog,
            const std::string& name, int zero_dp) {
  const std::size_t ns = P.slots.size();
  os << "extern \"C\" __global__ void " << name
     << "(T* const* base, const long long* rs) {\n"
     << "  const long long row = blockIdx.x;\n"
     << "  T* ptr[" << ns << "];\n"
     << "  for (int s = 0; s < " << ns << "; ++s) ptr[s] = base[s] ? base[s] + row * rs[s] : 0;\n";
  if (zero_dp >= 0)
    os << "  if (ptr[" << zero_dp << "]) for (long long j = threadIdx.x; j < " << P.p_width
       << "; j += blockDim.x) ptr[" << zero_dp << "][j] = (T)0;\n  __syncthreads();\n";
  for (const Instr& in : prog) {
    const std::string d = "ptr[" + std::to_string(in.d.slot) + "][" + std::to_string(in.d.off);
    const std::string e = expr(in);
    if (in.code == Code::red) {
      reduction(os, in, d);
      os << "  __syncthreads();\n";
      continue;
    }
    if (in.code == Code::red_grad) reduction_pick(os, in);
    if (in.store == Store::reduce) {
      if (in.w >= 1) {
        os << "  if (threadIdx.x == 0) {\n";
        emit_fold_row(os, in.w, e, "rn_add");
        os << "  " << d << "] += acc_; }\n";
      }
    } else {
      os << "  for (long long j = threadIdx.x; j < " << in.w << "; j += blockDim.x) " << d
         << " + j] " << (in.store == Store::acc ? "+=" : "=") << " " << e << ";\n";
    }
    if (in.code == Code::red_grad) os << "  }\n";
    os << "  __syncthreads();\n";
  }
  os << "}\n";
  os << "#ifdef RNNLAB_CUDA_HOST_SHIM\nextern \"C\" void " << name
     << "_host(void** a) { " << name << "(*(T* const**)a[0], *(const long long**)a[1]); }\n#endif\n";
}

// The helpers of the launch (launch.h): the GEMM bias copy and the ordered row sums.
void helpers(std::ostringstream& os, const std::string& name) {
  os << "extern \"C\" __global__ void " << name
     << "_bias_rows(T* out, const T* bias, long long n) {\n"
     << "  T* o = out + (long long)blockIdx.x * n;\n"
     << "  for (long long j = threadIdx.x; j < n; j += blockDim.x) o[j] = bias[j];\n}\n"
     << "extern \"C\" __global__ void " << name
     << "_sum_rows(T* d, const T* rows, long long nrows, long long n) {\n"
     << "  const long long j = (long long)blockIdx.x * blockDim.x + threadIdx.x;\n"
     << "  if (j >= n) return;\n"
     << "  T acc = d[j];\n"
     << "  for (long long r = 0; r < nrows; ++r) acc += rows[r * n + j];\n"
     << "  d[j] = acc;\n}\n"
     << "#ifdef RNNLAB_CUDA_HOST_SHIM\n"
     << "extern \"C\" void " << name << "_bias_rows_host(void** a) { " << name
     << "_bias_rows(*(T**)a[0], *(const T**)a[1], *(const long long*)a[2]); }\n"
     << "extern \"C\" void " << name << "_sum_rows_host(void** a) { " << name
     << "_sum_rows(*(T**)a[0], *(const T**)a[1], *(const long long*)a[2], "
        "*(const long long*)a[3]); }\n"
     << "#endif\n";
}

}  // namespace

std::string emit_cuda(const Program& P, const std::string& name) {
  std::ostringstream os;
  os << "// generated by rnnlab's step compiler: " << name << ", " << P.describe() << "\n"
     << "typedef " << (P.dtype == DType::f64 ? "double" : "float") << " T;\n"
     << "__device__ __forceinline__ double rn_bits(unsigned long long b) {\n"
     << "#ifdef RNNLAB_CUDA_HOST_SHIM\n"
     << "  double d; __builtin_memcpy(&d, &b, sizeof d); return d;\n"
     << "#else\n"
     << "  return __longlong_as_double((long long)b);\n"
     << "#endif\n}\n"
     // exp with rnnlab's range rule (hd_math.h): float NaN stays NaN, inf above, 0 below.
     << "__device__ __forceinline__ float rn_exp(float x) {\n"
     << "  return x != x ? x : x > (float)" << cuda_constant(cpu_math::kExpMaxF)
     << " ? (float)rn_bits(0x7ff0000000000000ull) : x < (float)"
     << cuda_constant(cpu_math::kExpMinF) << " ? 0.0f : exp(x);\n}\n"
     << "__device__ __forceinline__ double rn_exp(double x) { return exp(x); }\n"
     // op_table.h's other primitives: each device's library function (hd_math.h)
     << "__device__ __forceinline__ T rn_add(T a, T b) { return a + b; }\n"
     << "__device__ __forceinline__ T rn_log(T x) { return log(x); }\n"
     << "__device__ __forceinline__ T rn_log1p(T x) { return log1p(x); }\n"
     << "__device__ __forceinline__ T rn_sqrt(T x) { return sqrt(x); }\n"
     << "__device__ __forceinline__ T rn_abs(T x) { return fabs(x); }\n"
     << "__device__ __forceinline__ T rn_tanh(T x) { return tanh(x); }\n"
     << "__device__ __forceinline__ T rn_sigmoid(T x) { return (T)1 / ((T)1 + rn_exp(-x)); }\n";
  op_functions(os, P);
  int dp_slot = -1;
  for (std::size_t s = 0; s < P.slots.size(); ++s)
    if (P.slots[s].kind == Slot::dp) dp_slot = static_cast<int>(s);
  const int zero_dp = P.dp_assigns ? -1 : dp_slot;
  for (std::size_t l = 0; l < P.levels.size(); ++l) {
    const bool top = l + 1 == P.levels.size();
    kernel(os, P, P.levels[l].fwd, name + "_L" + std::to_string(l) + "_fwd", -1);
    kernel(os, P, P.levels[l].bwd, name + "_L" + std::to_string(l) + "_bwd", top ? zero_dp : -1);
  }
  helpers(os, name);
  return os.str();
}

}  // namespace rnnlab::compiler
