// The CUDA host shim: runs the step compiler's emitted CUDA C (emit_cuda.cpp) on the CPU, so
// the kernels and their launch contract (launch.h) are tested without a GPU.
//
// Compile the emitted source as host C++ with this header forced in:
//   c++ -std=c++20 -fPIC -shared -x c++ -DRNNLAB_CUDA_HOST_SHIM -include cuda_host_shim.h ...
// It defines __global__ / __device__ / __forceinline__ away, gives threadIdx, blockIdx,
// blockDim and gridDim, and exports
//   extern "C" int rnnlab_shim_launch(void (*entry)(void**), void** args, long long grid,
//                                     int threads)
// which runs `entry` (an emitted `<kernel>_host` thunk; args as cuLaunchKernel's) as
// grid x threads CUDA threads. Every CUDA thread is a fiber (ucontext) on the calling OS
// thread; __syncthreads() switches back to the scheduler. The scheduler runs in rounds: in
// each round every unfinished thread, block 0's threads first, then block 1's, ..., runs up to
// its next barrier (or its end). So
//   - a barrier is honoured: no thread of a block starts segment k+1 before all of them have
//     finished segment k (a missing barrier lets thread 0 run ahead and read stale values);
//   - blocks are interleaved segment by segment, as concurrent blocks may be on a GPU: blocks
//     that shared memory they should not (e.g. one scratch row for all rows) overwrite each
//     other between two segments, deterministically;
//   - it returns 1 when the threads of a block passed different numbers of barriers
//     (divergent __syncthreads), else 0.
// Single OS thread, deterministic; one launch at a time per loaded module (the scheduler state
// is static, and each dlopen'ed module has its own).
#pragma once

#include <ucontext.h>

#include <cmath>
#include <cstdint>
#include <vector>

#define __global__
#define __device__
#define __forceinline__ inline

using std::exp;
using std::fabs;
using std::log;
using std::log1p;
using std::sqrt;
using std::tanh;

struct rn_shim_dim3 {
  unsigned x = 0, y = 1, z = 1;
};
static rn_shim_dim3 threadIdx, blockIdx, blockDim, gridDim;

namespace rn_shim {

struct Fiber {
  ucontext_t ctx{};
  std::vector<char> stack;
  unsigned block = 0, thread = 0;
  long long barriers = 0;
  bool done = false;
};

static ucontext_t scheduler;
static Fiber* current = nullptr;
static void (*entry_fn)(void**) = nullptr;
static void** entry_args = nullptr;

static void fiber_main() {
  entry_fn(entry_args);
  current->done = true;  // returns to uc_link: the scheduler
}

}  // namespace rn_shim

static inline void __syncthreads() {
  rn_shim::Fiber* f = rn_shim::current;
  ++f->barriers;
  swapcontext(&f->ctx, &rn_shim::scheduler);
}

extern "C" int rnnlab_shim_launch(void (*entry)(void**), void** args, long long grid,
                                  int threads) {
  using rn_shim::Fiber;
  constexpr std::size_t kStack = 64 * 1024;
  rn_shim::entry_fn = entry;
  rn_shim::entry_args = args;
  std::vector<Fiber> fibers(static_cast<std::size_t>(grid * threads));
  for (std::size_t i = 0; i < fibers.size(); ++i) {
    Fiber& f = fibers[i];
    f.block = static_cast<unsigned>(i / static_cast<std::size_t>(threads));
    f.thread = static_cast<unsigned>(i % static_cast<std::size_t>(threads));
    f.stack.resize(kStack);
    getcontext(&f.ctx);
    f.ctx.uc_stack.ss_sp = f.stack.data();
    f.ctx.uc_stack.ss_size = kStack;
    f.ctx.uc_link = &rn_shim::scheduler;
    makecontext(&f.ctx, rn_shim::fiber_main, 0);
  }
  blockDim.x = static_cast<unsigned>(threads);
  gridDim.x = static_cast<unsigned>(grid);
  for (bool any = true; any;) {
    any = false;
    for (Fiber& f : fibers) {
      if (f.done) continue;
      any = true;
      threadIdx.x = f.thread;
      blockIdx.x = f.block;
      rn_shim::current = &f;
      swapcontext(&rn_shim::scheduler, &f.ctx);
    }
  }
  rn_shim::current = nullptr;
  for (std::size_t i = 0; i < fibers.size(); ++i)
    if (fibers[i].barriers != fibers[i - i % static_cast<std::size_t>(threads)].barriers)
      return 1;
  return 0;
}
