// Per-step classification (trainer.h): the masked per-step softmax cross-entropy (gradient-
// checked in f64 through a whole model over whole sequences), what is scored (padding and -1
// are not), token accuracy, bits per character / perplexity, `npy` per-step classes, and
// stream datasets (truncated BPTT with the state carried through training and evaluation).
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/gradcheck.h"
#include "rnnlab/ops.h"
#include "rnnlab/run_file.h"
#include "rnnlab/runner.h"
#include "rnnlab/trainer.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::rand_tensor;

namespace {

// Token sequences with per-step class targets, in memory: x i32 [T,B], y_class [T,B].
class TokenTagDataset : public Dataset {
 public:
  TokenTagDataset(std::vector<std::vector<int32_t>> x, std::vector<std::vector<int32_t>> y,
                  int64_t vocab, int64_t classes)
      : x_(std::move(x)), y_(std::move(y)), vocab_(vocab), classes_(classes) {}
  std::size_t size() const override { return x_.size(); }
  Batch batch(const std::vector<std::size_t>& idx, DType) const override {
    int64_t T = 0;
    for (auto i : idx) T = std::max<int64_t>(T, static_cast<int64_t>(x_[i].size()));
    const auto B = static_cast<int64_t>(idx.size());
    std::vector<int32_t> x(static_cast<std::size_t>(T * B), 0), y(x.size(), kNotScored);
    Batch b;
    for (int64_t r = 0; r < B; ++r) {
      const auto& xs = x_[idx[static_cast<std::size_t>(r)]];
      const auto& ys = y_[idx[static_cast<std::size_t>(r)]];
      for (std::size_t t = 0; t < xs.size(); ++t) {
        x[t * static_cast<std::size_t>(B) + static_cast<std::size_t>(r)] = xs[t];
        y[t * static_cast<std::size_t>(B) + static_cast<std::size_t>(r)] = ys[t];
      }
      b.lengths.push_back(static_cast<int32_t>(xs.size()));
    }
    b.x = from_vector(x, {T, B});
    b.y_class = from_vector(y, {T, B});
    return b;
  }
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return 0; }
  int64_t num_classes() const override { return classes_; }
  std::string describe() const override { return "token tags"; }

 private:
  std::vector<std::vector<int32_t>> x_, y_;
  int64_t vocab_, classes_;
};

// A stream of tokens cut into windows of T (the last one shorter), the next token as target:
// the layout data.h prescribes for Dataset::stream().
class TokenStream : public Dataset {
 public:
  TokenStream(std::vector<int32_t> s, int64_t steps, int64_t vocab)
      : s_(std::move(s)), steps_(steps), vocab_(vocab) {}
  std::size_t size() const override {
    return static_cast<std::size_t>((static_cast<int64_t>(s_.size()) - 1 + steps_ - 1) / steps_);
  }
  Batch batch(const std::vector<std::size_t>& idx, DType) const override {
    const auto B = static_cast<int64_t>(idx.size());
    std::vector<int32_t> x(static_cast<std::size_t>(steps_ * B), 0), y(x.size(), kNotScored);
    Batch b;
    for (int64_t r = 0; r < B; ++r) {
      const int64_t a = static_cast<int64_t>(idx[static_cast<std::size_t>(r)]) * steps_;
      const int64_t len = std::min<int64_t>(steps_, static_cast<int64_t>(s_.size()) - 1 - a);
      for (int64_t t = 0; t < len; ++t) {
        x[static_cast<std::size_t>(t * B + r)] = s_[static_cast<std::size_t>(a + t)];
        y[static_cast<std::size_t>(t * B + r)] = s_[static_cast<std::size_t>(a + t + 1)];
      }
      b.lengths.push_back(static_cast<int32_t>(len));
    }
    b.x = from_vector(x, {steps_, B});
    b.y_class = from_vector(y, {steps_, B});
    return b;
  }
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return steps_; }
  int64_t num_classes() const override { return vocab_; }
  ClassMetric class_metric() const override { return ClassMetric::bits_per_char; }
  bool stream() const override { return true; }
  std::string describe() const override { return "token stream"; }

 private:
  std::vector<int32_t> s_;
  int64_t steps_, vocab_;
};

std::unique_ptr<Model> tagger(const std::string& cell, int64_t vocab, int64_t classes,
                              DType dtype, bool stateful = false) {
  return ModelBuilder(builtin_cells(), "m", 1, 7, Device::cpu, dtype)
      .embedding(vocab, 4)
      .cell(cell, {{"hidden", int64_t{5}}}, true, stateful)
      .dense(classes)
      .build();
}

TrainConfig config(int64_t batch) {
  TrainConfig c;
  c.loss = LossKind::softmax_cross_entropy;
  c.batch = batch;
  c.steps = 1;
  c.quiet = true;
  c.optimizer.kind = UpdateRule::Kind::adam;
  c.optimizer.lr = 0.05;
  return c;
}

// Sequences of lengths 5, 3, 4 over vocab 6; tags in 0..3 with some -1.
TokenTagDataset small_tags() {
  return TokenTagDataset({{1, 2, 3, 4, 5}, {5, 4, 3}, {2, 2, 1, 3}},
                         {{0, 1, -1, 3, 2}, {2, -1, 1}, {3, 0, 0, 1}}, 6, 4);
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("per-step loss: softmax cross-entropy skips -1 rows and averages over the scored") {
  Tape t;
  const std::vector<double> logits{1.0, 2.0, 0.5, -1.0, 0.0, 3.0, 0.2, 0.1, 0.0};
  Var x = t.leaf(from_vector(logits, {3, 3}));
  Var y = t.constant(from_vector(std::vector<int32_t>{1, -1, 0}, {3}));
  const double l0 = -std::log(std::exp(2.0) / (std::exp(1.0) + std::exp(2.0) + std::exp(0.5)));
  const double l2 = -std::log(std::exp(0.2) / (std::exp(0.2) + std::exp(0.1) + std::exp(0.0)));
  Var loss = softmax_cross_entropy(x, y);
  CHECK(item(loss.value()) == doctest::Approx((l0 + l2) / 2).epsilon(1e-12));
  t.backward(loss);
  const auto g = to_vector<double>(t.grad(x));
  CHECK(g[3] == 0.0);  // the -1 row gets no gradient
  CHECK(g[4] == 0.0);
  CHECK(g[5] == 0.0);
  // Nothing scored: loss 0, no gradient, no division by zero.
  Tape t2;
  Var x2 = t2.leaf(from_vector(logits, {3, 3}));
  Var none = softmax_cross_entropy(x2, t2.constant(from_vector(std::vector<int32_t>{-1, -1, -1}, {3})));
  CHECK(item(none.value()) == 0.0);
  // Any other id outside [0, C) is an error naming the row.
  Tape t3;
  CHECK_THROWS_WITH_AS(softmax_cross_entropy(t3.constant(from_vector(logits, {3, 3})),
                                             t3.constant(from_vector(std::vector<int32_t>{1, -2, 0}, {3}))),
                       doctest::Contains("row 1"), Error);
}

TEST_CASE("gradcheck: masked per-step cross-entropy through embedding, cell and dense (f64)"
          * doctest::test_suite("gradcheck")) {
  const TokenTagDataset data = small_tags();
  const Batch b = data.batch({0, 1, 2}, DType::f64);
  for (const std::string cell : {"lstm", "gru", "elman"}) {
    CAPTURE(cell);
    auto model = tagger(cell, 6, 4, DType::f64);
    Trainer trainer(*model, config(3));
    GradCheckOptions o;
    o.tolerance = 1e-6;
    const GradCheckResult r = gradcheck(
        [&](Tape& t, const std::vector<Var>&) { return trainer.batch_loss(t, b, false, 0); }, {},
        &model->params(), o);
    CHECK_MESSAGE(r.passed, r.worst);
    CHECK(r.checked > 0);
  }
}

TEST_CASE("per-step loss: padded steps and -1 are not scored, token accuracy counts the scored") {
  const TokenTagDataset data = small_tags();
  Batch b = data.batch({0, 1, 2}, DType::f64);
  auto model = tagger("gru", 6, 4, DType::f64);
  Trainer trainer(*model, config(3));
  // A label at a padded step (t >= length) is never scored, whatever it says.
  Batch poisoned = b;
  auto y = to_vector<int32_t>(b.y_class);
  y[4 * 3 + 1] = 3;  // step 4 of sequence 1 (length 3)
  poisoned.y_class = from_vector(y, {5, 3});
  Tape t1, t2;
  int64_t c1 = 0, n1 = 0, c2 = 0, n2 = 0;
  const double l1 = item(trainer.batch_loss(t1, b, false, 0, &c1, &n1).value());
  const double l2 = item(trainer.batch_loss(t2, poisoned, false, 0, &c2, &n2).value());
  CHECK(l1 == l2);
  CHECK(n1 == 10);  // 12 real steps, two of them -1
  CHECK(n2 == 10);
  CHECK(c1 == c2);
  // The value is the mean over the 10 scored tokens of -log softmax (recomputed by hand).
  Tape t3;
  Activation in{t3.constant(b.x), true, b.lengths};
  Activation out = model->forward(t3, in, ForwardContext{});
  const auto logits = to_vector<double>(out.x.value());  // [T,B,C]
  double sum = 0;
  int64_t hits = 0;
  for (std::size_t i = 0; i < y.size(); ++i) {
    const int32_t label = to_vector<int32_t>(b.y_class)[i];
    const int64_t step = static_cast<int64_t>(i) / 3, row = static_cast<int64_t>(i) % 3;
    if (label < 0 || step >= b.lengths[static_cast<std::size_t>(row)]) continue;
    double mx = -1e300, z = 0;
    int best = 0;
    for (int c = 0; c < 4; ++c) {
      mx = std::max(mx, logits[i * 4 + static_cast<std::size_t>(c)]);
      if (logits[i * 4 + static_cast<std::size_t>(c)] > logits[i * 4 + static_cast<std::size_t>(best)]) best = c;
    }
    for (int c = 0; c < 4; ++c) z += std::exp(logits[i * 4 + static_cast<std::size_t>(c)] - mx);
    sum += std::log(z) + mx - logits[i * 4 + static_cast<std::size_t>(label)];
    hits += best == label;
  }
  CHECK(l1 == doctest::Approx(sum / 10).epsilon(1e-12));
  CHECK(c1 == hits);
  // Evaluation: loss per scored token, accuracy over scored tokens.
  const EvalResult e = trainer.evaluate(data, {0, 1, 2});
  CHECK(e.scored == 10);
  CHECK(e.examples == 3);
  CHECK(e.loss == doctest::Approx(sum / 10).epsilon(1e-12));
  CHECK(e.accuracy == doctest::Approx(double(hits) / 10));
  CHECK(e.bits_per_char < 0);
  CHECK(e.perplexity < 0);
}

TEST_CASE("per-step loss: shape and class-count mismatches are input errors that say what to do") {
  const TokenTagDataset data = small_tags();
  const Batch b = data.batch({0, 1}, DType::f32);
  // The model returns the last step only ([B,C]): per-step targets need [T,B,C].
  auto last = ModelBuilder(builtin_cells(), "m", 1, 7)
                  .embedding(6, 4)
                  .cell("gru", {{"hidden", int64_t{5}}}, false)
                  .dense(4)
                  .build();
  Tape t;
  CHECK_THROWS_WITH_AS(Trainer(*last, config(2)).batch_loss(t, b, false, 0),
                       doctest::Contains("need model output [T,B,C]"), InputError);
  // Three outputs for four classes: the message names the id and the fix.
  auto narrow = tagger("gru", 6, 3, DType::f32);
  Tape t2;
  CHECK_THROWS_WITH_AS(Trainer(*narrow, config(2)).batch_loss(t2, b, false, 0),
                       doctest::Contains("as many units as the data has classes"), InputError);
  // The same check for one class per sequence, on the host for every device.
  Batch per_sequence = b;
  per_sequence.y_class = from_vector(std::vector<int32_t>{1, 3}, {2});
  auto last3 = ModelBuilder(builtin_cells(), "m", 1, 7)
                   .embedding(6, 4)
                   .cell("gru", {{"hidden", int64_t{5}}}, false)
                   .dense(3)
                   .build();
  Tape t3;
  CHECK_THROWS_WITH_AS(Trainer(*last3, config(2)).batch_loss(t3, per_sequence, false, 0),
                       doctest::Contains("class label 3 of sequence 1"), InputError);
}

TEST_CASE("language-model metrics: bits per character and perplexity follow from the loss") {
  EvalResult e;
  e.loss = std::log(8.0);
  set_class_metric(e, ClassMetric::bits_per_char);
  CHECK(e.bits_per_char == doctest::Approx(3.0));
  CHECK(e.perplexity < 0);
  set_class_metric(e, ClassMetric::perplexity);
  CHECK(e.perplexity == doctest::Approx(8.0));
  CHECK(e.bits_per_char < 0);
  set_class_metric(e, ClassMetric::accuracy);
  CHECK(e.perplexity < 0);
}

TEST_CASE("streams: evaluation carries the state through the held-out windows") {
  // B streams of windows evaluated with carried state == each stream as one long sequence.
  std::vector<int32_t> s;
  for (int i = 0; i < 49; ++i) s.push_back(2 + (i * 7 + i / 3) % 5);
  const TokenStream windows(s, 4, 8);  // 48 targets -> 12 windows of 4
  const TokenStream whole(s, 48, 8);   // the same stream as one window
  REQUIRE(windows.size() == 12);
  auto model = tagger("lstm", 8, 8, DType::f64, true);
  TrainConfig c = config(1);
  c.stateful = true;
  c.order = SampleOrder::streams;
  c.dtype = DType::f64;
  Trainer trainer(*model, c);
  std::vector<std::size_t> all(12);
  for (std::size_t i = 0; i < 12; ++i) all[i] = i;
  const EvalResult carried = trainer.evaluate(windows, all);
  const EvalResult one = trainer.evaluate(whole, {0});
  CHECK(carried.scored == 48);
  CHECK(one.scored == 48);
  CHECK(carried.loss == doctest::Approx(one.loss).epsilon(1e-12));
  CHECK(carried.bits_per_char == doctest::Approx(one.loss / std::log(2.0)).epsilon(1e-12));
  // Without stateful streams a stream dataset is refused, saying what it needs.
  auto plain = tagger("lstm", 8, 8, DType::f64);
  CHECK_THROWS_WITH_AS(Trainer(*plain, config(2)).fit(windows, all, {}),
                       doctest::Contains("stateful true"), InputError);
}

TEST_CASE("streams: one epoch trains on every window of the B streams exactly once, in order") {
  // 10 windows, B = 3: streams of 3 windows; the 10th (n mod B) does not fit any stream.
  const BatchSampler sampler = BatchSampler::range(10, 3, SampleOrder::streams, 1, true);
  const auto epoch = sampler.epoch(0);
  REQUIRE(epoch.size() == 3);
  std::multiset<std::size_t> seen;
  for (std::size_t k = 0; k < epoch.size(); ++k)
    for (std::size_t b = 0; b < 3; ++b) {
      CHECK(epoch[k][b] == b * 3 + k);  // stream b continues window by window
      seen.insert(epoch[k][b]);
    }
  CHECK(seen.size() == 9);
  for (std::size_t w = 0; w < 9; ++w) CHECK(seen.count(w) == 1);
  CHECK(sampler.epoch(1) == epoch);  // the same every epoch
}

TEST_CASE("streams: a language model resumed mid-epoch is bit-identical to an uninterrupted run") {
  std::vector<int32_t> s;
  for (int i = 0; i < 301; ++i) s.push_back(2 + (i * 5 + i / 7) % 6);
  const TokenStream data(s, 6, 8);  // 50 windows: 40 train (B = 4: 10 batches), 10 held out
  std::vector<std::size_t> train(40), eval(10);
  for (std::size_t i = 0; i < 40; ++i) train[i] = i;
  for (std::size_t i = 0; i < 10; ++i) eval[i] = 40 + i;
  const std::string dir = rnnlab::test::fresh_dir("stream_resume");
  auto cfg = [] {
    TrainConfig c = config(4);
    c.steps = 25;  // two epochs of 10 batches, then half of the third
    c.stateful = true;
    c.order = SampleOrder::streams;
    c.eval_every = 7;
    c.log_every = 2;
    c.checkpoint_every = 4;
    c.checkpoint_seconds = 0;
    return c;
  };
  auto params = [](Model& m) {
    std::vector<float> out;
    for (auto& p : m.params().all()) {
      const auto v = to_vector<float>(p->value);
      out.insert(out.end(), v.begin(), v.end());
    }
    return out;
  };
  auto whole = tagger("lstm", 8, 8, DType::f32, true);
  {
    RunFile run = RunFile::create(dir + "/whole.h5");
    Trainer(*whole, cfg()).fit(data, train, eval, &run);
  }
  {
    auto killed = tagger("lstm", 8, 8, DType::f32, true);
    TrainConfig c = cfg();
    c.on_step = [](int64_t step) {
      if (step == 15) throw std::runtime_error("stopped mid-epoch");  // after checkpoint 12
    };
    RunFile run = RunFile::create(dir + "/resumed.h5");
    CHECK_THROWS(Trainer(*killed, c).fit(data, train, eval, &run));
  }
  auto resumed = tagger("lstm", 8, 8, DType::f32, true);
  TrainConfig c = cfg();
  c.resume = true;
  TrainResult r;
  {
    RunFile run = RunFile::open(dir + "/resumed.h5", true);
    r = Trainer(*resumed, c).fit(data, train, eval, &run);
  }
  CHECK(r.resumed_from == 12);
  CHECK(params(*resumed) == params(*whole));
  const auto a = RunFile::open(dir + "/whole.h5").read_series("eval", "bpc");
  const auto b = RunFile::open(dir + "/resumed.h5").read_series("eval", "bpc");
  CHECK(a.size() == 4);  // steps 7, 14, 21 and the end
  CHECK(a == b);
}

TEST_CASE("copy memory: a small GRU learns to recall every symbol of a short copy task") {
  Catalog cat(builtin_cells());
  const DataSourceType* copy = cat.find_data_source("copy");
  REQUIRE(copy);
  const DataSetup d = copy->create(
      CellConfig::resolve("copy", copy->entry.schema,
                          {{"blanks", int64_t{5}}, {"symbols", int64_t{3}}, {"alphabet", int64_t{4}},
                           {"examples", int64_t{20000}}, {"test_examples", int64_t{256}}}),
      "", 1);
  auto model = ModelBuilder(builtin_cells(), "gru", 1, 1)
                   .embedding(6, 8)
                   .cell("gru", {{"hidden", int64_t{32}}}, true)
                   .dense(6)
                   .build();
  TrainConfig c = config(32);
  c.optimizer.lr = 1e-2;
  c.steps = 1500;  // 100 % from about 1000 steps on, for seeds 1 to 3 (under 1 s)
  const TrainResult r = Trainer(*model, c).fit(*d.dataset, d.train, d.eval);
  REQUIRE(r.final_eval);
  CHECK(r.final_eval->scored == 256 * 3);  // only the recalled symbols are scored
  CHECK(r.final_eval->accuracy == 1.0);    // memoryless: 1/4
}

TEST_CASE("char LM: an LSTM on the shipped tiny text goes below the unigram bits per char") {
  Catalog cat(builtin_cells());
  const DataSourceType* text = cat.find_data_source("text");
  REQUIRE(text);
  const DataSetup d = text->create(
      CellConfig::resolve("text", text->entry.schema,
                          {{"path", std::string("data/tiny_text.txt")},
                           {"level", std::string("char")},
                           {"vocab", int64_t{64}},
                           {"steps", int64_t{50}}}),
      std::string(RNNLAB_SOURCE_DIR) + "/experiments", 1);
  REQUIRE(d.dataset->stream());
  REQUIRE(d.dataset->class_metric() == ClassMetric::bits_per_char);
  // The unigram baseline: character frequencies of the training part (add-one smoothing over
  // the 64 classes), scored on the held-out targets.
  std::vector<double> count(64, 1.0);
  for (std::size_t w : d.train)
    for (int32_t y : to_vector<int32_t>(d.dataset->batch({w}, DType::f32).y_class))
      if (y >= 0) count[static_cast<std::size_t>(y)] += 1;
  double total = 0, bits = 0;
  int64_t n = 0;
  for (double c : count) total += c;
  for (std::size_t w : d.eval)
    for (int32_t y : to_vector<int32_t>(d.dataset->batch({w}, DType::f32).y_class))
      if (y >= 0) {
        bits -= std::log2(count[static_cast<std::size_t>(y)] / total);
        ++n;
      }
  const double unigram = bits / double(n);
  auto model = ModelBuilder(builtin_cells(), "lstm", 1, 1)
                   .embedding(64, 16)
                   .cell("lstm", {{"hidden", int64_t{64}}}, true, true)
                   .dense(64)
                   .build();
  TrainConfig c = config(8);
  c.optimizer.lr = 1e-2;
  c.steps = 300;
  c.clip_norm = 5;
  c.stateful = true;
  c.order = SampleOrder::streams;
  const TrainResult r = Trainer(*model, c).fit(*d.dataset, d.train, d.eval);
  REQUIRE(r.final_eval);
  MESSAGE("tiny text: eval bpc " << r.final_eval->bits_per_char << ", unigram " << unigram);
  CHECK(unigram > 3.5);  // English characters: about 4.1 bits
  CHECK(r.final_eval->bits_per_char < unigram - 0.5);
}

TEST_CASE("npy: per-step class targets [N,T] with -1, validated by rnnlab check") {
  const std::string dir = rnnlab::test::fresh_dir("npy_per_step");
  // inputs [4,3,2], lengths [4], targets [4,3] int32 with -1.
  auto write_npy = [&](const std::string& name, const std::string& descr,
                       const std::vector<std::size_t>& shape, const std::string& data) {
    std::string sh = "(";
    for (auto d : shape) sh += std::to_string(d) + ",";
    if (shape.size() > 1) sh.pop_back();
    sh += ")";
    std::string header = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + sh + ", }";
    while ((10 + header.size() + 1) % 64 != 0) header += ' ';
    header += '\n';
    std::string out = "\x93NUMPY";
    out += '\x01';
    out += '\x00';
    out += static_cast<char>(header.size() & 0xff);
    out += static_cast<char>(header.size() >> 8);
    out += header + data;
    FILE* f = std::fopen((dir + "/" + name).c_str(), "wb");
    REQUIRE(f);
    std::fwrite(out.data(), 1, out.size(), f);
    std::fclose(f);
  };
  auto raw = [](const auto& v) {
    return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(v[0]));
  };
  std::vector<float> x(24);
  for (std::size_t i = 0; i < x.size(); ++i) x[i] = static_cast<float>(i) / 24.0f;
  write_npy("x.npy", "<f4", {4, 3, 2}, raw(x));
  write_npy("y.npy", "<i4", {4, 3}, raw(std::vector<int32_t>{0, 1, 2, -1, 1, 1, 2, 2, -1, 0, 0, 0}));
  write_npy("len.npy", "<i4", {4}, raw(std::vector<int32_t>{3, 2, 2, 3}));
  write_npy("bad.npy", "<i4", {4, 2}, raw(std::vector<int32_t>{0, 1, 2, 0, 1, 1, 2, 2}));
  NpyDataset d(dir + "/x.npy", dir + "/y.npy", dir + "/len.npy");
  CHECK(d.num_classes() == 3);
  const Batch b = d.batch({0, 3}, DType::f32);
  REQUIRE(b.per_step_classes());
  CHECK(to_vector<int32_t>(b.y_class) == std::vector<int32_t>{0, 0, 1, 0, 2, 0});
  CHECK_THROWS_WITH_AS(NpyDataset(dir + "/x.npy", dir + "/bad.npy"), doctest::Contains("T = 3"),
                       InputError);

  // rnnlab check validates the arrays at the data block's position (check_data_files).
  Catalog cat(builtin_cells());
  ExperimentSpec spec;
  spec.name = std::string(1, 'e');  // not = "e": a g++ 12 -Wrestrict false positive
  spec.source_path = dir + "/e.rnn";
  spec.data.source = "npy";
  spec.data.loc = {spec.source_path, 2, 3};
  spec.data.args["inputs"] = ArgSpec{std::string("x.npy"), {}};
  spec.data.args["targets"] = ArgSpec{std::string("y.npy"), {}};
  CHECK_NOTHROW(check_data_files(spec, cat));
  spec.data.args["targets"] = ArgSpec{std::string("bad.npy"), {}};
  CHECK_THROWS_WITH_AS(check_data_files(spec, cat), doctest::Contains("e.rnn:2:3"), InputError);
}

TEST_SUITE_END();
