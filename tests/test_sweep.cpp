// Sweeps: manifest expansion (ids stable across expansions, plan_runs' grid order, task numbers
// kept, bad sweep keys rejected, the file format round-trips), and `rnnlab sweep` through the
// local executor with `status`, `collect` and --rerun-failed (the CLI tests need the .rnn
// compiler and say so if it is missing). The Slurm executor: tests/test_slurm.cpp.
#include <doctest/doctest.h>

#include <signal.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>

#include "cli/cli_util.h"
#include "cli/runner_util.h"
#include "rnnlab/manifest.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_state.h"
#include "rnnlab/runner.h"
#include "rnnlab/summary_file.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

ExperimentSpec two_model_sweep() {
  ExperimentSpec s = tiny_digits_spec();
  ModelSpec g = s.models[0];
  g.name = "gru";
  g.layers[0].kind = "gru";
  s.models.push_back(g);
  s.sweep = {SweepAxis{"model.lstm.hidden", {int64_t{4}, int64_t{8}}, {}},
             SweepAxis{"seed", {int64_t{1}, int64_t{2}, int64_t{3}}, {}}};
  return s;
}

RunOptions out_options(const std::string& out) {
  RunOptions o;
  o.out_dir = out;
  return o;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("sweep manifest: models x grid x seeds in plan_runs' order, ids and overrides") {
  Catalog cat(builtin_cells());
  const ExperimentSpec s = two_model_sweep();
  const auto recs = expand_manifest(s, cat, out_options("/sw"), "/x/tiny.rnn", {"train.steps=5"});
  const auto plans = plan_runs(s, cat, out_options("/sw"));
  REQUIRE(recs.size() == 9);  // lstm 2 x 3, gru 3 (the hidden axis is the lstm's only)
  REQUIRE(plans.size() == recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    CHECK(recs[i].task == int64_t(i));
    CHECK(recs[i].id == "tiny/" + plans[i].name);
    CHECK(recs[i].path == plans[i].path);
    CHECK(recs[i].model == plans[i].model);
    CHECK(recs[i].file == "/x/tiny.rnn");
    CHECK(recs[i].set == std::vector<std::string>{"train.steps=5"});
  }
  CHECK(recs[0].id == "tiny/lstm-hidden=4_seed=1");
  CHECK(recs[1].id == "tiny/lstm-hidden=4_seed=2");  // the last axis fastest
  CHECK(recs[3].id == "tiny/lstm-hidden=8_seed=1");
  CHECK(recs[6].id == "tiny/gru-seed=1");
  CHECK(recs[0].path == "/sw/tiny/lstm-hidden=4_seed=1/run.h5");
  CHECK(recs[4].overrides == std::vector<std::string>{"model.lstm.hidden=8", "seed=2"});
  CHECK(recs[8].overrides == std::vector<std::string>{"seed=3"});
  CHECK(grid_point(recs[4]) == "model.lstm.hidden=8");
  CHECK(grid_point(recs[8]) == "");
  CHECK(recs[4].experiment() == "tiny");

  // Expanding again gives the same records, byte for byte.
  CHECK(manifest_text(expand_manifest(s, cat, out_options("/sw"), "/x/tiny.rnn",
                                      {"train.steps=5"})) == manifest_text(recs));
}

TEST_CASE("sweep manifest: ids and task numbers stay when the sweep changes") {
  Catalog cat(builtin_cells());
  ExperimentSpec s = two_model_sweep();
  const auto before = expand_manifest(s, cat, out_options("/sw"), "/x/tiny.rnn", {});
  // One more seed and hidden size: old runs keep their ids and tasks, new ones come after.
  s.sweep[0].values.push_back(int64_t{16});
  s.sweep[1].values.push_back(int64_t{4});
  auto after = expand_manifest(s, cat, out_options("/sw"), "/x/tiny.rnn", {});
  REQUIRE(after.size() == 3 * 4 + 4);
  assign_tasks(after, before);
  std::map<std::string, int64_t> old;
  for (const auto& r : before) old[r.id] = r.task;
  std::set<int64_t> tasks;
  int64_t next = int64_t(before.size());
  for (const auto& r : after) {
    CHECK(tasks.insert(r.task).second);
    if (old.count(r.id))
      CHECK(r.task == old[r.id]);
    else
      CHECK(r.task == next++);
  }
  CHECK(next == int64_t(after.size()));
  // A removed run leaves its number unused; nothing is renumbered.
  RunOptions only_gru;
  only_gru.out_dir = "/sw";
  only_gru.models = {"gru"};
  auto fewer = expand_manifest(two_model_sweep(), cat, only_gru, "/x/tiny.rnn", {});
  assign_tasks(fewer, before);
  REQUIRE(fewer.size() == 3);
  CHECK(fewer[0].task == 6);
  CHECK(fewer[2].task == 8);
}

TEST_CASE("sweep manifest: bad sweep keys and values are rejected") {
  Catalog cat(builtin_cells());
  ExperimentSpec s = two_model_sweep();
  s.sweep.push_back(SweepAxis{"train.no_such_setting", {int64_t{1}}, {}});
  CHECK_THROWS_AS(expand_manifest(s, cat, RunOptions{}, "x.rnn", {}), InputError);
  s = two_model_sweep();
  s.sweep.push_back(SweepAxis{"bogus", {int64_t{1}}, {}});
  CHECK_THROWS_AS(expand_manifest(s, cat, RunOptions{}, "x.rnn", {}), InputError);
  s = two_model_sweep();
  s.sweep.push_back(SweepAxis{"model.lstm.no_such_arg", {int64_t{1}}, {}});
  CHECK_THROWS_AS(expand_manifest(s, cat, RunOptions{}, "x.rnn", {}), InputError);
  s = two_model_sweep();
  s.sweep[1].values.clear();  // an axis without values
  CHECK_THROWS_AS(expand_manifest(s, cat, RunOptions{}, "x.rnn", {}), InputError);
  s = two_model_sweep();
  s.sweep[1].values = {int64_t{1}, int64_t{1}};  // duplicate values: two runs, one path
  CHECK_THROWS_AS(expand_manifest(s, cat, RunOptions{}, "x.rnn", {}), InputError);
  s = two_model_sweep();
  s.sweep.push_back(SweepAxis{"data.path", {std::string("a\tb")}, {}});
  CHECK_THROWS(manifest_text(expand_manifest(s, cat, RunOptions{}, "x.rnn", {})));
  // The same experiment twice in one sweep: duplicate ids.
  auto twice = expand_manifest(two_model_sweep(), cat, RunOptions{}, "x.rnn", {});
  auto again = twice;
  twice.insert(twice.end(), again.begin(), again.end());
  CHECK_THROWS_AS(assign_tasks(twice, {}), InputError);
}

TEST_CASE("sweep manifest: the file format round-trips and malformed files are errors") {
  Catalog cat(builtin_cells());
  auto recs = expand_manifest(two_model_sweep(), cat, out_options("/sw"), "/x/t.rnn",
                              {"train.batch=8", "backend=cpu"});
  recs[2].task = 40;
  const std::string text = manifest_text(recs);
  const auto back = parse_manifest(text, "m.tsv");
  REQUIRE(back.size() == recs.size());
  for (std::size_t i = 0; i < recs.size(); ++i) {
    CHECK(back[i].task == recs[i].task);
    CHECK(back[i].id == recs[i].id);
    CHECK(back[i].path == recs[i].path);
    CHECK(back[i].set == recs[i].set);
    CHECK(back[i].overrides == recs[i].overrides);
  }
  CHECK(manifest_text(back) == text);
  const std::string dir = temp_dir("sweep_manifest_io");
  write_manifest(dir + "/manifest.tsv", recs);
  CHECK(manifest_text(read_manifest(dir + "/manifest.tsv")) == text);
  CHECK_THROWS_AS(parse_manifest("0\ta\tb\n", "m.tsv"), InputError);
  CHECK_THROWS_AS(parse_manifest("x\ta\tm\tp\tf\t-\t-\n", "m.tsv"), InputError);
  CHECK_THROWS_AS(parse_manifest("1\ta\tm\tp\tf\t-\t-\n1\tb\tm\tp\tf\t-\t-\n", "m.tsv"), InputError);
  CHECK_THROWS_AS(read_manifest(dir + "/nope.tsv"), InputError);
  CHECK(run_state(dir + "/nope.h5") == RunState::missing);
}

// ---- the CLI, local executor ----

namespace {

const std::string kSweepFile = kCliFixtures + "/sweep_tiny.rnn";

}  // namespace

TEST_CASE("rnnlab sweep --executor local: runs, status, collect, --rerun-failed"
          * doctest::test_suite("integration")) {
  const std::string dir = fresh_dir("sweep_local");
  // The dry run writes the manifest and lists the commands.
  CliResult dry = run_cli({"sweep", kSweepFile, "--out", dir, "--dry-run", "--jobs", "2"},
                          "sweep_local_dry");
  INFO(dry.err);
  REQUIRE(dry.code == 0);
  CHECK(dry.out.find("--task-id 5") != std::string::npos);
  const auto recs = read_manifest(dir + "/manifest.tsv");
  REQUIRE(recs.size() == 6);
  CHECK(recs[0].id == "sweep_tiny/lstm-hidden=4_seed=1");
  CHECK(recs[5].id == "sweep_tiny/gru-seed=2");
  CHECK(run_state(recs[0].path) == RunState::missing);
  CliResult st = run_cli({"status", dir}, "sweep_local_status0");
  CHECK(st.code == 1);
  CHECK(st.out.find("6 runs: 0 finished, 0 failed, 0 interrupted, 0 running, 6 missing") !=
        std::string::npos);

  // Run it, with one run failing on purpose.
  ::setenv("RNNLAB_SWEEP_FAIL_RUNS", "sweep_tiny/lstm-hidden=8_seed=1", 1);
  CliResult r = run_cli({"sweep", kSweepFile, "--out", dir, "--jobs", "2"}, "sweep_local_run");
  ::unsetenv("RNNLAB_SWEEP_FAIL_RUNS");
  INFO(r.out, r.err);
  CHECK(r.code == 1);
  CHECK(r.out.find("6 runs: 5 finished, 1 not") != std::string::npos);
  CHECK(run_state(recs[2].path) == RunState::failed);
  st = run_cli({"status", dir}, "sweep_local_status1");
  CHECK(st.code == 1);
  CHECK(st.out.find("2\tfailed\tsweep_tiny/lstm-hidden=8_seed=1") != std::string::npos);
  CHECK(st.out.find("6 runs: 5 finished, 1 failed") != std::string::npos);

  CliResult c = run_cli({"collect", dir}, "sweep_local_collect1");
  CHECK(c.code == 0);
  const std::string groups = slurp(dir + "/summary_groups.csv");
  // lstm hidden=8: two runs, one finished, one failed; the failed one is not averaged in.
  CHECK(groups.find("sweep_tiny,lstm,model.lstm.hidden=8,2,1,1,") != std::string::npos);
  CHECK(groups.find("sweep_tiny,lstm,model.lstm.hidden=4,2,2,0,") != std::string::npos);
  CHECK(groups.find("sweep_tiny,gru,,2,2,0,") != std::string::npos);
  const std::string runs = slurp(dir + "/summary.csv");
  CHECK(runs.find("2,sweep_tiny/lstm-hidden=8_seed=1,sweep_tiny,lstm,model.lstm.hidden=8,1,failed,") !=
        std::string::npos);

  // summary.h5: the same two tables, /runs and /groups, one 1-D dataset per column.
  {
    const std::string h5 = dir + "/summary.h5";
    REQUIRE(fs::exists(h5));
    const auto ids = read_string_column(h5, "runs/id");
    REQUIRE(ids.size() == 6);
    for (std::size_t i = 0; i < 6; ++i) CHECK(ids[i] == recs[i].id);
    const auto models = read_string_column(h5, "runs/model");
    CHECK(models == std::vector<std::string>{"lstm", "lstm", "lstm", "lstm", "gru", "gru"});
    const auto status = read_string_column(h5, "runs/status");
    REQUIRE(status.size() == 6);
    CHECK(status[2] == "failed");
    CHECK(status[0] == "finished");
    RunFile f = RunFile::open(h5);
    auto vec = [](const Tensor& t) {
      return std::vector<double>(t.data<double>(), t.data<double>() + t.numel());
    };
    const Tensor task = f.read_tensor("runs/task");
    const Tensor steps = f.read_tensor("runs/steps");
    const Tensor loss = f.read_tensor("runs/final_train_loss");
    REQUIRE(task.numel() == 6);
    REQUIRE(loss.numel() == 6);
    CHECK(task.dtype() == DType::f64);
    const auto tv = vec(task);
    const auto sv = vec(steps);
    const auto lv = vec(loss);
    for (int i = 0; i < 6; ++i) CHECK(tv[i] == double(recs[i].task));
    CHECK(sv[0] == 6);
    CHECK(std::isfinite(lv[0]));
    CHECK(std::isnan(lv[2]));  // the failed run: no metrics
    CHECK(f.attr_string("runs/columns").rfind("task,id,experiment,model,grid,seed,status,steps,", 0) == 0);
    CHECK(f.attr_int("runs/rows") == 6);
    CHECK(f.attr_int("groups/rows") == 3);
    const auto gexp = read_string_column(h5, "groups/grid");
    CHECK(gexp == std::vector<std::string>{"model.lstm.hidden=4", "model.lstm.hidden=8", ""});
    const auto gfin = vec(f.read_tensor("groups/finished"));
    const auto gfail = vec(f.read_tensor("groups/failed"));
    CHECK(gfin == std::vector<double>{2, 1, 2});
    CHECK(gfail == std::vector<double>{0, 1, 0});
    CHECK(f.read_tensor("groups/mean_final_train_loss").numel() == 3);
  }

  // --rerun-failed runs only the failed one.
  const auto before = fs::last_write_time(recs[0].path);
  CliResult re = run_cli({"sweep", "--rerun-failed", dir}, "sweep_local_rerun");
  INFO(re.out, re.err);
  CHECK(re.code == 0);
  CHECK(re.out.find("1 runs: 1 finished") != std::string::npos);
  CHECK(fs::last_write_time(recs[0].path) == before);
  st = run_cli({"status", dir}, "sweep_local_status2");
  CHECK(st.code == 0);
  CHECK(st.out.find("6 runs: 6 finished, 0 failed") != std::string::npos);

  // Expanding the same sweep again keeps the manifest as it was.
  const std::string text = slurp(dir + "/manifest.tsv");
  CHECK(run_cli({"sweep", kSweepFile, "--out", dir, "--dry-run"}, "sweep_local_dry2").code == 0);
  CHECK(slurp(dir + "/manifest.tsv") == text);

  // Bad usage.
  CHECK(run_cli({"sweep", kSweepFile, "--executor", "pbs"}, "sweep_bad1").code == 2);
  CHECK(run_cli({"sweep", kSweepFile, "--out", dir, "--set", "bogus=1"}, "sweep_bad2").code == 2);
  CHECK(run_cli({"status", dir + "/nope"}, "sweep_bad3").code == 2);
  CHECK(run_cli({"run", "--manifest", dir + "/manifest.tsv", "--task-id", "99"}, "sweep_bad4").code == 2);
}

TEST_CASE("rnnlab sweep --executor slurm --dry-run prints the array and collect scripts"
          * doctest::test_suite("integration")) {
  const std::string dir = fresh_dir("sweep_slurm_dry");
  CliResult r = run_cli({"sweep", kSweepFile, "--out", dir, "--executor", "slurm", "--dry-run",
                         "--jobs", "2", "--partition", "debug", "--time", "00:05:00", "--mem",
                         "1G", "--cpus-per-task", "1", "--gres", "gpu:1", "--sbatch",
                         "--account=abc"},
                        "sweep_slurm_dry");
  INFO(r.err);
  REQUIRE(r.code == 0);
  for (const char* want :
       {"#SBATCH --array=0-5%2", "#SBATCH --partition=debug", "#SBATCH --time=00:05:00",
        "#SBATCH --mem=1G", "#SBATCH --cpus-per-task=1", "#SBATCH --gres=gpu:1",
        "#SBATCH --account=abc", "--task-id \"$SLURM_ARRAY_TASK_ID\"",
        "--dependency=afterany:", " collect "})
    CHECK_MESSAGE(r.out.find(want) != std::string::npos, want);
  CHECK(slurp(dir + "/sweep.sbatch").find("#SBATCH --array=0-5%2") != std::string::npos);
  CHECK(!fs::exists(dir + "/jobs.txt"));  // nothing submitted
}

TEST_CASE("sweep: summary columns per axis with timing and error and the failures explained"
          * doctest::test_suite("integration")) {
  const std::string dir = temp_dir("sweep_columns");
  fs::remove_all(dir);
  ::setenv("RNNLAB_SWEEP_FAIL_RUNS", "sweep_tiny/lstm-hidden=8_seed=1", 1);
  CliResult r = run_cli({"sweep", kSweepFile, "--out", dir, "--jobs", "2"}, "sweep_columns_run");
  ::unsetenv("RNNLAB_SWEEP_FAIL_RUNS");
  INFO(r.out, r.err);
  CHECK(r.code == 1);
  // The local summary says why the failed run failed and where its logs are.
  CHECK(r.out.find("failed on purpose") != std::string::npos);
  CHECK(r.out.find("task-2.attempt-1.{out,err}") != std::string::npos);
  // The local executor collects like Slurm's collect job.
  REQUIRE(fs::exists(dir + "/summary.csv"));
  const auto lines = lines_of(slurp(dir + "/summary.csv"));
  REQUIRE(lines.size() == 7);
  const auto header = csv_fields(lines[0]);
  auto col = [&](const std::string& name) {
    const auto it = std::find(header.begin(), header.end(), name);
    REQUIRE_MESSAGE(it != header.end(), name, " not in ", lines[0]);
    return static_cast<std::size_t>(it - header.begin());
  };
  // model.lstm.hidden is the column `hidden` (gru rows: empty); seed stays its own column.
  const std::size_t hidden = col("hidden"), ms = col("ms_per_step"), wall = col("wall_s"),
                    error = col("error"), steps = col("steps"), status = col("status");
  const auto failed = csv_fields(lines[3]);  // task 2
  CHECK(failed[status] == "failed");
  CHECK(failed[hidden] == "8");
  CHECK(failed[steps] == "1");  // one step completed before it failed
  CHECK(failed[error].find("failed on purpose") != std::string::npos);
  const auto ok = csv_fields(lines[1]);
  CHECK(ok[status] == "finished");
  CHECK(ok[hidden] == "4");
  CHECK(std::stod(ok[ms]) > 0);
  CHECK(std::stod(ok[wall]) > 0);
  CHECK(ok[error].empty());
  CHECK(csv_fields(lines[5])[hidden].empty());  // gru
  {  // summary.h5: hidden is numeric (NaN for gru), error a text column
    RunFile f = RunFile::open(dir + "/summary.h5");
    const auto h = to_vector<double>(f.read_tensor("runs/hidden"));
    REQUIRE(h.size() == 6);
    CHECK(h[0] == 4);
    CHECK(h[2] == 8);
    CHECK(std::isnan(h[5]));
    CHECK(f.exists("runs/error"));
  }
  // status: steps reached and the error of the failed run.
  const CliResult st = run_cli({"status", dir}, "sweep_columns_status");
  CHECK(st.out.find("2\tfailed\tsweep_tiny/lstm-hidden=8_seed=1\t1 steps\t") != std::string::npos);
  CHECK(st.out.find("failed on purpose") != std::string::npos);

  // --rerun-failed remembers --jobs 2 and keeps attempt 1's logs beside attempt 2's.
  CHECK(slurp(dir + "/sweep.options").find("--jobs=2") != std::string::npos);
  const CliResult again = run_cli({"sweep", "--rerun-failed", dir}, "sweep_columns_rerun");
  CHECK_MESSAGE(again.code == 0, again.out, again.err);
  CHECK(again.out.find("2 at a time") != std::string::npos);
  CHECK(fs::exists(dir + "/logs/task-2.attempt-1.err"));
  CHECK(fs::exists(dir + "/logs/task-2.attempt-2.err"));
  CHECK(run_state(dir + "/sweep_tiny/lstm-hidden=8_seed=1/run.h5") == RunState::finished);
}

TEST_CASE("sweep: --rerun-failed continues an interrupted run from its checkpoint"
          * doctest::test_suite("integration")) {
  const std::string dir = temp_dir("sweep_resume"), logs = temp_dir("sweep_resume_logs");
  fs::remove_all(dir);
  // A one-run sweep (long.rnn has no sweep block), expanded without running.
  REQUIRE(run_cli({"sweep", kCliFixtures + "/long.rnn", "--out", dir, "--dry-run", "--set",
                   "train.steps=20000"}).code == 0);
  const auto recs = read_manifest(dir + "/manifest.tsv");
  REQUIRE(recs.size() == 1);
  const pid_t pid = start_cli({"run", "--manifest", dir + "/manifest.tsv", "--task-id", "0",
                               "--threads", "1", "--quiet"}, logs);
  REQUIRE(wait_for_file(recs[0].path, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGINT);
  REQUIRE(wait_cli(pid, logs).code == 1);
  REQUIRE(run_state(recs[0].path) == RunState::interrupted);
  const CliResult r = run_cli({"sweep", "--rerun-failed", dir, "--threads", "1"}, "sweep_resume");
  CHECK_MESSAGE(r.code == 0, r.out, r.err);
  CHECK(slurp(dir + "/logs/task-0.attempt-1.out").find("resumed from step") != std::string::npos);
  CHECK(run_state(recs[0].path) == RunState::finished);
}

TEST_SUITE_END();
