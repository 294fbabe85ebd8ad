// Runner of rnnlab_cuda_tests (CPU <-> CUDA parity).
//
// 1. On every machine: the device copy of the dropout hash equals rnnlab::counter_uniform
//    (host-compiled; the CUDA kernel runs the same source), else exit 1.
// 2. No usable CUDA device: print "skipped: no CUDA device (<why>)" and exit 77, which ctest
//    shows as Skipped (SKIP_RETURN_CODE 77).
// 3. Otherwise run every test case; like rnnlab_tests, fail when a filter matched nothing.
#define DOCTEST_CONFIG_IMPLEMENT
#include <cstdint>
#include <cstdio>

#include "backend/cuda/counter_hash.h"
#include "doctest_run.h"
#include "rnnlab/backend.h"
#include "rnnlab/rng.h"

namespace {

bool hash_matches_cpu() {
  for (uint64_t seed : {uint64_t{0}, uint64_t{1}, uint64_t{0x9E3779B97F4A7C15ull}, ~uint64_t{0}})
    for (uint64_t i = 0; i < 100000; ++i)
      if (rnnlab::counter_hash::counter_uniform(seed, i) != rnnlab::counter_uniform(seed, i)) {
        std::fprintf(stderr,
                     "rnnlab_cuda_tests: counter_hash.h differs from rnnlab::counter_uniform at "
                     "seed %llu, index %llu\n",
                     static_cast<unsigned long long>(seed), static_cast<unsigned long long>(i));
        return false;
      }
  return true;
}
}  // namespace

int main(int argc, char** argv) {
  if (!hash_matches_cpu()) return 1;
  std::string why;
  if (!rnnlab::backend_available(rnnlab::Device::cuda, &why)) {
    std::printf("skipped: no CUDA device (%s)\n", why.c_str());
    return 77;
  }
  return rnnlab::test::run_doctest(argc, argv, "rnnlab_cuda_tests");
}
