// RunFile: the HDF5 result file. Round trips, NaN padding of metric columns, a killed writer,
// corrupt files, and an independent reader (h5py, tests/read_run_file.py).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "rnnlab/backend.h"
#include "rnnlab/run_file.h"
#include "test_util.h"

#ifndef RNNLAB_SOURCE_DIR
#error "tests need RNNLAB_SOURCE_DIR (the repository root) as a compile definition"
#endif

using namespace rnnlab;
namespace fs = std::filesystem;

namespace {

// A fresh directory, removed at the end of the test (test_util.h).
struct RunDir : test::ScratchDir {
  RunDir() : ScratchDir("run_file") {}
};

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "";
}
template <typename F>
std::string input_error_of(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    return std::string("<not an InputError: ") + e.what() + ">";
  }
  return "<nothing thrown>";
}

// "2024-05-01T12:34:56Z"
bool is_iso8601_utc(const std::string& s) {
  const std::string pattern = "dddd-dd-ddTdd:dd:ddZ";
  if (s.size() != pattern.size()) return false;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (pattern[i] == 'd' ? !std::isdigit(static_cast<unsigned char>(s[i])) : s[i] != pattern[i])
      return false;
  return true;
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// Writes a run the way the trainer does: attrs, config text, metrics, eval, params, checkpoint.
void write_sample_run(RunFile& rf) {
  rf.set_attr("git_sha", "0123abcd");
  rf.set_attr("experiment", "qrnn_vs_lstm");
  rf.set_attr("model", "lstm");
  rf.set_attr("seed", 42);
  rf.set_attr("backend", "cpu");
  rf.set_attr("threads", int64_t{2});
  rf.write_text("/config/source", "experiment x {\n  cell lstm(hidden: 128)  // σ(x)\n}\n");
  rf.write_text("config/resolved", "{\"cell\": \"lstm\", \"hidden\": 128}");
  for (int s = 1; s <= 3; ++s)
    rf.append_metrics("metrics",
                      {{"step", s}, {"epoch", 0}, {"wall_time", 0.5 * s}, {"loss", 1.0 / s}});
  rf.append_metrics("eval", {{"step", 3}, {"loss", 0.25}, {"accuracy", 0.875}});
  rf.write_tensor("params/lstm/layer0/lstm/W_x",
                  from_vector(std::vector<float>{1, 2, 3, 4, 5, 6}, {2, 3}));
  rf.write_tensor("params/lstm/layer0/lstm/b", from_vector(std::vector<float>{0.5f, -0.5f}, {2}));
  rf.write_tensor("/checkpoint/optimizer/step_size", from_vector(std::vector<double>{1e-3}, {}));
  rf.write_tensor("/checkpoint/data/order", from_vector(std::vector<int32_t>{3, 1, 2, 0}, {2, 2}));
  rf.set_attr("checkpoint/step", int64_t{3});
  rf.set_attr("checkpoint/rng", "philox:7:12");
}

std::string python_checker() { return std::string(RNNLAB_SOURCE_DIR) + "/tests/read_run_file.py"; }

// Runs tests/read_run_file.py with /usr/bin/python3; returns its exit status. The checker
// reports problems on stderr; `expect_failure` hides them.
int run_checker(const std::string& file, const std::string& args, bool expect_failure = false) {
  const std::string cmd = "/usr/bin/python3 '" + python_checker() + "' --quiet '" + file + "' " +
                          args + (expect_failure ? " 2>/dev/null" : "");
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("RunFile: a staged file appears under its name only when published") {
  RunDir dir;
  const std::string path = dir.file("run.h5");
  const std::string staging = path + RunFile::kStagingSuffix;
  {
    RunFile old = RunFile::create(path);
    old.finish("finished");
  }
  RunFile rf = RunFile::create_staged(path);
  CHECK(rf.path() == staging);
  CHECK(std::filesystem::exists(staging));
  rf.write_text("config/resolved", "experiment e {}\n");
  // Until publish, `path` is still the earlier file, untouched.
  CHECK(RunFile::open(path).attr_string("status") == "finished");
  CHECK_FALSE(RunFile::open(path).exists("config/resolved"));
  rf.publish(path);
  CHECK(rf.path() == path);
  CHECK_FALSE(std::filesystem::exists(staging));
  rf.set_attr("after", int64_t{1});  // still open and writable under its new name
  rf.close();
  RunFile back = RunFile::open(path);
  CHECK(back.attr_string("status") == "running");
  CHECK(back.read_text("config/resolved") == "experiment e {}\n");
  CHECK(back.attr_int("after") == 1);
}

TEST_CASE("RunFile: attrs text metrics and tensors survive close and reopen exactly") {
  RunDir dir;
  const std::string path = dir.file("nested/dirs/run.h5");  // parents are created
  {
    RunFile rf = RunFile::create(path);
    CHECK(rf.attr_string("status") == "running");
    write_sample_run(rf);
    rf.set_attr("lr", 1e-3);
    rf.finish("finished");
  }
  RunFile rf = RunFile::open(path);
  CHECK_FALSE(rf.writable());
  CHECK(rf.attr_string("status") == "finished");
  CHECK(is_iso8601_utc(rf.attr_string("started_at")));
  CHECK(rf.attr_string("finished_at") >= rf.attr_string("started_at"));
  CHECK(rf.has_attr("rnnlab_version"));
  CHECK(rf.attr_string("git_sha") == "0123abcd");
  CHECK(rf.attr_string("experiment") == "qrnn_vs_lstm");
  CHECK(rf.attr_int("seed") == 42);
  CHECK(rf.attr_int("threads") == 2);
  CHECK(rf.attr_double("threads") == 2.0);
  CHECK(rf.attr_double("lr") == 1e-3);
  CHECK(rf.attr_int("checkpoint/step") == 3);
  CHECK(rf.attr_string("/checkpoint/rng") == "philox:7:12");
  CHECK_FALSE(rf.has_attr("nope"));
  CHECK_FALSE(rf.has_attr("no/such/group/attr"));
  CHECK(rf.attr_names("checkpoint") == std::vector<std::string>{"rng", "step"});

  CHECK(rf.read_text("config/source") == "experiment x {\n  cell lstm(hidden: 128)  // σ(x)\n}\n");
  CHECK(rf.read_text("/config/resolved") == "{\"cell\": \"lstm\", \"hidden\": 128}");

  CHECK(rf.series_names("metrics") ==
        std::vector<std::string>{"step", "epoch", "wall_time", "loss"});  // logged order
  CHECK(rf.num_rows("metrics") == 3);
  CHECK(rf.read_series("metrics", "step") == std::vector<double>{1, 2, 3});
  CHECK(rf.read_series("metrics", "wall_time") == std::vector<double>{0.5, 1.0, 1.5});
  CHECK(rf.read_series("metrics", "loss") == std::vector<double>{1.0, 0.5, 1.0 / 3});
  CHECK(rf.read_series("eval", "accuracy") == std::vector<double>{0.875});
  CHECK(rf.series_names("no_such_group").empty());
  CHECK(rf.num_rows("no_such_group") == 0);

  CHECK(rf.dataset_paths("params") ==
        std::vector<std::string>{"lstm/layer0/lstm/W_x", "lstm/layer0/lstm/b"});
  CHECK(rf.dataset_paths("checkpoint") ==
        std::vector<std::string>{"data/order", "optimizer/step_size"});
  Tensor w = rf.read_tensor("params/lstm/layer0/lstm/W_x");
  CHECK(w.dtype() == DType::f32);
  CHECK(w.shape() == Shape{2, 3});
  CHECK(to_vector<float>(w) == std::vector<float>{1, 2, 3, 4, 5, 6});
  Tensor lr = rf.read_tensor("/checkpoint/optimizer/step_size");
  CHECK(lr.dtype() == DType::f64);
  CHECK(lr.shape().empty());
  CHECK(to_vector<double>(lr) == std::vector<double>{1e-3});
  Tensor order = rf.read_tensor("checkpoint/data/order");
  CHECK(order.dtype() == DType::i32);
  CHECK(order.shape() == Shape{2, 2});
  CHECK(to_vector<int32_t>(order) == std::vector<int32_t>{3, 1, 2, 0});
  CHECK(rf.exists("params/lstm/layer0"));
  CHECK_FALSE(rf.exists("params/gru"));

  // Read-only handles refuse writes, naming the file.
  CHECK(contains(error_of([&] { rf.set_attr("x", 1); }), path));
  CHECK(contains(error_of([&] { rf.append_metrics("metrics", {{"step", 4}}); }), "read-only"));
}

TEST_CASE("RunFile: a metric that appears later or is missing from a row is NaN there") {
  RunDir dir;
  RunFile rf = RunFile::create(dir.file("pad.h5"));
  rf.append_metrics("metrics", {{"step", 1}, {"loss", 2.0}});
  rf.append_metrics("metrics", {{"step", 2}, {"loss", 1.5}, {"accuracy", 0.5}});
  rf.append_metrics("metrics", {{"step", 3}});  // loss and accuracy not logged this row
  rf.append_metrics("metrics", {{"accuracy", 0.75}, {"step", 4}});
  rf.close();

  RunFile r = RunFile::open(dir.file("pad.h5"));
  CHECK(r.num_rows("metrics") == 4);
  CHECK(r.series_names("metrics") == std::vector<std::string>{"step", "loss", "accuracy"});
  CHECK(r.read_series("metrics", "step") == std::vector<double>{1, 2, 3, 4});
  auto loss = r.read_series("metrics", "loss");
  auto acc = r.read_series("metrics", "accuracy");
  REQUIRE(loss.size() == 4);
  REQUIRE(acc.size() == 4);
  CHECK(loss[0] == 2.0);
  CHECK(loss[1] == 1.5);
  CHECK(std::isnan(loss[2]));
  CHECK(std::isnan(loss[3]));
  CHECK(std::isnan(acc[0]));
  CHECK(acc[1] == 0.5);
  CHECK(std::isnan(acc[2]));
  CHECK(acc[3] == 0.75);
}

TEST_CASE("RunFile: long metric series cross chunk boundaries") {
  RunDir dir;
  RunFile rf = RunFile::create(dir.file("long.h5"));
  const int n = 2500;  // > 2 chunks of 1024
  for (int i = 0; i < n; ++i) {
    std::vector<std::pair<std::string, double>> row{{"step", i}};
    if (i >= 1500) row.push_back({"late", 2.0 * i});
    rf.append_metrics("metrics", row);
  }
  auto step = rf.read_series("metrics", "step");
  auto late = rf.read_series("metrics", "late");
  REQUIRE(step.size() == n);
  REQUIRE(late.size() == n);
  for (int i = 0; i < n; ++i) {
    if (step[i] != i) FAIL("step[", i, "] = ", step[i]);
    if (i < 1500 ? !std::isnan(late[i]) : late[i] != 2.0 * i) FAIL("late[", i, "] = ", late[i]);
  }
}

TEST_CASE("RunFile: bad metric rows and wrong-typed reads are errors that name the object") {
  RunDir dir;
  const std::string path = dir.file("bad.h5");
  RunFile rf = RunFile::create(path);
  rf.append_metrics("metrics", {{"step", 1}});
  CHECK(contains(error_of([&] {
                   rf.append_metrics("metrics", {{"a", 1}, {"a", 2}});
                 }),
                 "'a' given twice"));
  CHECK(contains(error_of([&] {
                   rf.append_metrics("metrics", {{"a/b", 1}});
                 }),
                 "bad metric name 'a/b'"));
  CHECK(contains(error_of([&] { rf.append_metrics("metrics", {}); }), "empty row"));
  CHECK(rf.num_rows("metrics") == 1);  // rejected rows were not appended

  rf.write_tensor("params/w", from_vector(std::vector<float>{1, 2, 3, 4}, {2, 2}));
  CHECK(contains(error_of([&] {
                   rf.append_metrics("params", {{"x", 1}});
                 }),
                 "'/params/w' is not 1-D"));

  std::string e = error_of([&] { (void)rf.attr_int("status"); });
  CHECK(contains(e, path));
  CHECK(contains(e, "'status'"));
  CHECK(contains(e, "expected an integer"));
  CHECK(contains(error_of([&] { (void)rf.attr_string("missing"); }), "no attribute 'missing'"));
  CHECK(contains(error_of([&] { (void)rf.read_tensor("params/nope"); }), "/params/nope"));
  CHECK(contains(error_of([&] { (void)rf.read_text("params/w"); }), "not a string"));
  CHECK(contains(error_of([&] { rf.finish("done"); }), "expected finished, failed or"));
  CHECK(contains(error_of([&] { rf.write_tensor("params/w/x", zeros({1}, DType::f32)); }),
                 "'/params/w' exists but is not a group"));
  CHECK(contains(error_of([&] { rf.write_text("params", "x"); }), "is a group"));
  CHECK(rf.exists("params/w"));  // not clobbered
  CHECK_FALSE(rf.exists("params/w/x"));
  CHECK(contains(error_of([&] { (void)rf.read_series("params/w", "x"); }), "no series"));
}

TEST_CASE("RunFile: rewriting attrs text and tensors replaces them") {
  RunDir dir;
  RunFile rf = RunFile::create(dir.file("rewrite.h5"));
  rf.set_attr("seed", 1);
  rf.set_attr("seed", "one");  // type may change
  CHECK(rf.attr_string("seed") == "one");
  rf.write_text("config/source", "a");
  rf.write_text("config/source", "bb");
  CHECK(rf.read_text("config/source") == "bb");
  rf.write_tensor("checkpoint/w", from_vector(std::vector<float>{1, 2}, {2}));
  rf.write_tensor("checkpoint/w", from_vector(std::vector<float>{3, 4}, {2}));  // in place
  CHECK(to_vector<float>(rf.read_tensor("checkpoint/w")) == std::vector<float>{3, 4});
  rf.write_tensor("checkpoint/w", from_vector(std::vector<double>{5, 6, 7}, {3, 1}));
  Tensor w = rf.read_tensor("checkpoint/w");
  CHECK(w.dtype() == DType::f64);
  CHECK(w.shape() == Shape{3, 1});
  rf.write_tensor("checkpoint/empty", zeros({0, 3}, DType::f32));
  CHECK(rf.read_tensor("checkpoint/empty").shape() == Shape{0, 3});
  rf.remove("checkpoint");
  CHECK_FALSE(rf.exists("checkpoint/w"));
  CHECK(rf.dataset_paths("checkpoint").empty());

  RunFile moved = std::move(rf);
  CHECK_FALSE(rf.is_open());  // NOLINT(bugprone-use-after-move): moved-from is closed
  CHECK(moved.is_open());
  moved.finish("failed");
  moved.close();
  CHECK(RunFile::open(dir.file("rewrite.h5")).attr_string("status") == "failed");
}

TEST_CASE("RunFile: a killed writer leaves a readable file with status running") {
  RunDir dir;
  const std::string path = dir.file("killed.h5");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {  // child: write like a trainer, flush at a log interval, then die hard
    try {
      RunFile rf = RunFile::create(path);
      write_sample_run(rf);
      rf.flush();
      rf.append_metrics("metrics", {{"step", 4}, {"loss", 0.2}});  // after the last flush
      ::raise(SIGKILL);
    } catch (...) {
    }
    ::_exit(3);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE_MESSAGE(WIFSIGNALED(status), "child exited with ", WEXITSTATUS(status));
  CHECK(WTERMSIG(status) == SIGKILL);

  RunFile rf = RunFile::open(path);
  CHECK(rf.attr_string("status") == "running");  // readers treat this as interrupted
  CHECK_FALSE(rf.has_attr("finished_at"));
  CHECK(rf.read_text("config/source").size() > 0);
  // Everything up to the last flush is there; columns stay aligned either way.
  const int64_t rows = rf.num_rows("metrics");
  CHECK(rows >= 3);
  CHECK(rf.read_series("metrics", "step").size() == static_cast<std::size_t>(rows));
  auto loss = rf.read_series("metrics", "loss");
  CHECK(std::vector<double>(loss.begin(), loss.begin() + 3) ==
        std::vector<double>{1.0, 0.5, 1.0 / 3});
  CHECK(to_vector<float>(rf.read_tensor("params/lstm/layer0/lstm/W_x")) ==
        std::vector<float>{1, 2, 3, 4, 5, 6});
  rf.close();
  // A killed run can be reopened for writing, e.g. to mark it interrupted.
  RunFile w = RunFile::open(path, true);
  w.finish("interrupted");
  w.close();
  CHECK(RunFile::open(path).attr_string("status") == "interrupted");
}

TEST_CASE("RunFile: missing garbage and truncated files are InputErrors naming the path") {
  RunDir dir;
  const std::string missing = dir.file("missing.h5");
  std::string e = input_error_of([&] { RunFile::open(missing); });
  CHECK(contains(e, missing));
  CHECK(contains(e, "no such file"));

  const std::string garbage = dir.file("garbage.h5");
  {
    std::ofstream f(garbage, std::ios::binary);
    for (int i = 0; i < 4096; ++i) f.put(static_cast<char>((i * 131 + 7) % 256));
  }
  e = input_error_of([&] { RunFile::open(garbage); });
  CHECK(contains(e, garbage));
  CHECK(contains(e, "not an HDF5 file"));

  const std::string empty = dir.file("empty.h5");
  std::ofstream(empty, std::ios::binary).flush();
  CHECK(contains(input_error_of([&] { RunFile::open(empty); }), empty));

  // A real run file cut short: the signature is there, the rest is not.
  const std::string truncated = dir.file("truncated.h5");
  {
    RunFile rf = RunFile::create(truncated);
    write_sample_run(rf);
    rf.finish("finished");
  }
  fs::resize_file(truncated, 1000);
  e = input_error_of([&] { RunFile::open(truncated); });
  CHECK(contains(e, truncated));
  CHECK(contains(e, "corrupt"));

  e = input_error_of([&] { RunFile::open(dir.path.string()); });
  CHECK(contains(e, "is a directory"));
}

TEST_CASE("RunFile: h5py reads the layout (tests/read_run_file.py)") {
  const int has_h5py = std::system("/usr/bin/python3 -c 'import h5py' 2>/dev/null");
  if (has_h5py != 0)
    FAIL(
        "/usr/bin/python3 cannot import h5py: install python3-h5py (apt-get install "
        "python3-h5py) - the run file must stay readable without rnnlab");
  REQUIRE(fs::exists(python_checker()));

  RunDir dir;
  const std::string path = dir.file("py.h5");
  {
    RunFile rf = RunFile::create(path);
    write_sample_run(rf);
    rf.append_metrics("metrics", {{"step", 4}, {"accuracy", 0.5}});  // NaN-padded columns
    rf.finish("finished");
  }
  CHECK(run_checker(path,
                    "--status finished --rows metrics=4 --rows eval=1 "
                    "--tensor params/lstm/layer0/lstm/W_x=float32:2x3 "
                    "--tensor checkpoint/data/order=int32:2x2 "
                    "--tensor checkpoint/optimizer/step_size=float64:scalar") == 0);
  CHECK(run_checker(path, "--status running", true) == 1);  // the checker does check

  // A killed writer's file (never closed) opens in h5py too, without h5clear.
  const std::string killed = dir.file("killed.h5");
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    try {
      RunFile rf = RunFile::create(killed);
      write_sample_run(rf);
      rf.flush();
      ::raise(SIGKILL);
    } catch (...) {
    }
    ::_exit(3);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFSIGNALED(status));
  CHECK(run_checker(killed, "--status running --rows metrics=3") == 0);
}

TEST_SUITE_END();
