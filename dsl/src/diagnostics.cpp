// render(): one diagnostic as text, the same for syntax and semantic errors:
//   path:line:col: error: message
//   <the source line>
//   <blanks up to the column>^
//   note: ...
// Tabs in the source line are kept in the caret line so the caret lines up. A location
// without a line (line 0, e.g. an unreadable file) prints `path: error: message` alone.
#include <string>

#include "rnnlab/dsl/compile.h"

namespace rnnlab::dsl {

namespace {

const char* severity_name(Diagnostic::Severity s) {
  switch (s) {
    case Diagnostic::Severity::error:
      return "error";
    case Diagnostic::Severity::warning:
      return "warning";
    case Diagnostic::Severity::note:
      return "note";
  }
  return "error";
}

// The 1-based line `line` of text, without its line break ("" when there is none).
std::string line_of(const std::string& text, int line) {
  std::size_t start = 0;
  for (int l = 1; l < line; ++l) {
    start = text.find('\n', start);
    if (start == std::string::npos) return "";
    ++start;
  }
  std::size_t end = text.find('\n', start);
  if (end == std::string::npos) end = text.size();
  std::string s = text.substr(start, end - start);
  if (!s.empty() && s.back() == '\r') s.pop_back();
  return s;
}

}  // namespace

std::string render(const Diagnostic& d, const std::string& source_text) {
  std::string out = d.loc.file;
  if (d.loc.line > 0)
    out.append(":").append(std::to_string(d.loc.line)).append(":").append(
        std::to_string(d.loc.column));
  out += std::string(": ") + severity_name(d.severity) + ": " + d.message + "\n";
  if (d.loc.line > 0) {
    const std::string src = line_of(source_text, d.loc.line);
    out += src + "\n";
    std::string caret;
    for (int i = 0; i + 1 < d.loc.column; ++i) {
      const std::size_t k = static_cast<std::size_t>(i);
      caret += k < src.size() && src[k] == '\t' ? '\t' : ' ';
    }
    out += caret + "^\n";
  }
  for (const auto& n : d.notes) out += "note: " + n + "\n";
  return out;
}

}  // namespace rnnlab::dsl
