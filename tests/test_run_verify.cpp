// Run files verified end to end (issue 25), the library side: the checksums a new run file is
// written with (1.10 object formats on a version 2 superblock, Fletcher32 chunks, compact
// scalars and text), sealing at finish and unsealing at the next change, a damaged chunk or
// string named, `verify_run_file`'s verdicts (clean, not sealed, unverified, damaged), and
// run_isolated (rnnlab/isolated.h): results back from a child, a crash, an exception or a hang
// costing only its own item. The same through the binary: test_faults_corruption.cpp.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rnnlab/isolated.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/run_reader.h"
#include "rnnlab/run_verify.h"
#include "test_util.h"

using namespace rnnlab;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "<nothing thrown>";
}

// A run file with what `rnnlab run` writes, in small: root attrs, the header (config, dataset,
// split), metric tables, params; finished (so sealed) unless `status` says otherwise.
void write_run(const std::string& path, const std::string& status = "finished") {
  RunFile rf = RunFile::create(path);
  rf.set_attr("experiment", "verify_test");
  rf.set_attr("model", "lstm");
  rf.set_attr("note", "MARKER-STRING-IN-THE-GLOBAL-HEAP");
  rf.write_text("config/source", "experiment verify_test {}\n");
  rf.write_text("config/resolved", "experiment verify_test { seed 1 }\n");
  rf.set_attr("config/values/cell.hidden", int64_t{8});
  rf.set_attr("dataset/examples", int64_t{4});
  rf.write_tensor("split/train", from_vector(std::vector<int32_t>{0, 1, 2}, {3}));
  rf.write_tensor("split/eval", from_vector(std::vector<int32_t>{3}, {1}));
  for (int s = 1; s <= 3; ++s)
    rf.append_metrics("metrics", {{"step", 10.0 * s}, {"loss", 1.0 / s}});
  rf.append_metrics("eval", {{"step", 30}, {"loss", 0.25}, {"accuracy", 0.5}});
  rf.write_tensor("params/lstm/W", from_vector(std::vector<float>(600, 0.25f), {20, 30}));
  rf.write_tensor("params/lstm/scale", from_vector(std::vector<double>{2.0}, {}));
  if (status == "running") {
    rf.flush();
    return;
  }
  rf.set_attr("steps", int64_t{30});
  rf.set_attr("train_time", 0.5);
  rf.set_attr("wall_time", 0.7);
  rf.set_attr("epochs_completed", int64_t{0});
  rf.finish(status);
}

// The file's byte offset of the first chunk of `dataset`.
int64_t chunk_offset(const std::string& path, const std::string& dataset) {
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  REQUIRE(f >= 0);
  hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  REQUIRE(d >= 0);
  hsize_t offset[2] = {0, 0};
  unsigned mask = 0;
  haddr_t addr = 0;
  hsize_t size = 0;
  hid_t space = H5Dget_space(d);
  REQUIRE(H5Dget_chunk_info(d, space, 0, offset, &mask, &addr, &size) >= 0);
  H5Sclose(space);
  H5Dclose(d);
  H5Fclose(f);
  return static_cast<int64_t>(addr);
}

void flip_byte(const std::string& path, int64_t at) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(at);
  char c = 0;
  f.get(c);
  f.seekp(at);
  f.put(static_cast<char>(c ^ 0x21));
}

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

bool has_fletcher32(const std::string& path, const std::string& dataset, H5D_layout_t* layout) {
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, dataset.c_str(), H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(d);
  *layout = H5Pget_layout(dcpl);
  bool found = false;
  for (int i = 0; i < H5Pget_nfilters(dcpl); ++i) {
    unsigned flags = 0, config = 0;
    std::size_t n = 0;
    found |= H5Pget_filter2(dcpl, static_cast<unsigned>(i), &flags, &n, nullptr, 0, nullptr,
                            &config) == H5Z_FILTER_FLETCHER32;
  }
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
  return found;
}

}  // namespace

TEST_SUITE_BEGIN("unit");

TEST_CASE("integrity: a new run file is checksummed throughout and sealed when it finishes") {
  test::ScratchDir dir("verify_format");
  const std::string path = dir.file("run.h5");
  write_run(path);
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    H5F_info2_t info{};
    REQUIRE(H5Fget_info2(f, &info) >= 0);
    CHECK(info.super.version == 2);  // checksummed, and no consistency flags (run_file.h)
    H5Fclose(f);
  }
  H5D_layout_t layout{};
  for (const char* d : {"/metrics/loss", "/params/lstm/W", "/split/train"}) {
    CHECK_MESSAGE(has_fletcher32(path, d, &layout), d);
    CHECK(layout == H5D_CHUNKED);
  }
  for (const char* d : {"/params/lstm/scale", "/config/resolved"}) {
    CHECK_FALSE(has_fletcher32(path, d, &layout));
    CHECK_MESSAGE(layout == H5D_COMPACT, d);  // in the object header, under its checksum
  }

  RunFile rf = RunFile::open(path);
  CHECK(rf.has_checksums());
  CHECK(rf.attr_int(layout::kChecksums) == layout::kChecksumsVersion);
  REQUIRE(rf.sealed());
  CHECK(rf.attr_int(layout::kContentDigest) == rf.compute_digest(true));
  CHECK(rf.attr_int(layout::kHeaderDigest) == rf.compute_digest(false));
  CHECK(rf.compute_digest(true) != rf.compute_digest(false));
  CHECK(rf.check_header_digest());
  rf.close();

  // Opened for writing, the file stays sealed until it changes; the first change removes the
  // digests (they never describe another content), finish() seals it again.
  RunFile w = RunFile::open(path, true);
  CHECK(w.sealed());
  w.set_attr("status", "running");
  CHECK_FALSE(w.sealed());
  CHECK_FALSE(w.check_header_digest());
  w.append_metrics("metrics", {{"step", 40}, {"loss", 0.2}});
  // A tensor over 1 MiB: chunks of at most 1 MiB along its first axis, read back whole.
  std::vector<float> big(600 * 1000);
  for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<float>(i % 977);
  w.write_tensor("params/lstm/big", from_vector(big, {600, 1000}));
  w.finish("finished");
  CHECK(to_vector<float>(w.read_tensor("params/lstm/big")) == big);
  CHECK(w.sealed());
  CHECK(w.check_header_digest());
  w.close();
  CHECK(verify_run_file(path).verdict == VerifyReport::Verdict::clean);
  hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  hid_t d = H5Dopen2(f, "/params/lstm/big", H5P_DEFAULT);
  hid_t dcpl = H5Dget_create_plist(d);
  hsize_t chunk[2] = {0, 0};
  CHECK(H5Pget_chunk(dcpl, 2, chunk) == 2);
  CHECK(chunk[0] == (1u << 20) / 4000);
  CHECK(chunk[1] == 1000);
  H5Pclose(dcpl);
  H5Dclose(d);
  H5Fclose(f);
}

TEST_CASE("integrity: a damaged chunk or string is an error naming the file and the object") {
  test::ScratchDir dir("verify_damage");
  const std::string path = dir.file("run.h5");
  write_run(path);
  const std::string intact = bytes_of(path);

  // One byte of a metric column's chunk: Fletcher32 says so on the read.
  flip_byte(path, chunk_offset(path, "/metrics/loss") + 3);
  std::string e = error_of([&] { RunFile::open(path).read_series("metrics", "loss"); });
  CHECK_MESSAGE(contains(e, path), e);
  CHECK_MESSAGE(contains(e, "/metrics/loss"), e);
  VerifyReport v = verify_run_file(path);
  CHECK(v.verdict == VerifyReport::Verdict::damaged);
  CHECK_MESSAGE(contains(verdict_line(v), "/metrics/loss"), verdict_line(v));

  // A string in the global heap (no checksum in any HDF5 version): the header digest says so,
  // and so every reader (read_run) and verify.
  std::string bytes = intact;
  const std::size_t at = bytes.find("MARKER-STRING-IN-THE-GLOBAL-HEAP");
  REQUIRE(at != std::string::npos);
  bytes[at] = 'X';
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
  CHECK(RunFile::open(path).attr_string("note") == "XARKER-STRING-IN-THE-GLOBAL-HEAP");
  e = error_of([&] { RunFile::open(path).check_header_digest(); });
  CHECK_MESSAGE(contains(e, "header_digest"), e);
  CHECK(contains(e, path));
  CHECK(contains(error_of([&] { read_run(path); }), "header_digest"));
  v = verify_run_file(path);
  CHECK(v.verdict == VerifyReport::Verdict::damaged);
  CHECK_MESSAGE(contains(verdict_line(v), "content_digest"), verdict_line(v));
}

TEST_CASE("integrity: verify says clean not sealed unverified or damaged") {
  test::ScratchDir dir("verify_verdicts");
  const std::string running = dir.file("running.h5"), finished = dir.file("finished.h5");
  write_run(running, "running");
  write_run(finished);
  VerifyReport v = verify_run_file(finished);
  CHECK(verdict_line(v) == "clean");
  CHECK(v.status == "finished");
  v = verify_run_file(running);
  CHECK(v.verdict == VerifyReport::Verdict::clean);
  CHECK_MESSAGE(contains(verdict_line(v), "not sealed"), verdict_line(v));

  // A file of an rnnlab before checksums: HDF5's default formats, no `checksums` attribute.
  const std::string old = dir.file("old.h5");
  {
    hid_t f = H5Fcreate(old.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    REQUIRE(f >= 0);
    H5Fclose(f);
    RunFile rf = RunFile::open(old, true);
    rf.set_attr("rnnlab_version", "0.0.9");
    rf.set_attr("status", "finished");
    rf.set_attr("started_at", "2026-01-01T00:00:00Z");
    rf.set_attr("finished_at", "2026-01-01T00:00:01Z");
    for (const char* a : {"steps", "epochs_completed"}) rf.set_attr(a, int64_t{0});
    for (const char* a : {"train_time", "wall_time"}) rf.set_attr(a, 0.0);
    rf.write_tensor("params/w", from_vector(std::vector<float>{1}, {1}));
  }
  v = verify_run_file(old);
  CHECK(verdict_line(v) == "unverified (written before checksums)");

  // Layout: a finished file without /params; tables of two lengths.
  const std::string bad = dir.file("bad.h5");
  {
    RunFile rf = RunFile::create(bad);
    rf.write_text("config/source", "x");
    rf.set_attr("steps", int64_t{1});
    rf.append_metrics("metrics", {{"step", 1}, {"loss", 1}});
    rf.append_metrics("metrics", {{"step", 2}, {"loss", 1}});
    rf.truncate_rows("metrics", 1);  // fine: both columns
    rf.finish("finished");
  }
  v = verify_run_file(bad);
  CHECK(v.verdict == VerifyReport::Verdict::damaged);
  const std::string line = verdict_line(v);
  CHECK_MESSAGE(contains(line, "no /config/resolved"), line);
  CHECK_MESSAGE(contains(line, "no /params"), line);
  CHECK_MESSAGE(contains(line, "'train_time'"), line);

  // Not a run file, not HDF5: damaged, named.
  const std::string garbage = dir.file("garbage.h5");
  std::ofstream(garbage) << "not hdf5";
  v = verify_run_file(garbage);
  CHECK(v.verdict == VerifyReport::Verdict::damaged);
  CHECK(contains(verdict_line(v), garbage));

  // A folder: every *.h5 in a child process, in name order.
  const std::vector<VerifyReport> all = verify_run_files({dir.str()});
  REQUIRE(all.size() == 5);
  CHECK(all[0].path == bad);
  CHECK(all[0].verdict == VerifyReport::Verdict::damaged);
  CHECK(all[1].verdict == VerifyReport::Verdict::clean);       // finished
  CHECK(all[2].verdict == VerifyReport::Verdict::damaged);     // garbage
  CHECK(all[3].verdict == VerifyReport::Verdict::unverified);  // old
  CHECK(all[4].verdict == VerifyReport::Verdict::clean);       // running
  CHECK(contains(error_of([&] { verify_run_files({dir.file("nothing")}); }), "verify: no such"));
}

TEST_CASE("isolated: results come back from a child and a crash or hang costs only its item") {
  const std::vector<IsolatedResult> r = run_isolated(5, [](std::size_t i) -> std::string {
    if (i == 1) ::raise(SIGSEGV);
    if (i == 2) throw InputError("bad input " + std::to_string(i));
    if (i == 3) throw Error("failed");
    return PayloadWriter().put(static_cast<int64_t>(i)).put(std::string("item")).bytes();
  });
  REQUIRE(r.size() == 5);
  for (std::size_t i : {0, 4}) {
    REQUIRE(r[i].kind == IsolatedResult::Kind::ok);
    PayloadReader in(r[i].text);
    CHECK(in.i64() == static_cast<int64_t>(i));
    CHECK(in.str() == "item");
    CHECK(contains(error_of([&] { in.f64(); }), "truncated"));
  }
  CHECK(r[1].kind == IsolatedResult::Kind::crashed);
  CHECK_MESSAGE(contains(r[1].text, "SIGSEGV"), r[1].text);
  CHECK(r[2].kind == IsolatedResult::Kind::input_error);
  CHECK(r[2].text == "bad input 2");
  CHECK(r[3].kind == IsolatedResult::Kind::error);
  CHECK(r[3].text == "failed");

  // A hang: killed after the timeout; work that reports progress is no hang.
  IsolateOptions quick;
  quick.timeout_ms = 300;
  const auto slow = run_isolated(
      3,
      [](std::size_t i) {
        for (int k = 0; k < 6; ++k) {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          if (i == 2) isolated_progress();
        }
        if (i == 0) std::this_thread::sleep_for(std::chrono::seconds(30));
        return std::string("done");
      },
      quick);
  CHECK(slow[0].kind == IsolatedResult::Kind::crashed);
  CHECK_MESSAGE(contains(slow[0].text, "no progress"), slow[0].text);
  CHECK(slow[1].kind == IsolatedResult::Kind::crashed);  // 600 ms without a word
  CHECK(slow[2].kind == IsolatedResult::Kind::ok);

  // Large results arrive whole.
  const auto big = run_isolated(2, [](std::size_t i) { return std::string(3'000'000 + i, 'x'); });
  CHECK(big[0].text.size() == 3'000'000);
  CHECK(big[1].text.size() == 3'000'001);

  // RNNLAB_ISOLATE=0: in this process (exceptions still per item).
  ::setenv("RNNLAB_ISOLATE", "0", 1);
  const pid_t me = ::getpid();
  const auto here = run_isolated(2, [&](std::size_t i) -> std::string {
    if (i == 1) throw Error("x");
    return std::to_string(::getpid());
  });
  ::unsetenv("RNNLAB_ISOLATE");
  CHECK(here[0].text == std::to_string(me));
  CHECK(here[1].kind == IsolatedResult::Kind::error);
}

TEST_CASE("integrity: read_runs in a child process gives what read_run gives") {
  test::ScratchDir dir("verify_read_runs");
  write_run(dir.file("a/run.h5"));
  write_run(dir.file("b/run.h5"), "running");
  std::ostringstream warn;
  const std::vector<RunRecord> runs = read_runs({dir.str()}, warn);
  REQUIRE(runs.size() == 2);
  for (const RunRecord& r : runs) {
    const RunRecord d = read_run(r.path);
    CHECK(r.experiment == d.experiment);
    CHECK(r.model == d.model);
    CHECK(r.status == d.status);
    CHECK(r.steps == d.steps);
    CHECK(r.train_loss.value == d.train_loss.value);
    CHECK(r.eval_metric.step == d.eval_metric.step);
    CHECK(r.metric == d.metric);
    CHECK(r.attrs == d.attrs);
    CHECK(r.values == d.values);
    CHECK(r.resolved == d.resolved);
  }
  CHECK(warn.str().empty());
}

TEST_CASE("run file: a reader of a live run sees the rows every column has, and ragged columns of an ended run are an error") {
  test::ScratchDir dir("live_ragged");
  const std::string path = dir.file("run.h5");
  {
    RunFile rf = RunFile::create(path);
    rf.set_attr(layout::kStatus, std::string(layout::kRunning));
    for (int i = 0; i < 3; ++i)
      rf.append_metrics("metrics", {{"step", i + 1.0}, {"loss", 0.5 / (i + 1)}});
  }
  auto grow_loss = [&] {  // the writer's next row, caught after one column has grown
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
    REQUIRE(f >= 0);
    hid_t d = H5Dopen2(f, "/metrics/loss", H5P_DEFAULT);
    const hsize_t four = 4;
    CHECK(H5Dset_extent(d, &four) >= 0);
    H5Dclose(d);
    H5Fclose(f);
  };
  grow_loss();
  {
    const RunFile live = RunFile::open(path);
    CHECK(live.num_rows("metrics") == 3);
    CHECK(live.read_series("metrics", "loss").size() == 3);
    CHECK(live.read_series("metrics", "step").size() == 3);
  }
  {
    RunFile rf = RunFile::open(path, true);
    rf.set_attr(layout::kStatus, std::string(layout::kFinished));
  }
  const RunFile ended = RunFile::open(path);
  CHECK_THROWS_WITH_AS(ended.num_rows("metrics"), doctest::Contains("differ in length"), Error);
}

TEST_SUITE_END();
