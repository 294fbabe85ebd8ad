// Runner of rnnlab_cuda_tests (CPU <-> CUDA parity).
//
// 1. On every machine: the device copy of the dropout hash equals rnnlab::counter_uniform
//    (host-compiled; the CUDA kernel runs the same source), else exit 1.
// 2. No usable CUDA device: print "skipped: no CUDA device (<why>)" and exit 77, which ctest
//    shows as Skipped (SKIP_RETURN_CODE 77).
// 3. Otherwise run every test case; like rnnlab_tests, fail when a filter matched nothing.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <atomic>
#include <cstdint>
#include <cstdio>

#include "backend/cuda/counter_hash.h"
#include "rnnlab/backend.h"
#include "rnnlab/rng.h"

namespace {
std::atomic<int> g_cases_run{0};

struct CountingListener : doctest::IReporter {
  explicit CountingListener(const doctest::ContextOptions&) {}
  void report_query(const doctest::QueryData&) override {}
  void test_run_start() override {}
  void test_run_end(const doctest::TestRunStats&) override {}
  void test_case_start(const doctest::TestCaseData&) override { ++g_cases_run; }
  void test_case_reenter(const doctest::TestCaseData&) override {}
  void test_case_end(const doctest::CurrentTestCaseStats&) override {}
  void test_case_exception(const doctest::TestCaseException&) override {}
  void subcase_start(const doctest::SubcaseSignature&) override {}
  void subcase_end() override {}
  void log_assert(const doctest::AssertData&) override {}
  void log_message(const doctest::MessageData&) override {}
  void test_case_skipped(const doctest::TestCaseData&) override {}
};

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

REGISTER_LISTENER("count_cases", 1, CountingListener);

int main(int argc, char** argv) {
  doctest::Context context(argc, argv);
  if (!hash_matches_cpu()) return 1;
  std::string why;
  if (!rnnlab::backend_available(rnnlab::Device::cuda, &why)) {
    std::printf("skipped: no CUDA device (%s)\n", why.c_str());
    return 77;
  }
  int rc = context.run();
  if (context.shouldExit()) return rc;
  if (rc == 0 && g_cases_run.load() == 0) {
    std::fprintf(stderr, "rnnlab_cuda_tests: the filter matched no test case\n");
    return 1;
  }
  return rc;
}
