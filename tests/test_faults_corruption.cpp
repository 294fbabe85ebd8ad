// Damage from outside (issue 25; ctest label `faults`): byte-corrupted copies of finished run
// files, as a copy cut short on a cluster file system, bit rot or a bad transfer leave them, fed
// to every command that reads run files it did not write.
//
//   copies     N per run (RNNLAB_CORRUPTION_COPIES, default 50), half drawn with seed 1 and
//              half with seed 2: 1-64 bytes each set to random values at random offsets, one
//              copy in five also cut at a random length
//   runs       tests/cli/tiny.rnn's lstm (digits, 30 steps, evaluated, checkpointed) and
//              tests/cli/fib_tiny.rnn (a series model, the one `predict` reads)
//   commands   report --csv COPY, collect DIR and status DIR (the copy beside an intact run of
//              the same sweep), verify COPY, predict FIB-COPY; each bounded by a timeout
//   required   no crash (a signal ended the command), no hang (the timeout), and no exit 0 whose
//              output differs from the intact file's (collect always exits 0: there the copy
//              must be named in a warning); verify's "clean" must mean the same content
//              (content_digest computed again, in a child process, equals the intact one's)
// The table of outcomes is printed: copies, detected, same numbers, silently different,
// crashes, hangs per command. The longer form of the issue:
//   RNNLAB_CORRUPTION_COPIES=600 build/tests/rnnlab_tests -tc='faults: byte-corrupted*'
// And a damaged file is never continued: `run --resume` starts it over, saying why.
#include <doctest/doctest.h>
#include <hdf5.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "cli/cli_util.h"
#include "rnnlab/isolated.h"
#include "rnnlab/manifest.h"
#include "rnnlab/run_file.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

constexpr double kCallTimeoutS = 60;  // a command still running after this long hangs

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

void write_bytes(const std::string& path, const std::string& bytes) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
}

// 1-64 random bytes set to random values; one copy in five also cut at a random length.
std::string corrupt(std::string bytes, std::mt19937_64& rng) {
  const int n = 1 + static_cast<int>(rng() % 64);
  for (int k = 0; k < n; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng() % 256);
  if (rng() % 5 == 0) bytes.resize(rng() % bytes.size());
  return bytes;
}

struct Bounded {
  CliResult r;
  bool hung = false;
};

// `rnnlab args...`, killed when it runs longer than kCallTimeoutS.
Bounded run_bounded(const std::vector<std::string>& args, const std::string& name) {
  const std::string dir = unique_dir(name);
  const pid_t pid = start_cli(args, dir);
  Bounded b;
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(kCallTimeoutS);
  int status = 0;
  for (;;) {
    const pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (std::chrono::steady_clock::now() > end) {
      ::kill(pid, SIGKILL);
      ::waitpid(pid, &status, 0);
      b.hung = true;
      break;
    }
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  b.r.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  b.r.out = slurp(dir + "/stdout.txt");
  b.r.err = slurp(dir + "/stderr.txt");
  fs::remove_all(dir);
  return b;
}

struct Tally {
  int copies = 0, detected = 0, same = 0, different = 0, crashes = 0, hangs = 0;
};

// The content_digest of `path` computed in a child process (the copy may crash libhdf5).
std::string digest_isolated(const std::string& path) {
  const std::vector<IsolatedResult> rs = run_isolated(1, [&](std::size_t) {
    return std::to_string(RunFile::open(path).compute_digest(true));
  });
  const IsolatedResult& r = rs.front();
  return r.kind == IsolatedResult::Kind::ok ? r.text : "unreadable: " + r.text;
}

}  // namespace

TEST_SUITE("faults") {

TEST_CASE("faults: byte-corrupted run files never crash hang or pass as good") {
  const std::string base = unique_dir("faults_corruption");
  // The intact runs: digits (two models: lstm is corrupted, gru stays whole beside it) and a
  // series model for predict.
  REQUIRE(run_cli({"run", kCliFixtures + "/tiny.rnn", "--out", base + "/runs", "-q"}).code == 0);
  REQUIRE(run_cli({"run", kCliFixtures + "/fib_tiny.rnn", "--out", base + "/runs", "-q"}).code ==
          0);
  const std::string digits = bytes_of(base + "/runs/tiny/lstm/run.h5");
  const std::string fib = bytes_of(base + "/runs/fib_tiny/one/run.h5");
  REQUIRE(digits.size() > 1000);
  REQUIRE(fib.size() > 1000);

  // Where each copy goes: fixed paths, so the intact outputs (which name them) compare.
  const std::string copy = base + "/copy/tiny/lstm/run.h5";
  const std::string fib_copy = base + "/copy/fib_tiny/one/run.h5";
  const std::string sweep = base + "/sweep";
  std::vector<ManifestRecord> recs(2);
  for (int i = 0; i < 2; ++i) {
    const std::string model = i == 0 ? "lstm" : "gru";
    recs[i].task = i;
    recs[i].id = "tiny/" + model;
    recs[i].model = model;
    recs[i].path = sweep + "/tiny/" + model + "/run.h5";
    recs[i].file = kCliFixtures + "/tiny.rnn";
  }
  write_manifest(sweep + "/manifest.tsv", recs);
  write_bytes(recs[1].path, bytes_of(base + "/runs/tiny/gru/run.h5"));

  using Cmd = std::vector<std::string>;
  const std::map<std::string, Cmd> commands = {
      {"report", {"report", "--csv", copy}},
      {"collect", {"collect", sweep}},
      {"status", {"status", sweep}},
      {"verify", {"verify", copy}},
      {"predict", {"predict", fib_copy, "--warmup", "10", "--steps", "25"}},
  };
  // What a command says of a copy: its stdout, and collect's files too.
  auto output = [&](const std::string& name, const CliResult& r) {
    std::string s = r.out;
    if (name == "collect")
      s += bytes_of(sweep + "/summary.csv") + bytes_of(sweep + "/summary_groups.csv");
    return s;
  };
  auto place = [&](const std::string& d, const std::string& f) {
    write_bytes(copy, d);
    write_bytes(recs[0].path, d);
    write_bytes(fib_copy, f);
  };

  place(digits, fib);
  std::map<std::string, std::string> intact;
  for (const auto& [name, args] : commands) {
    const Bounded b = run_bounded(args, "faults_corruption_ref");
    REQUIRE_MESSAGE(b.r.code == 0, name, ": ", b.r.err);
    intact[name] = output(name, b.r);
  }
  const std::string intact_digest = digest_isolated(copy);
  REQUIRE(intact_digest.find("unreadable") == std::string::npos);

  int copies = 50;
  if (const char* e = std::getenv("RNNLAB_CORRUPTION_COPIES")) copies = std::atoi(e);
  REQUIRE(copies >= 2);
  std::map<std::string, Tally> tally;
  for (const uint64_t seed : {1, 2}) {
    std::mt19937_64 rng(seed);
    for (int i = 0; i < copies / 2; ++i) {
      const std::string d = corrupt(digits, rng), f = corrupt(fib, rng);
      place(d, f);
      for (const auto& [name, args] : commands) {
        const Bounded b = run_bounded(args, "faults_corruption_run");
        Tally& t = tally[name];
        ++t.copies;
        const std::string what = name + ", seed " + std::to_string(seed) + " copy " +
                                 std::to_string(i) + ": exit " + std::to_string(b.r.code) +
                                 "\n" + b.r.err;
        bool silent = false;
        if (b.hung) {
          ++t.hangs;
        } else if (b.r.code >= 128) {
          ++t.crashes;
        } else if (b.r.code != 0) {
          ++t.detected;
        } else if (name == "verify") {  // "clean": the content must be the intact one
          silent = digest_isolated(copy) != intact_digest;
          ++(silent ? t.different : t.same);
        } else if (output(name, b.r) == intact[name]) {
          ++t.same;
        } else if (name == "collect" && b.r.err.find(recs[0].path) != std::string::npos) {
          ++t.detected;  // counted failed, with a warning naming it
        } else {
          silent = true;
          ++t.different;
        }
        CHECK_MESSAGE(!b.hung, "hang: ", what);
        CHECK_MESSAGE((b.hung || b.r.code < 128), "crash: ", what);
        CHECK_MESSAGE(!silent, "silently different: ", what, b.r.out);
        if (b.hung || b.r.code >= 128 || silent) {  // kept for a look
          const std::string keep = base + "/failed/" + name + "-" + std::to_string(seed) + "-" +
                                   std::to_string(i) + ".h5";
          write_bytes(keep, name == "predict" ? f : d);
        }
      }
    }
  }
  std::printf("\ncorrupted run files (%d copies per command, seeds 1 and 2):\n", copies / 2 * 2);
  std::printf("%-8s %7s %9s %13s %19s %8s %6s\n", "command", "copies", "detected", "same numbers",
              "silently different", "crashes", "hangs");
  for (const auto& [name, t] : tally)
    std::printf("%-8s %7d %9d %13d %19d %8d %6d\n", name.c_str(), t.copies, t.detected, t.same,
                t.different, t.crashes, t.hangs);
  std::fflush(stdout);
  for (const auto& [name, t] : tally)
    CHECK(t.detected + t.same + t.different + t.crashes + t.hangs == t.copies);
}

TEST_CASE("faults: --resume starts a damaged file over and verify names the damage") {
  const std::string out = unique_dir("faults_resume_damaged");
  const std::string logs = unique_dir("faults_resume_damaged_logs");
  const std::vector<std::string> args = {"run",   kCliFixtures + "/long.rnn", "--threads", "1",
                                         "-q",    "--set", "train.steps=20000",  "--out", out};
  const std::string path = out + "/long/lstm/run.h5";
  const pid_t pid = start_cli(args, logs);
  REQUIRE(wait_for_file(path, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ::kill(pid, SIGINT);
  REQUIRE(wait_cli(pid, logs).code == 1);  // interrupted, sealed
  CliResult v = run_cli({"verify", path});
  CHECK_MESSAGE(v.code == 0, v.out, v.err);
  CHECK(v.out.find(path + ": clean\n") != std::string::npos);

  // One byte of the first chunk of /metrics/loss: Fletcher32 no longer matches.
  int64_t chunk = -1;
  {
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t d = H5Dopen2(f, "/metrics/loss", H5P_DEFAULT);
    hid_t space = H5Dget_space(d);
    hsize_t offset[1] = {0}, size = 0;
    unsigned mask = 0;
    haddr_t addr = 0;
    if (H5Dget_chunk_info(d, space, 0, offset, &mask, &addr, &size) >= 0)
      chunk = static_cast<int64_t>(addr);
    H5Sclose(space);
    H5Dclose(d);
    H5Fclose(f);
  }
  REQUIRE(chunk > 0);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(chunk + 12);
    f.put('\x5a');
  }
  v = run_cli({"verify", path});
  CHECK(v.code == 1);
  CHECK_MESSAGE(v.out.find("damaged") != std::string::npos, v.out);
  CHECK_MESSAGE(v.out.find("/metrics/loss") != std::string::npos, v.out);

  // --resume never continues it: it starts over, saying why, and ends whole.
  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  const CliResult r = run_cli(resume, "faults_resume_damaged_run");
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK_MESSAGE(r.err.find("starting over") != std::string::npos, r.err);
  CHECK_MESSAGE(r.err.find("/metrics/loss") != std::string::npos, r.err);
  CHECK(r.err.find("resumed from") == std::string::npos);
  v = run_cli({"verify", path});
  CHECK_MESSAGE(v.code == 0, v.out);
  RunFile f = RunFile::open(path);
  CHECK(f.attr_string("status") == "finished");
  CHECK(f.attr_int("steps") == 20000);
  CHECK_FALSE(f.has_attr("resumed_at"));
}

}  // TEST_SUITE
