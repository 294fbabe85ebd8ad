// What the self-contained HTML pages of the CLI share (`report --html`, `suite`'s
// leaderboard.html): escaping, embedding script/style text, and writing the page to its file.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>

#include "rnnlab/error.h"

namespace rnnlab::cli {

// Text for HTML element content and attribute values: & < > " escaped.
inline std::string esc(const std::string& s) {
  std::string out;
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      default: out += c;
    }
  }
  return out;
}

// <tag attrs>text</tag> for a <script>/<style>: the text must not close the element early.
inline std::string raw_element(const char* tag, const std::string& text,
                               const std::string& attrs = "") {
  RNNLAB_CHECK(text.find(std::string("</") + tag) == std::string::npos,
               "html page: embedded text contains </", tag);
  return std::string("<") + tag + attrs + ">\n" + text + "\n</" + tag + ">\n";
}

// Writes `page` to `path` (creating its folder); Error naming `what` and the path on failure.
inline void write_page(const std::string& path, const std::string& page, const char* what) {
  const std::filesystem::path out(path);
  if (out.has_parent_path()) std::filesystem::create_directories(out.parent_path());
  std::ofstream f(path, std::ios::binary);
  RNNLAB_CHECK(f, what, ": cannot write ", path);
  f << page;
  f.close();
  RNNLAB_CHECK(f, what, ": cannot write ", path);
}

}  // namespace rnnlab::cli
