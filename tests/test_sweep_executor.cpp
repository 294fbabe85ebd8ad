// sweep_executor.h and slurm_probe.h without the CLI and without Slurm: the local executor
// over a stand-in program, the sbatch scripts, submission through a stand-in `sbatch`, and
// the squeue / scontrol / jobcomp probing through stand-ins on $PATH; the expansion of
// several .rnn files into one manifest.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "rnnlab/dsl/compile.h"
#include "rnnlab/process.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/slurm_probe.h"
#include "rnnlab/sweep_executor.h"
#include "test_util.h"

using namespace rnnlab;
namespace fs = std::filesystem;

namespace {

std::string read_all(const std::string& path) {
  std::ifstream f(path);
  return {std::istreambuf_iterator<char>(f), std::istreambuf_iterator<char>()};
}

// An executable sh script; its own commands come from /usr/bin and /bin.
void write_script(const std::string& path, const std::string& body) {
  std::ofstream(path) << "#!/bin/sh\nPATH=/usr/bin:/bin\n" << body;
  ::chmod(path.c_str(), 0755);
}

// $PATH is `dir` alone while it lives (the stand-ins, never a real Slurm), then restored.
class OnlyOnPath {
 public:
  explicit OnlyOnPath(const std::string& dir) : old_(std::getenv("PATH") ? std::getenv("PATH") : "") {
    ::setenv("PATH", dir.c_str(), 1);
  }
  ~OnlyOnPath() { ::setenv("PATH", old_.c_str(), 1); }

 private:
  std::string old_;
};

const std::string kCliDir = std::string(RNNLAB_SOURCE_DIR) + "/tests/cli";

// The .rnn compiler, as the CLI passes it to expand_sweep and plan_sweep_task.
CompileSpecFile dsl_compiler(const Catalog& catalog) {
  return [&catalog](const std::string& path, const std::vector<std::string>& overrides) {
    const dsl::CompileResult r = dsl::compile_file(path, catalog, overrides);
    if (!r.ok) throw InputError(r.rendered);
    return r.spec;
  };
}

std::vector<ManifestRecord> records(const std::vector<int64_t>& tasks) {
  std::vector<ManifestRecord> out;
  for (int64_t t : tasks) {
    ManifestRecord r;
    r.task = t;
    r.id = "exp/run" + std::to_string(t);
    r.path = "/nonexistent/run" + std::to_string(t) + ".h5";
    out.push_back(r);
  }
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("sweep executor: array ranges and the rerun rule") {
  CHECK(array_ranges({7, 0, 1, 2, 5, 8}) == "0-2,5,7-8");
  CHECK(array_ranges({3}) == "3");
  CHECK(array_ranges({}) == "");
  for (int64_t t : {0, 1, 2, 5, 7, 8}) CHECK(in_array_ranges("0-2,5,7-8%2", t));
  for (int64_t t : {3, 4, 6, 9}) CHECK(!in_array_ranges("0-2,5,7-8%2", t));
  CHECK(!in_array_ranges("", 0));
  CHECK(!in_array_ranges("x-y", 0));
  for (RunState s : {RunState::failed, RunState::interrupted, RunState::missing}) {
    CHECK(needs_rerun(s, false));
    CHECK(needs_rerun(s, true));
  }
  CHECK(needs_rerun(RunState::running, false));
  CHECK(!needs_rerun(RunState::running, true));
  CHECK(!needs_rerun(RunState::finished, false));
  CHECK(!needs_rerun(RunState::skipped, false));
  CHECK(!needs_rerun(parse_run_state("cancelled"), false));  // Slurm's state: not ours
}

TEST_CASE("sweep executor: the folder's paths and attempts") {
  const SweepFolder folder{test::fresh_dir("sweep_exec_folder")};
  CHECK(folder.manifest() == folder.dir + "/manifest.tsv");
  CHECK(folder.log(7, 2, "err") == folder.dir + "/logs/task-7.attempt-2.err");
  CHECK(folder.next_attempt(false) == 1);
  CHECK(folder.next_attempt(true) == 1);
  CHECK(folder.next_attempt(true) == 2);
  CHECK(folder.next_attempt(false) == 3);
  CHECK(read_all(folder.dir + "/attempts") == "2\n");
  CHECK_THROWS_AS(SweepFolder{folder.dir + "/no/such"}.write("x", "y"), InputError);
  const auto cmd = task_command(folder, records({4}).front(), "/opt/rnnlab", 3);
  CHECK(cmd == std::vector<std::string>{"/opt/rnnlab", "run", "--manifest", folder.manifest(),
                                        "--task-id", "4", "--threads", "3", "--quiet"});
  // The sweep's options that every run needs follow, in a fixed order.
  const TaskFlags flags{"/tb", {"/p1", "/p 2"}, {"gru=/p1/x.so"}};
  CHECK(task_command(folder, records({4}).front(), "/opt/rnnlab", 3, flags) ==
        std::vector<std::string>{"/opt/rnnlab", "run", "--manifest", folder.manifest(),
                                 "--task-id", "4", "--threads", "3", "--quiet", "--tensorboard",
                                 "/tb", "--plugin-path", "/p1", "--plugin-path", "/p 2",
                                 "--cell-from", "gru=/p1/x.so"});
  SlurmOptions so;
  so.program = "/opt/rnnlab";
  so.flags = flags;
  CHECK(slurm_array_script(folder, {4}, so).find(
            " --quiet --tensorboard /tb --plugin-path /p1 --plugin-path '/p 2' --cell-from "
            "gru=/p1/x.so\n") != std::string::npos);
}

TEST_CASE("sweep executor: local workers run every task at most jobs at a time with logs") {
  const std::string dir = test::fresh_dir("sweep_exec_local");
  const SweepFolder folder{dir};
  // Stand-in for rnnlab: prints its arguments, marks itself running for 0.2 s, fails task 1.
  const std::string program = dir + "/fake-rnnlab";
  write_script(program,
               "echo \"$@\"\n"
               "echo \"stderr of $5\" >&2\n"
               "mkdir -p " + dir + "/running && touch " + dir + "/running/$5\n"
               "ls " + dir + "/running | wc -l >> " + dir + "/concurrency\n"
               "sleep 0.2\n"
               "rm " + dir + "/running/$5\n"
               "[ \"$5\" = 1 ] && exit 3\n"
               "exit 0\n");
  const auto tasks = records({0, 1, 2, 3, 4});
  LocalSweepOptions lo;
  lo.program = program;
  lo.jobs = 2;
  lo.threads = 0;
  lo.attempt = 2;
  CHECK(threads_per_task({program, 2, 5, 1, {}}, 5) == 5);
  CHECK(threads_per_task({program, 100, 0, 1, {}}, 1) >= 1);
  const int per = threads_per_task(lo, tasks.size());
  std::size_t started = 0, finished = 0;
  LocalSweepEvents ev;
  ev.on_start = [&](const ManifestRecord&, std::size_t n, std::size_t total) {
    CHECK(n == ++started);
    CHECK(total == 5);
  };
  ev.on_finish = [&](const TaskOutcome& o, std::size_t n, std::size_t) {
    CHECK(n == ++finished);
    CHECK(o.record != nullptr);
  };
  const auto outcomes = run_local_sweep(folder, tasks, lo, ev);
  CHECK(started == 5);
  CHECK(finished == 5);
  REQUIRE(outcomes.size() == 5);
  for (std::size_t i = 0; i < 5; ++i) {
    CHECK(outcomes[i].record == &tasks[i]);
    CHECK(outcomes[i].exit_code == (tasks[i].task == 1 ? 3 : 0));
    CHECK(outcomes[i].seconds >= 0.15);
    const int64_t t = tasks[i].task;
    CHECK(read_all(folder.log(t, 2, "out")) ==
          "run --manifest " + folder.manifest() + " --task-id " + std::to_string(t) +
              " --threads " + std::to_string(per) + " --quiet\n");
    CHECK(read_all(folder.log(t, 2, "err")) == "stderr of " + std::to_string(t) + "\n");
  }
  std::ifstream counts(dir + "/concurrency");
  int most = 0, n = 0;
  for (int c; counts >> c; ++n) most = std::max(most, c);
  CHECK(n == 5);
  CHECK(most <= 2);
  // Why a task did not finish: without a run file, the last line of its stderr log.
  const TaskReport crashed = task_report(folder, tasks[1], 2);
  CHECK(crashed.state == RunState::missing);
  CHECK(crashed.error == "stderr of 1");
  CHECK(task_report(folder, tasks[1], 7).error.empty());  // no log of that attempt
  ManifestRecord written = tasks[1];
  written.path = dir + "/run1.h5";
  for (const char* status : {"failed", "finished"}) {
    {
      RunFile f = RunFile::create(written.path);
      f.set_attr(layout::kStatus, std::string(status));
      f.set_attr(layout::kError, std::string("diverged at step 3"));
    }
    const TaskReport r = task_report(folder, written, 2);
    CHECK(to_string(r.state) == std::string(status));
    CHECK(r.error == (r.state == RunState::failed ? "diverged at step 3" : ""));  // the file's, not the log's
  }
  // A program that cannot be started is an error, not a failed task.
  lo.program = dir + "/no-such-program";
  CHECK_THROWS_AS(run_local_sweep(folder, tasks, lo), ProcessStartError);
}

TEST_CASE("sweep executor: the sbatch array and collect scripts") {
  const SweepFolder folder{test::fresh_dir("sweep_exec_scripts")};
  SlurmOptions so;
  so.program = "/opt/my rnnlab/bin/rnnlab";
  so.jobs = 2;
  so.partition = "debug";
  so.time = "00:05:00";
  so.mem = "1G";
  so.gres = "gpu:1";
  so.cpus_per_task = 3;
  so.job_name = "study";
  so.extra = {"--account=abc"};
  so.attempt = 4;
  const std::string d = folder.dir;
  CHECK(slurm_array_script(folder, {0, 1, 2, 5}, so) ==
        "#!/bin/bash\n"
        "# rnnlab sweep: one array task per run of " + d + "/manifest.tsv\n"
        "#SBATCH --job-name=study\n"
        "#SBATCH --array=0-2,5%2\n"
        "#SBATCH --output=" + d + "/logs/task-%a.attempt-4.out\n"
        "#SBATCH --error=" + d + "/logs/task-%a.attempt-4.err\n"
        "#SBATCH --cpus-per-task=3\n"
        "#SBATCH --partition=debug\n"
        "#SBATCH --time=00:05:00\n"
        "#SBATCH --mem=1G\n"
        "#SBATCH --gres=gpu:1\n"
        "#SBATCH --account=abc\n"
        "set -u\n"
        "exec '/opt/my rnnlab/bin/rnnlab' run --manifest " + d + "/manifest.tsv"
        " --task-id \"$SLURM_ARRAY_TASK_ID\" --threads \"${SLURM_CPUS_PER_TASK:-1}\" --quiet\n");
  CHECK(slurm_collect_script(folder, so) ==
        "#!/bin/bash\n"
        "# rnnlab sweep: summary of " + d + " once every array task has ended (afterany)\n"
        "#SBATCH --job-name=study-collect\n"
        "#SBATCH --output=" + d + "/logs/collect.out\n"
        "#SBATCH --error=" + d + "/logs/collect.err\n"
        "#SBATCH --cpus-per-task=1\n"
        "#SBATCH --partition=debug\n"
        "#SBATCH --time=00:05:00\n"
        "#SBATCH --account=abc\n"
        "set -u\n"
        "exec '/opt/my rnnlab/bin/rnnlab' collect " + d + "\n");
  so.jobs = 0;  // no % limit
  CHECK(slurm_array_script(folder, {3}, so).find("#SBATCH --array=3\n") != std::string::npos);
  write_slurm_scripts(folder, {3}, so);
  CHECK(read_all(folder.array_script()) == slurm_array_script(folder, {3}, so));
  CHECK(read_all(folder.collect_script()) == slurm_collect_script(folder, so));
  CHECK(fs::is_directory(folder.logs()));
}

TEST_CASE("sweep executor: submission through sbatch records the job ids") {
  const std::string dir = test::fresh_dir("sweep_exec_submit");
  const std::string bin = test::fresh_dir("sweep_exec_submit/bin");
  // Stand-in sbatch: logs its arguments, answers job ids 4242;cluster then 4243.
  write_script(bin + "/sbatch",
               "echo \"$@\" >> " + dir + "/sbatch.args\n"
               "n=$(wc -l < " + dir + "/sbatch.args)\n"
               "[ -f " + dir + "/fail ] && { echo 'sbatch: error: no partition'; exit 1; }\n"
               "echo \"$((4241 + n));cluster\"\n");
  const SweepFolder folder{test::fresh_dir("sweep_exec_submit/sweep")};
  SlurmOptions so;
  so.program = "/opt/rnnlab";
  OnlyOnPath path(bin);
  const SlurmSubmission s = submit_slurm_sweep(folder, {0, 1, 2}, so);
  CHECK(s.array_id == "4242");
  CHECK(s.collect_id == "4243");
  CHECK(read_all(dir + "/sbatch.args") ==
        "--parsable " + folder.array_script() + "\n" +
        "--parsable --dependency=afterany:4242 " + folder.collect_script() + "\n");
  CHECK(read_all(folder.jobs()) == "array 4242 tasks 0-2 collect 4243\n");
  // Without the collect job; the next line is appended.
  so.collect = false;
  const SlurmSubmission s2 = submit_slurm_sweep(folder, {1}, so);
  CHECK(s2.array_id == "4244");
  CHECK(s2.collect_id.empty());
  CHECK(read_all(folder.jobs()) == "array 4242 tasks 0-2 collect 4243\narray 4244 tasks 1\n");
  // sbatch failing, or not there at all: an InputError with what sbatch said.
  std::ofstream(dir + "/fail") << "";
  CHECK_THROWS_WITH_AS(submit_slurm_sweep(folder, {1}, so),
                       doctest::Contains("failed (exit 1): sbatch: error: no partition"),
                       InputError);
  fs::remove(bin + "/sbatch");
  CHECK_THROWS_WITH_AS(submit_slurm_sweep(folder, {1}, so),
                       doctest::Contains("cannot run 'sbatch'"), InputError);
}

TEST_CASE("sweep executor: Slurm final states from scontrol then the jobcomp file and squeue") {
  CHECK(slurm_final_state("CANCELLED by 0") == "cancelled");
  CHECK(slurm_final_state("OUT_OF_MEMORY") == "out_of_memory");
  CHECK(slurm_final_state("TIMEOUT+") == "timeout");
  for (const char* busy : {"PENDING", "RUNNING", "COMPLETING", "REQUEUED", "COMPLETED", ""})
    CHECK(slurm_final_state(busy) == "");

  const std::string dir = test::fresh_dir("sweep_exec_probe");
  const std::string bin = test::fresh_dir("sweep_exec_probe/bin");
  const SweepFolder folder{test::fresh_dir("sweep_exec_probe/sweep")};
  OnlyOnPath path(bin);
  // Without jobs.txt nothing is asked.
  CHECK(slurm_final_states(folder, {0, 1}).empty());
  CHECK(!slurm_jobs_queued(folder));

  // Two submissions: task 3 was submitted again in array 200.
  std::ofstream(folder.jobs()) << "array 100 tasks 0-3 collect 101\narray 200 tasks 3-4\n";
  std::ofstream(dir + "/jobcomp.txt")
      << "JobId=201 UserId=root ArrayJobId=200 ArrayTaskId=3 JobState=TIMEOUT Partition=debug\n"
      << "JobId=200 UserId=root JobState=CANCELLED Partition=debug\n";
  write_script(bin + "/scontrol",
               "if [ \"$1\" = show ] && [ \"$2\" = config ]; then\n"
               "  echo 'JobCompLoc              = " + dir + "/jobcomp.txt'; exit 0; fi\n"
               "case \"$4\" in\n"
               "  100_0) echo 'JobId=110 ArrayJobId=100 ArrayTaskId=0 JobState=CANCELLED Reason=None';;\n"
               "  100_1) echo 'JobId=111 ArrayJobId=100 ArrayTaskId=1 JobState=RUNNING Reason=None';;\n"
               "  100_2) echo 'JobId=112 ArrayJobId=100 ArrayTaskId=2 JobState=COMPLETED Reason=None';;\n"
               "  *) echo 'slurm_load_jobs error: Invalid job id specified' >&2; exit 1;;\n"
               "esac\n");
  const auto states = slurm_final_states(folder, {0, 1, 2, 3, 4, 9});
  CHECK(states == std::map<int64_t, std::string>{{0, "cancelled"}, {3, "timeout"}, {4, "cancelled"}});
  // Run states completed by them: only running and missing files change.
  std::vector<ManifestRecord> records(6);
  for (int64_t t = 0; t < 5; ++t) records[static_cast<std::size_t>(t)].task = t;
  records[5].task = 9;
  std::vector<RunStatus> statuses;
  for (const char* st : {"running", "running", "missing", "missing", "failed", "running"})
    statuses.push_back(RunStatus{&records[statuses.size()], st, 0, ""});
  apply_slurm_states(folder, statuses);
  std::vector<std::string> now;
  for (const auto& s : statuses) now.push_back(s.state);
  CHECK(now == std::vector<std::string>{"cancelled", "running", "missing", "timeout", "failed",
                                        "running"});

  // squeue: queued while it lists a job of jobs.txt.
  write_script(bin + "/squeue",
               "echo \"$@\" > " + dir + "/squeue.args\n"
               "[ -f " + dir + "/queued ] && echo 100\n"
               "exit 0\n");
  CHECK(!slurm_jobs_queued(folder));
  CHECK(read_all(dir + "/squeue.args") == "-h -o %i -j 100,101,200\n");
  std::ofstream(dir + "/queued") << "";
  CHECK(slurm_jobs_queued(folder));
  // No Slurm commands at all: nothing known.
  fs::remove(bin + "/squeue");
  fs::remove(bin + "/scontrol");
  CHECK(!slurm_jobs_queued(folder));
  CHECK(slurm_final_states(folder, {0, 3}).empty());
}

TEST_CASE("sweep executor: several files expand into one run list that keeps task numbers") {
  const Catalog catalog(test::builtin_cells());
  const CompileSpecFile compile = dsl_compiler(catalog);
  const std::string sweep = kCliDir + "/sweep_tiny.rnn";
  const std::string tiny = kCliDir + "/tiny.rnn";
  const SweepFolder folder{test::fresh_dir("sweep_exec_expand")};

  // gru only, with a global override: its two seeds, run files under the folder.
  const auto gru = expand_sweep(folder, {sweep}, {"train.steps=4"}, {"gru"}, catalog, compile);
  REQUIRE(gru.size() == 2);
  CHECK(gru[0].id == "sweep_tiny/gru-seed=1");
  CHECK(gru[0].set == std::vector<std::string>{"train.steps=4"});
  CHECK(gru[0].path.rfind(folder.dir + "/sweep_tiny/", 0) == 0);
  write_manifest(folder.manifest(), gru);

  // Everything again: the gru runs keep their task numbers, the lstm runs come after them.
  const auto all = expand_sweep(folder, {sweep}, {"train.steps=4"}, {}, catalog, compile);
  REQUIRE(all.size() == 6);
  std::map<std::string, int64_t> task;
  for (const auto& r : all) task[r.id] = r.task;
  CHECK(task["sweep_tiny/gru-seed=1"] == gru[0].task);
  CHECK(task["sweep_tiny/gru-seed=2"] == gru[1].task);
  CHECK(task["sweep_tiny/lstm-hidden=4_seed=1"] >= 2);

  // Two files: a model only one of them has is fine; with one file it is an error.
  const auto two = expand_sweep(folder, {tiny, sweep}, {}, {"lstm"}, catalog, compile);
  CHECK(two.size() == 1 + 4);
  CHECK(two.front().id == "tiny/lstm");
  CHECK_THROWS_AS(expand_sweep(folder, {sweep}, {}, {"nope"}, catalog, compile), InputError);
  CHECK_THROWS_WITH_AS(expand_sweep(folder, {tiny, sweep}, {}, {"nope"}, catalog, compile),
                       doctest::Contains("the sweep has no runs"), InputError);
}

TEST_CASE("sweep executor: a manifest task's plan is its record's run under the manifest's folder") {
  const Catalog catalog(test::builtin_cells());
  const CompileSpecFile compile = dsl_compiler(catalog);
  const std::string sweep = kCliDir + "/sweep_tiny.rnn";
  const SweepFolder folder{test::fresh_dir("sweep_exec_task")};
  const auto records = expand_sweep(folder, {sweep}, {"train.steps=4"}, {}, catalog, compile);
  write_manifest(folder.manifest(), records);
  for (const ManifestRecord& r : records) {
    RunOptions options;
    options.threads = 2;
    const SweepTask t = plan_sweep_task(folder.manifest(), r.task, catalog, compile, options);
    CHECK(t.record.id == r.id);
    CHECK(t.plan.path == r.path);
    CHECK(t.plan.model == r.model);
    CHECK(t.plan.sweep_settings == r.overrides);
    CHECK(options.out_dir == folder.dir);
    CHECK(options.models == std::vector<std::string>{r.model});
    CHECK(options.resume);
    CHECK(options.threads == 2);  // the caller's
  }
  RunOptions options;
  CHECK_THROWS_WITH_AS(plan_sweep_task(folder.manifest(), 99, catalog, compile, options),
                       doctest::Contains("has no task 99"), InputError);
  // The file no longer has a run of the manifest: say so, never run another.
  auto moved = records;
  moved[0].path = folder.dir + "/elsewhere/run.h5";
  write_manifest(folder.manifest(), moved);
  CHECK_THROWS_WITH_AS(plan_sweep_task(folder.manifest(), moved[0].task, catalog, compile, options),
                       doctest::Contains("no longer has this run"), InputError);
}

TEST_SUITE_END();
