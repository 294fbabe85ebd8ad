// Every experiments/*.rnn must keep compiling and running: each is checked with `rnnlab check`
// and run with `rnnlab run` on a tiny budget (2 steps; small generated data through --set on
// the data source's parameters), so a catalog or language change cannot silently break a
// study file. The aclImdb data source is run on a small folder the test writes.
#include <doctest/doctest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>

#include "cli/cli_util.h"

using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

// The data source an experiment file uses: the first `data NAME` statement outside comments.
std::string data_source_of(const std::string& text) {
  static const std::regex data_re(R"(^\s*data\s+([A-Za-z_][A-Za-z0-9_]*))");
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) {
    std::smatch m;
    if (std::regex_search(line, m, data_re)) return m[1];
  }
  return "";
}

// --set overrides that make a data source small (generated data: few, short sequences).
std::vector<std::string> tiny_data(const std::string& source) {
  static const std::map<std::string, std::vector<std::string>> table = {
      {"digits", {}},
      {"csv", {}},
      {"fibonacci", {"data.points=200"}},
      {"adding", {"data.steps=8", "data.examples=40", "data.test_examples=10"}},
      {"length", {"data.max_len=12", "data.examples=40", "data.test_examples=10"}},
      {"synthetic_sentiment", {"data.examples=40", "data.min_len=10", "data.max_len=30"}},
      {"npy", {}},  // experiments/data/sine_npy: 600 short sequences, already small
      {"mnist", {"data.test_fraction=0.01"}},
      {"text", {"data.valid_fraction=0.01", "data.test_fraction=0.01"}},
      {"brown_pos", {"data.valid_fraction=0.01", "data.test_fraction=0.01"}},
      {"copy", {"data.blanks=5", "data.examples=40", "data.test_examples=10"}},
      {"selective_copy", {"data.steps=16", "data.examples=40", "data.test_examples=10"}},
      {"associative_recall", {"data.examples=40", "data.test_examples=10"}},
  };
  auto it = table.find(source);
  if (it == table.end()) {
    MESSAGE("no tiny settings for data source '" << source << "': running it at full size");
    return {};
  }
  return it->second;
}

std::vector<std::string> experiment_files() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(RNNLAB_SOURCE_DIR) / "experiments"))
    if (e.path().extension() == ".rnn") out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("experiments smoke: every experiments/*.rnn checks and runs on a tiny budget") {
  const auto files = experiment_files();
  REQUIRE(files.size() >= 7);  // digits_lstm + the five studies' six files
  for (const auto& file : files) {
    const std::string name = fs::path(file).stem().string();
    CAPTURE(file);
    CliResult check = run_cli({"check", file}, "smoke_check");
    CHECK_MESSAGE(check.code == 0, check.err);

    const std::string out = temp_dir("smoke_runs");
    fs::remove_all(fs::path(out) / name);
    std::vector<std::string> args = {"run",
                                     file,
                                     "--out",
                                     out,
                                     "-q",
                                     "--threads",
                                     "1",
                                     "--set",
                                     "train.steps=2",
                                     "--set",
                                     "train.eval_every=0"};
    for (const auto& s : tiny_data(data_source_of(slurp(file)))) {
      args.push_back("--set");
      args.push_back(s);
    }
    CliResult run = run_cli(args, "smoke_run");
    CHECK_MESSAGE(run.code == 0, "rnnlab run " << file << ":\n" << run.err << run.out);
    CHECK(fs::is_directory(fs::path(out) / name));
  }
}

TEST_CASE("experiments smoke: the imdb data source runs on a small aclImdb folder") {
  const fs::path dir = temp_dir("smoke_imdb");
  const fs::path root = dir / "aclImdb";
  fs::remove_all(root);
  const char* pos[] = {"a great film, loved it", "great acting <br />and a great story",
                       "wonderful and great", "best film of the year"};
  const char* neg[] = {"a bad film", "not great, boring <br />and bad", "awful acting",
                       "worst film of the year"};
  for (int i = 0; i < 4; ++i) {
    for (const auto& [sub, text] : {std::pair{"pos", pos[i]}, std::pair{"neg", neg[i]}}) {
      fs::create_directories(root / "train" / sub);
      std::ofstream(root / "train" / sub / (std::to_string(i) + "_5.txt")) << text;
    }
  }
  const fs::path rnn = dir / "imdb_tiny.rnn";
  std::ofstream(rnn) << "experiment imdb_tiny {\n"
                        "  data imdb { path \"aclImdb\"  vocab 20  max_len 6  "
                        "validation_fraction 0.25 }\n"
                        "  model gru = embedding(20, 4) -> gru(4) -> dense(1)\n"
                        "  train { loss bce_with_logits  optimizer rmsprop  batch 3  steps 3 }\n"
                        "}\n";
  CliResult run =
      run_cli({"run", rnn.string(), "--out", (dir / "out").string(), "-q", "--threads", "1"},
              "smoke_imdb_run");
  CHECK_MESSAGE(run.code == 0, run.err << run.out);
  CHECK(fs::exists(dir / "out/imdb_tiny/gru/run.h5"));

  // A missing folder is bad input: exit 2 with the path in the message.
  fs::remove_all(root);
  CliResult bad =
      run_cli({"run", rnn.string(), "--out", (dir / "out2").string(), "-q"}, "smoke_imdb_bad");
  CHECK(bad.code == 2);
  CHECK_MESSAGE(bad.err.find("aclImdb") != std::string::npos, bad.err);
}

TEST_SUITE_END();
