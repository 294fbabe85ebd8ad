// `rnnlab predict` (closed-loop forecast from a run file) and `rnnlab report --epochs/--reach`:
// the numbers they print are checked against the run files and the series itself.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <sstream>

#include "cli/cli_util.h"
#include "rnnlab/run_file.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

// Runs tests/cli/FILE into a fresh folder and returns the run file of `model`.
std::string train_fixture(const std::string& file, const std::string& model, const std::string& dir) {
  fs::remove_all(dir);
  CliResult r = run_cli({"run", kCliFixtures + "/" + file, "--out", dir, "-q", "--threads", "1"});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  const std::string experiment = fs::path(file).stem().string();
  const std::string path = dir + "/" + experiment + "/" + model + "/run.h5";
  REQUIRE(fs::exists(path));
  return path;
}

double number_after(const std::string& text, const std::string& label) {
  const auto at = text.find(label);
  REQUIRE_MESSAGE(at != std::string::npos, label, " not in: ", text);
  return std::strtod(text.c_str() + at + label.size(), nullptr);
}

// The whitespace-separated words of the last line of `text` that starts with `first`.
std::vector<std::string> last_row(const std::string& text, const std::string& first) {
  std::vector<std::string> words;
  for (const auto& line : lines_of(text)) {
    if (line.rfind(first + " ", 0) != 0) continue;
    words.clear();
    std::istringstream is(line);
    for (std::string w; is >> w;) words.push_back(w);
  }
  return words;
}

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("cli: predict rebuilds a series model from its run file and forecasts in closed loop") {
  const std::string dir = temp_dir("cli_predict");
  const std::string run = train_fixture("fib_tiny.rnn", "one", dir);
  const std::string csv = dir + "/forecast.csv";
  CliResult p = run_cli({"predict", run, "--warmup", "10", "--steps", "25", "--csv", csv});
  REQUIRE_MESSAGE(p.code == 0, p.err);
  auto lines = lines_of(slurp(csv));
  REQUIRE(lines.size() == 1 + 35);
  CHECK(lines[0] == "step,truth,prediction");
  std::vector<double> truth, pred;
  for (std::size_t i = 1; i < lines.size(); ++i) {
    auto f = csv_fields(lines[i]);
    REQUIRE(f.size() == 3);
    CHECK(std::stoi(f[0]) == int(i - 1));
    truth.push_back(std::stod(f[1]));
    CHECK(f[2].empty() == (i - 1 < 10));  // no prediction during the warm-up
    if (!f[2].empty()) pred.push_back(std::stod(f[2]));
  }
  // The truth is the held-out part of the series itself: F(k) mod 5 continues.
  for (std::size_t i = 2; i < truth.size(); ++i)
    CHECK(truth[i] == std::fmod(truth[i - 1] + truth[i - 2], 5.0));
  REQUIRE(pred.size() == 25);
  double mse = 0;
  for (std::size_t i = 0; i < pred.size(); ++i) {
    REQUIRE(std::isfinite(pred[i]));
    mse += (pred[i] - truth[10 + i]) * (pred[i] - truth[10 + i]) / 25.0;
  }
  CHECK(number_after(p.out, "mse ") == doctest::Approx(mse).epsilon(1e-4));
  // The same run file gives the same forecast; another start gives another warm-up.
  CliResult again = run_cli({"predict", run, "--warmup", "10", "--steps", "25", "--csv", csv + "2"});
  REQUIRE(again.code == 0);
  CHECK(slurp(csv) == slurp(csv + "2"));
  CHECK(run_cli({"predict", run, "--warmup", "10", "--steps", "25", "--start", "3"}).out != p.out);

  CliResult too_long = run_cli({"predict", run, "--steps", "100000"});
  CHECK(too_long.code == 2);
  CHECK(too_long.err.find("held-out series has only") != std::string::npos);
  CHECK(run_cli({"predict", run, "--warmup", "0"}).code == 2);
  CliResult missing = run_cli({"predict", dir + "/nope.h5"});
  CHECK(missing.code == 2);
  CHECK(missing.err.find("nope.h5") != std::string::npos);
}

TEST_CASE("cli: predict refuses a run that does not model one series") {
  const std::string run = train_fixture("tiny.rnn", "lstm", temp_dir("cli_predict_digits"));
  CliResult p = run_cli({"predict", run});
  CHECK(p.code == 2);
  CHECK(p.err.find("one input value and one target value per step") != std::string::npos);
}

TEST_CASE("cli: report --reach finds the first eval step and --epochs averages each epoch") {
  const std::string dir = temp_dir("cli_report_views");
  const std::string run = train_fixture("tiny.rnn", "lstm", dir);
  RunFile f = RunFile::open(run);
  const auto eval_step = f.read_series("eval", "step");
  const auto eval_acc = f.read_series("eval", "accuracy");
  REQUIRE(eval_step.size() == 3);  // steps 10, 20, 30
  // A threshold between the best and the worst eval accuracy: its first crossing.
  const double best = *std::max_element(eval_acc.begin(), eval_acc.end());
  std::size_t first = 0;
  while (eval_acc[first] < best) ++first;
  std::ostringstream threshold;
  threshold.precision(17);
  threshold << "accuracy>=" << best - 1e-9;
  CliResult r = run_cli({"report", dir + "/tiny/lstm", "--reach", threshold.str()});
  REQUIRE_MESSAGE(r.code == 0, r.err);
  // model runs reached step per-run
  CHECK(last_row(r.out, "lstm") ==
        std::vector<std::string>{"lstm", "1", "1/1", std::to_string(int(eval_step[first])),
                                 std::to_string(int(eval_step[first]))});
  CliResult never = run_cli({"report", dir + "/tiny/lstm", "--reach", "accuracy>1.5"});
  REQUIRE(never.code == 0);
  CHECK(never.out.find("0/1") != std::string::npos);
  CHECK(never.out.find("not by 30") != std::string::npos);
  CliResult bad = run_cli({"report", dir, "--reach", "acc<1"});
  CHECK(bad.code == 2);
  CHECK(bad.err.find("--reach expects") != std::string::npos);
  CHECK(run_cli({"report", dir, "--reach", "loss<1", "--csv"}).code == 2);

  // tiny: 30 steps of 16 of 1438 training images, all in epoch 1.
  const auto epoch = f.read_series("metrics", "epoch");
  const auto loss = f.read_series("metrics", "loss");
  double mean = 0;
  for (std::size_t i = 0; i < loss.size(); ++i) {
    REQUIRE(epoch[i] == 1.0);
    mean += loss[i] / double(loss.size());
  }
  CliResult e = run_cli({"report", dir + "/tiny/lstm", "--epochs"});
  REQUIRE_MESSAGE(e.code == 0, e.err);
  auto row = last_row(e.out, "lstm");  // model epoch runs loss seconds
  REQUIRE(row.size() == 5);
  CHECK(row[1] == "1");
  CHECK(std::stod(row[3]) == doctest::Approx(mean).epsilon(1e-4));
  CHECK(std::stod(row[4]) > 0);
}

TEST_SUITE_END();
