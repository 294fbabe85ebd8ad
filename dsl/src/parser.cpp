// The parse driver (see parser.h). X3 parses one statement at a time (grammar.h's item rule);
// an expectation failure becomes "expected <what the rule is named>, found <token>", and the
// driver skips to the next line that starts with a statement keyword before going on.
#include "parser.h"

#include <algorithm>
#include <cctype>
#include <functional>

#include "config.h"
#include "grammar.h"

namespace rnnlab::dsl {

namespace {

namespace x3 = boost::spirit::x3;
using parser::iterator_type;

const std::vector<std::string>& statement_keywords() {
  static const std::vector<std::string> k = {"include", "experiment", "seed",  "backend",
                                             "data",    "model",      "train", "sweep"};
  return k;
}

bool is_name_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

// Skips blanks and comments from `pos`.
std::size_t skip_blanks(const std::string& t, std::size_t pos) {
  while (pos < t.size()) {
    if (std::isspace(static_cast<unsigned char>(t[pos]))) {
      ++pos;
    } else if (t[pos] == '#') {
      while (pos < t.size() && t[pos] != '\n') ++pos;
    } else {
      break;
    }
  }
  return pos;
}

// The word at `pos` (letters, digits, '_'), or "".
std::string word_at(const std::string& t, std::size_t pos) {
  std::size_t end = pos;
  while (end < t.size() && is_name_char(t[end])) ++end;
  return t.substr(pos, end - pos);
}

// How the token at `pos` reads in a message: 'model', '(', "end of file", "a string".
std::string token_at(const std::string& t, std::size_t pos) {
  if (pos >= t.size()) return "end of file";
  if (t[pos] == '"') return "a string";
  std::string w = word_at(t, pos);
  if (!w.empty()) return "'" + w + "'";
  if (t[pos] == '-' && pos + 1 < t.size() && t[pos + 1] == '>') return "'->'";
  if (t[pos] == '.' && pos + 1 < t.size() && t[pos + 1] == '.') return "'..'";
  const unsigned char c = static_cast<unsigned char>(t[pos]);
  if (c < 0x20 || c >= 0x7f) return "a non-ASCII or control character";
  std::string quoted_char = "'";
  quoted_char.append(1, t[pos]).append("'");
  return quoted_char;
}

// Recovery: from the start of a failed statement, the next line whose first token is a
// statement keyword, or a '}' at brace depth 0 (the experiment's closing brace).
std::size_t recover(const std::string& t, std::size_t start, std::size_t failed_at) {
  int depth = 0;
  bool in_string = false;
  std::size_t pos = start;
  while (pos < t.size()) {
    const char c = t[pos];
    if (in_string) {
      if (c == '\\') ++pos;
      else if (c == '"' || c == '\n') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '#') {
      while (pos < t.size() && t[pos] != '\n') ++pos;
      continue;
    } else if (c == '{') {
      ++depth;
    } else if (c == '}') {
      if (depth == 0 && pos >= failed_at) return pos;
      --depth;
    } else if (c == '\n') {
      std::size_t q = pos + 1;
      while (q < t.size() && (t[q] == ' ' || t[q] == '\t' || t[q] == '\r')) ++q;
      const std::string w = word_at(t, q);
      const auto& kws = statement_keywords();
      if (q > failed_at && std::find(kws.begin(), kws.end(), w) != kws.end()) return q;
    }
    ++pos;
  }
  return t.size();
}

}  // namespace

ParsedFile::ParsedFile(std::string path, std::string text)
    : path_(std::move(path)), text_(std::move(text)) {
  line_starts_.push_back(0);
  for (std::size_t i = 0; i < text_.size(); ++i)
    if (text_[i] == '\n') line_starts_.push_back(i + 1);
}

SourceLoc ParsedFile::loc_at(std::size_t offset) const {
  offset = std::min(offset, text_.size());
  auto it = std::upper_bound(line_starts_.begin(), line_starts_.end(), offset);
  const std::size_t line = static_cast<std::size_t>(it - line_starts_.begin());  // 1-based
  const std::size_t col = offset - line_starts_[line - 1] + 1;
  return SourceLoc{path_, static_cast<int>(line), static_cast<int>(col)};
}

SourceLoc ParsedFile::loc(const boost::spirit::x3::position_tagged& node, const SourceLoc& fallback) const {
  if (node.id_first < 0 || static_cast<std::size_t>(node.id_first) >= tag_offsets.size())
    return fallback;
  return loc_at(tag_offsets[static_cast<std::size_t>(node.id_first)]);
}

SourceLoc ParsedFile::shifted(SourceLoc base, std::size_t chars) {
  base.column += static_cast<int>(chars);
  return base;
}

std::unique_ptr<ParsedFile> parse_file(const std::string& path, const std::string& text,
                                       std::vector<Diagnostic>& errors, std::size_t max_errors) {
  auto file = std::make_unique<ParsedFile>(path, text);
  const std::string& t = file->text();
  const iterator_type begin = t.begin(), end = t.end();
  parser::position_tagger tagger(begin, end);
  const auto item_parser = x3::with<x3::error_handler_tag>(std::ref(tagger))[item_rule()];

  auto error = [&](std::size_t offset, std::string msg, std::vector<std::string> notes = {}) {
    if (errors.size() >= max_errors) return;
    Diagnostic d;
    d.loc = file->loc_at(offset);
    d.message = std::move(msg);
    d.notes = std::move(notes);
    errors.push_back(std::move(d));
  };

  bool in_experiment = false;
  const std::size_t errors_before = errors.size();
  std::size_t pos = skip_blanks(t, 0);
  while (pos < t.size() && errors.size() < max_errors) {
    iterator_type it = begin + static_cast<std::ptrdiff_t>(pos);
    ast::item item;
    std::size_t failed_at = 0;
    std::string message;
    try {
      if (x3::phrase_parse(it, end, item_parser, parser::skipper, item)) {
        file->items.push_back(std::move(item));
        pos = skip_blanks(t, static_cast<std::size_t>(it - begin));
        const auto& back = file->items.back();
        if (back.get().type() == typeid(ast::experiment_open)) in_experiment = true;
        if (back.get().type() == typeid(ast::close_brace)) in_experiment = false;
        continue;
      }
      failed_at = pos;
      const std::string w = word_at(t, pos);
      message = std::string("expected a statement (") +
                (in_experiment ? "seed, backend, data, model, train, sweep or '}'"
                               : "include, experiment, seed, backend, data, model, train or "
                                 "sweep") +
                "), found " + token_at(t, pos);
      std::vector<std::string> notes;
      const std::string near = closest_name(w, statement_keywords());
      if (!w.empty() && !near.empty()) notes.push_back("did you mean '" + near + "'?");
      error(failed_at, message, notes);
    } catch (const x3::expectation_failure<iterator_type>& e) {
      failed_at = static_cast<std::size_t>(e.where() - begin);
      const bool in_string = e.which() == "a closing '\"'";  // blanks belong to the string
      if (!in_string) failed_at = skip_blanks(t, failed_at);
      std::size_t at = failed_at;  // at the end of the file: just after the last token
      if (at >= t.size())
        while (at > 0 && std::isspace(static_cast<unsigned char>(t[at - 1]))) --at;
      const bool eol = failed_at < t.size() && (t[failed_at] == '\n' || t[failed_at] == '\r');
      error(at, "expected " + e.which() + ", found " + (eol ? "the end of the line" : token_at(t, failed_at)));
    }
    // A broken `experiment NAME {` still opens the experiment for the recovery's sake.
    if (word_at(t, pos) == "experiment") in_experiment = true;
    std::size_t next = recover(t, pos, std::max(failed_at, pos + 1));
    if (next < t.size() && t[next] == '}' && !in_experiment) next = recover(t, next + 1, next + 1);
    pos = skip_blanks(t, next);
  }
  const bool first_error = errors.size() == errors_before;  // else likely an echo of one
  if (in_experiment && pos >= t.size() && first_error) {
    std::size_t last = t.size();  // just after the last token, not on a blank last line
    while (last > 0 && std::isspace(static_cast<unsigned char>(t[last - 1]))) --last;
    error(last, "expected '}' to close the experiment, found end of file");
  }
  file->tag_offsets.reserve(tagger.cache.get_positions().size());
  for (const auto& p : tagger.cache.get_positions())
    file->tag_offsets.push_back(static_cast<std::size_t>(p - begin));
  return file;
}

bool parse_value(const std::string& text, std::size_t begin_offset, std::size_t end_offset,
                 ast::value& out, std::vector<std::size_t>& tag_offsets,
                 std::size_t& error_offset) {
  const iterator_type begin = text.begin();
  const iterator_type end = text.begin() + static_cast<std::ptrdiff_t>(end_offset);
  iterator_type it = begin + static_cast<std::ptrdiff_t>(begin_offset);
  parser::position_tagger tagger(begin, end);
  const auto value_parser = x3::with<x3::error_handler_tag>(std::ref(tagger))[value_rule()];
  bool ok = false;
  try {
    ok = x3::phrase_parse(it, end, value_parser, parser::skipper, out);
    error_offset = static_cast<std::size_t>(it - begin);
  } catch (const x3::expectation_failure<iterator_type>& e) {
    error_offset = static_cast<std::size_t>(e.where() - begin);
  }
  tag_offsets.clear();
  for (const auto& p : tagger.cache.get_positions())
    tag_offsets.push_back(static_cast<std::size_t>(p - begin));
  if (!ok) return false;
  std::size_t rest = error_offset;
  while (rest < end_offset && std::isspace(static_cast<unsigned char>(text[rest]))) ++rest;
  if (rest != end_offset) {
    error_offset = rest;
    return false;
  }
  return true;
}

}  // namespace rnnlab::dsl
