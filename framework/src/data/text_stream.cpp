// Language-model token streams (see data.h, TextStreamDataset): text files or the Brown corpus
// as one stream of code points or words, the vocabulary of its training part, and the BPTT
// windows of each part.
//
//   s = tokens of the documents, n = |s|; parts by position (part_sizes): [a_p, a_p + n_p)
//   window w of part p: x[t] = s[a_p + wT + t], y[t] = s[a_p + wT + t + 1],
//                       t < len = min(T, n_p - 1 - wT),   W_p = ceil((n_p - 1) / T)
#include <algorithm>
#include <filesystem>
#include <limits>
#include <sstream>
#include <string_view>
#include <unordered_map>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace fs = std::filesystem;

namespace {

constexpr int32_t kPadId = 0, kUnkId = 1;
constexpr uint32_t kMaxCodePoint = 0x10FFFF;
const char* const kEos = "<eos>";

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f' || c == '\n';
}

std::string hex_byte(unsigned char c) {
  const char* digits = "0123456789abcdef";
  return {'0', 'x', digits[c >> 4], digits[c & 15]};
}

// Decodes the code point at text[i] (valid UTF-8: no overlong form, surrogate or value above
// U+10FFFF), advancing i; InputError naming `name` and the byte offset otherwise.
uint32_t decode_one(const std::string& text, std::size_t& i, const std::string& name) {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  const unsigned char c = byte(i);
  if (c < 0x80) {
    ++i;
    return c;
  }
  int extra = 0;
  uint32_t cp = 0;
  unsigned char lo = 0x80, hi = 0xBF;  // the allowed range of the second byte
  if (c >= 0xC2 && c <= 0xDF) {
    extra = 1;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    extra = 2;
    cp = c & 0x0F;
    if (c == 0xE0) lo = 0xA0;  // overlong
    if (c == 0xED) hi = 0x9F;  // surrogates U+D800..DFFF
  } else if (c >= 0xF0 && c <= 0xF4) {
    extra = 3;
    cp = c & 0x07;
    if (c == 0xF0) lo = 0x90;  // overlong
    if (c == 0xF4) hi = 0x8F;  // above U+10FFFF
  } else {
    throw InputError(detail::concat(name, ": invalid UTF-8 at byte ", i, " (byte ", hex_byte(c),
                                    c < 0xC0
                                        ? " is a continuation byte without a lead byte"
                                        : " cannot start a sequence (overlong or beyond U+10FFFF)",
                                    "; the text must be UTF-8)"));
  }
  for (int k = 1; k <= extra; ++k) {
    if (i + k >= text.size()) {
      throw InputError(detail::concat(name, ": invalid UTF-8 at byte ", i, " (a sequence of ",
                                      extra + 1,
                                      " bytes cut off by the end "
                                      "of the text; the text must be UTF-8)"));
    }
    const unsigned char b = byte(i + k);
    const unsigned char min = k == 1 ? lo : 0x80, max = k == 1 ? hi : 0xBF;
    if (b < min || b > max) {
      throw InputError(detail::concat(name, ": invalid UTF-8 at byte ", i, " (lead byte ",
                                      hex_byte(c), " followed by ", hex_byte(b), " at byte ", i + k,
                                      "; the text must be UTF-8)"));
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  i += static_cast<std::size_t>(extra) + 1;
  return cp;
}

std::string encode_utf8(uint32_t cp) {
  std::string s;
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
  return s;
}

// A leading UTF-8 byte-order mark (EF BB BF) is not text.
std::size_t bom_length(const std::string& text) {
  return text.compare(0, 3, "\xEF\xBB\xBF") == 0 ? 3 : 0;
}

void lower_ascii_in_place(std::string& s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
}

// The stream as provisional ids (first-seen order) and their symbols.
struct RawStream {
  std::vector<int32_t> ids;
  std::vector<std::string> symbols;
  int32_t literal_unk = -1;  // the provisional id of a literal "<unk>" (word level), or -1
};

RawStream code_points(const std::vector<TextDocument>& docs, bool lowercase) {
  RawStream raw;
  std::vector<int32_t> table(kMaxCodePoint + 1, -1);  // code point -> provisional id
  std::size_t bytes = 0;
  for (const auto& d : docs) bytes += d.text.size();
  raw.ids.reserve(bytes);
  for (const auto& d : docs) {
    const std::string& text = d.text;
    for (std::size_t i = bom_length(text); i < text.size();) {
      uint32_t cp = decode_one(text, i, d.name);
      if (lowercase && cp >= 'A' && cp <= 'Z') cp += 'a' - 'A';
      int32_t& id = table[cp];
      if (id < 0) {
        id = static_cast<int32_t>(raw.symbols.size());
        raw.symbols.push_back(encode_utf8(cp));
      }
      raw.ids.push_back(id);
    }
  }
  return raw;
}

RawStream words(const std::vector<TextDocument>& docs, bool lowercase) {
  RawStream raw;
  std::unordered_map<std::string_view, int32_t> table;
  std::vector<std::string> lowered;  // the lower-cased texts the views point into
  if (lowercase) {
    lowered.reserve(docs.size());
    for (const auto& d : docs) {
      lowered.push_back(d.text);
      lower_ascii_in_place(lowered.back());
    }
  }
  const auto intern = [&](std::string_view w) {
    auto [it, inserted] = table.try_emplace(w, static_cast<int32_t>(raw.symbols.size()));
    if (inserted) raw.symbols.emplace_back(w);
    raw.ids.push_back(it->second);
  };
  for (std::size_t k = 0; k < docs.size(); ++k) {
    check_utf8(docs[k].text, docs[k].name);
    const std::string& text = lowercase ? lowered[k] : docs[k].text;
    std::size_t i = bom_length(text);
    bool line_has_words = false;
    while (i < text.size()) {
      const char c = text[i];
      if (c == '\n') {
        if (line_has_words) intern(kEos);
        line_has_words = false;
        ++i;
      } else if (is_ascii_space(c)) {
        ++i;
      } else {
        std::size_t j = i;
        while (j < text.size() && !is_ascii_space(text[j])) ++j;
        intern(std::string_view(text.data() + i, j - i));
        line_has_words = true;
        i = j;
      }
    }
    if (line_has_words) intern(kEos);  // a last line without '\n'
  }
  if (auto it = table.find("<unk>"); it != table.end()) raw.literal_unk = it->second;
  return raw;
}

const char* part_name(std::size_t p) {
  static const char* names[] = {"train", "valid", "test"};
  return names[p];
}

}  // namespace

TextLevel parse_text_level(const std::string& name) {
  if (name == "char") return TextLevel::character;
  if (name == "word") return TextLevel::word;
  throw InputError(detail::concat("unknown text level '", name, "' (expected char or word)"));
}

void check_utf8(const std::string& text, const std::string& name) {
  for (std::size_t i = 0; i < text.size();) {
    if (static_cast<unsigned char>(text[i]) < 0x80) {
      ++i;
    } else {
      decode_one(text, i, name);
    }
  }
}

std::vector<TextDocument> read_text_documents(const std::string& path) {
  std::vector<std::string> files;
  if (fs::is_regular_file(path)) {
    files.push_back(path);
  } else if (fs::is_directory(path)) {
    for (const auto& e : fs::directory_iterator(path)) {
      const std::string name = e.path().filename().string();
      if (e.is_regular_file() && !name.empty() && name[0] != '.') files.push_back(e.path());
    }
    std::sort(files.begin(), files.end());
    RNNLAB_CHECK_INPUT(!files.empty(), "text: folder '", path,
                       "' holds no file (expected UTF-8 text files, read in name order)");
  } else {
    throw InputError(detail::concat("text: '", path,
                                    "' does not exist (expected a UTF-8 text file or a folder "
                                    "of them)"));
  }
  std::vector<TextDocument> docs;
  for (auto& f : files) docs.push_back({f, read_text_file(f)});
  return docs;
}

TextDocument brown_text(const BrownCorpus& corpus) {
  TextDocument d;
  d.name = corpus.dir;
  std::size_t bytes = 0;
  for (const auto& s : corpus.sentences)
    for (const auto& w : s) bytes += w.word.size() + 1;
  d.text.reserve(bytes);
  for (const auto& s : corpus.sentences) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (i > 0) d.text += ' ';
      d.text += s[i].word;
    }
    d.text += '\n';
  }
  return d;
}

TextStreamDataset::TextStreamDataset(const std::vector<TextDocument>& documents,
                                     const TextStreamOptions& options, std::string source)
    : options_(options), source_(std::move(source)) {
  const std::string& src = source_;
  RNNLAB_CHECK_INPUT(options_.steps >= 1, "text ", src, ": steps must be >= 1, got ",
                     options_.steps);
  RNNLAB_CHECK_INPUT(options_.vocab >= 3, "text ", src,
                     ": vocab must be >= 3 (<pad>, <unk> and at least one symbol), got ",
                     options_.vocab);
  RNNLAB_CHECK_INPUT(options_.vocab <= std::numeric_limits<int32_t>::max(), "text ", src,
                     ": vocab ", options_.vocab,
                     " overflows the i32 token ids (expected at most 2^31 - 1)");
  const bool chars = options_.level == TextLevel::character;
  RawStream raw =
      chars ? code_points(documents, options_.lowercase) : words(documents, options_.lowercase);
  const std::size_t n = raw.ids.size();
  RNNLAB_CHECK_INPUT(n > 0, "text ", src, ": the corpus is empty (expected some ",
                     chars ? "characters" : "words", ")");

  // Parts by position.
  const auto sizes = part_sizes(n, options_.valid_fraction, options_.test_fraction);
  const auto eval = static_cast<std::size_t>(options_.eval);
  for (std::size_t p = 0; p < 3; ++p) {
    begin_[p] = p == 0 ? 0 : begin_[p - 1] + count_[p - 1];
    count_[p] = sizes[p];
    const bool needed = p == 0 || p == eval || count_[p] > 0;
    RNNLAB_CHECK_INPUT(!needed || count_[p] >= 2, "text ", src, ": the ", part_name(p),
                       " part has ", count_[p], " token", count_[p] == 1 ? "" : "s", " of ", n,
                       " (expected at least 2: an input and its next token; use more text or "
                       "change valid_fraction / test_fraction)");
    windows_[p] =
        count_[p] >= 2 ? (count_[p] - 2) / static_cast<std::size_t>(options_.steps) + 1 : 0;
  }

  // The vocabulary of the training part.
  std::vector<int64_t> counts(raw.symbols.size(), 0);
  for (std::size_t i = 0; i < count_[0]; ++i) ++counts[static_cast<std::size_t>(raw.ids[i])];
  std::vector<int32_t> order;
  for (std::size_t k = 0; k < counts.size(); ++k)
    if (counts[k] > 0 && static_cast<int32_t>(k) != raw.literal_unk)
      order.push_back(static_cast<int32_t>(k));
  RNNLAB_CHECK_INPUT(!order.empty(), "text ", src,
                     ": the training part has no symbol besides <unk> (expected text)");
  std::sort(order.begin(), order.end(), [&](int32_t a, int32_t b) {
    const int64_t ca = counts[static_cast<std::size_t>(a)],
                  cb = counts[static_cast<std::size_t>(b)];
    return ca != cb ? ca > cb
                    : raw.symbols[static_cast<std::size_t>(a)] <
                          raw.symbols[static_cast<std::size_t>(b)];
  });
  const auto kept =
      std::min<std::size_t>(order.size(), static_cast<std::size_t>(options_.vocab) - 2);
  std::vector<int32_t> final_id(raw.symbols.size(), kUnkId);
  symbols_ = {"<pad>", "<unk>"};
  for (std::size_t k = 0; k < kept; ++k) {
    const auto r = static_cast<std::size_t>(order[k]);
    final_id[r] = static_cast<int32_t>(symbols_.size());
    sorted_.emplace_back(raw.symbols[r], final_id[r]);
    symbols_.push_back(std::move(raw.symbols[r]));
  }
  std::sort(sorted_.begin(), sorted_.end());
  ids_ = std::move(raw.ids);  // remapped in place
  std::size_t unk = 0;
  for (std::size_t i = 0; i < n; ++i) {
    ids_[i] = final_id[static_cast<std::size_t>(ids_[i])];
    if (i < count_[0] && ids_[i] == kUnkId) ++unk;
  }
  unk_share_ = static_cast<double>(unk) / static_cast<double>(count_[0]);
}

std::pair<std::size_t, std::size_t> TextStreamDataset::example_range(TextPart p) const {
  const auto k = static_cast<std::size_t>(p);
  std::size_t first = 0;
  for (std::size_t q = 0; q < k; ++q) first += windows_[q];
  return {first, first + windows_[k]};
}

const std::string& TextStreamDataset::symbol(int32_t id) const {
  RNNLAB_CHECK(id >= 0 && static_cast<std::size_t>(id) < symbols_.size(), "text stream: id ", id,
               " out of range (", symbols_.size(), " ids in use)");
  return symbols_[static_cast<std::size_t>(id)];
}

int32_t TextStreamDataset::id(const std::string& symbol) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), symbol,
                             [](const auto& e, const std::string& s) { return e.first < s; });
  return it != sorted_.end() && it->first == symbol ? it->second : kUnkId;
}

ClassMetric TextStreamDataset::class_metric() const {
  return options_.level == TextLevel::character ? ClassMetric::bits_per_char
                                                : ClassMetric::perplexity;
}

Batch TextStreamDataset::batch(const std::vector<std::size_t>& indices, DType /*dtype*/) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "TextStreamDataset::batch: no indices");
  const auto T = static_cast<std::size_t>(options_.steps);
  std::vector<std::size_t> starts(indices.size());
  Batch out;
  int64_t steps = 0;
  for (std::size_t b = 0; b < indices.size(); ++b) {
    std::size_t w = indices[b];
    RNNLAB_CHECK(w < size(), "TextStreamDataset::batch: index ", w, " out of range (", size(),
                 " windows)");
    std::size_t p = 0;
    while (w >= windows_[p]) w -= windows_[p++];
    starts[b] = begin_[p] + w * T;
    const std::size_t len = std::min(T, count_[p] - 1 - w * T);
    out.lengths.push_back(static_cast<int32_t>(len));
    steps = std::max<int64_t>(steps, static_cast<int64_t>(len));
  }
  std::vector<int32_t> x(static_cast<std::size_t>(steps * B), kPadId);
  std::vector<int32_t> y(x.size(), kNotScored);
  for (int64_t b = 0; b < B; ++b) {
    const std::size_t a = starts[static_cast<std::size_t>(b)];
    for (int64_t t = 0; t < out.lengths[static_cast<std::size_t>(b)]; ++t) {
      const auto at = static_cast<std::size_t>(t * B + b);
      x[at] = ids_[a + static_cast<std::size_t>(t)];
      y[at] = ids_[a + static_cast<std::size_t>(t) + 1];
    }
  }
  out.x = from_vector(x, {steps, B});
  out.y_class = from_vector(y, {steps, B});
  return out;
}

std::string TextStreamDataset::describe() const {
  const bool chars = options_.level == TextLevel::character;
  const double unk_pct = 100.0 * unk_share_;
  std::ostringstream os;
  os.precision(3);
  os << "text " << source_ << ": " << (chars ? "char" : "word") << " level"
     << (options_.lowercase ? " (lower-cased)" : "") << ", vocab " << options_.vocab << " ids ("
     << symbols_kept() << " " << (chars ? "characters" : "words") << " kept), tokens " << count_[0]
     << " train / " << count_[1] << " valid / " << count_[2] << " test, <unk> " << unk_pct
     << "% of train, windows of " << options_.steps << ", evaluating "
     << part_name(static_cast<std::size_t>(options_.eval));
  return os.str();
}

}  // namespace rnnlab
