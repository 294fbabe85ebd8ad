// The studies' data: adding problem, length classification, synthetic sentiment and the aclImdb
// text loader (deterministic, right shapes and labels, clear InputErrors), and token batches
// (i32 [T,B]) through embedding -> gru -> dense end to end with the Trainer.
#include <doctest/doctest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"
#include "rnnlab/model.h"
#include "rnnlab/trainer.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::temp_dir;
namespace fs = std::filesystem;

namespace {

template <typename T>
bool same_tensor(const Tensor& a, const Tensor& b) {
  return a.shape() == b.shape() && a.dtype() == b.dtype() && to_vector<T>(a) == to_vector<T>(b);
}

void write_file(const fs::path& p, const std::string& text) {
  fs::create_directories(p.parent_path());
  std::ofstream(p) << text;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("study data: adding problem shapes, markers, targets, determinism") {
  AddingDataset d(10, 50, 7);
  CHECK(d.size() == 50);
  CHECK(d.input_size() == 2);
  CHECK(d.max_steps() == 10);
  CHECK(d.output_size() == 1);
  Batch b = d.batch({0, 3, 49}, DType::f64);
  CHECK(b.x.shape() == Shape{10, 3, 2});
  CHECK(b.y_value.shape() == Shape{3, 1});
  CHECK(b.lengths == std::vector<int32_t>{10, 10, 10});
  auto x = to_vector<double>(b.x), y = to_vector<double>(b.y_value);
  for (int64_t i = 0; i < 3; ++i) {
    double sum = 0;
    int markers = 0, first_half = 0;
    for (int64_t t = 0; t < 10; ++t) {
      const double v = x[(t * 3 + i) * 2], m = x[(t * 3 + i) * 2 + 1];
      CHECK(v >= 0.0);
      CHECK(v < 1.0);
      CHECK((m == 0.0 || m == 1.0));
      if (m == 1.0) {
        ++markers;
        first_half += t < 5;
        sum += v;
      }
    }
    CHECK(markers == 2);
    CHECK(first_half == 1);
    CHECK(y[i] == doctest::Approx(sum));
  }
  // Deterministic per (seed, index): the same example in another batch, another object.
  AddingDataset again(10, 50, 7), other(10, 50, 8);
  CHECK(same_tensor<double>(again.batch({0, 3, 49}, DType::f64).x, b.x));
  CHECK(again.example(3).values == d.example(3).values);
  CHECK(other.example(3).values != d.example(3).values);
  Batch single = d.batch({3}, DType::f32);
  CHECK(single.x.dtype() == DType::f32);
  CHECK(to_vector<float>(single.y_value)[0] == doctest::Approx(y[1]).epsilon(1e-6));
  // The mean target is about 1 (the sum of two U[0,1)).
  AddingDataset big(20, 2000, 1);
  double mean = 0;
  for (std::size_t i = 0; i < big.size(); ++i) mean += big.example(i).target;
  CHECK(mean / 2000 == doctest::Approx(1.0).epsilon(0.05));
  CHECK_THROWS_WITH_AS(AddingDataset(1, 10, 1), doctest::Contains("steps"), InputError);
  CHECK_THROWS_WITH_AS(AddingDataset(10, 0, 1), doctest::Contains("examples"), InputError);
}

TEST_CASE("study data: length classification has variable lengths and length > max/2 labels") {
  LengthDataset d(20, 300, 3);
  CHECK(d.input_size() == 1);
  CHECK(d.max_steps() == 20);
  std::set<int64_t> seen;
  int positives = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const int64_t L = d.length(i);
    CHECK(L >= 1);
    CHECK(L <= 20);
    seen.insert(L);
    CHECK(d.label(i) == (L > 10 ? 1 : 0));
    positives += d.label(i);
  }
  CHECK(seen.size() == 20);  // every length occurs
  CHECK(positives > 100);
  CHECK(positives < 200);
  std::vector<std::size_t> idx = {0, 1, 2, 3, 4, 5, 6, 7};
  Batch b = d.batch(idx, DType::f32);
  int64_t T = 0;
  for (std::size_t k = 0; k < idx.size(); ++k) {
    CHECK(b.lengths[k] == d.length(idx[k]));
    T = std::max<int64_t>(T, b.lengths[k]);
  }
  CHECK(b.x.shape() == Shape{T, 8, 1});
  CHECK(b.y_value.shape() == Shape{8, 1});
  auto x = to_vector<float>(b.x), y = to_vector<float>(b.y_value);
  for (int64_t k = 0; k < 8; ++k) {
    CHECK(y[k] == float(d.label(idx[k])));
    for (int64_t t = b.lengths[k]; t < T; ++t) CHECK(x[t * 8 + k] == 0.0f);  // padding
  }
  CHECK(same_tensor<float>(LengthDataset(20, 300, 3).batch(idx, DType::f32).x, b.x));
  CHECK_THROWS_AS(LengthDataset(1, 10, 1), InputError);
  CHECK_THROWS_AS(LengthDataset(10, 0, 1), InputError);
}

TEST_CASE("study data: synthetic sentiment follows its generative rule, deterministically") {
  using S = SyntheticSentimentDataset;
  S d(400, 100, 30, 90, 5);
  int positives = 0, negated = 0, total_words = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    S::Example e = d.example(i);
    const auto L = static_cast<int64_t>(e.tokens.size());
    CHECK(L >= 30);
    CHECK(L <= 90);
    // Re-derive the label from the tokens: negation flips the next sentiment word.
    int vote = 0, sentiment = 0;
    bool pending = false;
    int64_t negation_at = -1;
    for (const int32_t& t : e.tokens) {
      REQUIRE(t >= S::kPositive);
      REQUIRE(t < 100);
      if (t >= S::kNegation && t < S::kNeutral) {
        CHECK_FALSE(pending);  // at most one negation before each sentiment word
        pending = true;
        negation_at = &t - e.tokens.data();
      } else if (t < S::kNegation) {
        const int s = t < S::kNegative ? 1 : -1;
        if (pending) CHECK(&t - e.tokens.data() - negation_at <= S::kNegationReach);
        vote += pending ? -s : s;
        negated += pending;
        pending = false;
        ++sentiment;
      }
    }
    CHECK(sentiment == 2 * (L / 50) + 1);
    total_words += sentiment;
    CHECK_FALSE(pending);
    CHECK(e.label == (vote > 0 ? 1 : 0));
    positives += e.label;
  }
  CHECK(positives > 150);
  CHECK(positives < 250);
  CHECK(negated > total_words / 4 - 60);  // about a quarter of the sentiment words
  CHECK(negated < total_words / 4 + 60);
  Batch b = d.batch({4, 9}, DType::f32);
  CHECK(b.x.dtype() == DType::i32);
  const int64_t T = std::max(d.example(4).tokens.size(), d.example(9).tokens.size());
  CHECK(b.x.shape() == Shape{T, 2});
  CHECK(b.y_value.shape() == Shape{2, 1});
  auto x = to_vector<int32_t>(b.x);
  for (int64_t t = 0; t < T; ++t) {
    const auto& s = d.example(9).tokens;
    CHECK(x[t * 2 + 1] == (t < int64_t(s.size()) ? s[t] : 0));
  }
  CHECK(same_tensor<int32_t>(S(400, 100, 30, 90, 5).batch({4, 9}, DType::f64).x, b.x));
  CHECK(S(400, 100, 30, 90, 6).example(4).tokens != d.example(4).tokens);
  CHECK_THROWS_WITH_AS(S(10, 31, 30, 90, 1), doctest::Contains("vocab"), InputError);
  CHECK_THROWS_WITH_AS(S(10, 100, 5, 90, 1), doctest::Contains("min_len"), InputError);
  CHECK_THROWS_WITH_AS(S(10, 100, 30, 20, 1), doctest::Contains("max_len"), InputError);
  CHECK_THROWS_AS(S(0, 100, 30, 90, 1), InputError);
}

TEST_CASE("study data: word tokenizer and vocabulary") {
  CHECK(tokenize_words("Don't <br />STOP, it's 2 GOOD!<br/>x<br>y") ==
        std::vector<std::string>{"don't", "stop", "it's", "2", "good", "x", "y"});
  CHECK(tokenize_words("a<b c") == std::vector<std::string>{"a", "b", "c"});
  CHECK(tokenize_words("").empty());
  TextVocabulary v = TextVocabulary::build({{"b", "a", "c", "a"}, {"c", "d", "b", "a"}}, 5);
  // counts: a 3, b 2, c 2, d 1 -> a=2, b=3, c=4 (tie b/c by word), d dropped (size 5)
  CHECK(v.size() == 5);
  CHECK(v.id("a") == 2);
  CHECK(v.id("b") == 3);
  CHECK(v.id("c") == 4);
  CHECK(v.id("d") == TextVocabulary::kOov);
  CHECK(v.word(0) == "<pad>");
  CHECK(v.word(4) == "c");
  CHECK_THROWS_AS(TextVocabulary::build({}, 2), InputError);
}

TEST_CASE("study data: aclImdb loader on a small folder") {
  const fs::path root = fs::path(temp_dir("study_imdb")) / "aclImdb";
  fs::remove_all(root);
  write_file(root / "train/pos/0_9.txt", "A great great film.<br /><br />Loved it");
  write_file(root / "train/pos/1_8.txt", "great acting, great story");
  write_file(root / "train/neg/0_2.txt", "Bad film. Not great at all");
  write_file(root / "train/neg/1_1.txt", "");
  write_file(root / "train/neg/notes.md", "ignored");
  write_file(root / "test/pos/0_10.txt", "great unknownword film");
  write_file(root / "test/neg/0_3.txt", "bad");

  TextVocabulary v = TextDataset::imdb_vocabulary(root.string(), 6);
  // great 5, film 2, a/acting/all/at/bad/... 1 -> great=2, film=3, a=4, acting=5
  CHECK(v.size() == 6);
  CHECK(v.id("great") == 2);
  CHECK(v.id("film") == 3);
  CHECK(v.id("a") == 4);
  CHECK(v.id("acting") == 5);

  TextDataset train = TextDataset::load_imdb(root.string(), "train", v, 3);
  CHECK(train.size() == 4);
  CHECK(train.vocab() == 6);
  CHECK(train.max_steps() == 3);
  // pos files first (sorted), then neg; the last 3 tokens are kept.
  CHECK(train.label(0) == 1);
  CHECK(train.tokens(0) == std::vector<int32_t>{3, 1, 1});  // "... film loved it"
  CHECK(train.label(2) == 0);
  CHECK(train.tokens(3) == std::vector<int32_t>{TextVocabulary::kOov});  // empty review
  TextDataset test = TextDataset::load_imdb(root.string(), "test", v, 10);
  CHECK(test.size() == 2);
  CHECK(test.tokens(0) == std::vector<int32_t>{2, 1, 3});
  Batch b = test.batch({0, 1}, DType::f32);
  CHECK(b.x.dtype() == DType::i32);
  CHECK(b.x.shape() == Shape{3, 2});
  CHECK(b.lengths == std::vector<int32_t>{3, 1});
  CHECK(to_vector<int32_t>(b.x) == std::vector<int32_t>{2, 1, 1, 0, 3, 0});
  CHECK(to_vector<float>(b.y_value) == std::vector<float>{1, 0});

  CHECK_THROWS_WITH_AS(TextDataset::imdb_vocabulary((root / "nope").string(), 10),
                       doctest::Contains("does not exist"), InputError);
  CHECK_THROWS_WITH_AS(TextDataset::load_imdb(root.string(), "unsup", v, 10),
                       doctest::Contains("unsup"), InputError);
  const fs::path empty = fs::path(temp_dir("study_imdb")) / "empty";
  fs::remove_all(empty);
  fs::create_directories(empty / "train/pos");
  fs::create_directories(empty / "train/neg");
  CHECK_THROWS_WITH_AS(TextDataset::imdb_vocabulary(empty.string(), 10),
                       doctest::Contains("no .txt files"), InputError);
  CHECK_THROWS_AS(TextDataset::load_imdb(root.string(), "train", v, 0), InputError);
  CHECK_THROWS_AS(TextDataset({{7}}, {1}, 5, 10, "bad id"), InputError);
  CHECK_THROWS_AS(TextDataset({{1}}, {2}, 5, 10, "bad label"), InputError);
}

TEST_CASE("study data: token batches train embedding -> gru -> dense end to end"
          * doctest::test_suite("integration")) {
  SyntheticSentimentDataset d(96, 64, 8, 24, 1);
  Split sp = split(d.size(), 0.25, 1, true);
  auto model = ModelBuilder(builtin_cells(), "m", d.input_size(), 1)
                   .embedding(d.vocab(), 8)
                   .cell("gru", {{"hidden", int64_t{8}}})
                   .dense(1)
                   .build();
  TrainConfig cfg;
  cfg.loss = LossKind::bce_with_logits;
  cfg.optimizer.kind = UpdateRule::Kind::adam;
  cfg.optimizer.lr = 1e-2;
  cfg.batch = 16;
  cfg.steps = 12;
  cfg.quiet = true;
  Trainer t(*model, cfg);
  EvalResult before = t.evaluate(d, sp.test);
  TrainResult r = t.fit(d, sp.train, sp.test, nullptr);
  CHECK(r.steps == 12);
  REQUIRE(r.final_eval.has_value());
  CHECK(std::isfinite(r.final_eval->loss));
  CHECK(r.final_eval->accuracy >= 0.0);
  CHECK(r.final_eval->examples == 24);
  CHECK(std::isfinite(before.loss));
  // The embedding table received gradient updates: evaluation changed.
  CHECK(r.final_eval->loss != before.loss);

  // Token data without an embedding layer, and an embedding fed features: InputErrors.
  auto no_embed = ModelBuilder(builtin_cells(), "m", 1, 1)
                      .cell("gru", {{"hidden", int64_t{4}}})
                      .dense(1)
                      .build();
  Trainer t2(*no_embed, cfg);
  CHECK_THROWS_WITH_AS(t2.evaluate(d, sp.test), doctest::Contains("embedding"), InputError);
  auto small_table = ModelBuilder(builtin_cells(), "m", 1, 1)
                         .embedding(10, 4)
                         .cell("gru", {{"hidden", int64_t{4}}})
                         .dense(1)
                         .build();
  Trainer t4(*small_table, cfg);
  CHECK_THROWS_WITH_AS(t4.evaluate(d, sp.test), doctest::Contains("outside the embedding"),
                       InputError);
  LengthDataset floats(10, 32, 1);
  auto embed_floats = ModelBuilder(builtin_cells(), "m", 1, 1)
                          .embedding(10, 4)
                          .cell("gru", {{"hidden", int64_t{4}}})
                          .dense(1)
                          .build();
  Trainer t3(*embed_floats, cfg);
  CHECK_THROWS_WITH_AS(t3.evaluate(floats, {0, 1}), doctest::Contains("token ids"), InputError);
}

TEST_SUITE_END();
