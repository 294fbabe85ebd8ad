// The counter-based hash behind dropout masks, compilable for host and device.
//
//   mix64(x)                 splitmix64's finaliser
//   counter_uniform(s, i)    (mix64(s ^ mix64(i)) >> 11) * 2^-53   in [0, 1)
//
// This is the same function as rnnlab::mix64 / rnnlab::counter_uniform in rnnlab/rng.h (which is
// host-only), so the CPU and CUDA backends give bit-identical dropout masks for one seed. Keep
// the two in step: rnnlab_cuda_tests compares them on the host before anything else, on every
// machine (also without a GPU).
#pragma once

#include <cstdint>

#if defined(__CUDACC__)
#define RNNLAB_HOST_DEVICE __host__ __device__
#else
#define RNNLAB_HOST_DEVICE
#endif

namespace rnnlab::counter_hash {

RNNLAB_HOST_DEVICE inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

RNNLAB_HOST_DEVICE inline double counter_uniform(uint64_t seed, uint64_t index) {
  return static_cast<double>(mix64(seed ^ mix64(index)) >> 11) * 0x1.0p-53;
}

}  // namespace rnnlab::counter_hash
