// The "file:line:col: " prefix of located error messages (located_message.h).
#include "rnnlab/located_message.h"

#include <cctype>

namespace rnnlab {

std::string loc_prefix(const SourceLoc& loc) {
  if (loc.file.empty()) return "";
  if (loc.line <= 0) return loc.file + ": ";
  return loc.file + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.column) + ": ";
}

namespace {
// The number that ends text[..end) after its last ':' (digits only), or -1.
int number_before(const std::string& text, std::size_t end, std::size_t* colon) {
  const std::size_t c = text.rfind(':', end == 0 ? 0 : end - 1);
  if (c == std::string::npos || c + 1 >= end) return -1;
  int v = 0;
  for (std::size_t i = c + 1; i < end; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(text[i])) || v > 1000000) return -1;
    v = v * 10 + (text[i] - '0');
  }
  *colon = c;
  return v;
}
}  // namespace

std::optional<LocatedMessage> split_loc_prefix(const std::string& text) {
  // file:LINE:COL: message -- the file may itself hold ':' (hence from the right of the
  // first ": " after two numbers).
  for (std::size_t sep = text.find(": "); sep != std::string::npos; sep = text.find(": ", sep + 1)) {
    std::size_t c2 = 0, c1 = 0;
    const int col = number_before(text, sep, &c2);
    if (col <= 0) continue;
    const int line = number_before(text, c2, &c1);
    if (line <= 0 || c1 == 0) continue;
    return LocatedMessage{{text.substr(0, c1), line, col}, text.substr(sep + 2)};
  }
  return std::nullopt;
}

}  // namespace rnnlab
