// DigitsDataset: the 8×8 handwritten digits (UCI optdigits test set, as in sklearn's
// digits.csv.gz): per line 64 pixel values 0..16 then the label 0..9. Read as a
// SequentialImage (sequential_image.cpp): rows as time steps, x[t, b, j] = pixel(8t + j) / 16
// (the default), or pixel by pixel, x[t, b, 0] = pixel(π(t)) / 16.
#include <charconv>
#include <cmath>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace {

constexpr int64_t kPixels = DigitsDataset::kSide * DigitsDataset::kSide;

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r'))
    s.remove_suffix(1);
  return s;
}

// An integer-valued number ("7" or "7.0") in [lo, hi]; false otherwise.
bool parse_int_in(std::string_view s, int lo, int hi, int* out) {
  s = trim(s);
  double v = 0.0;
  const auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || s.empty()) return false;
  if (v != std::floor(v) || v < lo || v > hi) return false;
  *out = static_cast<int>(v);
  return true;
}

}  // namespace

DigitsDataset::DigitsDataset(const std::string& path, const ImageReadingOptions& reading)
    : path_(path), image_(kSide, kSide, reading) {
  const std::string text = read_text_file(path);
  std::size_t line_no = 0, pos = 0;
  std::vector<std::string_view> fields;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    const std::string_view line = trim(std::string_view(text).substr(pos, end - pos));
    pos = end + 1;
    ++line_no;
    if (line.empty()) continue;
    fields.clear();
    std::size_t a = 0;
    for (;;) {
      const std::size_t c = line.find(',', a);
      fields.push_back(line.substr(a, c == std::string_view::npos ? c : c - a));
      if (c == std::string_view::npos) break;
      a = c + 1;
    }
    RNNLAB_CHECK_INPUT(static_cast<int64_t>(fields.size()) == kPixels + 1, path, ":", line_no,
                       ": expected ", kPixels + 1, " comma-separated values (", kPixels,
                       " pixels then the label), found ", fields.size());
    for (int64_t k = 0; k < kPixels; ++k) {
      int v = 0;
      RNNLAB_CHECK_INPUT(parse_int_in(fields[k], 0, 16, &v), path, ":", line_no, ": pixel ", k + 1,
                         " must be an integer in 0..16, found '", trim(fields[k]), "'");
      pixels_.push_back(static_cast<float>(v) / 16.0f);
    }
    int label = 0;
    RNNLAB_CHECK_INPUT(parse_int_in(fields[kPixels], 0, static_cast<int>(kClasses) - 1, &label),
                       path, ":", line_no, ": label must be an integer in 0..", kClasses - 1,
                       ", found '", trim(fields[kPixels]), "'");
    labels_.push_back(label);
  }
  RNNLAB_CHECK_INPUT(!labels_.empty(), path, ": no images (the file has no data lines)");
}

double DigitsDataset::pixel(std::size_t i, int64_t row, int64_t col) const {
  RNNLAB_CHECK(i < size() && row >= 0 && row < kSide && col >= 0 && col < kSide,
               "DigitsDataset::pixel(", i, ", ", row, ", ", col, ") out of range (", size(),
               " images of ", kSide, "x", kSide, ")");
  return pixels_[i * kPixels + row * kSide + col];
}

Batch DigitsDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  return image_.batch(pixels_, labels_, indices, dtype, "DigitsDataset");
}

std::string DigitsDataset::describe() const {
  return detail::concat("digits: ", size(), " images of 8x8 pixels as ", image_.describe(),
                        " (/16), ", kClasses, " classes, from ", path_);
}

}  // namespace rnnlab
