// Bad inputs that used to be accepted silently or to take a whole command down (issue 10,
// items 7-9 and 11; ctest label `faults`):
//   - report of a folder with a corrupt / truncated / non-run HDF5 file: the bad ones are
//     skipped with a warning naming them, the rest reported; one given by name is exit 2;
//     status and collect name an unreadable run file and count it failed
//   - check of a long sweep or many models: linear memory (peak RSS measured with wait4), and
//     more than kMaxRuns runs is an error at the sweep axis
//   - CSV series with missing values: warning with file:line and count, recorded in the run
//     file (data_warnings), an error with `strict true`
//   - predict on an HDF5 file without /config: exit 2; check of a data path that does not
//     exist: exit 2 at its position (steps 0 / epochs 0: golden cases in tests/dsl/cases)
#include <doctest/doctest.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "cli/cli_util.h"
#include "cli/runner_util.h"
#include "rnnlab/data.h"
#include "rnnlab/manifest.h"
#include "rnnlab/run_file.h"
#include "rnnlab/summary_file.h"
#include "rnnlab/runner.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

void write_file(const std::string& path, const std::string& text) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << text;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

// The first `bytes` bytes of `from` as `to` (a run file cut off by a full disk, a copy).
void truncated_copy(const std::string& from, const std::string& to, std::size_t bytes) {
  std::ifstream in(from, std::ios::binary);
  std::string data(bytes, '\0');
  in.read(data.data(), static_cast<std::streamsize>(bytes));
  REQUIRE(in.gcount() == static_cast<std::streamsize>(bytes));
  write_file(to, data);
}

// Two finished run files (seeds 1 and 2 of one model) under <out>/tiny.
std::vector<RunSummary> two_runs(const std::string& out) {
  fs::remove_all(out);
  ExperimentSpec s = tiny_digits_spec(10);
  s.sweep = {SweepAxis{"seed", {int64_t{1}, int64_t{2}}, {}}};
  RunOptions o;
  o.out_dir = out;
  o.quiet = true;
  Catalog cat(builtin_cells());
  return run_experiment(s, cat, o);
}

// `rnnlab args...` with its peak resident memory (KiB, from wait4).
struct Measured {
  CliResult result;
  long max_rss_kib = 0;
};
Measured run_cli_measured(const std::vector<std::string>& args, const std::string& name) {
  const std::string dir = unique_dir(name);
  Measured m;
  const pid_t pid = start_cli(args, dir);
  int status = 0;
  struct rusage usage {};
  REQUIRE(::wait4(pid, &status, 0, &usage) == pid);
  m.result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  m.result.out = slurp(dir + "/stdout.txt");
  m.result.err = slurp(dir + "/stderr.txt");
  m.max_rss_kib = usage.ru_maxrss;
  return m;
}

const char* kDigitsHead = R"(experiment big {
  seed 1
  data digits { path "DATA" }
)";
const char* kTrain =
    "  train { loss softmax_cross_entropy  optimizer adam(lr: 1e-2)  batch 16  steps 6 }\n";

std::string experiment_head() {
  std::string h = kDigitsHead;
  h.replace(h.find("DATA"), 4, std::string(RNNLAB_SOURCE_DIR) + "/experiments/data/digits.csv.gz");
  return h;
}

std::string list_of(int64_t n) {
  std::string s = "[";
  for (int64_t i = 1; i <= n; ++i) s += (i > 1 ? ", " : "") + std::to_string(i);
  return s + "]";
}

}  // namespace

TEST_SUITE("faults") {

TEST_CASE("faults: report skips unreadable run files in a folder and names them") {
  const std::string out = temp_dir("faults_report");
  const auto runs = two_runs(out);
  REQUIRE(runs.size() == 2);
  const std::string good = runs[0].path;
  // Beside the good files: garbage named run.h5, a truncated copy, an HDF5 file that is not
  // a run file (no run attributes or groups), and collect's summary.h5 (ignored silently).
  const std::string garbage = out + "/tiny/garbage/run.h5";
  const std::string cut = out + "/tiny/cut/run.h5";
  const std::string foreign = out + "/tiny/foreign/run.h5";
  write_file(garbage, "this is not an HDF5 file\n");
  truncated_copy(good, cut, fs::file_size(good) / 2);
  fs::create_directories(fs::path(foreign).parent_path());
  write_summary_h5(foreign, {SummaryTable{"x", {}}});
  SummaryColumn id{"id", true, {}, {"tiny/lstm-seed=1"}};
  write_summary_h5(out + "/summary.h5", {SummaryTable{"runs", {id}}, SummaryTable{"groups", {}}});

  CliResult r = run_cli({"report", out, "--csv"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);  // header + the one model, both seeds
  const auto row = csv_fields(lines[1]);
  CHECK(row[1] == "lstm");
  CHECK(row[2] == "2");
  for (const auto& bad : {garbage, cut, foreign}) CHECK_MESSAGE(contains(r.err, bad), r.err);
  CHECK(contains(r.err, "warning"));
  CHECK(contains(r.err, "3 unreadable run files skipped"));
  CHECK_FALSE(contains(r.err, "summary.h5"));

  // Asked for by name, a bad file is an error (exit 2) naming it; the good one still reports.
  for (const auto& bad : {garbage, cut, foreign}) {
    CliResult one = run_cli({"report", bad});
    CHECK(one.code == 2);
    CHECK_MESSAGE(contains(one.err, bad), one.err);
  }
  CHECK(run_cli({"report", good}).code == 0);
  // A folder of bad files only: exit 2.
  CliResult none = run_cli({"report", out + "/tiny/garbage"});
  CHECK(none.code == 2);
  CHECK_MESSAGE(contains(none.err, "no run file under the given paths could be read"), none.err);
}

TEST_CASE("faults: status and collect count an unreadable run file failed and name it") {
  const std::string out = temp_dir("faults_status");
  const auto runs = two_runs(out + "/runs");
  REQUIRE(runs.size() == 2);
  const std::string bad = out + "/runs/tiny/bad/run.h5";
  write_file(bad, std::string(4096, 'x'));
  std::vector<ManifestRecord> recs(2);
  recs[0].task = 0;
  recs[0].id = "tiny/lstm-seed=1";
  recs[0].model = "lstm";
  recs[0].path = fs::absolute(runs[0].path).string();
  recs[0].file = "/x/tiny.rnn";
  recs[0].overrides = {"seed=1"};
  recs[1] = recs[0];
  recs[1].task = 1;
  recs[1].id = "tiny/bad";
  recs[1].path = fs::absolute(bad).string();
  recs[1].overrides = {"seed=2"};
  write_manifest(out + "/manifest.tsv", recs);

  CliResult st = run_cli({"status", out});
  CHECK(st.code == 1);  // not every run finished
  CHECK(contains(st.out, "1\tfailed\ttiny/bad"));
  CHECK(contains(st.out, "0\tfinished\ttiny/lstm-seed=1"));
  CHECK_MESSAGE(contains(st.err, "warning: " + recs[1].path + ": unreadable run file"), st.err);

  CliResult col = run_cli({"collect", out, "-q"});
  REQUIRE_MESSAGE(col.code == 0, col.err);
  CHECK(contains(col.out, "2 runs: 1 finished, 1 failed"));
  CHECK_MESSAGE(contains(col.err, recs[1].path), col.err);
}

// The peak RSS `rnnlab check` may reach on the large inputs below.
#if defined(__SANITIZE_ADDRESS__)
// ASan's shadow memory and quarantine multiply the footprint (measured 706 / 377 MB for the
// sweep and the models, 314 MB for the capped grid); 900 MB still sits far below the quadratic
// expansion this guards against (2.6 / 1.2 GB, and several GB for the grid).
constexpr long kCheckRssLimitKib = 900 * 1024;
#else
constexpr long kCheckRssLimitKib = 300 * 1024;
#endif

TEST_CASE("faults: check expands a long sweep and many models in linear memory") {
  // Before: 2.6 GB peak for the 20000-point sweep, 1.2 GB for 2000 models (each run's spec
  // held a copy of the whole .rnn text, and every sweep point copied the whole spec).
  const std::string dir = temp_dir("faults_check_mem");
  std::string sweep = experiment_head() + "  model lstm = lstm(hidden: 4) -> dense(10)\n" +
                      kTrain + "  sweep { seed: " + list_of(20000) + " }\n}\n";
  write_file(dir + "/sweep.rnn", sweep);
  std::string models = experiment_head();
  for (int i = 0; i < 2000; ++i)
    models += "  model m" + std::to_string(i) + " = lstm(hidden: 4) -> dense(10)\n";
  write_file(dir + "/models.rnn", models + kTrain + "}\n");

  Measured s = run_cli_measured({"check", dir + "/sweep.rnn"}, "faults_check_mem_sweep");
  REQUIRE_MESSAGE(s.result.code == 0, s.result.err);
  CHECK(contains(s.result.out, "1 model, 20000 runs"));
  CHECK_MESSAGE(s.max_rss_kib < kCheckRssLimitKib, "peak RSS " << s.max_rss_kib << " KiB");
  Measured m = run_cli_measured({"check", dir + "/models.rnn"}, "faults_check_mem_models");
  REQUIRE_MESSAGE(m.result.code == 0, m.result.err);
  CHECK(contains(m.result.out, "2000 models, 2000 runs"));
  CHECK_MESSAGE(m.max_rss_kib < kCheckRssLimitKib, "peak RSS " << m.max_rss_kib << " KiB");
}

TEST_CASE("faults: more than kMaxRuns runs is an error at the sweep axis") {
  // 100 x 100 x 100 = 1e6 runs from a 1.5 KB file (before: several GB, then killed).
  const std::string dir = temp_dir("faults_check_cap");
  const std::string grid = experiment_head() + "  model lstm = lstm(hidden: 4) -> dense(10)\n" +
                           kTrain + "  sweep { seed: " + list_of(100) +
                           "\n    train.batch: " + list_of(100) +
                           "\n    model.lstm.hidden: " + list_of(100) + " }\n}\n";
  write_file(dir + "/grid.rnn", grid);
  Measured g = run_cli_measured({"check", dir + "/grid.rnn"}, "faults_check_cap");
  CHECK(g.result.code == 2);
  CHECK_MESSAGE(contains(g.result.err, "grid.rnn:8:5: "), g.result.err);  // the third axis
  CHECK(contains(g.result.err, "more than 100000 runs"));
  CHECK(contains(g.result.err, "model.lstm.hidden"));
  CHECK(g.max_rss_kib < kCheckRssLimitKib);

  // The library: count_runs without expanding; exactly kMaxRuns is allowed, one more is not.
  ExperimentSpec s = tiny_digits_spec(5);
  std::vector<ParamValue> seeds;
  for (int64_t i = 0; i < kMaxRuns; ++i) seeds.push_back(i);
  s.sweep = {SweepAxis{"seed", seeds, SourceLoc{"big.rnn", 9, 3}}};
  CHECK(count_runs(s, RunOptions{}) == kMaxRuns);
  s.models.push_back(s.models.front());
  s.models.back().name = "second";
  try {
    count_runs(s, RunOptions{});
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK_MESSAGE(contains(e.what(), "big.rnn:9:3: "), e.what());
  }
  RunOptions only_one;
  only_one.models = {"second"};
  CHECK(count_runs(s, only_one) == kMaxRuns);
}

TEST_CASE("faults: plan_runs records each run's sweep settings in order") {
  ExperimentSpec s = tiny_digits_spec(5);
  s.sweep = {SweepAxis{"seed", {int64_t{1}, int64_t{2}}, {}},
             SweepAxis{"train.batch", {int64_t{8}, int64_t{16}}, {}}};
  Catalog cat(builtin_cells());
  const auto plans = plan_runs(s, cat, RunOptions{});
  REQUIRE(plans.size() == 4);
  CHECK(plans[1].sweep_settings == std::vector<std::string>{"seed=1", "train.batch=16"});
  CHECK(plans[2].sweep_settings == std::vector<std::string>{"seed=2", "train.batch=8"});
  CHECK(plans[1].spec.seed == 1);
  CHECK(plans[2].spec.seed == 2);
  // The copies share the .rnn text rather than copying it.
  CHECK(&plans[0].spec.source_text.str() == &plans[3].spec.source_text.str());
  CHECK(plans[0].spec.source_text == s.source_text.str());
}

TEST_CASE("faults: a CSV series with missing values says where and strict refuses them") {
  const std::string dir = temp_dir("faults_csv");
  // line 1 header; 3 empty cell; 4 NaN; 5 short row; 14 truncated last row (no newline).
  const std::string csv =
      "date,temperature\n2020-01-01,1.0\n2020-01-02,\n2020-01-03,NaN\n2020-01-04\n"
      "2020-01-05,5.0\n2020-01-06,6.0\n2020-01-07,7.0\n2020-01-08,8.0\n2020-01-09,9.0\n"
      "2020-01-10,10.0\n2020-01-11,11.0\n2020-01-12,12.0\n2020-01-13";
  write_file(dir + "/gaps.csv", csv);
  CsvSeries s = load_csv_series(dir + "/gaps.csv");
  REQUIRE(s.problems.size() == 4);
  CHECK(s.problems[0].line == 3);
  CHECK(s.problems[0].what == "empty cell");
  CHECK(s.problems[1].line == 4);
  CHECK(s.problems[1].what == "'NaN'");
  CHECK(s.problems[2].line == 5);
  CHECK(s.problems[2].what == "short row (1 of 2 fields)");
  CHECK(s.problems[3].line == 14);
  CHECK(contains(s.problems[3].what, "truncated last row"));
  CHECK(s.interpolated == 4);
  const std::string w = s.warning();
  CHECK_MESSAGE(contains(w, dir + "/gaps.csv:3: column 'temperature': 4 missing values"), w);
  CHECK(contains(w, "line 14: truncated last row"));
  CHECK(contains(w, "strict true"));

  CsvSeriesOptions strict;
  strict.strict = true;
  try {
    load_csv_series(dir + "/gaps.csv", strict);
    FAIL("expected an InputError");
  } catch (const InputError& e) {
    CHECK_MESSAGE(contains(e.what(), dir + "/gaps.csv:3: column 'temperature': empty cell"),
                  e.what());
  }
  // A complete last row without a newline, and a short row that still has the value column,
  // are no problems.
  write_file(dir + "/clean.csv", "temperature,humidity\n1.0,3\n2.0\n3.0,4");
  CsvSeries c = load_csv_series(dir + "/clean.csv", strict);
  CHECK(c.problems.empty());
  CHECK(c.warning().empty());
  CHECK(c.values == std::vector<double>{1.0, 2.0, 3.0});
  // One column: a blank line between rows is an empty cell, blank lines at the end are not rows.
  write_file(dir + "/one.csv", "temperature\n1\n\n3\n\n\n");
  CsvSeries one = load_csv_series(dir + "/one.csv");
  REQUIRE(one.problems.size() == 1);
  CHECK(one.problems[0].line == 3);
  CHECK(one.values == std::vector<double>{1.0, 2.0, 3.0});
  CHECK_THROWS_AS(load_csv_series(dir + "/one.csv", strict), InputError);
  // A last row cut after its value: kept, but reported (and refused when strict).
  write_file(dir + "/cut.csv", "temperature,humidity\n1.0,3\n2.0,4\n3.0");
  CHECK(load_csv_series(dir + "/cut.csv").problems.size() == 1);
  CHECK(load_csv_series(dir + "/cut.csv").values.back() == 3.0);
  CHECK_THROWS_AS(load_csv_series(dir + "/cut.csv", strict), InputError);
}

TEST_CASE("faults: run warns about repaired CSV data and records it and strict true exits 2") {
  const std::string dir = temp_dir("faults_csv_run");
  fs::remove_all(dir + "/out");
  fs::remove_all(dir + "/strict_out");
  write_file(dir + "/gaps.csv",
             "temperature\n1\n2\n\n4\nnan\n6\n7\n8\n9\n10\n11\n12\n13\n14\n15\n16\n");
  const std::string body = R"(experiment c {
  seed 1
  data csv { path "gaps.csv" steps 3 STRICT}
  model e = elman(hidden: 4) -> dense(1)
  train { loss mse  optimizer adam(lr: 1e-2)  batch 2  steps 3 }
}
)";
  std::string lenient = body, strict = body;
  lenient.replace(lenient.find("STRICT"), 6, "");
  strict.replace(strict.find("STRICT"), 6, "strict true ");
  write_file(dir + "/c.rnn", lenient);
  write_file(dir + "/s.rnn", strict);

  CliResult r = run_cli({"run", dir + "/c.rnn", "--out", dir + "/out", "-q"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  // One column: the blank line 4 is an empty cell; `nan` on line 6.
  CHECK_MESSAGE(contains(r.err, "warning: " + dir + "/gaps.csv:4: column 'temperature': 2 "
                                "missing values interpolated (line 4: empty cell (a blank "
                                "line), line 6: 'nan')"),
                r.err);
  RunFile f = RunFile::open(dir + "/out/c/e/run.h5");
  REQUIRE(f.has_attr("data_warnings"));
  CHECK(contains(f.attr_string("data_warnings"), "gaps.csv:4:"));

  CliResult s = run_cli({"run", dir + "/s.rnn", "--out", dir + "/strict_out", "-q"});
  CHECK(s.code == 2);
  CHECK_MESSAGE(contains(s.err, "s.rnn:3:"), s.err);
  CHECK_MESSAGE(contains(s.err, "gaps.csv:4: column 'temperature': empty cell (a blank line"),
                s.err);
  CHECK_FALSE(fs::exists(dir + "/strict_out/c/e/run.h5"));
}

TEST_CASE("faults: predict without /config and check of a missing data path exit 2") {
  const std::string dir = temp_dir("faults_small");
  // An HDF5 file that is no run file: predict used to exit 1.
  write_summary_h5(dir + "/other.h5", {SummaryTable{"x", {}}});
  CliResult p = run_cli({"predict", dir + "/other.h5"});
  CHECK(p.code == 2);
  CHECK_MESSAGE(contains(p.err, dir + "/other.h5 has no /config/resolved"), p.err);

  // check used to say ok for a data file that does not exist.
  write_file(dir + "/nodata.rnn", R"(experiment n {
  seed 1
  data csv { path "missing.csv"  steps 3 }
  model e = elman(hidden: 4) -> dense(1)
  train { loss mse  optimizer adam(lr: 1e-2)  batch 2  steps 3 }
}
)");
  CliResult c = run_cli({"check", dir + "/nodata.rnn"});
  CHECK(c.code == 2);
  // A compiler diagnostic (editors and CI parse `file:line:col: error:`), source line and caret.
  CHECK_MESSAGE(contains(c.err, dir + "/nodata.rnn:3:19: error: data 'csv': path 'missing.csv' "
                                      "does not exist"),
                c.err);
  CHECK_MESSAGE(contains(c.err, "\n  data csv { path \"missing.csv\"  steps 3 }\n"
                                "                  ^\n"),
                c.err);
  CHECK_FALSE(contains(c.err, "error: " + dir));
  CHECK_FALSE(contains(c.out, ": ok:"));
}

}  // TEST_SUITE("faults")
