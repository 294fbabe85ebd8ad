// StopSignals: SIGINT/SIGTERM turn into a flag that the runner and the training loop poll, so
// a run stops between steps (checkpoint, status interrupted) instead of dying mid-write.
//
// Re-entrant: the runner installs it before it touches any file and the trainer again inside
// fit(); the first (outermost) scope clears the flag and installs the handlers, the last one
// restores the handlers that were there before. A signal that arrives in between is kept.
#pragma once

namespace rnnlab {

class StopSignals {
 public:
  StopSignals();
  ~StopSignals();
  StopSignals(const StopSignals&) = delete;
  StopSignals& operator=(const StopSignals&) = delete;
  // The signal received since the outermost scope began (SIGINT, SIGTERM), or 0.
  static int received();
  static bool stop_requested() { return received() != 0; }
};

}  // namespace rnnlab
