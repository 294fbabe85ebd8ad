// Fault injection (ctest label `faults`): the ways a result could be lost or silently reused,
// each driven through the real `rnnlab` binary and checked on the real run files.
//
//   locking      a second writer (another rnnlab, or any process holding the lock) leaves a
//                finished or running file byte-for-byte as it was, exit 2 naming the holder
//   stale reuse  --resume refuses a file written by another configuration or other data
//   start-up     SIGKILL / SIGTERM at random moments of --resume start-up, many times over,
//                across lstm, stateful elman and qrnn (carried state and input window) and
//                nstep: the run still ends bit-identical to an uninterrupted one, no NaN rows,
//                never left "running" by a signal that could be handled
//   checkpoints  a damaged newest slot (values rewritten, or raw bytes flipped in the file)
//                falls back to the older slot; both damaged: exit 2 naming both
//   divergence   a loss that explodes without reaching NaN fails the run
//
// Every case checks the surviving files with RunFile (and h5py where it matters).
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <random>

#include "cli/cli_util.h"
#include "rnnlab/run_file.h"
#include "rnnlab/trainer.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

std::string bytes_of(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

std::map<std::string, std::vector<double>> params_of(const std::string& path) {
  RunFile f = RunFile::open(path);
  std::map<std::string, std::vector<double>> out;
  for (const auto& p : f.dataset_paths("params")) {
    const Tensor t = f.read_tensor("params/" + p);
    out[p] = t.dtype() == DType::f64 ? to_vector<double>(t) : [&] {
      auto v = to_vector<float>(t);
      return std::vector<double>(v.begin(), v.end());
    }();
  }
  return out;
}

// Every metric table of `path` has only finite step/loss values.
void check_no_nan_rows(const std::string& path) {
  RunFile f = RunFile::open(path);
  for (const char* group : {"metrics", "epochs"})
    for (const char* col : {"loss"}) {
      if (f.num_rows(group) == 0) continue;
      const auto v = f.read_series(group, col);
      const auto bad = std::count_if(v.begin(), v.end(), [](double x) { return !std::isfinite(x); });
      CHECK_MESSAGE(bad == 0, path, ": ", bad, " non-finite rows in /", group, "/", col);
    }
}

// The reference run of `args` (uninterrupted), in its own folder.
std::string reference(const std::string& name, std::vector<std::string> args,
                      const std::string& run) {
  const std::string out = temp_dir("faults_ref_" + name);
  fs::remove_all(out);
  args.insert(args.end(), {"--out", out});
  const CliResult r = run_cli(args, "faults_ref_logs");
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return out + "/" + run;
}

// A random delay in [lo, hi) milliseconds.
int delay_ms(std::mt19937_64& rng, int lo, int hi) {
  return lo + static_cast<int>(rng() % static_cast<uint64_t>(hi - lo));
}

}  // namespace

TEST_SUITE("faults") {

TEST_CASE("faults: a second rnnlab on a locked run file leaves it byte-for-byte intact") {
  const std::string out = temp_dir("faults_lock");
  fs::remove_all(out + "/tiny");
  const std::vector<std::string> run = {"run", kCliFixtures + "/tiny.rnn", "--out", out,
                                        "--model", "lstm", "-q"};
  REQUIRE(run_cli(run).code == 0);
  const std::string path = out + "/tiny/lstm/run.h5";
  const std::string before = bytes_of(path);
  REQUIRE(before.size() > 1000);

  // Any process holding the lock (here flock(1)) keeps every writer out: run, --resume.
  const std::string logs = temp_dir("faults_lock_holder");
  const pid_t holder = ::fork();
  if (holder == 0) {
    // -o: the lock is held by flock itself, not inherited by `sleep`, so killing flock frees it.
    ::execlp("flock", "flock", "-o", "-x", (path + ".lock").c_str(), "sleep", "20",
             (char*)nullptr);
    ::_exit(127);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  for (bool resume : {false, true}) {
    std::vector<std::string> a = run;
    if (resume) a.push_back("--resume");
    const CliResult r = run_cli(a, "faults_lock_loser");
    CHECK(r.code == 2);
    CHECK_MESSAGE(r.err.find("is in use by") != std::string::npos, r.err);
    CHECK(bytes_of(path) == before);
  }
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  // The holder is gone (a killed holder never leaves the file locked): --resume skips it.
  const CliResult again = run_cli({"run", kCliFixtures + "/tiny.rnn", "--out", out, "--model",
                                   "lstm", "-q", "--resume"});
  CHECK_MESSAGE(again.code == 0, again.err);
  CHECK(again.out.find("already finished") != std::string::npos);
  CHECK(bytes_of(path) == before);
}

TEST_CASE("faults: two rnnlab runs on one --out: the second exits 2 naming the first") {
  const std::string out = temp_dir("faults_two"), logs = temp_dir("faults_two_logs");
  fs::remove_all(out + "/long");
  const std::string path = out + "/long/lstm/run.h5";
  // Long enough (several seconds) that the first run is surely still going while the two
  // others start: 1 500 steps took under a second, a race on a fast or idle machine.
  const std::vector<std::string> args = {"run", kCliFixtures + "/long.rnn", "--out", out,
                                         "--threads", "1", "-q", "--set", "train.steps=15000"};
  const pid_t first = start_cli(args, logs);
  REQUIRE(wait_for_file(path, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  for (bool resume : {false, true}) {
    std::vector<std::string> a = args;
    if (resume) a.push_back("--resume");
    const CliResult second = run_cli(a, "faults_two_second");
    CHECK(second.code == 2);
    CHECK_MESSAGE(second.err.find("is in use by pid " + std::to_string(first)) !=
                      std::string::npos,
                  second.err);
  }
  const CliResult r = wait_cli(first, logs);
  CHECK_MESSAGE(r.code == 0, r.err);
  RunFile f = RunFile::open(path);
  CHECK(f.attr_string("status") == "finished");
  CHECK(f.read_text("/config/resolved").find("steps 15000") != std::string::npos);
  CHECK(f.num_rows("metrics") == 1500);
  CHECK(!f.dataset_paths("params").empty());
  CHECK(!fs::exists(path + ".lock"));  // released and removed at a clean exit
}

TEST_CASE("faults: --resume refuses a file of another configuration or other data") {
  const std::string out = temp_dir("faults_stale");
  fs::remove_all(out + "/tiny");
  const std::string path = out + "/tiny/lstm/run.h5";
  std::vector<std::string> run = {"run", kCliFixtures + "/tiny.rnn", "--out", out,
                                  "--model", "lstm", "-q"};
  std::vector<std::string> hidden16 = run;
  hidden16.insert(hidden16.end(), {"--set", "model.lstm.hidden=16"});
  REQUIRE(run_cli(hidden16).code == 0);
  const std::string before = bytes_of(path);
  std::vector<std::string> resume = run;
  resume.push_back("--resume");
  const CliResult stale = run_cli(resume);
  CHECK(stale.code == 2);
  CHECK_MESSAGE(stale.err.find("written by another configuration") != std::string::npos, stale.err);
  CHECK_MESSAGE(stale.err.find("hidden") != std::string::npos, stale.err);
  CHECK(bytes_of(path) == before);
  hidden16.push_back("--resume");
  const CliResult same = run_cli(hidden16);
  CHECK(same.code == 0);
  CHECK(same.out.find("already finished") != std::string::npos);
  {  // the file records the cell's plugin with the .so's SHA-256: another build is another run
    RunFile f = RunFile::open(path, true);
    const std::string cells = f.attr_string("config/cells");
    CHECK(cells.find("lstm=lstm@") == 0);
    CHECK(cells.find(" sha256:") != std::string::npos);
    std::string other = cells;
    other.back() = other.back() == '0' ? '1' : '0';  // one hex digit of the hash changed
    f.set_attr("config/cells", other);
  }
  const CliResult rebuilt = run_cli(hidden16);
  CHECK(rebuilt.code == 2);
  CHECK_MESSAGE(rebuilt.err.find("the cell plugins differ") != std::string::npos, rebuilt.err);

  // Same spec, data file edited in place: the data fingerprint differs.
  const std::string dir = temp_dir("faults_stale_data");
  fs::remove_all(dir + "/series");
  const std::string csv = dir + "/series.csv", rnn = dir + "/series.rnn";
  auto write_csv = [&](double scale) {
    std::ofstream f(csv);
    f << "t,value\n";
    for (int i = 0; i < 200; ++i) f << i << "," << scale * std::sin(0.3 * i) << "\n";
  };
  write_csv(1.0);
  std::ofstream(rnn) << "experiment series {\n  data csv { path \"series.csv\"  column \"value\""
                        "  steps 5  target next }\n  model m = elman(hidden: 4) -> dense(1)\n"
                        "  train { loss mse  batch 8  steps 20 }\n}\n";
  const std::vector<std::string> srun = {"run", rnn, "--out", dir, "-q", "--resume"};
  REQUIRE(run_cli(srun).code == 0);
  const std::string spath = dir + "/series/m/run.h5", sbefore = bytes_of(spath);
  write_csv(2.0);
  const CliResult edited = run_cli(srun);
  CHECK(edited.code == 2);
  CHECK_MESSAGE(edited.err.find("the data differ") != std::string::npos, edited.err);
  CHECK(bytes_of(spath) == sbefore);
}

TEST_CASE("faults: --resume without a checkpoint says it starts over") {
  const std::string out = temp_dir("faults_over"), logs = temp_dir("faults_over_logs");
  fs::remove_all(out + "/long");
  const std::string path = out + "/long/lstm/run.h5";
  // Checkpoints off: a SIGKILL leaves nothing to resume from.
  const std::vector<std::string> args = {"run", kCliFixtures + "/long.rnn", "--out", out,
      "--threads", "1", "--set", "train.checkpoint_every=0",
      "--set", "train.checkpoint_seconds=0"};
  const pid_t pid = start_cli(args, logs);
  REQUIRE(wait_for_file(path, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  ::kill(pid, SIGKILL);
  wait_cli(pid, logs);
  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  const CliResult r = run_cli(resume);
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK_MESSAGE(r.err.find("starting over: " + path + " has no checkpoint") != std::string::npos,
                r.err);
  CHECK(RunFile::open(path).attr_string("status") == "finished");
}

TEST_CASE("faults: the default time-based checkpoint survives a SIGKILL") {
  const std::string out = temp_dir("faults_timed"), logs = temp_dir("faults_timed_logs");
  fs::remove_all(out + "/long");
  const std::string path = out + "/long/lstm/run.h5";
  // Only the wall-time rule (as the default, at a test's time scale).
  const std::vector<std::string> args = {"run", kCliFixtures + "/long.rnn", "--out", out,
      "--threads", "1", "-q", "--set", "train.steps=20000", "--set", "train.checkpoint_every=0",
      "--set", "train.checkpoint_seconds=0.05"};
  const pid_t pid = start_cli(args, logs);
  REQUIRE(wait_for_file(path, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ::kill(pid, SIGKILL);
  wait_cli(pid, logs);
  int64_t step = 0;
  {
    RunFile f = RunFile::open(path);
    REQUIRE(f.attr_string("status") == "running");
    CHECK(has_checkpoint(f, &step));
  }
  std::vector<std::string> resume = args;
  resume.push_back("--resume");
  const CliResult r = run_cli(resume);
  CHECK_MESSAGE(r.code == 0, r.err);
  CHECK(r.out.find("resumed from step") != std::string::npos);
  CHECK(step > 0);
}

// Interrupt (SIGINT) a run after its first checkpoints, then start --resume again and again,
// killing each start at a random moment of its start-up (SIGKILL, or SIGTERM which must end it
// cleanly), then let one finish: the result equals the uninterrupted run's, bit for bit.
void kill_during_resume(const std::string& name, const std::string& fixture,
                        const std::string& model, int kills, int max_delay_ms,
                        std::mt19937_64& rng, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> base = {"run", kCliFixtures + "/" + fixture, "--model", model,
                                   "--threads", "1", "-q"};
  base.insert(base.end(), extra.begin(), extra.end());
  const std::string ref = reference(name, base, fixture.substr(0, fixture.size() - 4) + "/" +
                                                    model + "/run.h5");
  const std::string out = temp_dir("faults_kill_" + name), logs = temp_dir("faults_kill_logs");
  fs::remove_all(out);
  const std::string path = out + "/" + fixture.substr(0, fixture.size() - 4) + "/" + model +
                           "/run.h5";
  std::vector<std::string> args = base;
  args.insert(args.end(), {"--out", out});
  std::vector<std::string> resume = args;
  resume.push_back("--resume");

  const pid_t first = start_cli(args, logs);
  REQUIRE(wait_for_file(path, 60));
  std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng, 50, 150)));
  ::kill(first, SIGINT);
  const CliResult stopped = wait_cli(first, logs);
  REQUIRE_MESSAGE(stopped.code == 1, "the run ended before the SIGINT: make it longer");

  int sigterm_clean = 0, sigterm_total = 0;
  for (int k = 0; k < kills; ++k) {
    const bool term = k % 3 == 2;
    const std::string status_before = RunFile::open(path).attr_string("status");
    const pid_t pid = start_cli(resume, logs);
    // Start-up (plugins, spec, data, fingerprint, checkpoint read) takes ~20-50 ms here: every
    // other kill lands in it, the rest anywhere in start-up, training or checkpoint writes.
    const int delay = delay_ms(rng, 0, k % 2 == 0 ? 50 : max_delay_ms);
    std::this_thread::sleep_for(std::chrono::milliseconds(delay));
    ::kill(pid, term ? SIGTERM : SIGKILL);
    const CliResult r = wait_cli(pid, logs);
    if (term) {
      ++sigterm_total;
      // Before main() installs the handler the default action kills it; once rnnlab is up a
      // SIGTERM is handled: exit 1 (interrupted) or 0 (finished / skipped), never a crash.
      if (r.code == 0 || r.code == 1) ++sigterm_clean;
      CHECK_MESSAGE((r.code == 0 || r.code == 1 || r.code == 128 + SIGTERM), r.err);
      // Exit 1: interrupted after the file was opened (status says so), or during start-up
      // before it was touched (status as it was, e.g. "running" after an earlier SIGKILL).
      if (r.code == 1) {
        const RunFile f = RunFile::open(path);
        const std::string status = f.attr_string("status");
        // A failed status names its cause in the error attribute: show it with the check.
        const std::string error = f.has_attr("error") ? f.attr_string("error") : "";
        CHECK_MESSAGE((status == "interrupted" || status == status_before),
                      status << " (error: " << error << "; stderr: " << r.err << ")");
      }
    }
    if (fs::exists(path)) {
      RunFile f = RunFile::open(path);  // every surviving file opens
      CHECK(f.has_attr("status"));
    }
  }
  MESSAGE(name << ": " << kills << " kills (" << sigterm_total << " SIGTERM, " << sigterm_clean
                << " handled)");
  const CliResult done = run_cli(resume, "faults_kill_final");
  REQUIRE_MESSAGE(done.code == 0, done.err);
  CHECK(RunFile::open(path).attr_string("status") == "finished");
  check_no_nan_rows(path);
  CHECK(params_of(path) == params_of(ref));
  RunFile a = RunFile::open(path), b = RunFile::open(ref);
  CHECK(a.read_series("metrics", "loss") == b.read_series("metrics", "loss"));
  CHECK(a.read_series("metrics", "step") == b.read_series("metrics", "step"));
}

TEST_CASE("faults: kills during --resume start-up: lstm on digits") {
  std::mt19937_64 rng(std::random_device{}());
  kill_during_resume("lstm", "long.rnn", "lstm", 20, 700, rng, {"--set", "train.steps=12000"});
}

TEST_CASE("faults: kills during --resume start-up: stateful elman and qrnn mid-epoch") {
  std::mt19937_64 rng(std::random_device{}());
  kill_during_resume("stateful_elman", "faults_stateful.rnn", "elman", 12, 600, rng);
  kill_during_resume("stateful_qrnn", "faults_stateful.rnn", "qrnn", 12, 600, rng);
}

TEST_CASE("faults: kills during --resume start-up: nstep") {
  std::mt19937_64 rng(std::random_device{}());
  kill_during_resume("nstep", "faults_nstep.rnn", "stack", 12, 600, rng);
}

// The file offset of a contiguous dataset, from h5py (the test does not link HDF5 itself).
// Where the stored values of `dataset` start in `file`: its data (contiguous), or its first
// chunk (run files written with checksums chunk every dataset).
int64_t dataset_offset(const std::string& file, const std::string& dataset) {
  const std::string cmd = "/usr/bin/python3 -c \"import h5py; d = h5py.File('" + file +
                          "','r')['" + dataset +
                          "'].id; o = d.get_offset(); "
                          "print(o if o is not None else d.get_chunk_info(0).byte_offset)\"";
  FILE* p = ::popen(cmd.c_str(), "r");
  REQUIRE(p);
  char buf[64] = {};
  const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
  ::pclose(p);
  REQUIRE(got);
  return std::atoll(buf);
}

TEST_CASE("faults: a damaged checkpoint slot falls back to the other and both damaged exit 2") {
  // Long enough that the SIGINT below always lands mid-run, with both slots written.
  const std::vector<std::string> base = {"run", kCliFixtures + "/long.rnn", "--threads", "1",
                                         "-q", "--set", "train.steps=20000"};
  const std::string ref = reference("ckpt", base, "long/lstm/run.h5");
  for (const bool raw_bytes : {false, true}) {
    const std::string out = temp_dir(raw_bytes ? "faults_ckpt_raw" : "faults_ckpt_values");
    const std::string logs = temp_dir("faults_ckpt_logs");
    fs::remove_all(out);
    const std::string path = out + "/long/lstm/run.h5";
    std::vector<std::string> args = base;
    args.insert(args.end(), {"--out", out});
    const pid_t pid = start_cli(args, logs);
    REQUIRE(wait_for_file(path, 60));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(pid, SIGINT);
    REQUIRE(wait_cli(pid, logs).code == 1);
    // Both slots hold a complete checkpoint; damage the newer one.
    std::string newer, older;
    {
      RunFile f = RunFile::open(path);
      const int64_t a = f.attr_int("checkpoint/a/step"), b = f.attr_int("checkpoint/b/step");
      REQUIRE(a != b);
      newer = a > b ? "a" : "b";
      older = a > b ? "b" : "a";
    }
    const std::string param = "checkpoint/" + newer + "/params/lstm/layer0/lstm/W_x";
    auto damage = [&](const std::string& dset) {
      if (raw_bytes) {  // two flipped bytes in the middle of the stored values
        const int64_t off = dataset_offset(path, dset);
        REQUIRE(off > 0);
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        for (int64_t at : {off + 40, off + 41}) {
          f.seekg(at);
          char c = 0;
          f.get(c);
          f.seekp(at);
          f.put(static_cast<char>(c ^ 0x5a));
        }
      } else {  // values rewritten in place through HDF5 (one weight off by 1e-6)
        RunFile f = RunFile::open(path, true);
        auto v = to_vector<float>(f.read_tensor(dset));
        v[3] += 1e-6f;
        f.write_tensor(dset, from_vector(v, f.read_tensor(dset).shape()));
      }
    };
    damage(param);
    const std::string before_resume = bytes_of(path);
    std::vector<std::string> resume = args;
    resume.push_back("--resume");
    const CliResult r = run_cli(resume, "faults_ckpt_resume");
    CHECK_MESSAGE(r.code == 0, r.err);
    CHECK_MESSAGE(r.err.find("slot " + newer) != std::string::npos, r.err);
    CHECK(RunFile::open(path).has_attr("checkpoint_warning"));
    CHECK(params_of(path) == params_of(ref));  // the older slot resumes bit-identically

    // Both slots damaged: no resume, exit 2 naming both, the file untouched.
    std::ofstream(path, std::ios::binary | std::ios::trunc) << before_resume;
    damage("checkpoint/" + older + "/params/lstm/layer0/lstm/W_x");
    const std::string both = bytes_of(path);
    const CliResult fail = run_cli(resume, "faults_ckpt_both");
    CHECK(fail.code == 2);
    CHECK_MESSAGE(fail.err.find("no checkpoint slot verifies") != std::string::npos, fail.err);
    CHECK(fail.err.find("slot a") != std::string::npos);
    CHECK(fail.err.find("slot b") != std::string::npos);
    CHECK(bytes_of(path) == both);
  }
}

TEST_CASE("faults: a loss that explodes without reaching NaN fails the run") {
  const std::string out = temp_dir("faults_diverge");
  fs::remove_all(out + "/tiny");
  const CliResult r = run_cli({"run", kCliFixtures + "/tiny.rnn", "--out", out, "--model", "lstm",
                               "-q", "--set", "train.optimizer.lr=1e10", "--set", "train.steps=200"});
  CHECK(r.code == 1);
  CHECK_MESSAGE(r.out.find("diverge_factor") != std::string::npos, r.out);
  {
    RunFile f = RunFile::open(out + "/tiny/lstm/run.h5");
    CHECK(f.attr_string("status") == "failed");
    CHECK(f.attr_string("error").find("training diverged") != std::string::npos);
  }
  // The bound is settable: off, an ordinary run is unaffected.
  const CliResult off = run_cli({"run", kCliFixtures + "/tiny.rnn", "--out", out, "--model",
                                 "lstm", "-q", "--set", "train.diverge_factor=0"});
  CHECK_MESSAGE(off.code == 0, off.out, off.err);
}

// A disk that fills up mid-run (a small tmpfs mounted in a user namespace: `unshare -rm`, no
// root needed): one line in the system's words and exit 1, never HDF5's error stack or a
// crash. The sizes put the failure at the file's creation, in its first rows and later.
TEST_CASE("faults: a full disk fails the run with one line, never a crash") {
  const std::string base = fresh_dir("faults_full_disk");
  for (const std::string size : {"48k", "160k", "320k"}) {
    const std::string mnt = base + "/" + size;
    fs::create_directories(mnt);
    const std::string cmd = "mount -t tmpfs -o size=" + size + " none " + shell_quote(mnt) +
                            " && exec " + shell_quote(cli_path()) + " run " +
                            shell_quote(kCliFixtures + "/long.rnn") + " --out " +
                            shell_quote(mnt) + " --threads 1 -q --set train.steps=3000" +
                            " --set train.log_every=1";
    const ProcessResult r = run_process({"unshare", "-rm", "sh", "-c", cmd},
                                        {Output::capture(), Output::capture()});
    const std::string all = r.out + r.err;
    INFO("size ", size, ": ", all);
    REQUIRE_MESSAGE(all.find("mount:") == std::string::npos,
                    "this test needs user namespaces (unshare -rm) to mount a small tmpfs");
    CHECK(r.exit_code == 1);
    CHECK(all.find("no space left on device while writing " + mnt + "/long/lstm/run.h5") !=
          std::string::npos);
    CHECK(all.find("HDF5") == std::string::npos);  // neither its stack nor its words
    CHECK(all.find("cells:") == std::string::npos);  // not blamed on the cell
  }
}

}  // TEST_SUITE("faults")
