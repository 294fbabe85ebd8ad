// Step compiler: the launch contract of the emitted kernels (emit_cuda.cpp), device-independent.
//
// run_forward_kernels / run_backward_kernels compute exactly what run_forward / run_backward
// (exec_cpu.cpp) compute, with the same arguments and buffers (stages.h), by launching the
// emitted kernels and GEMMs on a KernelDevice: the CUDA one (cuda_launcher.cpp: NVRTC +
// cuBLAS) or the host shim of the tests (cuda_host_shim.h). All host-side work of the launch
// is here, so the shim test checks it.
//
// Slot tables. For each step t the host resolves every slot s of the program to a base
// pointer and a row stride, as exec_cpu.cpp's resolve() does, except that scratch and
// dscratch are not one buffer per task but one row per batch row: a [B, scratch + dscratch]
// area, row stride scratch + dscratch, so the blocks (rows) of a kernel never share scratch.
// The tables ([T, ns] pointers, [T, ns] strides; one pair for the forward, one for the
// backward) are uploaded once per call; the kernel of step t gets the addresses of row t.
//
// Forward, t = 0..T-1, level l = 0..L-1:
//   for each GEMM g of level l: [bias_rows(G_g[t], bias), grid B], then
//     G_g[t] (+)= A_t op(W)   (device gemm; A_t = slot a at t with its row stride);
//   L<l>_fwd, grid B.
// Backward (dS buffers zeroed, dunit rows zeroed), t = T-1..0, l = L-1..0:
//   L<l>_bwd, grid B (the top level's kernel zeroes dP_t's row first unless dp_assigns);
//   for each GEMM g of level l with a gradient target: dA_t += dG_g[t] op(W)ᵀ.
// Then for each GEMM: dW += A_allᵀ dG_all (one gemm over all T*B rows), and
//   sum_rows(dbias, dG_all, T*B, N) (grid ceil(N / threads)); for each per-unit vector extern
//   e with a gradient: sum_rows(dext_e, dunit_e, B, numel_e). Host-side steps: when the
//   program has no dP slot but dP is wanted and not assigned, dP is filled with 0 once;
//   ds0[k] is the dS_prev buffer after t = 0.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "compiler/stages.h"

namespace rnnlab::compiler {

// Addresses on the device as integers: the host only offsets them (launch.cpp,
// launch_scan.cpp).
using Addr = uint64_t;
inline Addr addr(const Tensor& t) { return t.defined() ? reinterpret_cast<Addr>(t.raw()) : 0; }

// What the launch needs from a device. Pointers are that device's memory (Tensors of
// backend()); elements are the program's dtype.
class KernelDevice {
 public:
  virtual ~KernelDevice() = default;
  // Allocates, fills and uploads the buffers (and the slot tables).
  virtual Backend& backend() = 0;
  // Threads per block of every launch.
  virtual int block_threads() const = 0;
  // Runs kernel `name` of the emitted module on `grid` blocks of block_threads() threads; args
  // as cuLaunchKernel's kernelParams (args[i] points at argument i).
  virtual void launch(const std::string& name, int64_t grid, void** args) = 0;
  // Row-major C[m,n] = op(A) op(B) + beta C (alpha 1), leading dimensions in elements.
  virtual void gemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, const void* a,
                    int64_t lda, const void* b, int64_t ldb, double beta, void* c,
                    int64_t ldc) = 0;
};

// `name`: the prefix the program's kernels were emitted with (emit_cuda(prog, name)).
void run_forward_kernels(const Program& prog, const std::string& name, KernelDevice& dev,
                         const Tensor& p, const std::vector<Tensor>& s0, const Tensor& mask,
                         const std::vector<Tensor>& ext, Buffers& buf);
void run_backward_kernels(const Program& prog, const std::string& name, KernelDevice& dev,
                          const Tensor& p, const Tensor& mask, const std::vector<Tensor>& ext,
                          const Buffers& buf, const Tensor& dpacked, Tensor& dp,
                          std::vector<Tensor>& ds0, std::vector<Tensor>& dext);

// The CUDA device for a program (cuda_launcher.cpp): compiles emit_cuda(prog, name) with
// NVRTC on first use (cached by source); throws rnnlab::Error when CUDA is not built in or
// NVRTC / the driver cannot be loaded.
std::shared_ptr<KernelDevice> cuda_kernel_device(const Program& prog, const std::string& name);
// The NVRTC step of it: a cubin for sm_<sm> (e.g. 90). Needs no GPU, only the library; throws
// rnnlab::Error with NVRTC's log when the source does not compile, or when CUDA is not built in.
std::vector<char> nvrtc_compile(const std::string& source, int sm);

}  // namespace rnnlab::compiler
