// Part-of-speech tagging data (see data.h, TaggingDataset): tagged sentences split by
// position, the word vocabulary and the tag set of the training part, sentences cut into
// pieces of at most max_len words.
//
//   example i = piece i: x[t] = word id of its t-th word, y_class[t] = its tag id, t < L_i
#include <algorithm>
#include <sstream>
#include <unordered_map>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace {

const char* const kUnkTag = "<unk-tag>";

std::string lower_ascii(const std::string& s) {
  std::string out = s;
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Decreasing count, ties by the name (byte order).
bool by_count_then_name(const std::pair<std::string, int64_t>& a,
                        const std::pair<std::string, int64_t>& b) {
  return a.second != b.second ? a.second > b.second : a.first < b.first;
}

}  // namespace

TaggingDataset::TaggingDataset(const std::vector<TaggedSentence>& sentences,
                               const TaggingOptions& options, std::string source)
    : options_(options), source_(std::move(source)) {
  const std::string& src = source_;
  RNNLAB_CHECK_INPUT(options_.max_len >= 1, "tagging ", src, ": max_len must be >= 1, got ",
                     options_.max_len);
  RNNLAB_CHECK_INPUT(!sentences.empty(), "tagging ", src, ": no sentence (expected tagged text)");
  const auto sizes = part_sizes(sentences.size(), options_.valid_fraction, options_.test_fraction);
  sentences_ = sizes;
  RNNLAB_CHECK_INPUT(sizes[0] > 0, "tagging ", src, ": the training part has no sentence (",
                     sentences.size(), " sentences; lower valid_fraction / test_fraction)");
  const std::size_t n_train = sizes[0];

  // Word vocabulary and tag set of the training sentences.
  RNNLAB_CHECK_INPUT(options_.vocab >= 3, "tagging ", src,
                     ": vocab must be >= 3 (padding, unknown and at least one word), got ",
                     options_.vocab);
  std::unordered_map<std::string, int64_t> word_counts, tag_counts;
  for (std::size_t s = 0; s < n_train; ++s) {
    for (const auto& w : sentences[s]) {
      ++word_counts[lower_ascii(w.word)];
      ++tag_counts[w.tag];
    }
  }
  std::vector<std::pair<std::string, int64_t>> words(word_counts.begin(), word_counts.end());
  std::sort(words.begin(), words.end(), by_count_then_name);
  if (words.size() > static_cast<std::size_t>(options_.vocab) - 2)
    words.resize(static_cast<std::size_t>(options_.vocab) - 2);
  vocab_words_ = {"<pad>", "<unk>"};
  word_ids_.reserve(words.size());
  for (auto& [word, count] : words) {
    word_ids_.emplace(word, static_cast<int32_t>(vocab_words_.size()));
    vocab_words_.push_back(std::move(word));
  }
  std::vector<std::pair<std::string, int64_t>> by_count(tag_counts.begin(), tag_counts.end());
  std::sort(by_count.begin(), by_count.end(), by_count_then_name);
  std::unordered_map<std::string, int32_t> tag_ids;
  for (auto& [tag, count] : by_count) {
    tag_ids.emplace(tag, static_cast<int32_t>(tags_.size()));
    tags_.push_back(tag);
  }
  const auto unk_tag = static_cast<int32_t>(tags_.size());
  tags_.push_back(kUnkTag);

  // Pieces, part by part.
  const auto max_len = static_cast<std::size_t>(options_.max_len);
  std::size_t s = 0;
  for (std::size_t p = 0; p < 3; ++p) {
    piece_begin_[p] = pieces_.size();
    for (std::size_t end = s + sizes[p]; s < end; ++s) {
      const TaggedSentence& sentence = sentences[s];
      word_counts_[p] += sentence.size();
      for (std::size_t from = 0; from < sentence.size(); from += max_len) {
        Piece piece;
        const std::size_t to = std::min(sentence.size(), from + max_len);
        for (std::size_t k = from; k < to; ++k) {
          piece.words.push_back(word_id(sentence[k].word));
          auto it = tag_ids.find(sentence[k].tag);
          if (it == tag_ids.end()) ++unk_tags_;
          piece.tags.push_back(it == tag_ids.end() ? unk_tag : it->second);
        }
        max_steps_ = std::max<int64_t>(max_steps_, static_cast<int64_t>(piece.words.size()));
        pieces_.push_back(std::move(piece));
      }
    }
  }
  piece_begin_[3] = pieces_.size();
}

std::pair<std::size_t, std::size_t> TaggingDataset::example_range(TextPart p) const {
  const auto k = static_cast<std::size_t>(p);
  return {piece_begin_[k], piece_begin_[k + 1]};
}

int32_t TaggingDataset::tag_id(const std::string& tag) const {
  const auto it = std::find(tags_.begin(), tags_.end() - 1, tag);
  return static_cast<int32_t>(it - tags_.begin());  // tags_.size() - 1 = <unk-tag> if absent
}

int32_t TaggingDataset::word_id(const std::string& word) const {
  const auto it = word_ids_.find(lower_ascii(word));
  return it == word_ids_.end() ? TextVocabulary::kOov : it->second;
}

const std::string& TaggingDataset::word(int32_t id) const {
  RNNLAB_CHECK(id >= 0 && static_cast<std::size_t>(id) < vocab_words_.size(), "tagging: word id ",
               id, " out of range (", vocab_words_.size(), " ids in use)");
  return vocab_words_[static_cast<std::size_t>(id)];
}

Batch TaggingDataset::batch(const std::vector<std::size_t>& indices, DType /*dtype*/) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "TaggingDataset::batch: no indices");
  Batch out;
  int64_t T = 0;
  for (std::size_t i : indices) {
    RNNLAB_CHECK(i < size(), "TaggingDataset::batch: index ", i, " out of range (", size(),
                 " sentences)");
    out.lengths.push_back(static_cast<int32_t>(pieces_[i].words.size()));
    T = std::max<int64_t>(T, out.lengths.back());
  }
  std::vector<int32_t> x(static_cast<std::size_t>(T * B), TextVocabulary::kPad);
  std::vector<int32_t> y(x.size(), kNotScored);
  for (int64_t b = 0; b < B; ++b) {
    const Piece& piece = pieces_[indices[static_cast<std::size_t>(b)]];
    for (std::size_t t = 0; t < piece.words.size(); ++t) {
      const auto at = static_cast<std::size_t>(static_cast<int64_t>(t) * B + b);
      x[at] = piece.words[t];
      y[at] = piece.tags[t];
    }
  }
  out.x = from_vector(x, {T, B});
  out.y_class = from_vector(y, {T, B});
  return out;
}

std::string TaggingDataset::describe() const {
  std::ostringstream os;
  os << "tagging " << source_ << ": sentences " << sentences_[0] << " train / " << sentences_[1]
     << " valid / " << sentences_[2] << " test, words " << word_counts_[0] << " / "
     << word_counts_[1] << " / " << word_counts_[2] << ", " << tags_.size() - 1
     << " tags + <unk-tag> (" << unk_tags_ << " held-out words with an unseen tag), vocab "
     << vocab_words_.size() << " ids, pieces of at most " << options_.max_len << " words";
  return os.str();
}

}  // namespace rnnlab
