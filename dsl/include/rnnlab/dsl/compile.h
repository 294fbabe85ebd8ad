// The .rnn compiler's public face: text in, ExperimentSpec or diagnostics out. Nothing from
// Boost.Spirit leaks through this header.
#pragma once

#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"

namespace rnnlab::dsl {

struct Diagnostic {
  enum class Severity { error, warning, note };
  Severity severity = Severity::error;
  SourceLoc loc;
  std::string message;
  std::vector<std::string> notes;  // "known cells: elman, gru, lstm", "did you mean 'hidden'?"
};

// Renders `path:line:col: error: message`, the source line, a caret under the column, then
// `note: ...` lines — the same format for parse and semantic errors.
std::string render(const Diagnostic& d, const std::string& source_text);

struct CompileResult {
  bool ok = false;
  ExperimentSpec spec;                   // valid when ok
  std::vector<Diagnostic> diagnostics;   // all errors found (capped), in source order
  std::string rendered;                  // all diagnostics rendered, ready to print
};

// `overrides` are --set strings "key=value" ("train.batch=32", "model.lstm.hidden=64",
// "data.path=...", "seed=3"), applied after parsing and checked like the file itself.
CompileResult compile_file(const std::string& path, const Catalog& catalog,
                           const std::vector<std::string>& overrides = {});
CompileResult compile_text(const std::string& text, const std::string& path,
                           const Catalog& catalog, const std::vector<std::string>& overrides = {});

// Canonical .rnn text of a resolved spec; compile_text(print(spec)) gives the same spec.
std::string print(const ExperimentSpec& spec);

}  // namespace rnnlab::dsl
