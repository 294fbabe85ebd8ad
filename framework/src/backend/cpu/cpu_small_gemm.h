// The small-M GEMM's instruction set (cpu_small_gemm.cpp): chosen once at start-up (the widest
// the CPU has; RNNLAB_SMALL_GEMM=avx2 caps it), and switchable by tests so both kernels are
// checked on an AVX-512 machine. Not thread-safe: set it before any GEMM runs.
#pragma once

namespace rnnlab::small_gemm {

enum class Isa { none, avx2, avx512 };
Isa isa();
void set_isa(Isa want);  // capped to what the CPU supports; none turns the kernel off

}  // namespace rnnlab::small_gemm
