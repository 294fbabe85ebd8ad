// The plugin search path as the `rnnlab` commands see it (issue 10 item 7, issue 12 items 3
// and 4), with real plugin files beside the built-ins:
//  - a bad file (not ELF, wrong API, abort() while loading) is skipped with a warning naming it;
//    every command still works with the built-in cells; only asking for the bad one fails (2);
//  - a cell name that two plugins register is ambiguous: check, run and gradcheck exit 2 naming
//    both files, `cells` shows both, --cell-from / $RNNLAB_CELL_FROM picks one;
//  - a run file records the plugin name, version, file and SHA-256 of every cell it used;
//  - `cells -v` lists every folder searched, in order.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "cli/cli_util.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/run_file.h"

#ifndef RNNLAB_TEST_PLUGIN_DIR
#error "RNNLAB_TEST_PLUGIN_DIR must be defined (see tests/plugins/CMakeLists.txt)"
#endif

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

// A fresh folder under the test output dir holding copies of the given test plugins.
std::string plugin_dir(const std::string& name, const std::vector<std::string>& targets) {
  const std::string d = unique_dir(name);
  for (const std::string& t : targets)
    fs::copy_file(std::string(RNNLAB_TEST_PLUGIN_DIR) + "/librnnlab_plugin_" + t + ".so",
                  d + "/librnnlab_plugin_" + t + ".so");
  return fs::canonical(d).string();
}

std::string builtin(const std::string& cell) {
  return fs::canonical(std::string(RNNLAB_PLUGIN_DIR) + "/librnnlab_plugin_" + cell + ".so")
      .string();
}

const std::string kTiny = kCliFixtures + "/tiny.rnn";  // models lstm and gru

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("plugins cli: a bad file on the plugin path is skipped with a warning naming it and only a command asking for it fails") {
  const std::string dir = plugin_dir("plugcli_bad", {"tp_abort", "tp_wrong_api"});
  const std::string text = dir + "/librnnlab_plugin_text.so";
  std::ofstream(text) << "not a shared object\n";
  const std::string aborts = dir + "/librnnlab_plugin_tp_abort.so";

  CliResult c = run_cli({"cells", "--plugin-path", dir}, "plugcli_bad_cells");
  INFO(c.out, c.err);
  CHECK(c.code == 0);
  CHECK(has(c.out, "plugin lstm 1.0.0"));
  CHECK(has(c.out, "skipped plugin file " + aborts));
  CHECK(has(c.out, "SIGABRT"));
  CHECK(has(c.out, "skipped plugin file " + text));
  CHECK(has(c.out, "plugin API version 999"));

  CliResult k = run_cli({"check", kTiny, "--plugin-path", dir}, "plugcli_bad_check");
  INFO(k.out, k.err);
  CHECK(k.code == 0);
  CHECK(has(k.err, "warning: skipped plugin file " + aborts));

  CliResult g = run_cli({"gradcheck", "elman", "--plugin-path", dir, "--steps", "3", "--batch", "2",
                         "--hidden", "3", "--input", "2"},
                        "plugcli_bad_gradcheck");
  INFO(g.out, g.err);
  CHECK(g.code == 0);
  CHECK(has(g.err, "warning: skipped plugin file " + text));

  // Asking for the broken plugin's cell: exit 2, naming the file and what happened.
  CliResult bad = run_cli({"gradcheck", "tp_abort", "--plugin-path", dir}, "plugcli_bad_ask");
  INFO(bad.out, bad.err);
  CHECK(bad.code == 2);
  CHECK(has(bad.err, "cell 'tp_abort' is not available"));
  CHECK(has(bad.err, aborts));
  CHECK(has(bad.err, "signal 6 (SIGABRT"));
}

TEST_CASE("plugins cli: a cell two plugins register is ambiguous in check and run and gradcheck until --cell-from picks one") {
  const std::string dir = plugin_dir("plugcli_amb", {"tp_shadow"});
  const std::string shadow = dir + "/librnnlab_plugin_tp_shadow.so";
  const std::string gru = builtin("gru");

  CliResult c = run_cli({"cells", "--plugin-path", dir}, "plugcli_amb_cells");
  INFO(c.out, c.err);
  REQUIRE(c.code == 0);
  CHECK(has(c.out, "plugin gru 1.0.0"));
  CHECK(has(c.out, "plugin tp_shadow 0.1.0  (" + shadow + ")"));
  CHECK(has(c.out, "AMBIGUOUS: also registered by plugin 'tp_shadow' (" + shadow + ")"));
  CHECK(has(c.out, "AMBIGUOUS: also registered by plugin 'gru' (" + gru + ")"));

  // check: a located error naming both files.
  CliResult k = run_cli({"check", kTiny, "--plugin-path", dir}, "plugcli_amb_check");
  INFO(k.out, k.err);
  CHECK(k.code == 2);
  CHECK(has(k.out + k.err, "tiny.rnn:6:"));
  CHECK(has(k.out + k.err, "cell 'gru' is ambiguous"));
  CHECK(has(k.out + k.err, gru));
  CHECK(has(k.out + k.err, shadow));

  // run: refused before any run file is made.
  const std::string out = unique_dir("plugcli_amb_runs");
  fs::remove_all(out);
  CliResult r = run_cli({"run", kTiny, "-m", "gru", "-q", "--out", out, "--plugin-path", dir},
                        "plugcli_amb_run");
  INFO(r.out, r.err);
  CHECK(r.code == 2);
  CHECK(has(r.err, "cell 'gru' is ambiguous"));
  CHECK_FALSE(fs::exists(out + "/tiny/gru/run.h5"));

  // gradcheck: the same; with --cell-from the built-in is checked.
  CliResult g = run_cli({"gradcheck", "gru", "--plugin-path", dir, "--steps", "3", "--batch", "2",
                         "--hidden", "3", "--input", "2"},
                        "plugcli_amb_gradcheck");
  CHECK(g.code == 2);
  CHECK(has(g.err, "--cell-from gru="));
  CliResult gp = run_cli({"gradcheck", "gru", "--plugin-path", dir, "--cell-from", "gru=gru",
                          "--steps", "3", "--batch", "2", "--hidden", "3", "--input", "2"},
                         "plugcli_amb_gradcheck_pick");
  INFO(gp.out, gp.err);
  CHECK(gp.code == 0);
  CliResult none = run_cli({"check", kTiny, "--plugin-path", dir, "--cell-from", "gru=nope"},
                           "plugcli_amb_pick_none");
  CHECK(none.code == 2);
  CHECK(has(none.err, "no plugin of that name or file provides cell 'gru'"));

  // $RNNLAB_CELL_FROM picks too (a sweep's tasks inherit it); a pick by file.
  ::setenv("RNNLAB_CELL_FROM", ("gru=" + gru).c_str(), 1);
  CliResult ke = run_cli({"check", kTiny, "--plugin-path", dir}, "plugcli_amb_check_env");
  ::unsetenv("RNNLAB_CELL_FROM");
  INFO(ke.out, ke.err);
  CHECK(ke.code == 0);

  // A picked run records the plugin behind each cell it used.
  CliResult rp = run_cli({"run", kTiny, "-m", "gru", "-q", "--out", out, "--plugin-path", dir,
                          "--cell-from", "gru=gru", "--set", "train.steps=5"},
                         "plugcli_amb_run_pick");
  INFO(rp.out, rp.err);
  REQUIRE(rp.code == 0);
  RunFile f = RunFile::open(out + "/tiny/gru/run.h5");
  CHECK(f.read_text("/plugins/gru/plugin") == "gru");
  CHECK(f.read_text("/plugins/gru/version") == "1.0.0");
  CHECK(f.read_text("/plugins/gru/file") == gru);
  CHECK(f.read_text("/plugins/gru/sha256") == file_sha256(gru));
  CHECK(f.read_text("/plugins/gru/sha256").size() == 64);
}

TEST_CASE("plugins cli: gradcheck --set typos and bad values are input errors (exit 2)") {
  CliResult typo = run_cli({"gradcheck", "lstm", "--set", "hiden=8"}, "plugcli_set_typo");
  INFO(typo.out, typo.err);
  CHECK(typo.code == 2);
  CHECK(has(typo.err, "cell 'lstm' has no parameter 'hiden' (did you mean 'hidden'?)"));
  CliResult range = run_cli({"gradcheck", "lstm", "--set", "hidden=0"}, "plugcli_set_range");
  INFO(range.out, range.err);
  CHECK(range.code == 2);
  CHECK(has(range.err, "expected an integer in [1, 65536], found 0"));
}

TEST_CASE("plugins cli: cells shows nstep's cell choices as every loaded cell") {
  CliResult c = run_cli({"cells"}, "plugcli_nstep_choices");
  INFO(c.out, c.err);
  REQUIRE(c.code == 0);
  std::string every;  // every loaded cell that is not itself a stack, as `cells` prints choices
  for (const std::string& n : builtin_cells().names())
    if (!builtin_cells().get(n).expand_schema) every += (every.empty() ? "" : "|") + n;
  CAPTURE(every);
  CHECK(every.find("qrnn") != std::string::npos);  // more than the static elman|gru|lstm
  CHECK(has(c.out, " " + every + " "));
}

TEST_CASE("plugins cli: a cell that throws a non-exception says what was thrown") {
  const std::string dir = plugin_dir("plugcli_throw_int", {"tp_throw_int"});
  const std::string out = unique_dir("plugcli_throw_int_runs");
  CliResult r = run_cli({"run", kCliFixtures + "/throw_int.rnn", "-q", "--out", out,
                         "--plugin-path", dir},
                        "plugcli_throw_int");
  INFO(r.out, r.err);
  CHECK(r.code == 1);
  CHECK(has(r.err, "an exception of type int (not derived from std::exception) was thrown: 42"));
  // where: the model's layer, the cell and its plugin file
  CHECK(has(r.err, "cell 'tp_throw_int' (m/layer0/tp_throw_int) from plugin 'tp_throw_int' 1.0 (" +
                       dir + "/librnnlab_plugin_tp_throw_int.so): building it failed"));
}

TEST_CASE("plugins cli: cells -v prints every folder searched in order") {
  const std::string dir = plugin_dir("plugcli_v", {});
  ::setenv("RNNLAB_PLUGIN_PATH", "/nonexistent/env/dir", 1);
  CliResult c = run_cli({"cells", "-v", "--plugin-path", dir}, "plugcli_v");
  ::unsetenv("RNNLAB_PLUGIN_PATH");
  INFO(c.out, c.err);
  REQUIRE(c.code == 0);
  const std::size_t head = c.out.find("plugin folders searched, in order:");
  const std::size_t a = c.out.find("  " + dir + "  (--plugin-path)");
  const std::size_t b = c.out.find("  /nonexistent/env/dir  (RNNLAB_PLUGIN_PATH)  [does not exist]");
  const std::size_t d = c.out.find("  " + fs::canonical(RNNLAB_PLUGIN_DIR).string() +
                                   "  (the build tree of the core library ");
  CHECK(head != std::string::npos);
  CHECK(a != std::string::npos);
  CHECK(b != std::string::npos);
  CHECK(d != std::string::npos);
  CHECK(head < a);
  CHECK(a < b);
  CHECK(b < d);
}

TEST_CASE("plugin cli: a cell that throws during training fails its run and names its plugin and the other models run") {
  const std::string dir = plugin_dir("plugcli_step_throw", {"tp_step_throw"});
  const std::string work = temp_dir("plugcli_step_throw_work");
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string rnn = work + "/throws.rnn";
  // The bad model comes first: the good one after it must still run.
  std::ofstream(rnn) << "experiment throws {\n"
                        "  data digits { path \"" << RNNLAB_SOURCE_DIR
                     << "/experiments/data/digits.csv.gz\" }\n"
                        "  model bad = tp_step_throw(hidden: 4, after: 100) -> dense(10) { path composed }\n"
                        "  model early = tp_step_throw(hidden: 4, after: 0) -> dense(10) { path composed }\n"
                        "  model good = elman(hidden: 4) -> dense(10)\n"
                        "  train { loss softmax_cross_entropy  batch 8  steps 40  eval_every 20 }\n"
                        "}\n";
  const CliResult r = run_cli({"run", rnn, "--out", work, "--plugin-path", dir, "-q"},
                              "plugcli_step_throw_run");
  INFO(r.out, r.err);
  CHECK(r.code == 1);
  CHECK(has(r.out, "bad: FAILED: model 'bad' (cells: tp_step_throw from " + dir +
                       "/librnnlab_plugin_tp_step_throw.so): "));
  CHECK(has(r.out, "42"));
  CHECK(has(r.out, "good: finished 40 steps"));
  // Throwing already on the runner's one-batch dry run: failed, no run file, the rest go on.
  CHECK(has(r.out, "early: FAILED: model 'early' (cells: tp_step_throw from "));
  CHECK(has(r.out, "first batch: "));
  CHECK_FALSE(fs::exists(work + "/throws/early/run.h5"));
  RunFile f = RunFile::open(work + "/throws/bad/run.h5");
  CHECK(f.attr_string("status") == "failed");
  CHECK(has(f.attr_string("error"), "42"));
}

TEST_CASE("plugin cli: a sweep's runs load the cells of its --plugin-path (every worker gets it)") {
  // tp_step_throw trains normally until `after` step calls (not reached here).
  const std::string dir = plugin_dir("plugcli_sweep", {"tp_step_throw"});
  const std::string work = temp_dir("plugcli_sweep_work");
  fs::remove_all(work);
  fs::create_directories(work);
  const std::string rnn = work + "/tp.rnn";
  std::ofstream(rnn) << "experiment tp {\n"
                        "  data digits { path \"" << RNNLAB_SOURCE_DIR
                     << "/experiments/data/digits.csv.gz\" }\n"
                        "  model tp = tp_step_throw(hidden: 4, after: 1000000) -> dense(10) { path composed }\n"
                        "  train { loss softmax_cross_entropy  batch 8  steps 4  eval_every 0 }\n"
                        "  sweep { seed: [1, 2] }\n"
                        "}\n";
  // The cell exists only in `dir`: each worker process must be told where it is.
  const CliResult r = run_cli({"sweep", rnn, "--out", work + "/sw", "--plugin-path", dir, "-j", "2"},
                              "plugcli_sweep_run");
  INFO(r.out, r.err);
  CHECK(r.code == 0);
  CHECK(has(r.out, "2 runs: 2 finished"));
  for (const char* id : {"tp-seed=1", "tp-seed=2"})
    CHECK(RunFile::open(work + "/sw/tp/" + id + "/run.h5").attr_string("status") == "finished");
  // --rerun-failed remembers the folder (absolute) and passes it on again.
  CHECK(has(slurp(work + "/sw/sweep.options"), "--plugin-path=" + dir + "\n"));
  const CliResult again = run_cli({"sweep", "--rerun-failed", work + "/sw"}, "plugcli_sweep_rerun");
  INFO(again.out, again.err);
  CHECK(again.code == 0);
}

TEST_SUITE_END();
