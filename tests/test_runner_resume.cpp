// Checkpoints and resume through the runner: a run stopped by SIGINT, or SIGKILLed at a random
// step after a checkpoint, resumes to parameters bit-identical to an uninterrupted run; runs
// SIGKILLed at random moments leave run files that open. Training children are fresh processes
// (this test executable re-executed on the helper test case), never fork()ed copies of a
// process whose thread pools are running.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <thread>

#include "rnnlab/run_file.h"
#include "rnnlab/runner.h"
#include "cli/runner_util.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::arg;
using rnnlab::test::builtin_cells;
using rnnlab::test::layer;
using rnnlab::test::temp_dir;
using rnnlab::test::unique_dir;

namespace {

// lstm(8) -> dropout -> dense(10) on the digits: dropout makes the per-step seeds matter.
ExperimentSpec resume_spec(int64_t steps) {
  ExperimentSpec s = rnnlab::test::tiny_digits_spec(steps);
  s.name = "resume";
  s.models[0].layers = {layer("lstm", {{"hidden", arg(int64_t{8})}}),
                        layer("dropout", {{"p", arg(0.25)}}),
                        layer("dense", {{"units", arg(int64_t{10})}})};
  s.train.settings["checkpoint_every"] = arg(int64_t{10});
  s.train.settings["log_every"] = arg(int64_t{3});
  s.train.settings["eval_every"] = arg(int64_t{25});
  return s;
}

constexpr int64_t kSteps = 120;

RunOptions options(const std::string& out, bool resume = false) {
  RunOptions o;
  o.out_dir = out;
  o.quiet = true;
  o.threads = 1;
  o.resume = resume;
  return o;
}

// Every parameter's bytes, by name.
std::map<std::string, std::vector<float>> params_of(const std::string& path) {
  RunFile f = RunFile::open(path);
  std::map<std::string, std::vector<float>> out;
  for (const auto& p : f.dataset_paths("params"))
    out[p] = to_vector<float>(f.read_tensor("params/" + p));
  return out;
}

bool bitwise_equal(const std::map<std::string, std::vector<float>>& a,
                   const std::map<std::string, std::vector<float>>& b) {
  if (a.size() != b.size() || a.empty()) return false;
  for (const auto& [k, v] : a) {
    auto it = b.find(k);
    if (it == b.end() || it->second.size() != v.size()) return false;
    if (std::memcmp(v.data(), it->second.data(), v.size() * sizeof(float)) != 0) return false;
  }
  return true;
}

// The uninterrupted reference run (computed once per process: ctest runs the cases that use it
// as parallel processes, so each has its own folder).
const std::string& reference_run() {
  static const std::string path = [] {
    const std::string out = unique_dir("resume_reference");
    auto runs = run_experiment(resume_spec(kSteps), Catalog(builtin_cells()), options(out));
    REQUIRE(runs.at(0).status == RunState::finished);
    return runs[0].path;
  }();
  return path;
}

void check_same_as_reference(const std::string& path) {
  const std::string& ref = reference_run();
  CHECK(bitwise_equal(params_of(path), params_of(ref)));
  RunFile a = RunFile::open(path), b = RunFile::open(ref);
  CHECK(a.attr_string("status") == "finished");
  CHECK(a.read_series("metrics", "step") == b.read_series("metrics", "step"));
  CHECK(a.read_series("metrics", "loss") == b.read_series("metrics", "loss"));
  CHECK(a.read_series("eval", "accuracy") == b.read_series("eval", "accuracy"));
  CHECK(a.read_series("epochs", "loss") == b.read_series("epochs", "loss"));
}

// Starts this executable on the helper test case with `env` added; returns its pid.
pid_t spawn_helper(const std::vector<std::string>& env) {
  char exe[4096];
  const ssize_t n = ::readlink("/proc/self/exe", exe, sizeof exe - 1);
  REQUIRE(n > 0);
  exe[n] = 0;
  std::vector<std::string> args = {exe, "--test-case=runner resume helper*", "--no-skip=true",
                                   "--no-intro=true", "--no-version=true"};
  std::vector<std::string> envs = env;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  std::vector<char*> argv, envp;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  for (auto& e : envs) envp.push_back(e.data());
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::execve(exe, argv.data(), envp.data());
    ::_exit(127);
  }
  return pid;
}

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

// Not a test: the child process of the tests below, which start it with --no-skip and
// RNNLAB_RESUME_HELPER_OUT set (skipped otherwise, so neither doctest nor ctest lists it). Trains
// resume_spec(RNNLAB_RESUME_HELPER_STEPS) into that folder. With RNNLAB_RESUME_HELPER_FDS
// "r,w" it reports every completed step on w and waits for a byte on r before the next.
TEST_CASE("runner resume helper (a child process of the kill tests)" * doctest::skip()) {
  const char* out = std::getenv("RNNLAB_RESUME_HELPER_OUT");
  REQUIRE_MESSAGE(out, "started without RNNLAB_RESUME_HELPER_OUT: this case is a child process");
  const char* steps = std::getenv("RNNLAB_RESUME_HELPER_STEPS");
  const char* fds = std::getenv("RNNLAB_RESUME_HELPER_FDS");
  RunOptions o = options(out);
  if (fds) {
    const int rfd = std::atoi(fds), wfd = std::atoi(std::strchr(fds, ',') + 1);
    o.on_step = [rfd, wfd](int64_t step) {
      char go = 0;
      if (::write(wfd, &step, sizeof step) != sizeof step || ::read(rfd, &go, 1) != 1)
        ::_exit(4);  // the parent went away
    };
  }
  run_experiment(resume_spec(steps ? std::atoll(steps) : kSteps), Catalog(builtin_cells()), o);
}

TEST_CASE("resume: a run stopped by SIGINT writes a checkpoint and resumes bit-identically") {
  Catalog cat(builtin_cells());
  const std::string out = temp_dir("resume_sigint");
  std::filesystem::remove_all(out + "/resume");
  RunOptions o = options(out);
  o.on_step = [](int64_t step) {
    if (step == 37) ::raise(SIGINT);  // the trainer's handler: finish the step, checkpoint
  };
  auto first = run_experiment(resume_spec(kSteps), cat, o);
  REQUIRE(first.size() == 1);
  CHECK(first[0].status == RunState::interrupted);
  CHECK(first[0].steps == 37);
  {
    RunFile f = RunFile::open(first[0].path);
    CHECK(f.attr_string("status") == "interrupted");
    int64_t step = 0;
    CHECK(has_checkpoint(f, &step));
    CHECK(step == 37);
    // Adam's second moment, in the slot written at step 37 (checkpoint.h: slots a and b)
    const std::string slot = f.attr_int("checkpoint/a/step") == 37 ? "a" : "b";
    CHECK(f.attr_int("checkpoint/" + slot + "/step") == 37);
    CHECK(f.exists("checkpoint/" + slot + "/slot2/lstm/layer0/lstm/W_x"));
  }
  // A resume rewrites none of the texts the file was created with (a kill during such a rewrite
  // left a file without /config/resolved that no --resume could reuse): texts outside the
  // identity, marked here, are still the marks afterwards.
  {
    RunFile f = RunFile::open(first[0].path, true);
    f.write_text("config/source", "mark 1");
    f.write_text("plugins/lstm/file", "mark 2");
  }
  auto second = run_experiment(resume_spec(kSteps), cat, options(out, true));
  REQUIRE(second.size() == 1);
  CHECK(second[0].status == RunState::finished);
  CHECK(second[0].resumed_from == 37);
  check_same_as_reference(second[0].path);
  {
    RunFile f = RunFile::open(second[0].path);
    CHECK(f.read_text("config/source") == "mark 1");
    CHECK(f.read_text("plugins/lstm/file") == "mark 2");
  }

  // Resuming a finished run skips it; another configuration is refused.
  CHECK(run_experiment(resume_spec(kSteps), cat, options(out, true))[0].status == RunState::skipped);
}

TEST_CASE("resume: a run whose configuration changed is not resumed") {
  Catalog cat(builtin_cells());
  const std::string out = temp_dir("resume_changed");
  std::filesystem::remove_all(out + "/resume");
  RunOptions o = options(out);
  o.on_step = [](int64_t step) {
    if (step == 12) ::raise(SIGTERM);
  };
  CHECK(run_experiment(resume_spec(kSteps), cat, o)[0].status == RunState::interrupted);
  ExperimentSpec changed = resume_spec(kSteps);
  changed.train.settings["batch"] = arg(int64_t{8});
  CHECK_THROWS_WITH_AS(run_experiment(changed, cat, options(out, true)),
                       doctest::Contains("another configuration"), InputError);
}

TEST_CASE("resume: SIGKILL at a random step after a checkpoint, resume, bit-identical params") {
  const std::string out = temp_dir("resume_sigkill");
  std::filesystem::remove_all(out + "/resume");
  std::mt19937_64 rng(std::random_device{}());
  const int64_t target = 11 + static_cast<int64_t>(rng() % 90);  // after the first checkpoint
  MESSAGE("killing the training child after step " << target);
  int to_child[2], to_parent[2];
  REQUIRE(::pipe(to_child) == 0);
  REQUIRE(::pipe(to_parent) == 0);
  const pid_t pid = spawn_helper(
      {"RNNLAB_RESUME_HELPER_OUT=" + out, "RNNLAB_RESUME_HELPER_STEPS=" + std::to_string(kSteps),
       "RNNLAB_RESUME_HELPER_FDS=" + std::to_string(to_child[0]) + "," +
           std::to_string(to_parent[1])});
  ::close(to_child[0]);
  ::close(to_parent[1]);
  int64_t step = 0;
  while (::read(to_parent[0], &step, sizeof step) == sizeof step) {
    if (step >= target) {
      ::kill(pid, SIGKILL);
      break;
    }
    const char go = 1;
    REQUIRE(::write(to_child[1], &go, 1) == 1);
  }
  ::close(to_child[1]);
  ::close(to_parent[0]);
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE_MESSAGE(WIFSIGNALED(status), "the child exited with status ", WEXITSTATUS(status));
  CHECK(step == target);

  const std::string path = out + "/resume/lstm/run.h5";
  {
    RunFile f = RunFile::open(path);
    CHECK(f.attr_string("status") == "running");
    int64_t ck = 0;
    REQUIRE(has_checkpoint(f, &ck));
    CHECK(ck == target / 10 * 10);
    CHECK(f.read_series("metrics", "step").back() == double(target / 3 * 3));  // rows past it
  }
  auto runs = run_experiment(resume_spec(kSteps), Catalog(builtin_cells()), options(out, true));
  REQUIRE(runs.size() == 1);
  CHECK(runs[0].status == RunState::finished);
  CHECK(runs[0].resumed_from == target / 10 * 10);
  check_same_as_reference(path);
}

TEST_CASE("kill: runs SIGKILLed at random moments leave run files that open") {
  std::mt19937_64 rng(std::random_device{}());
  int files = 0, with_checkpoint = 0;
  for (int i = 0; i < 5; ++i) {
    const std::string out = temp_dir("kill_random_" + std::to_string(i));
    std::filesystem::remove_all(out + "/resume");
    const pid_t pid = spawn_helper({"RNNLAB_RESUME_HELPER_OUT=" + out,
                                    "RNNLAB_RESUME_HELPER_STEPS=3000"});
    const auto delay = std::chrono::milliseconds(200 + static_cast<int64_t>(rng() % 2300));
    std::this_thread::sleep_for(delay);
    ::kill(pid, SIGKILL);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    const std::string path = out + "/resume/lstm/run.h5";
    if (!std::filesystem::exists(path)) continue;  // killed before the file was created
    ++files;
    INFO("killed after " << delay.count() << " ms: " << path);
    RunFile f = RunFile::open(path);  // must not throw
    const std::string st = f.attr_string("status");
    CHECK((st == "running" || st == "finished"));
    const int64_t rows = f.num_rows("metrics");
    for (const auto& name : f.series_names("metrics"))
      CHECK(f.read_series("metrics", name).size() == static_cast<std::size_t>(rows));
    CHECK(f.read_text("/config/resolved").size() > 0);
    int64_t ck = 0;
    if (has_checkpoint(f, &ck)) {
      ++with_checkpoint;
      CHECK(ck % 10 == 0);
      for (const auto& p : f.dataset_paths("checkpoint/params"))
        CHECK(f.read_tensor("checkpoint/params/" + p).numel() > 0);
    }
  }
  MESSAGE(files << " of 5 killed runs had a file, " << with_checkpoint << " with a checkpoint");
}

TEST_SUITE_END();
