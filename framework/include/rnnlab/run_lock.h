// RunLock: exclusive ownership of a result file across processes, taken before the file is
// touched (so a second writer can never truncate or rewrite the first writer's file).
//
//   RunLock lock("out/exp/lstm/run.h5");   // InputError if another process holds it
//
// Mechanism: an advisory flock(2) on the sidecar file `<path>.lock`, which holds one line
// naming the holder ("pid 1234 on host node7 since 2026-11-30T10:00:00Z"). The loser's error
// quotes that line. The lock is released when the holder's process ends in any way (flock is
// dropped by the kernel, even on SIGKILL), so a crash never leaves a file locked for good; a
// clean release also removes the sidecar. A sidecar left by a killed process is reused.
// (HDF5's own file lock is taken only inside H5Fcreate/H5Fopen, after O_TRUNC has already
// emptied the file: it cannot protect a finished file from a second writer.)
//
// Within one process the lock is re-entrant: the runner locks a run for its whole life and the
// RunFile it creates locks the same path again; the sidecar is released with the last holder.
// Paths are compared after std::filesystem::weakly_canonical.
//
// Limits: flock is advisory (only rnnlab's own writers take it) and local to one machine on
// file systems without flock support across hosts (older NFS): two hosts writing one run file
// on such a file system are not detected.
#pragma once

#include <string>
#include <utility>

namespace rnnlab {

class RunLock {
 public:
  RunLock() = default;
  // Locks `path` (creating its folder if needed). InputError naming the holder if another
  // process holds the lock.
  explicit RunLock(const std::string& path);
  RunLock(RunLock&& o) noexcept : key_(std::move(o.key_)) { o.key_.clear(); }
  RunLock& operator=(RunLock&& o) noexcept;
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  ~RunLock();

  bool held() const { return !key_.empty(); }

 private:
  std::string key_;  // canonical path of the locked file ("" when not held)
};

}  // namespace rnnlab
