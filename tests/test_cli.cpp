// The rnnlab binary end to end: --version/--help, bad usage (exit 2 with a message), cells,
// check (diagnostics, unknown cell), run (files and summary lines), report (table values equal
// the run files' contents, PNG curves), SIGINT (status interrupted + checkpoint) and --resume.
// Tests that read .rnn files need the binary built with the .rnn compiler and say so if not.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <thread>

#include "cli/cli_util.h"
#include "rnnlab/run_file.h"
#include "rnnlab/runner.h"
#include "cli/runner_util.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

// Waits until `path` exists (or `seconds` pass).
}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("cli: --version, --help and bad usage (exit 2 with a message)") {
  CliResult v = run_cli({"--version"});
  CHECK(v.code == 0);
  CHECK(v.out.rfind("rnnlab 0.", 0) == 0);
  CHECK(v.out.find("git") != std::string::npos);
  CHECK(run_cli({"--help"}).out.find("commands:") != std::string::npos);
  for (const char* cmd : {"run", "check", "cells", "report", "gradcheck"}) {
    CliResult h = run_cli({cmd, "--help"});
    CHECK_MESSAGE(h.code == 0, cmd);
    CHECK_MESSAGE(h.out.find(std::string("usage: rnnlab ") + cmd) != std::string::npos, cmd);
  }
  CliResult none = run_cli({});
  CHECK(none.code == 2);
  CHECK(none.err.find("usage: rnnlab") != std::string::npos);
  CliResult typo = run_cli({"runn"});
  CHECK(typo.code == 2);
  CHECK(typo.err.find("unknown command 'runn' (did you mean 'run'?)") != std::string::npos);
  CliResult opt = run_cli({"run", "--bogus", "x.rnn"});
  CHECK(opt.code == 2);
  CHECK(opt.err.find("unrecognised option '--bogus'") != std::string::npos);
  CliResult missing = run_cli({"run"});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("missing the experiment file") != std::string::npos);
  CliResult seed = run_cli({"run", "x.rnn", "--seed", "abc"});
  CHECK(seed.code == 2);
  CHECK(seed.err.find("--seed") != std::string::npos);
  CliResult nofile = run_cli({"report", "/nonexistent/results"});
  CHECK(nofile.code == 2);
  CHECK(nofile.err.find("no such file or folder: /nonexistent/results") != std::string::npos);
  CliResult badcell = run_cli({"gradcheck", "lstmm"});
  CHECK(badcell.code == 2);
  CHECK(badcell.err.find("did you mean 'lstm'") != std::string::npos);
}

TEST_CASE("cli: cells lists the plugins, their versions, files and schemas") {
  CliResult t = run_cli({"cells"});
  REQUIRE(t.code == 0);
  CHECK(t.out.find("plugin lstm 1.0.0") != std::string::npos);
  CHECK(t.out.find("librnnlab_plugin_lstm.so") != std::string::npos);
  CHECK(t.out.find("forget_bias") != std::string::npos);
  CliResult j = run_cli({"cells", "--json"});
  REQUIRE(j.code == 0);
  CHECK(j.out.find("{\"plugins\": [") == 0);
  CHECK(j.out.find("\"name\": \"hidden\", \"type\": \"integer\"") != std::string::npos);
  CHECK(std::count(j.out.begin(), j.out.end(), '{') == std::count(j.out.begin(), j.out.end(), '}'));
  if (std::system("python3 -c 'import json' > /dev/null 2>&1") == 0) {
    const std::string file = temp_dir("cli_cells") + "/cells.json";
    std::ofstream(file) << j.out;
    CHECK(std::system(("python3 -c 'import json,sys; json.load(open(sys.argv[1]))' " + file).c_str()) == 0);
  }
}

TEST_CASE("cli: report's table values are the run files' contents and --plots writes PNGs") {
  // Run files from the runner library (no .rnn compiler needed): two seeds of one model.
  const std::string out = temp_dir("cli_report");
  fs::remove_all(out + "/tiny");
  Catalog cat(builtin_cells());
  ExperimentSpec s = tiny_digits_spec(20);
  s.sweep = {SweepAxis{"seed", {int64_t{1}, int64_t{2}}, {}}};
  RunOptions o;
  o.out_dir = out;
  o.quiet = true;
  auto runs = run_experiment(s, cat, o);
  REQUIRE(runs.size() == 2);

  CliResult csv = run_cli({"report", out + "/tiny", "--csv"});
  REQUIRE(csv.code == 0);
  auto lines = lines_of(csv.out);
  REQUIRE(lines.size() == 2);
  auto head = csv_fields(lines[0]), row = csv_fields(lines[1]);
  REQUIRE(head.size() == row.size());
  std::map<std::string, std::string> cell;
  for (std::size_t i = 0; i < head.size(); ++i) cell[head[i]] = row[i];
  CHECK(cell["model"] == "lstm");
  CHECK(cell["runs"] == "2");
  CHECK(cell["seeds"] == "1 2");
  CHECK(cell["metric"] == "accuracy");
  std::vector<double> acc, loss, ms;
  for (const auto& r : runs) {
    RunFile f = RunFile::open(r.path);
    acc.push_back(f.read_series("eval", "accuracy").back());
    loss.push_back(f.read_series("metrics", "loss").back());
    ms.push_back(1e3 * f.attr_double("train_time") / double(f.attr_int("steps")));
  }
  const double acc_mean = (acc[0] + acc[1]) / 2, loss_mean = (loss[0] + loss[1]) / 2;
  CHECK(std::strtod(cell["final_mean"].c_str(), nullptr) == doctest::Approx(acc_mean).epsilon(1e-12));
  CHECK(std::strtod(cell["final_std"].c_str(), nullptr) ==
        doctest::Approx(std::fabs(acc[0] - acc[1]) / std::sqrt(2.0)).epsilon(1e-9));
  CHECK(std::strtod(cell["train_loss_mean"].c_str(), nullptr) ==
        doctest::Approx(loss_mean).epsilon(1e-12));
  CHECK(std::strtod(cell["ms_per_step_mean"].c_str(), nullptr) ==
        doctest::Approx((ms[0] + ms[1]) / 2).epsilon(1e-9));
  CHECK(cell["time_ratio"] == "1");

  CliResult table = run_cli({"report", out + "/tiny"});
  REQUIRE(table.code == 0);
  CHECK(table.out.find("lstm") != std::string::npos);
  CHECK(table.out.find(" ± ") != std::string::npos);
  CliResult json = run_cli({"report", out + "/tiny", "--json"});
  REQUIRE(json.code == 0);
  CHECK(json.out.find("\"runs\": [") != std::string::npos);
  CHECK(run_cli({"report", out, "--csv", "--json"}).code == 2);

  // gnuplot is a dependency (scripts/setup.sh installs it): without it this fails, never skips.
  REQUIRE_MESSAGE(std::system("gnuplot --version > /dev/null 2>&1") == 0,
                  "gnuplot is not installed (scripts/setup.sh installs it): --plots cannot be tested");
  const std::string plots = out + "/plots";
  CliResult p = run_cli({"report", out + "/tiny", "--plots", plots});
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK(is_png(plots + "/curves_step.png"));
  CHECK(is_png(plots + "/curves_time.png"));
}

TEST_CASE("cli: check prints diagnostics and an unknown cell exits 2 with a located message") {
  CliResult ok = run_cli({"check", kCliFixtures + "/tiny.rnn", "-v"});
  CHECK_MESSAGE(ok.code == 0, ok.err);
  CHECK(ok.out.find("ok: experiment 'tiny', 2 models, 2 runs") != std::string::npos);
  CHECK(ok.out.find("# run lstm -> results/tiny/lstm/run.h5") != std::string::npos);
  CHECK(ok.out.find("forget_bias") != std::string::npos);  // resolved: defaults filled in

  for (const char* cmd : {"check", "run"}) {
    std::vector<std::string> args = {cmd, kCliFixtures + "/unknown_cell.rnn"};
    if (std::string(cmd) == "run") args.insert(args.end(), {"--out", temp_dir("cli_bad")});
    CliResult bad = run_cli(args);
    CHECK_MESSAGE(bad.code == 2, cmd);
    CHECK_MESSAGE(bad.err.find("unknown_cell.rnn:4:") != std::string::npos, bad.err);
    CHECK_MESSAGE(bad.err.find("lstmm") != std::string::npos, bad.err);
    CHECK_MESSAGE(bad.err.find("did you mean 'lstm'") != std::string::npos, bad.err);
  }
  CHECK_FALSE(fs::exists(temp_dir("cli_bad") + "/bad"));
}

TEST_CASE("cli: run trains every model, writes the run files and prints a summary per run") {
  const std::string out = temp_dir("cli_run");
  fs::remove_all(out + "/tiny");
  CliResult r = run_cli({"run", kCliFixtures + "/tiny.rnn", "--out", out, "-q", "--threads", "1"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  auto lines = lines_of(r.out);
  REQUIRE(lines.size() == 2);
  CHECK(lines[0].find("lstm: finished 30 steps") == 0);
  CHECK(lines[0].find("eval accuracy") != std::string::npos);
  CHECK(lines[0].find("-> " + out + "/tiny/lstm/run.h5") != std::string::npos);
  CHECK(lines[1].find("gru: finished 30 steps") == 0);
  RunFile f = RunFile::open(out + "/tiny/lstm/run.h5");
  CHECK(f.attr_string("status") == "finished");
  CHECK(f.attr_int("seed") == 2);
  CHECK(f.attr_int("threads") == 1);
  CHECK(f.attr_string("git_sha").size() > 0);
  CHECK(f.read_text("/config/source").find("experiment tiny") != std::string::npos);
  CHECK(f.read_text("/config/resolved").find("forget_bias") != std::string::npos);
  CHECK(f.num_rows("eval") == 3);

  // --model, --seed and --set reach the run.
  CliResult one = run_cli({"run", kCliFixtures + "/tiny.rnn", "--out", out, "-q", "--model", "gru",
                           "--seed", "7", "--set", "train.steps=12"});
  REQUIRE_MESSAGE(one.code == 0, one.err);
  CHECK(lines_of(one.out).size() == 1);
  RunFile g = RunFile::open(out + "/tiny/gru/run.h5");
  CHECK(g.attr_int("seed") == 7);
  CHECK(g.attr_int("steps") == 12);
  CHECK(run_cli({"run", kCliFixtures + "/tiny.rnn", "--out", out, "--model", "gur"}).code == 2);
}

TEST_CASE("cli: SIGINT stops a run (status interrupted and a checkpoint) and --resume finishes it") {
  const std::string out = temp_dir("cli_sigint"), logs = temp_dir("cli_sigint_logs");
  fs::remove_all(out + "/long");
  const std::string path = out + "/long/lstm/run.h5";
  const pid_t pid = start_cli({"run", kCliFixtures + "/long.rnn", "--out", out, "--threads", "1"}, logs);
  REQUIRE(wait_for_file(path, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(700));
  // A live run can be read while it is written (the writer's lock does not bar readers).
  const CliResult live = run_cli({"report", path}, "cli_sigint_report_live");
  CHECK_MESSAGE(live.code == 0, live.err);
  CHECK(live.out.find("1 (1 unfinished)") != std::string::npos);
  ::kill(pid, SIGINT);
  CliResult r = wait_cli(pid, logs);
  CHECK(r.code == 1);
  CHECK(r.out.find("lstm: interrupted at step") == 0);
  {
    RunFile f = RunFile::open(path);
    CHECK(f.attr_string("status") == "interrupted");
    int64_t step = 0;
    CHECK(has_checkpoint(f, &step));
    CHECK(step == f.attr_int("steps"));  // the checkpoint is of the step it stopped after
    CHECK(step < 4000);
  }
  CliResult again = run_cli({"run", kCliFixtures + "/long.rnn", "--out", out, "--threads", "1",
                             "--resume", "-q"}, "cli_sigint_resume");
  CHECK_MESSAGE(again.code == 0, again.err);
  CHECK(again.out.find("lstm: finished 4000 steps, resumed from step") == 0);
  CHECK(RunFile::open(path).attr_string("status") == "finished");
  CliResult skip = run_cli({"run", kCliFixtures + "/long.rnn", "--out", out, "--resume", "-q"},
                           "cli_sigint_skip");
  CHECK(skip.code == 0);
  CHECK(skip.out.find("already finished") != std::string::npos);
}

TEST_CASE("cli: SIGKILL then --resume gives the parameters of an uninterrupted run") {
  const std::string out = temp_dir("cli_sigkill"), ref = temp_dir("cli_sigkill_ref");
  const std::string logs = temp_dir("cli_sigkill_logs");
  fs::remove_all(out + "/long");
  fs::remove_all(ref + "/long");
  const std::vector<std::string> common = {"--threads", "1", "-q", "--set", "train.steps=1500"};
  auto args = [&](const std::string& dir, bool resume) {
    std::vector<std::string> a = {"run", kCliFixtures + "/long.rnn", "--out", dir};
    a.insert(a.end(), common.begin(), common.end());
    if (resume) a.push_back("--resume");
    return a;
  };
  REQUIRE(run_cli(args(ref, false), "cli_sigkill_ref_logs").code == 0);
  const std::string path = out + "/long/lstm/run.h5";
  const pid_t pid = start_cli(args(out, false), logs);
  REQUIRE(wait_for_file(path, 60));
  std::mt19937_64 rng(std::random_device{}());
  std::this_thread::sleep_for(std::chrono::milliseconds(200 + rng() % 600));
  ::kill(pid, SIGKILL);
  wait_cli(pid, logs);
  const std::string status = RunFile::open(path).attr_string("status");
  CHECK((status == "running" || status == "finished"));
  CliResult again = run_cli(args(out, true), "cli_sigkill_resume");
  REQUIRE_MESSAGE(again.code == 0, again.err);
  RunFile a = RunFile::open(path), b = RunFile::open(ref + "/long/lstm/run.h5");
  CHECK(a.attr_string("status") == "finished");
  for (const auto& p : b.dataset_paths("params"))
    CHECK_MESSAGE(to_vector<float>(a.read_tensor("params/" + p)) ==
                      to_vector<float>(b.read_tensor("params/" + p)),
                  p);
  CHECK(a.read_series("metrics", "loss") == b.read_series("metrics", "loss"));
}

TEST_SUITE_END();
