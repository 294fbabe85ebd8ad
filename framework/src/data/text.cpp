// Text classification data (see data.h): the word tokenizer, the vocabulary, TextDataset and
// the aclImdb folder loader.
#include <algorithm>
#include <filesystem>
#include <map>
#include <unordered_map>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace fs = std::filesystem;

std::vector<std::string> tokenize_words(const std::string& text) {
  std::vector<std::string> out;
  std::string cur;
  auto flush = [&] {
    if (!cur.empty()) out.push_back(std::move(cur));
    cur.clear();
  };
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '<') {  // <br />, <br/>, <br>: a separator
      for (const char* tag : {"<br />", "<br/>", "<br>"}) {
        const std::size_t n = std::char_traits<char>::length(tag);
        if (text.compare(i, n, tag) == 0) {
          i += n - 1;
          break;
        }
      }
      flush();
      continue;
    }
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'') {
      cur += c;
    } else if (c >= 'A' && c <= 'Z') {
      cur += static_cast<char>(c - 'A' + 'a');
    } else {
      flush();
    }
  }
  flush();
  return out;
}

TextVocabulary TextVocabulary::build(const std::vector<std::vector<std::string>>& documents,
                                     std::size_t size) {
  RNNLAB_CHECK_INPUT(size >= 3,
                     "vocabulary size must be >= 3 (padding, out-of-vocabulary and "
                     "at least one word), got ",
                     size);
  std::unordered_map<std::string, int64_t> counts;
  for (const auto& d : documents)
    for (const auto& w : d) ++counts[w];
  std::vector<std::pair<std::string, int64_t>> byfreq(counts.begin(), counts.end());
  std::sort(byfreq.begin(), byfreq.end(), [](const auto& a, const auto& b) {
    return a.second != b.second ? a.second > b.second : a.first < b.first;
  });
  if (byfreq.size() > size - 2) byfreq.resize(size - 2);
  TextVocabulary v;
  v.words_ = {"<pad>", "<oov>"};
  for (auto& [w, n] : byfreq) {
    v.sorted_.emplace_back(w, static_cast<int32_t>(v.words_.size()));
    v.words_.push_back(w);
  }
  std::sort(v.sorted_.begin(), v.sorted_.end());
  return v;
}

int32_t TextVocabulary::id(const std::string& word) const {
  auto it = std::lower_bound(sorted_.begin(), sorted_.end(), word,
                             [](const auto& e, const std::string& w) { return e.first < w; });
  return it != sorted_.end() && it->first == word ? it->second : kOov;
}

const std::string& TextVocabulary::word(int32_t id) const {
  RNNLAB_CHECK(id >= 0 && static_cast<std::size_t>(id) < words_.size(), "vocabulary id ", id,
               " out of range (", words_.size(), " ids)");
  return words_[static_cast<std::size_t>(id)];
}

TextDataset::TextDataset(std::vector<std::vector<int32_t>> sequences, std::vector<int32_t> labels,
                         int64_t vocab_size, int64_t max_len, std::string description)
    : sequences_(std::move(sequences)),
      labels_(std::move(labels)),
      vocab_size_(vocab_size),
      max_len_(max_len),
      description_(std::move(description)) {
  RNNLAB_CHECK_INPUT(max_len >= 1, "text data: max_len must be >= 1, got ", max_len);
  RNNLAB_CHECK_INPUT(vocab_size >= 2, "text data: vocabulary size must be >= 2, got ", vocab_size);
  RNNLAB_CHECK_INPUT(sequences_.size() == labels_.size(), "text data: ", sequences_.size(),
                     " sequences but ", labels_.size(), " labels");
  RNNLAB_CHECK_INPUT(!sequences_.empty(), "text data: no documents");
  for (std::size_t i = 0; i < sequences_.size(); ++i) {
    auto& s = sequences_[i];
    RNNLAB_CHECK_INPUT(labels_[i] == 0 || labels_[i] == 1, "text data: label of document ", i,
                       " is ", labels_[i], ", expected 0 or 1");
    for (int32_t id : s)
      RNNLAB_CHECK_INPUT(id >= 0 && id < vocab_size, "text data: token id ", id, " in document ", i,
                         " is outside [0, ", vocab_size, ")");
    if (static_cast<int64_t>(s.size()) > max_len)  // keep the last max_len tokens
      s.erase(s.begin(), s.end() - max_len);
    if (s.empty()) s.push_back(TextVocabulary::kOov);
  }
}

Batch TextDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "TextDataset::batch: no indices");
  Batch out;
  int64_t T = 0;
  for (std::size_t i : indices) {
    RNNLAB_CHECK(i < size(), "TextDataset::batch: index ", i, " out of range (", size(),
                 " documents)");
    out.lengths.push_back(static_cast<int32_t>(sequences_[i].size()));
    T = std::max<int64_t>(T, out.lengths.back());
  }
  std::vector<int32_t> x(static_cast<std::size_t>(T * B), TextVocabulary::kPad);
  std::vector<double> y(indices.size());
  for (int64_t b = 0; b < B; ++b) {
    const auto& s = sequences_[indices[b]];
    for (std::size_t t = 0; t < s.size(); ++t) x[static_cast<int64_t>(t) * B + b] = s[t];
    y[b] = labels_[indices[b]];
  }
  out.x = from_vector(x, {T, B});
  out.y_value = float_tensor(y, {B, 1}, dtype);
  return out;
}

namespace {

// The .txt files of root/split/pos and root/split/neg, sorted by name; labels 1 / 0.
std::vector<std::pair<std::string, int32_t>> imdb_files(const std::string& root,
                                                        const std::string& split) {
  RNNLAB_CHECK_INPUT(fs::is_directory(root), "imdb data: folder '", root,
                     "' does not exist (expected the aclImdb layout root/train|test/pos|neg/"
                     "*.txt; download https://ai.stanford.edu/~amaas/data/sentiment/)");
  std::vector<std::pair<std::string, int32_t>> out;
  using Sub = std::pair<const char*, int32_t>;
  for (const auto& [sub, label] : {Sub{"pos", 1}, Sub{"neg", 0}}) {
    const fs::path dir = fs::path(root) / split / sub;
    RNNLAB_CHECK_INPUT(fs::is_directory(dir), "imdb data: folder '", dir.string(),
                       "' does not exist (expected root/", split, "/pos and root/", split, "/neg)");
    std::vector<std::string> names;
    for (const auto& e : fs::directory_iterator(dir))
      if (e.is_regular_file() && e.path().extension() == ".txt") names.push_back(e.path());
    std::sort(names.begin(), names.end());
    for (auto& n : names) out.emplace_back(std::move(n), label);
  }
  RNNLAB_CHECK_INPUT(!out.empty(), "imdb data: no .txt files in '", root, "/", split, "/pos' or '",
                     root, "/", split, "/neg'");
  return out;
}

}  // namespace

TextVocabulary TextDataset::imdb_vocabulary(const std::string& root, std::size_t size) {
  std::vector<std::vector<std::string>> docs;
  for (const auto& [path, label] : imdb_files(root, "train"))
    docs.push_back(tokenize_words(read_text_file(path)));
  return TextVocabulary::build(docs, size);
}

TextDataset TextDataset::load_imdb(const std::string& root, const std::string& split,
                                   const TextVocabulary& vocab, int64_t max_len) {
  RNNLAB_CHECK_INPUT(max_len >= 1, "imdb data: max_len must be >= 1, got ", max_len);
  RNNLAB_CHECK_INPUT(vocab.size() >= 2, "imdb data: empty vocabulary");
  std::vector<std::vector<int32_t>> seqs;
  std::vector<int32_t> labels;
  int64_t pos = 0;
  for (const auto& [path, label] : imdb_files(root, split)) {
    std::vector<int32_t> ids;
    for (const auto& w : tokenize_words(read_text_file(path))) ids.push_back(vocab.id(w));
    seqs.push_back(std::move(ids));
    labels.push_back(label);
    pos += label;
  }
  const auto n = static_cast<int64_t>(labels.size());
  std::string what =
      detail::concat("imdb ", root, "/", split, ": ", n, " reviews (", pos, " pos, ", n - pos,
                     " neg), vocabulary ", vocab.size(), " ids, last ", max_len, " tokens");
  return TextDataset(std::move(seqs), std::move(labels), static_cast<int64_t>(vocab.size()),
                     max_len, std::move(what));
}

}  // namespace rnnlab
