// The memory tasks (data.h, "memory tasks"): copy, selective_copy and associative_recall, each
// built through the catalog as a user's data block would be. For each: the batch shapes, ids in
// their ranges, the scored steps and their targets recomputed from the inputs, determinism in
// (data_seed, index), and the InputErrors of bad parameters.
#include <doctest/doctest.h>

#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "rnnlab/backend.h"
#include "rnnlab/catalog.h"
#include "data_source_util.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::build_source;
using rnnlab::test::builtin_cells;

namespace {


// A token batch read back: x and y_class [T,B] as host vectors, element (t, b) at t*B + b.
struct Tokens {
  int64_t T = 0, B = 0;
  std::vector<int32_t> x, y;
  int32_t in(int64_t t, int64_t b) const { return x[static_cast<std::size_t>(t * B + b)]; }
  int32_t out(int64_t t, int64_t b) const { return y[static_cast<std::size_t>(t * B + b)]; }
};

// Checks the token-batch contract (i32 [T,B] x and y_class, full lengths, ids in range).
Tokens read_tokens(const Dataset& ds, const std::vector<std::size_t>& idx) {
  const Batch b = ds.batch(idx, DType::f32);
  Tokens k;
  k.T = ds.max_steps();
  k.B = static_cast<int64_t>(idx.size());
  REQUIRE(b.x.defined());
  REQUIRE(b.y_class.defined());
  CHECK(b.x.dtype() == DType::i32);
  CHECK(b.y_class.dtype() == DType::i32);
  CHECK(b.x.shape() == Shape{k.T, k.B});
  CHECK(b.y_class.shape() == Shape{k.T, k.B});
  CHECK(b.per_step_classes());
  CHECK_FALSE(b.y_value.defined());
  CHECK(b.lengths == std::vector<int32_t>(idx.size(), static_cast<int32_t>(k.T)));
  k.x = to_vector<int32_t>(b.x);
  k.y = to_vector<int32_t>(b.y_class);
  const auto V = static_cast<int32_t>(ds.num_classes());
  for (int32_t v : k.x) CHECK((v >= 0 && v < V));
  for (int32_t v : k.y) CHECK((v == kNotScored || (v >= 0 && v < V)));
  // The batch holds example(i) of each index, in order (checked by the callers per task).
  return k;
}

// Number of (t, b) where two batches differ.
std::size_t differences(const Tokens& a, const Tokens& b) {
  std::size_t n = 0;
  for (std::size_t i = 0; i < a.x.size(); ++i) n += a.x[i] != b.x[i];
  return n;
}

using Params = std::map<std::string, ParamValue>;

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("memory tasks: copy holds symbols, blanks and a delimiter, targets the recall steps") {
  const int64_t G = 5, S = 3, A = 4;
  const Params p = {{"blanks", G},
                    {"symbols", S},
                    {"alphabet", A},
                    {"examples", int64_t{20}},
                    {"test_examples", int64_t{6}}};
  const DataSetup d = build_source("copy", p);
  CHECK(d.train.size() == 20);
  CHECK(d.eval.size() == 6);
  const Dataset& ds = *d.dataset;
  CHECK(ds.size() == 26);
  CHECK(ds.input_size() == 1);
  CHECK(ds.max_steps() == G + 2 * S);
  CHECK(ds.num_classes() == A + 2);
  CHECK(ds.output_size() == 0);
  CHECK(ds.class_metric() == ClassMetric::accuracy);
  CHECK(ds.describe().find("copy memory") != std::string::npos);
  CHECK(d.description.find("20 train / 6 eval") != std::string::npos);

  const std::vector<std::size_t> idx = {0, 1, 7, 19, 20, 25};
  const Tokens k = read_tokens(ds, idx);
  for (int64_t b = 0; b < k.B; ++b) {
    CAPTURE(b);
    for (int64_t t = 0; t < S; ++t) CHECK((k.in(t, b) >= 1 && k.in(t, b) <= A));
    for (int64_t t = S; t < S + G - 1; ++t) CHECK(k.in(t, b) == 0);
    CHECK(k.in(S + G - 1, b) == A + 1);  // the delimiter
    for (int64_t t = S + G; t < k.T; ++t) CHECK(k.in(t, b) == 0);
    for (int64_t t = 0; t < S + G; ++t) CHECK(k.out(t, b) == kNotScored);
    for (int64_t j = 0; j < S; ++j) CHECK(k.out(S + G + j, b) == k.in(j, b));  // the copy
    const TokenExample e = static_cast<const CopyMemoryDataset&>(ds).example(idx[b]);
    for (int64_t t = 0; t < k.T; ++t) CHECK(e.tokens[t] == k.in(t, b));
  }
  CHECK(static_cast<const CopyMemoryDataset&>(ds).baseline() == doctest::Approx(std::log(4.0)));

  // score all: the blank id is the target wherever the recall is not; the same inputs.
  Params all = p;
  all["score"] = std::string("all");
  const DataSetup da = build_source("copy", all);
  const Tokens ka = read_tokens(*da.dataset, idx);
  CHECK(ka.x == k.x);
  for (int64_t b = 0; b < ka.B; ++b)
    for (int64_t t = 0; t < ka.T; ++t) CHECK(ka.out(t, b) == (t < S + G ? 0 : k.out(t, b)));
  CHECK(static_cast<const CopyMemoryDataset&>(*da.dataset).baseline() ==
        doctest::Approx(S * std::log(4.0) / (G + 2 * S)));

  // Defaults: the paper's setting, T = 100 blanks -> 120 steps, vocab 10, baseline ln 8.
  const DataSetup def = build_source("copy", {{"examples", int64_t{4}}});
  CHECK(def.dataset->max_steps() == 120);
  CHECK(def.dataset->num_classes() == 10);
  CHECK(static_cast<const CopyMemoryDataset&>(*def.dataset).baseline() ==
        doctest::Approx(2.0794).epsilon(1e-4));
  const Tokens kd = read_tokens(*def.dataset, {0, 3});
  for (int64_t b = 0; b < 2; ++b) CHECK(kd.in(109, b) == 9);  // the delimiter at step T + 9

  // Every symbol occurs (uniform over the alphabet).
  std::set<int32_t> seen;
  const CopyMemoryDataset big(2, 4, A, CopyMemoryDataset::Score::recall, 100, 3);
  for (std::size_t i = 0; i < big.size(); ++i)
    for (int64_t j = 0; j < 4; ++j) seen.insert(big.example(i).tokens[j]);
  CHECK(seen == std::set<int32_t>{1, 2, 3, 4});
}

TEST_CASE("memory tasks: selective copy recalls the scattered symbols in order") {
  const int64_t L = 12, K = 5, A = 3;
  const DataSetup d = build_source("selective_copy",
                            {{"steps", L},
                             {"tokens", K},
                             {"alphabet", A},
                             {"examples", int64_t{30}},
                             {"test_examples", int64_t{10}}});
  const Dataset& ds = *d.dataset;
  CHECK(ds.size() == 40);
  CHECK(ds.input_size() == 1);
  CHECK(ds.max_steps() == L + K);
  CHECK(ds.num_classes() == A + 2);
  CHECK(ds.describe().find("selective copy") != std::string::npos);

  std::vector<std::size_t> idx;
  for (std::size_t i = 0; i < 40; i += 3) idx.push_back(i);
  const Tokens k = read_tokens(ds, idx);
  std::set<std::vector<int64_t>> layouts;  // the symbols' positions vary from example to example
  for (int64_t b = 0; b < k.B; ++b) {
    CAPTURE(b);
    std::vector<int32_t> symbols;
    std::vector<int64_t> where;
    for (int64_t t = 0; t < L; ++t) {
      const int32_t v = k.in(t, b);
      CHECK(v != SelectiveCopyDataset::kMarker);
      if (v != SelectiveCopyDataset::kBlank) {
        CHECK((v >= 2 && v <= A + 1));
        symbols.push_back(v);
        where.push_back(t);
      }
      CHECK(k.out(t, b) == kNotScored);
    }
    REQUIRE(symbols.size() == static_cast<std::size_t>(K));
    layouts.insert(where);
    for (int64_t j = 0; j < K; ++j) {
      CHECK(k.in(L + j, b) == SelectiveCopyDataset::kMarker);
      CHECK(k.out(L + j, b) == symbols[j]);
    }
  }
  CHECK(layouts.size() > 5);
  CHECK(static_cast<const SelectiveCopyDataset&>(ds).baseline() == doctest::Approx(std::log(3.0)));

  // K = L: every input step holds a symbol.
  const DataSetup full =
      build_source("selective_copy",
            {{"steps", int64_t{4}}, {"tokens", int64_t{4}}, {"examples", int64_t{3}}});
  const Tokens kf = read_tokens(*full.dataset, {0, 1, 2});
  for (int64_t b = 0; b < 3; ++b)
    for (int64_t t = 0; t < 4; ++t) {
      CHECK(kf.in(t, b) >= 2);
      CHECK(kf.out(4 + t, b) == kf.in(t, b));
    }

  // Defaults: L = 64, K = 16, alphabet 8 -> T = 80, vocab 10.
  const DataSetup def = build_source("selective_copy", {{"examples", int64_t{2}}});
  CHECK(def.dataset->max_steps() == 80);
  CHECK(def.dataset->num_classes() == 10);
}

TEST_CASE("memory tasks: associative recall answers each queried key with its value") {
  const int64_t N = 4, K = 6, W = 5, Q = 3;
  const DataSetup d = build_source("associative_recall",
                            {{"pairs", N},
                             {"keys", K},
                             {"values", W},
                             {"queries", Q},
                             {"examples", int64_t{25}},
                             {"test_examples", int64_t{5}}});
  const Dataset& ds = *d.dataset;
  CHECK(ds.size() == 30);
  CHECK(ds.input_size() == 1);
  CHECK(ds.max_steps() == 2 * N + Q);
  CHECK(ds.num_classes() == 1 + K + W);
  CHECK(static_cast<const AssociativeRecallDataset&>(ds).first_value() == K + 1);
  CHECK(ds.describe().find("associative recall") != std::string::npos);

  const std::vector<std::size_t> idx = {0, 2, 3, 11, 24, 25, 29};
  const Tokens k = read_tokens(ds, idx);
  std::set<int32_t> queried_pair_slots;
  for (int64_t b = 0; b < k.B; ++b) {
    CAPTURE(b);
    std::map<int32_t, int32_t> value_of;
    for (int64_t j = 0; j < N; ++j) {
      const int32_t key = k.in(2 * j, b), value = k.in(2 * j + 1, b);
      CHECK((key >= 1 && key <= K));
      CHECK((value >= K + 1 && value <= K + W));
      CHECK(value_of.emplace(key, value).second);  // distinct keys
      CHECK(k.out(2 * j, b) == kNotScored);
      CHECK(k.out(2 * j + 1, b) == kNotScored);
    }
    std::set<int32_t> asked;
    for (int64_t m = 0; m < Q; ++m) {
      const int32_t key = k.in(2 * N + m, b);
      REQUIRE(value_of.count(key) == 1);  // a key among the pairs
      CHECK(asked.insert(key).second);    // distinct queries
      CHECK(k.out(2 * N + m, b) == value_of[key]);
      for (int64_t j = 0; j < N; ++j)
        if (k.in(2 * j, b) == key) queried_pair_slots.insert(static_cast<int32_t>(j));
    }
  }
  CHECK(queried_pair_slots.size() == static_cast<std::size_t>(N));  // any pair may be asked
  CHECK(static_cast<const AssociativeRecallDataset&>(ds).baseline() ==
        doctest::Approx(std::log(5.0)));

  // Defaults: 8 pairs, 16 keys, 16 values, 4 queries -> T = 20, vocab 33.
  const DataSetup def = build_source("associative_recall", {{"examples", int64_t{2}}});
  CHECK(def.dataset->max_steps() == 20);
  CHECK(def.dataset->num_classes() == 33);
}

TEST_CASE("memory tasks: examples depend on (data_seed, index) alone") {
  const std::vector<std::pair<std::string, Params>> tasks = {
      {"copy", {{"blanks", int64_t{6}}}},
      {"selective_copy", {{"steps", int64_t{20}}, {"tokens", int64_t{6}}}},
      {"associative_recall", {}},
  };
  for (const auto& [name, own] : tasks) {
    CAPTURE(name);
    Params p = own;
    p["examples"] = int64_t{50};
    p["test_examples"] = int64_t{10};
    const DataSetup a = build_source(name, p), again = build_source(name, p);
    const std::vector<std::size_t> idx = {3, 0, 17, 49, 55};
    const Tokens ka = read_tokens(*a.dataset, idx), kb = read_tokens(*again.dataset, idx);
    CHECK(ka.x == kb.x);
    CHECK(ka.y == kb.y);
    // The same example in another batch, at another place.
    const Tokens one = read_tokens(*a.dataset, {17});
    for (int64_t t = 0; t < ka.T; ++t) {
      CHECK(one.in(t, 0) == ka.in(t, 2));
      CHECK(one.out(t, 0) == ka.out(t, 2));
    }
    // The number of examples does not change example i.
    Params more = p;
    more["examples"] = int64_t{500};
    const Tokens km = read_tokens(*build_source(name, more).dataset, idx);
    CHECK(km.x == ka.x);
    // Another data_seed, other examples; other indices, other examples.
    Params other = p;
    other["data_seed"] = int64_t{2};
    const Tokens ko = read_tokens(*build_source(name, other).dataset, idx);
    CHECK(differences(ka, ko) > 0);
    const Tokens kn = read_tokens(*a.dataset, {4, 1, 18, 48, 56});
    CHECK(differences(ka, kn) > 0);
  }
}

TEST_CASE("memory tasks: bad parameters are input errors that say what was expected") {
  auto fails = [&](const std::string& name, const Params& p, const std::string& says) {
    CAPTURE(name);
    CAPTURE(says);
    CHECK_THROWS_WITH_AS(build_source(name, p), doctest::Contains(says.c_str()), InputError);
  };
  // Schema ranges (the catalog's checks).
  fails("copy", {{"blanks", int64_t{0}}}, "blanks");
  fails("copy", {{"symbols", int64_t{0}}}, "symbols");
  fails("copy", {{"alphabet", int64_t{1}}}, "alphabet");
  fails("copy", {{"score", std::string("every")}}, "score");
  fails("copy", {{"examples", int64_t{0}}}, "examples");
  fails("selective_copy", {{"alphabet", int64_t{1}}}, "alphabet");
  fails("associative_recall", {{"values", int64_t{1}}}, "values");
  fails("associative_recall", {{"queries", int64_t{0}}}, "queries");
  // Relations between parameters (the datasets' checks): expected and found.
  fails("selective_copy", {{"steps", int64_t{12}}, {"tokens", int64_t{13}}},
        "steps (input positions L) must be >= tokens (K = 13");
  fails("selective_copy", {{"steps", int64_t{12}}, {"tokens", int64_t{13}}}, "got 12");
  fails("associative_recall", {{"pairs", int64_t{8}}, {"queries", int64_t{9}}},
        "queries must be <= pairs (8");
  fails("associative_recall", {{"pairs", int64_t{8}}, {"queries", int64_t{9}}}, "got 9");
  fails("associative_recall", {{"pairs", int64_t{20}}, {"keys", int64_t{16}}},
        "keys (key ids) must be >= pairs (20");
  fails("associative_recall", {{"pairs", int64_t{20}}, {"keys", int64_t{16}}}, "got 16");

  // The constructors check the same, for code that builds a dataset directly.
  using Score = CopyMemoryDataset::Score;
  CHECK_THROWS_WITH_AS(CopyMemoryDataset(0, 10, 8, Score::recall, 5, 1),
                       doctest::Contains("blanks"), InputError);
  CHECK_THROWS_WITH_AS(CopyMemoryDataset(10, 0, 8, Score::recall, 5, 1),
                       doctest::Contains("symbols"), InputError);
  CHECK_THROWS_WITH_AS(CopyMemoryDataset(10, 10, 1, Score::all, 5, 1),
                       doctest::Contains("alphabet"), InputError);
  CHECK_THROWS_WITH_AS(CopyMemoryDataset(10, 10, 8, Score::all, 0, 1),
                       doctest::Contains("examples"), InputError);
  CHECK_THROWS_WITH_AS(SelectiveCopyDataset(64, 0, 8, 5, 1), doctest::Contains("tokens"),
                       InputError);
  CHECK_THROWS_WITH_AS(SelectiveCopyDataset(8, 16, 8, 5, 1), doctest::Contains("steps"),
                       InputError);
  CHECK_THROWS_WITH_AS(SelectiveCopyDataset(64, 16, 1, 5, 1), doctest::Contains("alphabet"),
                       InputError);
  CHECK_THROWS_WITH_AS(SelectiveCopyDataset(64, 16, 8, 0, 1), doctest::Contains("examples"),
                       InputError);
  CHECK_THROWS_WITH_AS(AssociativeRecallDataset(0, 16, 16, 1, 5, 1), doctest::Contains("pairs"),
                       InputError);
  CHECK_THROWS_WITH_AS(AssociativeRecallDataset(8, 7, 16, 4, 5, 1), doctest::Contains("keys"),
                       InputError);
  CHECK_THROWS_WITH_AS(AssociativeRecallDataset(8, 16, 1, 4, 5, 1), doctest::Contains("values"),
                       InputError);
  CHECK_THROWS_WITH_AS(AssociativeRecallDataset(8, 16, 16, 0, 5, 1), doctest::Contains("queries"),
                       InputError);
  CHECK_THROWS_WITH_AS(AssociativeRecallDataset(8, 16, 16, 9, 5, 1), doctest::Contains("queries"),
                       InputError);
  CHECK_THROWS_WITH_AS(AssociativeRecallDataset(8, 16, 16, 4, 0, 1), doctest::Contains("examples"),
                       InputError);
  // An index past the end is a bug of the caller (Error), not bad input.
  const CopyMemoryDataset c(3, 2, 4, Score::recall, 5, 1);
  CHECK_THROWS_AS(c.example(5), Error);
  CHECK_THROWS_AS(c.batch({}, DType::f32), Error);
}

TEST_SUITE_END();
