// The doctest main shared by the test executables (rnnlab_tests, rnnlab_cuda_tests).
//
// ctest runs each TEST_CASE through a --test-case=<name> filter. A filter that matches nothing
// would make doctest exit 0 having run nothing (a name with ';' is split by CMake, for
// example), so run_doctest() fails when no test case ran at all.
// Include from exactly one .cpp per executable, after #define DOCTEST_CONFIG_IMPLEMENT.
#pragma once

#include <doctest/doctest.h>

#include <atomic>
#include <cstdio>

namespace rnnlab::test {

inline std::atomic<int> g_cases_run{0};

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

REGISTER_LISTENER("count_cases", 1, CountingListener);

// Runs the test cases selected by argv; 1 if the filter matched none.
inline int run_doctest(int argc, char** argv, const char* program) {
  doctest::Context context(argc, argv);
  int rc = context.run();
  if (context.shouldExit()) return rc;  // --help, --list-test-cases, ...
  if (rc == 0 && g_cases_run.load() == 0) {
    std::fprintf(stderr, "%s: the filter matched no test case (a name with ';'?)\n", program);
    return 1;
  }
  return rc;
}

}  // namespace rnnlab::test
