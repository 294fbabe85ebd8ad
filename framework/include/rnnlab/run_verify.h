// Whether a run file is whole: the checks behind `rnnlab verify` (in the spirit of `git fsck`
// and SQLite's `PRAGMA integrity_check`), and what `run --resume` and sweep retries check
// before they continue a file.
//
// Per file:
//   checksums   every attribute and dataset outside /checkpoint is read through HDF5, so every
//               metadata checksum and every chunk's Fletcher32 on the way is checked (run_file.h
//               "Checksums"); a sealed file's content_digest and header_digest must match
//   layout      the root attributes every run file has (rnnlab_version, status, started_at) and
//               a known status; a file written with checksums also its header (/config/source,
//               /config/resolved, /config/values, /dataset, /split/train, /split/eval); a
//               finished one finished_at, steps, train_time, wall_time, epochs_completed and
//               /params; a failed one finished_at and error; an interrupted one finished_at
//   tables      /metrics, /eval, /epochs: 1-D float64 columns of one length (a running file's
//               may differ: a kill between two columns' resizes, which a resume truncates), the
//               step (epochs: epoch) column ascending
//   checkpoint  the newest complete slot verifies (checkpoint.h: its own checksum), else the
//               older one (then the newer one is damaged); the slot used counts no more rows than
//               each table holds, its last counted /metrics row was logged by its step, and its
//               step is no later than the steps attribute
// Verdicts:
//   clean       every check passed; `note` says when the file is not sealed (a running or
//               killed run: HDF5's checksums only, its strings have no digest yet)
//   unverified  written before checksums (no `checksums` attribute) and the checks that apply
//               passed: nothing proves its bytes are the ones written; or a live writer holds it
//   damaged     `problems` (outside /checkpoint) and `checkpoint_problems`, one line each,
//               naming the object
// A file that crashes the reader (libhdf5 on a damaged file) is damaged when verified through
// verify_run_files, which reads each file in a child process (isolated.h).
#pragma once

#include <string>
#include <vector>

#include "rnnlab/isolated.h"

namespace rnnlab {

struct VerifyReport {
  enum class Verdict { clean, unverified, damaged };
  std::string path;
  Verdict verdict = Verdict::clean;
  std::string status;                            // the file's status attribute ("" unknown)
  std::string note;                              // clean / unverified: why it says so
  std::vector<std::string> problems;             // damage outside /checkpoint
  std::vector<std::string> checkpoint_problems;  // damage in /checkpoint
};

// "clean", "clean (not sealed: ...)", "unverified (written before checksums)" or
// "damaged: <problem>; <problem>".
std::string verdict_line(const VerifyReport& r);

// Verifies one file in this process (a crash inside libhdf5 takes the process down: use
// verify_run_files for files of unknown origin).
VerifyReport verify_run_file(const std::string& path);

// verify_run_file of every run file under `paths` (a file as is, a folder searched recursively
// for *.h5, collect's summary.h5 passed over), each in a child process: a file that crashes
// the reader is damaged ("reading it crashed the reader (killed by signal 11 ...)").
// InputError when a path does not exist or no run file is found. `options.timeout_ms`: how
// long a file may go without progress (each dataset and 8 MiB read is progress) before it is
// taken for one that hangs the reader (damaged); the runner's resume check allows more.
std::vector<VerifyReport> verify_run_files(const std::vector<std::string>& paths,
                                           const IsolateOptions& options = {});

}  // namespace rnnlab
