// `rnnlab sweep --executor slurm` against a real Slurm cluster (test suite "slurm", ctest label
// `slurm` with ADD_LABELS): an array job of 6 tiny runs with a concurrency limit, the afterany
// collect job, a task failing on purpose shown as failed by `status` and fixed by
// --rerun-failed, and the same numbers as the local executor.
//
// The cluster is NOT started here: .ci/run starts it with cluster/start.sh (and stops it with
// cluster/stop.sh in a trap); by hand: `sudo cluster/start.sh` first. These tests find it
// through $SLURM_CONF, else $RNNLAB_SLURM_DIR/slurm.conf (default /tmp/rnnlab-slurm). If no
// idle node answers they FAIL and print the daemon logs -- they never skip. Run everything else
// with `ctest -LE slurm` where there is no cluster.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <thread>

#include "cli/cli_util.h"
#include "rnnlab/manifest.h"
#include "rnnlab/run_state.h"
#include "rnnlab/summary_file.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

std::string slurm_dir() {
  const char* d = std::getenv("RNNLAB_SLURM_DIR");
  return d && *d ? d : "/tmp/rnnlab-slurm";
}

// Runs a shell command, returns its stdout (stderr merged) and sets `rc`.
std::string sh(const std::string& cmd, int* rc = nullptr) {
  std::string out;
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p) return out;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  if (rc) *rc = WIFEXITED(status) ? WEXITSTATUS(status) : 128;
  return out;
}

std::string daemon_logs() {
  std::string out;
  const std::string d = slurm_dir();
  for (const std::string& f : {d + "/munge/munged.log", d + "/munged.stderr", d + "/slurmctld.log",
                              d + "/slurmctld.stderr", d + "/slurmd.log", d + "/slurmd.stderr"}) {
    out += "==== " + f + "\n";
    if (fs::exists(f)) out += sh("tail -n 40 '" + f + "'");
  }
  return out;
}

// The cluster must be up: an idle (or busy) node. Otherwise FAIL with the daemon logs.
void require_cluster() {
  const char* conf = std::getenv("SLURM_CONF");
  if (!conf || !*conf) ::setenv("SLURM_CONF", (slurm_dir() + "/slurm.conf").c_str(), 1);
  int rc = -1;
  std::string state;
  // sinfo retries a dead controller for long: bound every call and the whole wait (10 s).
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(10)) {
    state = sh("timeout 3 sinfo -h -o %T", &rc);
    if (rc == 0 && (state.find("idle") != std::string::npos ||
                    state.find("mix") != std::string::npos ||
                    state.find("alloc") != std::string::npos))
      return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL("no Slurm cluster answers (SLURM_CONF=" << std::string(std::getenv("SLURM_CONF"))
       << ", sinfo exit "
       << rc << ": " << state << ").\nStart it with cluster/start.sh (.ci/run does).\n"
       << daemon_logs());
}

// Waits until none of `jobs` is pending or running; returns false after `timeout_s`.
bool wait_jobs(const std::string& jobs, double timeout_s) {
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < timeout_s) {
    int rc = 0;
    const std::string q = sh("timeout 10 squeue -h -o %i -j " + jobs, &rc);
    if (rc == 0 && q.find_first_not_of(" \n") == std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
  return false;
}

// "<array id> <collect id>" from the last line `rnnlab sweep --executor slurm` prints.
std::pair<std::string, std::string> job_ids(const std::string& out) {
  std::string last;
  std::istringstream is(out);
  for (std::string line; std::getline(is, line);)
    if (!line.empty()) last = line;
  std::istringstream ls(last);
  std::pair<std::string, std::string> ids;
  ls >> ids.first >> ids.second;
  return ids;
}

// id -> the metric columns of summary.csv (status, steps and the five metrics).
std::map<std::string, std::string> metrics_by_id(const std::string& csv) {
  std::map<std::string, std::string> out;
  std::istringstream is(csv);
  std::string line;
  std::getline(is, line);  // header
  while (std::getline(is, line)) {
    // task,id,experiment,model,grid,seed,status,steps,m1..m5,path (no quoting in these ids)
    std::vector<std::string> f;
    std::string cur;
    for (char c : line) {
      if (c == ',') {
        f.push_back(cur);
        cur.clear();
      } else {
        cur += c;
      }
    }
    f.push_back(cur);
    if (f.size() < 14) continue;
    std::string v;
    for (int i = 6; i <= 12; ++i) v += f[i] + ",";
    out[f[1]] = v;
  }
  return out;
}

const std::string kSweepFile = kCliFixtures + "/sweep_tiny.rnn";

}  // namespace

TEST_SUITE("slurm") {

TEST_CASE("slurm: array job with a concurrency limit and an afterany collect job and a failed task fixed by --rerun-failed") {
  require_cluster();
  const std::string dir = fresh_dir("slurm_sweep");
  const auto t0 = std::chrono::steady_clock::now();
  ::setenv("RNNLAB_SWEEP_FAIL_RUNS", "sweep_tiny/lstm-hidden=8_seed=1", 1);  // task 2
  CliResult r = run_cli({"sweep", kSweepFile, "--out", dir, "--executor", "slurm", "--jobs", "2",
                         "--job-name", "rnnlab-test", "--time", "00:05:00"},
                        "slurm_sweep_submit");
  ::unsetenv("RNNLAB_SWEEP_FAIL_RUNS");
  INFO(r.out, r.err);
  REQUIRE(r.code == 0);
  const auto [array, collect] = job_ids(r.out);
  REQUIRE(!array.empty());
  REQUIRE(!collect.empty());
  CHECK(slurp(dir + "/sweep.sbatch").find("#SBATCH --array=0-5%2") != std::string::npos);
  const std::string job = sh("scontrol show job " + array);
  CHECK_MESSAGE(job.find("ArrayTaskThrottle=2") != std::string::npos, job);
  const std::string cjob = sh("scontrol show job " + collect);
  CHECK_MESSAGE(cjob.find("afterany:" + array) != std::string::npos, cjob);

  REQUIRE_MESSAGE(wait_jobs(array + "," + collect, 120), "jobs still queued after 120 s\n"
                                                             << sh("squeue") << daemon_logs());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("array of 6 tasks (%2) + collect: " << secs << " s");

  // The failed task: Slurm and the run file agree.
  const std::string t2 = sh("scontrol show job " + array + "_2");
  CHECK_MESSAGE(t2.find("JobState=FAILED") != std::string::npos, t2);
  const std::string t0s = sh("scontrol show job " + array + "_0");
  CHECK_MESSAGE(t0s.find("JobState=COMPLETED") != std::string::npos, t0s);
  CliResult st = run_cli({"status", dir}, "slurm_status1");
  INFO(st.out);
  CHECK(st.code == 1);
  CHECK(st.out.find("2\tfailed\tsweep_tiny/lstm-hidden=8_seed=1") != std::string::npos);
  CHECK(st.out.find("6 runs: 5 finished, 1 failed, 0 interrupted, 0 running, 0 missing") !=
        std::string::npos);
  // The collect job ran after the array (afterany, despite the failure).
  const std::string cjob_done = sh("scontrol show job " + collect);
  CHECK_MESSAGE(cjob_done.find("JobState=COMPLETED") != std::string::npos, cjob_done);
  CHECK(slurp(dir + "/logs/collect.out").find("6 runs: 5 finished, 1 failed") != std::string::npos);
  CHECK(slurp(dir + "/summary_groups.csv").find("sweep_tiny,lstm,model.lstm.hidden=8,2,1,1,") !=
        std::string::npos);

  // --rerun-failed submits only task 2 (and a new collect job).
  CliResult re = run_cli({"sweep", "--rerun-failed", dir, "--executor", "slurm", "--jobs", "2",
                          "--job-name", "rnnlab-test"},
                         "slurm_rerun");
  INFO(re.out, re.err);
  REQUIRE(re.code == 0);
  CHECK(slurp(dir + "/sweep.sbatch").find("#SBATCH --array=2%2") != std::string::npos);
  const auto [array2, collect2] = job_ids(re.out);
  REQUIRE_MESSAGE(wait_jobs(array2 + "," + collect2, 120), sh("squeue") << daemon_logs());
  st = run_cli({"status", dir}, "slurm_status2");
  CHECK(st.code == 0);
  CHECK(st.out.find("6 runs: 6 finished, 0 failed") != std::string::npos);
  CHECK(slurp(dir + "/summary_groups.csv").find("sweep_tiny,lstm,model.lstm.hidden=8,2,2,0,") !=
        std::string::npos);
  CHECK(slurp(dir + "/jobs.txt").find("tasks 2 collect " + collect2) != std::string::npos);
}

TEST_CASE("slurm: the same sweep gives the same numbers through Slurm and the local executor") {
  require_cluster();
  const std::string sdir = fresh_dir("slurm_same_slurm");
  const std::string ldir = fresh_dir("slurm_same_local");
  CliResult r = run_cli({"sweep", kSweepFile, "--out", sdir, "--executor", "slurm", "--jobs", "2",
                         "--job-name", "rnnlab-test"},
                        "slurm_same_submit");
  INFO(r.out, r.err);
  REQUIRE(r.code == 0);
  const auto [array, collect] = job_ids(r.out);
  CliResult l = run_cli({"sweep", kSweepFile, "--out", ldir, "--jobs", "2"}, "slurm_same_local");
  INFO(l.out, l.err);
  CHECK(l.code == 0);
  REQUIRE_MESSAGE(wait_jobs(array + "," + collect, 120), sh("squeue") << daemon_logs());
  CHECK(run_cli({"collect", ldir, "-q"}, "slurm_same_collect").code == 0);
  const auto a = metrics_by_id(slurp(sdir + "/summary.csv"));
  const auto b = metrics_by_id(slurp(ldir + "/summary.csv"));
  REQUIRE(a.size() == 6);
  CHECK(a == b);
  for (const auto& [id, v] : a) CHECK_MESSAGE(v.rfind("finished,6,", 0) == 0, id << ": " << v);
}

TEST_CASE("slurm: runs of a cancelled array job are reported by status as cancelled from Slurm's own record") {
  require_cluster();
  const std::string dir = fresh_dir("slurm_cancel");
  const auto t0 = std::chrono::steady_clock::now();
  // Long runs (100000 steps): two run at a time, the other four wait.
  CliResult r = run_cli({"sweep", kSweepFile, "--out", dir, "--executor", "slurm", "--jobs", "2",
                         "--job-name", "rnnlab-test", "--time", "00:05:00", "--no-collect",
                         "--set", "train.steps=100000"},
                        "slurm_cancel_submit");
  INFO(r.out, r.err);
  REQUIRE(r.code == 0);
  const std::string array = job_ids(r.out).first;
  REQUIRE(!array.empty());
  const auto recs = read_manifest(dir + "/manifest.tsv");
  REQUIRE(recs.size() == 6);

  // Wait until a task is RUNNING and its run file says "running".
  bool started = false;
  while (!started && std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() < 60) {
    const std::string q = sh("timeout 10 squeue -h -t RUNNING -o %i -j " + array);
    for (const auto& rec : recs)
      if (q.find(array + "_" + std::to_string(rec.task)) != std::string::npos &&
          run_state(rec.path) == RunState::running)
        started = true;
    if (!started) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  REQUIRE_MESSAGE(started, "no task running after 60 s\n" << sh("squeue") << daemon_logs());
  // While it runs, status says running (Slurm has no final state yet).
  CliResult st = run_cli({"status", dir}, "slurm_cancel_status0");
  CHECK(st.code == 1);
  CHECK_MESSAGE(st.out.find("\trunning\t") != std::string::npos, st.out);
  CHECK(st.out.find("cancelled") == std::string::npos);

  sh("scancel " + array);
  REQUIRE_MESSAGE(wait_jobs(array, 60), sh("squeue") << daemon_logs());
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  MESSAGE("submit, start, scancel and end of the array: " << secs << " s");

  // scancel's SIGTERM lets a started run close its file as "interrupted" (kept: the file knows
  // best); the tasks that never started (no run file) get Slurm's CANCELLED from scontrol.
  st = run_cli({"status", dir}, "slurm_cancel_status1");
  INFO(st.out);
  CHECK(st.code == 1);
  int cancelled = 0;
  for (const auto& rec : recs) {
    const std::string t = sh("scontrol -o show job " + array + "_" + std::to_string(rec.task));
    CHECK_MESSAGE(t.find("JobState=CANCELLED") != std::string::npos, t);
    const std::string file = to_string(run_state(rec.path));
    const std::string want = file == "missing" || file == "running" ? "cancelled" : file;
    CHECK_MESSAGE(file != "finished", rec.id);
    cancelled += want == "cancelled";
    CHECK(st.out.find(std::to_string(rec.task) + "\t" + want + "\t" + rec.id) != std::string::npos);
  }
  CHECK(cancelled >= 1);
  CHECK(st.out.find(" 0 running, 0 missing, " + std::to_string(cancelled) + " cancelled\n") !=
        std::string::npos);
  // collect counts them as not finished and records the state.
  CHECK(run_cli({"collect", dir, "-q"}, "slurm_cancel_collect").code == 0);
  CHECK(slurp(dir + "/summary.csv").find(",cancelled,") != std::string::npos);
  CHECK(read_string_column(dir + "/summary.h5", "runs/status").size() == 6);
}

}  // TEST_SUITE("slurm")
