// A run's state as a type: the one home of its text, both ways (to_string / parse_run_state).
//
// running, finished, failed and interrupted are the values of a run file's root `status`
// attribute (run_layout.h spells them; the text is the file format). missing (no file yet) and
// skipped (a run that had already finished, not run again) are states of a run that no file
// records: run_state.h and runner.h report them. The text is also what `status`, `sweep`,
// `suite` and `collect` print, so it never changes.
//
// Slurm's final states of an array task (slurm_probe.h: cancelled, timeout, ...) and a suite's
// "refused" are open text beside these: RunStatus::state (run_state.h) keeps the text, and
// parse_run_state tells which of them is one of ours (std::nullopt for the others).
#pragma once

#include <optional>
#include <ostream>
#include <string_view>

#include "rnnlab/run_layout.h"

namespace rnnlab {

enum class RunState { missing, running, finished, failed, interrupted, skipped };

inline const char* to_string(RunState s) {
  switch (s) {
    case RunState::missing: return "missing";
    case RunState::running: return layout::kRunning;
    case RunState::finished: return layout::kFinished;
    case RunState::failed: return layout::kFailed;
    case RunState::interrupted: return layout::kInterrupted;
    case RunState::skipped: return "skipped";
  }
  return "?";
}

// The state spelled `text`; std::nullopt for any other text (Slurm's states, "refused").
inline std::optional<RunState> parse_run_state(std::string_view text) {
  for (RunState s : {RunState::missing, RunState::running, RunState::finished, RunState::failed,
                     RunState::interrupted, RunState::skipped})
    if (text == to_string(s)) return s;
  return std::nullopt;
}

// The state of a run file's `status` attribute: one of its four values (run_layout.h), else
// std::nullopt (a damaged file).
inline std::optional<RunState> parse_file_status(std::string_view text) {
  const std::optional<RunState> s = parse_run_state(text);
  if (s == RunState::missing || s == RunState::skipped) return std::nullopt;
  return s;
}

inline std::ostream& operator<<(std::ostream& os, RunState s) { return os << to_string(s); }

}  // namespace rnnlab
