// Error messages that point into a .rnn file: the one home of the "file:line:col: " prefix that
// the experiment layer puts in front of an InputError's text, and of reading it back, so the
// CLI prints such an error as a compiler diagnostic (`file:line:col: error: ...`, the source
// line and a caret), the same form as the DSL's own errors.
#pragma once

#include <optional>
#include <string>

#include "rnnlab/experiment.h"

namespace rnnlab {

// "file:line:col: " (or "file: " without a line, or "" without a file).
std::string loc_prefix(const SourceLoc& loc);

// A message split back into its location and the rest, when it starts with a prefix that
// loc_prefix wrote for a line (file:line:col: ); nullopt otherwise.
struct LocatedMessage {
  SourceLoc loc;
  std::string message;
};
std::optional<LocatedMessage> split_loc_prefix(const std::string& text);

}  // namespace rnnlab
