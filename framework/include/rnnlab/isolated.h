// Work that may crash the process, done in a forked child: how `report`, `collect`, `status`,
// `predict` and `verify` read run files they did not write. A damaged HDF5 file can make
// libhdf5 itself dereference garbage (SIGSEGV in H5Fclose freeing a damaged attribute message,
// seen on byte-corrupted copies); no exception handler can catch that, a separate process can.
// The same way as plugins are probe-loaded (plugin_loader.h).
//
//   std::vector<IsolatedResult> r = run_isolated(files.size(), [&](std::size_t i) {
//     return serialize(read_run(files[i]));        // in the child; its text comes back
//   });
//   r[i].kind: ok (r[i].text: what work returned), input_error / error (the exception's
//   message), crashed (the child died in work(i); r[i].text says how: "killed by signal 11
//   (SIGSEGV: Segmentation fault)", "exited with status 3", "no progress for 30 s, killed")
//
// Contract
// - One child does every item in turn and sends the results back through a pipe (in batches,
//   every 2 ms: a wake-up of the parent per item would cost more than reading a small file).
//   Before each item it notes the item's number in a page of memory it shares with the parent;
//   when it dies in item i, item i is `crashed` and a fresh child goes on with the items that
//   have no result yet. So a folder costs one fork, and a crash costs only its own item.
// - work(i) runs in the child: its side effects (memory, state) stay there, but for files it
//   writes. The child's stdout and stderr go to /dev/null (`options.silence`): work returns
//   what there is to say.
//   Fork happens before any thread of the caller could hold a lock the child needs: call it
//   from a process that has no other threads busy (the commands call it before any training
//   thread starts; TBB's idle workers hold nothing).
// - A hang: a child that reports nothing (no result, no isolated_progress()) for
//   `options.timeout_ms` is killed with SIGKILL and its item is `crashed` ("did not finish").
// - Ctrl-C: a child killed by SIGINT / SIGTERM / SIGHUP (someone else's signal, not a crash)
//   ends the call with an Error; the caller's own signal handling decides what then happens.
// - RNNLAB_ISOLATE=0 in the environment runs work in this process instead (exceptions are
//   still caught per item; a crash then takes the process down): for debuggers and for
//   measuring what isolation costs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace rnnlab {

struct IsolatedResult {
  enum class Kind { ok, input_error, error, crashed };
  Kind kind = Kind::crashed;
  std::string text;  // ok: work's result; input_error / error: the message; crashed: why
};

struct IsolateOptions {
  // No result and no progress for this long: a hang. Reading one run file's metadata and
  // tables takes milliseconds; what a damaged file can do to libhdf5 includes an endless loop
  // (a global heap collection whose free-space object has size 0, HDF5 1.10.8), which this
  // bounds. Long work calls isolated_progress() (verify: per object and per 8 MiB read).
  int timeout_ms = 30000;
  bool silence = true;  // the child's stdout and stderr to /dev/null
};

std::vector<IsolatedResult> run_isolated(std::size_t n,
                                         const std::function<std::string(std::size_t)>& work,
                                         const IsolateOptions& options = {});

// Tells the parent that the child is still working (long work calls it now and then, e.g. per
// dataset read): restarts the hang timer. A no-op outside run_isolated's children.
void isolated_progress();

// "signal 11 (SIGSEGV: Segmentation fault)"
std::string signal_text(int sig);

// ---- payloads: what work returns, as bytes (any order of puts, read back in the same order)

class PayloadWriter {
 public:
  PayloadWriter& put(int64_t v) { return raw(&v, sizeof v); }
  PayloadWriter& put(double v) { return raw(&v, sizeof v); }
  PayloadWriter& put(bool v) { return put(int64_t{v}); }
  PayloadWriter& put(const std::string& s);
  PayloadWriter& put(const std::vector<double>& v);
  const std::string& bytes() const { return out_; }

 private:
  PayloadWriter& raw(const void* p, std::size_t n);
  std::string out_;
};

// Reads what a PayloadWriter wrote; Error when the bytes run out (a payload of another shape).
class PayloadReader {
 public:
  explicit PayloadReader(const std::string& bytes) : in_(bytes) {}
  int64_t i64();
  double f64();
  bool flag() { return i64() != 0; }
  std::string str();
  std::vector<double> doubles();

 private:
  void raw(void* p, std::size_t n);
  const std::string& in_;
  std::size_t pos_ = 0;
};

}  // namespace rnnlab
