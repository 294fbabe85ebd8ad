// The parse driver: a .rnn file's text -> its items (ast.h), statement by statement, with
// recovery after a syntax error (skip to the next line that starts a statement) so one run
// reports every syntax error. Positions of AST nodes become SourceLocs through ParsedFile.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ast.h"
#include "rnnlab/dsl/compile.h"

namespace rnnlab::dsl {

class ParsedFile {
 public:
  ParsedFile(std::string path, std::string text);
  const std::string& path() const { return path_; }
  const std::string& text() const { return text_; }
  std::vector<ast::item> items;

  // Where a node begins (its x3::position_tagged id); `fallback` if the node was not tagged.
  SourceLoc loc(const boost::spirit::x3::position_tagged& node, const SourceLoc& fallback = {}) const;
  SourceLoc loc_at(std::size_t offset) const;
  // A location `chars` columns right of `base` (a part of a dotted key).
  static SourceLoc shifted(SourceLoc base, std::size_t chars);

  std::vector<std::size_t> tag_offsets;  // begin offset of each tagged node, by id

 private:
  std::string path_;
  std::string text_;
  std::vector<std::size_t> line_starts_;
};

// Parses a whole file; syntax errors go to `errors` (at most `max_errors`).
std::unique_ptr<ParsedFile> parse_file(const std::string& path, const std::string& text,
                                       std::vector<Diagnostic>& errors, std::size_t max_errors);

// Parses one value (the right-hand side of `--set key=value`) from text[begin, end); true when
// it parsed and only blanks follow. On failure `error_offset` is where it went wrong.
bool parse_value(const std::string& text, std::size_t begin, std::size_t end, ast::value& out,
                 std::vector<std::size_t>& tag_offsets, std::size_t& error_offset);

}  // namespace rnnlab::dsl
