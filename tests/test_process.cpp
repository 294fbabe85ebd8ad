// process.h: starting programs without a shell — exit codes and signals, capture of both
// streams (also large ones), files, a missing program named, waiting, and shell_quote against
// a real shell.
#include <doctest/doctest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "rnnlab/process.h"
#include "test_util.h"

using namespace rnnlab;
namespace fs = std::filesystem;

namespace {

const ProcessIo kCaptureBoth{.out = Output::capture(), .err = Output::capture()};

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("process: the exit status and 128 + N for a signal") {
  CHECK(run_process({"true"}).exit_code == 0);
  CHECK(run_process({"sh", "-c", "exit 3"}).exit_code == 3);
  CHECK(run_process({"sh", "-c", "kill -TERM $$"}).exit_code == 128 + 15);
}

TEST_CASE("process: stdout and stderr captured apart and large output does not block") {
  ProcessResult r = run_process({"sh", "-c", "echo out; echo err >&2; exit 4"}, kCaptureBoth);
  CHECK(r.exit_code == 4);
  CHECK(r.out == "out\n");
  CHECK(r.err == "err\n");
  // 1 MB on each stream, far beyond a pipe's buffer: read together, neither writer blocks.
  r = run_process({"sh", "-c", "head -c 1000000 /dev/zero; head -c 1000000 /dev/zero >&2"},
                  kCaptureBoth);
  CHECK(r.exit_code == 0);
  CHECK(r.out.size() == 1000000);
  CHECK(r.err.size() == 1000000);
  // Only stdout captured: stderr discarded, not mixed in.
  r = run_process({"sh", "-c", "echo kept; echo dropped >&2"},
                  {.out = Output::capture(), .err = Output::discard()});
  CHECK(r.out == "kept\n");
  CHECK(r.err.empty());
}

TEST_CASE("process: arguments reach the program as they are and no shell reads them") {
  const std::string word = "a b $HOME; `x` 'q' \"d\" * \\";
  ProcessResult r = run_process({"printf", "%s", word}, kCaptureBoth);
  CHECK(r.exit_code == 0);
  CHECK(r.out == word);
}

TEST_CASE("process: a missing program is a ProcessStartError naming it") {
  const std::string name = "rnnlab-no-such-program-here";
  try {
    run_process({name, "--version"});
    FAIL("no error");
  } catch (const ProcessStartError& e) {
    CHECK(e.program() == name);
    CHECK(e.code() == ENOENT);
    const std::string what = e.what();
    CHECK(what.find("cannot run '" + name + "'") != std::string::npos);
    CHECK(what.find("not found on $PATH") != std::string::npos);
  }
  CHECK_THROWS_AS(start_process({"/nonexistent/dir/prog"}), ProcessStartError);
  CHECK_THROWS_AS(run_process({}), Error);
}

TEST_CASE("process: output into files and an unwritable file fails before the start") {
  const std::string dir = test::temp_dir("process_files");
  const std::string out = dir + "/out.txt", err = dir + "/err.txt";
  fs::remove(out);
  ProcessResult r = run_process({"sh", "-c", "echo one; echo two >&2"},
                                {.out = Output::file(out), .err = Output::file(err)});
  CHECK(r.exit_code == 0);
  CHECK(read_all(out) == "one\n");
  CHECK(read_all(err) == "two\n");
  // Truncated when written again.
  run_process({"echo", "x"}, {.out = Output::file(out), .err = Output::inherit()});
  CHECK(read_all(out) == "x\n");
  const std::string marker = dir + "/must_not_exist";
  fs::remove(marker);
  CHECK_THROWS_WITH_AS(
      run_process({"touch", marker}, {.out = Output::file(dir + "/no/such/dir/o.txt"),
                                      .err = Output::inherit()}),
      doctest::Contains("cannot write"), Error);
  CHECK(!fs::exists(marker));
}

TEST_CASE("process: started children are waited for one by one or whichever ends first") {
  const pid_t slow = start_process({"sh", "-c", "sleep 0.3; exit 5"});
  const pid_t fast = start_process({"sh", "-c", "exit 6"});
  const ProcessExit first = wait_any_process();
  CHECK(first.pid == fast);
  CHECK(first.exit_code == 6);
  CHECK(wait_process(slow) == 5);
  CHECK_THROWS_AS(start_process({"true"}, {.out = Output::capture(), .err = Output::inherit()}),
                  Error);
}

TEST_CASE("process: shell_quote leaves plain words and quotes the rest for a real shell") {
  CHECK(shell_quote("run") == "run");
  CHECK(shell_quote("/a/b-c_d.e=f:g,h+i%j@k") == "/a/b-c_d.e=f:g,h+i%j@k");
  CHECK(shell_quote("") == "''");
  CHECK(shell_quote("a b") == "'a b'");
  CHECK(shell_quote("it's") == "'it'\\''s'");
  for (const std::string s : {"plain", "", "two words", "it's", "$HOME", "a;b|c&d", "`x`",
                              "new\nline", "back\\slash", "'''"}) {
    ProcessResult r = run_process({"sh", "-c", "printf %s " + shell_quote(s)}, kCaptureBoth);
    CHECK_MESSAGE(r.out == s, "quoted as ", shell_quote(s));
  }
}

TEST_CASE("process: current_executable is the running test binary") {
  const std::string exe = current_executable("fallback");
  CHECK(fs::path(exe).is_absolute());
  CHECK(fs::path(exe).filename() == "rnnlab_tests");
}

TEST_SUITE_END();
