// Datasets and loaders: digits, CSV series, windows, Fibonacci, samplers and splits.
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <set>
#include <string>

#include "rnnlab/data.h"
#include "test_util.h"

#ifndef RNNLAB_SOURCE_DIR
#error "tests need RNNLAB_SOURCE_DIR (the repository root) as a compile definition"
#endif

using namespace rnnlab;
namespace fs = std::filesystem;

namespace {

const std::string kData = std::string(RNNLAB_SOURCE_DIR) + "/experiments/data/";

// A fresh directory, removed at the end of the test (test_util.h), and a file written into it.
struct TempDir : test::ScratchDir {
  TempDir() : ScratchDir("data") {}
  std::string write(const std::string& name, const std::string& bytes) const {
    const std::string p = (path / name).string();
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
};

std::string file_bytes(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
}

// The message of the InputError that f throws ("" if it throws nothing or something else).
template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (...) {
    return "<not an InputError>";
  }
  return "<no exception>";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

template <typename T>
std::vector<double> values_of(const Tensor& t) {
  const T* p = t.data<T>();
  return std::vector<double>(p, p + t.numel());
}

std::string digits_line(int label, int pixel = 3) {
  std::string s;
  for (int k = 0; k < 64; ++k) s += std::to_string(pixel) + ",";
  return s + std::to_string(label) + "\n";
}

}  // namespace

// ---------------------------------------------------------------------------------------------
TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("digits: 1797 images, pixels in [0,1], labels 0..9, [T,B,I] layout") {
  DigitsDataset ds(kData + "digits.csv.gz");
  REQUIRE(ds.size() == 1797);
  CHECK(ds.input_size() == 8);
  CHECK(ds.max_steps() == 8);
  CHECK(ds.num_classes() == 10);

  std::vector<int> per_class(10, 0);
  for (std::size_t i = 0; i < ds.size(); ++i) {
    REQUIRE(ds.label(i) >= 0);
    REQUIRE(ds.label(i) <= 9);
    ++per_class[ds.label(i)];
  }
  for (int c = 0; c < 10; ++c) CHECK(per_class[c] >= 170);  // 174..183 per class

  // First line of the file: 0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0, ... label 0.
  CHECK(ds.label(0) == 0);
  CHECK(ds.pixel(0, 0, 2) == doctest::Approx(5.0 / 16));
  CHECK(ds.pixel(0, 1, 3) == doctest::Approx(15.0 / 16));

  Batch b = ds.batch({0, 1, 1796}, DType::f32);
  REQUIRE(b.x.shape() == Shape{8, 3, 8});
  CHECK(b.x.dtype() == DType::f32);
  CHECK(b.steps() == 8);
  CHECK(b.batch_size() == 3);
  CHECK(b.lengths == std::vector<int32_t>{8, 8, 8});
  REQUIRE(b.y_class.shape() == Shape{3});
  CHECK(b.y_class.dtype() == DType::i32);
  CHECK_FALSE(b.y_value.defined());
  const int32_t* y = b.y_class.data<int32_t>();
  CHECK(y[0] == ds.label(0));
  CHECK(y[1] == ds.label(1));
  CHECK(y[2] == ds.label(1796));
  const std::vector<double> x = values_of<float>(b.x);
  for (double v : x) {
    REQUIRE(v >= 0.0);
    REQUIRE(v <= 1.0);
  }
  const std::size_t idx[3] = {0, 1, 1796};
  for (int t = 0; t < 8; ++t)
    for (int bb = 0; bb < 3; ++bb)
      for (int j = 0; j < 8; ++j)
        REQUIRE(x[(t * 3 + bb) * 8 + j] == doctest::Approx(ds.pixel(idx[bb], t, j)));

  Batch b64 = ds.batch({5}, DType::f64);
  CHECK(b64.x.dtype() == DType::f64);
  CHECK(b64.x.shape() == Shape{8, 1, 8});
  CHECK_THROWS_AS(ds.batch({1797}, DType::f32), Error);
  CHECK_THROWS_AS(ds.batch({}, DType::f32), Error);
  CHECK_THROWS_AS(ds.batch({0}, DType::i32), Error);
}

TEST_CASE("digits: bad files are InputErrors that say what and where") {
  TempDir dir;
  CHECK(contains(input_error([&] { DigitsDataset(dir.path.string() + "/nope.csv.gz"); }),
                 "cannot open"));

  const std::string gz = file_bytes(kData + "digits.csv.gz");
  REQUIRE(gz.size() > 1000);
  std::string corrupt = gz;
  for (std::size_t i = 100; i < 140; ++i) corrupt[i] = static_cast<char>(corrupt[i] ^ 0x5a);
  const std::string msg_corrupt =
      input_error([&] { DigitsDataset(dir.write("corrupt.csv.gz", corrupt)); });
  CHECK(contains(msg_corrupt, "corrupt gzip"));
  CHECK(contains(msg_corrupt, "corrupt.csv.gz"));

  const std::string msg_trunc =
      input_error([&] { DigitsDataset(dir.write("short.csv.gz", gz.substr(0, gz.size() / 2))); });
  CHECK(contains(msg_trunc, "truncated gzip"));

  CHECK(contains(input_error([&] { DigitsDataset(dir.write("plain.csv.gz", "1,2,3\n")); }),
                 "not gzip"));

  // Plain (uncompressed) CSV is accepted; errors carry the line number.
  const std::string ok = digits_line(1) + digits_line(9, 16);
  DigitsDataset plain(dir.write("ok.csv", ok));
  CHECK(plain.size() == 2);
  CHECK(plain.label(1) == 9);
  CHECK(plain.pixel(1, 7, 7) == 1.0);

  const std::string bad_cols =
      input_error([&] { DigitsDataset(dir.write("cols.csv", digits_line(1) + "1,2,3\n")); });
  CHECK(contains(bad_cols, "cols.csv:2:"));
  CHECK(contains(bad_cols, "expected 65"));
  CHECK(contains(bad_cols, "found 3"));

  const std::string bad_label =
      input_error([&] { DigitsDataset(dir.write("label.csv", digits_line(1) + digits_line(12))); });
  CHECK(contains(bad_label, "label.csv:2:"));
  CHECK(contains(bad_label, "label"));
  CHECK(contains(bad_label, "'12'"));

  CHECK(contains(input_error([&] { DigitsDataset(dir.write("pix.csv", digits_line(1, 17))); }),
                 "pix.csv:1: pixel 1"));
  CHECK(contains(input_error([&] { DigitsDataset(dir.write("empty.csv", "\n")); }), "no images"));
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("timestamps and interpolation helpers") {
  int64_t t = 0;
  REQUIRE(parse_timestamp("1970-01-01", &t));
  CHECK(t == 0);
  REQUIRE(parse_timestamp("2010-01-01T01:00:00", &t));
  CHECK(t == 1262307600);
  int64_t u = 0;
  REQUIRE(parse_timestamp("2010-01-01 01:00", &u));
  CHECK(u == t);
  REQUIRE(parse_timestamp("2000-02-29T23:59:59Z", &t));
  CHECK(t == 951868799);
  CHECK_FALSE(parse_timestamp("2001-02-29", &t));
  CHECK_FALSE(parse_timestamp("2010-13-01T00:00", &t));
  CHECK_FALSE(parse_timestamp("2010-01-01T24:00", &t));
  CHECK_FALSE(parse_timestamp("2010-01-01T1:00", &t));
  CHECK_FALSE(parse_timestamp("yesterday", &t));

  const double nan = std::nan("");
  std::vector<double> v{nan, 2.0, nan, nan, 8.0, nan};
  CHECK(interpolate_missing(v) == 4);
  CHECK(v == std::vector<double>{2.0, 2.0, 4.0, 6.0, 8.0, 8.0});

  std::vector<double> w{0.0, nan, 10.0};
  interpolate_missing(w, {0, 1, 4});  // in position, not in index
  CHECK(w[1] == doctest::Approx(2.5));

  std::vector<double> none{nan, nan};
  CHECK_THROWS_AS(interpolate_missing(none), InputError);
}

TEST_CASE("CSV series: gaps (empty, NaN, short rows, missing hours) are interpolated") {
  TempDir dir;
  const std::string path = dir.write("series.csv",
                                     "date,value,note\r\n"
                                     "2020-01-01T00:00,1.0,a\r\n"
                                     "2020-01-01T01:00,,b\r\n"
                                     "2020-01-01T02:00,3.0,\"c, quoted\"\r\n"
                                     "2020-01-01T05:00,6.0,d\r\n"
                                     "2020-01-01 06:00,NaN,e\r\n"
                                     "2020-01-01T07:00:00,10\r\n"
                                     "2020-01-01T08:00\r\n"
                                     "\r\n");
  CsvSeriesOptions o;
  o.column = "value";
  o.date_column = "date";
  o.step_seconds = 3600;
  CsvSeries s = load_csv_series(path, o);
  CHECK(s.rows == 7);
  CHECK(s.inserted_steps == 2);
  CHECK(s.interpolated == 5);  // empty, 2 inserted hours, NaN, short row
  REQUIRE(s.values.size() == 9);
  const std::vector<double> expect{1, 2, 3, 4, 5, 6, 8, 10, 10};
  for (std::size_t i = 0; i < expect.size(); ++i) CHECK(s.values[i] == doctest::Approx(expect[i]));
  REQUIRE(s.times.size() == 9);
  for (std::size_t i = 1; i < s.times.size(); ++i) CHECK(s.times[i] - s.times[i - 1] == 3600);
  CHECK_FALSE(s.standardized);
  CHECK(s.mean == doctest::Approx(49.0 / 9));

  // Dates without a step: no inserted rows, interpolation still in time.
  o.step_seconds = 0;
  CsvSeries d = load_csv_series(path, o);
  REQUIRE(d.values.size() == 7);
  CHECK(d.values[4] == doctest::Approx(8.0));
  CHECK(d.inserted_steps == 0);

  // No dates: interpolation by row.
  CsvSeriesOptions plain;
  plain.column = "value";
  CsvSeries r = load_csv_series(path, plain);
  REQUIRE(r.values.size() == 7);
  CHECK(r.values[1] == doctest::Approx(2.0));
  CHECK(r.values[4] == doctest::Approx(8.0));
  CHECK(r.times.empty());

  // Standardize: the statistics are recorded and can undo the scaling.
  o.step_seconds = 3600;
  o.standardize = true;
  CsvSeries z = load_csv_series(path, o);
  CHECK(z.standardized);
  CHECK(z.mean == doctest::Approx(s.mean));
  double m = 0, q = 0;
  for (double x : z.values) m += x;
  m /= z.values.size();
  for (double x : z.values) q += (x - m) * (x - m);
  CHECK(m == doctest::Approx(0.0).epsilon(1e-12));
  CHECK(std::sqrt(q / z.values.size()) == doctest::Approx(1.0));
  CHECK(z.to_raw(z.values[7]) == doctest::Approx(10.0));

  // Statistics over a prefix only (the training part).
  o.fit_count = 3;
  CsvSeries f = load_csv_series(path, o);
  CHECK(f.mean == doctest::Approx(2.0));
  CHECK(f.stddev == doctest::Approx(std::sqrt(2.0 / 3)));
}

TEST_CASE("CSV series: errors name the file, the line and the columns") {
  TempDir dir;
  CsvSeriesOptions o;
  o.column = "temprature";
  const std::string col =
      input_error([&] { load_csv_series(kData + "seattle-weather-hourly-normals.csv", o); });
  CHECK(contains(col, "no value column 'temprature'"));
  CHECK(contains(col, "'date', 'pressure', 'temperature', 'wind'"));
  CHECK(contains(col, "did you mean 'temperature'?"));

  o.column = "temperature";
  o.date_column = "day";
  CHECK(contains(
      input_error([&] { load_csv_series(kData + "seattle-weather-hourly-normals.csv", o); }),
      "no date column 'day'"));

  CsvSeriesOptions v;
  v.column = "v";
  const std::string num =
      input_error([&] { load_csv_series(dir.write("num.csv", "t,v\n1,2.5\n2,abc\n"), v); });
  CHECK(contains(num, "num.csv:3:"));
  CHECK(contains(num, "'abc'"));

  CHECK(contains(input_error([&] { load_csv_series(dir.path.string() + "/missing.csv", v); }),
                 "cannot open"));
  CHECK(contains(input_error([&] { load_csv_series(dir.write("wide.csv", "t,v\n1,2,3\n"), v); }),
                 "wide.csv:2: 3 fields"));
  CHECK(contains(
      input_error([&] { load_csv_series(dir.write("allnan.csv", "t,v\n1,\n2,NaN\n"), v); }),
      "has no values"));
  CHECK(contains(input_error([&] { load_csv_series(dir.write("hdr.csv", "t,v\n"), v); }),
                 "no data rows"));

  CsvSeriesOptions dated = v;
  dated.date_column = "t";
  CHECK(contains(input_error([&] {
                   load_csv_series(dir.write("d1.csv", "t,v\n2020-01-01,1\n2019-12-31,2\n"), dated);
                 }),
                 "d1.csv:3: date '2019-12-31' is not after"));
  CHECK(contains(input_error([&] {
                   load_csv_series(dir.write("d2.csv", "t,v\n2020-01-01,1\nJan 2,2\n"), dated);
                 }),
                 "d2.csv:3: column 't': cannot read 'Jan 2' as a date"));
  dated.step_seconds = 3600;
  CHECK(contains(input_error([&] {
                   load_csv_series(
                       dir.write("d3.csv", "t,v\n2020-01-01T00:00,1\n2020-01-01T00:30,2\n"), dated);
                 }),
                 "not a multiple of the step"));
}

TEST_CASE("CSV series: the shipped Seattle hourly temperatures") {
  CsvSeriesOptions o;
  o.column = "temperature";
  o.date_column = "date";
  o.step_seconds = 3600;
  o.standardize = true;
  CsvSeries s = load_csv_series(kData + "seattle-weather-hourly-normals.csv", o);
  CHECK(s.rows == 8759);
  CHECK(s.values.size() == 8759);
  CHECK(s.inserted_steps == 0);
  CHECK(s.interpolated == 0);
  CHECK(s.mean > 5.0);
  CHECK(s.mean < 15.0);
  CHECK(s.stddev > 1.0);
  CHECK(s.to_raw(s.values[0]) == doctest::Approx(4.0));

  WindowDataset w(s.values, 6);
  CHECK(w.size() == 8759 - 6);
  Batch b = w.batch({0, 1, 2, 3, 4, 5}, DType::f32);
  CHECK(b.x.shape() == Shape{6, 6, 1});
  CHECK(b.y_value.shape() == Shape{6, 1});
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("windows: next value and next value at every step") {
  std::vector<double> s(10);
  std::iota(s.begin(), s.end(), 0.0);

  WindowDataset w(s, 3);
  CHECK(w.size() == 7);
  CHECK(w.input_size() == 1);
  CHECK(w.output_size() == 1);
  Batch b = w.batch({0, 4, 6}, DType::f64);
  REQUIRE(b.x.shape() == Shape{3, 3, 1});
  REQUIRE(b.y_value.shape() == Shape{3, 1});
  CHECK(b.lengths == std::vector<int32_t>{3, 3, 3});
  CHECK_FALSE(b.y_class.defined());
  CHECK(values_of<double>(b.x) == std::vector<double>{0, 4, 6, 1, 5, 7, 2, 6, 8});  // x[t,b]
  CHECK(values_of<double>(b.y_value) == std::vector<double>{3, 7, 9});
  CHECK_THROWS_AS(w.batch({7}, DType::f32), Error);

  WindowDataset e(s, 3, WindowTarget::every_step);
  CHECK(e.size() == 7);
  Batch be = e.batch({0, 6}, DType::f32);
  REQUIRE(be.y_value.shape() == Shape{3, 2, 1});
  CHECK(values_of<float>(be.x) == std::vector<double>{0, 6, 1, 7, 2, 8});
  CHECK(values_of<float>(be.y_value) == std::vector<double>{1, 7, 2, 8, 3, 9});

  WindowDataset st(s, 3, WindowTarget::next_value, 2);
  CHECK(st.size() == 4);  // starts 0, 2, 4, 6
  CHECK(values_of<double>(st.batch({3}, DType::f64).y_value) == std::vector<double>{9});

  CHECK(WindowDataset(std::vector<double>{1, 2, 3, 4}, 3).size() == 1);
  const std::string few = input_error([] { WindowDataset(std::vector<double>{1, 2, 3}, 3); });
  CHECK(contains(few, "too few values for one window"));
  CHECK(contains(few, "need 4"));
  CHECK_THROWS_AS(WindowDataset(s, 0), InputError);
}

TEST_CASE("fibonacci mod 5 has period 20") {
  const std::vector<double> f = fibonacci_mod(2000, 5);
  REQUIRE(f.size() == 2000);
  const std::vector<double> head{1, 1, 2, 3, 0, 3, 3, 1, 4, 0, 4, 4, 3, 2, 0, 2, 2, 4, 1, 0};
  CHECK(std::vector<double>(f.begin(), f.begin() + 20) == head);
  for (std::size_t i = 0; i + 20 < f.size(); ++i) REQUIRE(f[i + 20] == f[i]);
  for (std::size_t p = 1; p < 20; ++p) {
    bool periodic = true;
    for (std::size_t i = 0; i + p < f.size() && periodic; ++i) periodic = f[i + p] == f[i];
    CHECK_FALSE(periodic);
  }
  CHECK(fibonacci_mod(0, 5).empty());
  CHECK(fibonacci_mod(3, 1) == std::vector<double>{0, 0, 0});
  CHECK_THROWS_AS(fibonacci_mod(10, 0), InputError);
  CHECK_THROWS_AS(fibonacci_mod(-1, 5), InputError);

  // The NStepLSTM study's data: 2000 points, windows of 30, target at every step, 90/10.
  WindowDataset w(f, 30, WindowTarget::every_step);
  CHECK(w.size() == 1970);
  Split sp = split(w.size(), 0.1, 0, false);
  CHECK(sp.train.size() == 1773);
  CHECK(sp.test.size() == 197);
  CHECK(sp.test.front() == 1773);
}

// ---------------------------------------------------------------------------------------------
TEST_CASE("samplers: seeded shuffles are reproducible, epochs differ, batches cover the pool") {
  const auto a = BatchSampler::range(103, 10, SampleOrder::shuffled, 42);
  const auto b = BatchSampler::range(103, 10, SampleOrder::shuffled, 42);
  const auto c = BatchSampler::range(103, 10, SampleOrder::shuffled, 43);
  CHECK(a.batches_per_epoch() == 11);
  const auto e0 = a.epoch(0);
  CHECK(e0 == b.epoch(0));
  CHECK(a.epoch(1) == b.epoch(1));
  CHECK(e0 != a.epoch(1));
  CHECK(e0 != c.epoch(0));
  REQUIRE(e0.size() == 11);
  CHECK(e0.back().size() == 3);
  std::vector<std::size_t> all;
  for (const auto& batch : e0) all.insert(all.end(), batch.begin(), batch.end());
  std::vector<std::size_t> sorted = all;
  std::sort(sorted.begin(), sorted.end());
  std::vector<std::size_t> expect(103);
  std::iota(expect.begin(), expect.end(), std::size_t{0});
  CHECK(sorted == expect);
  CHECK(all != expect);

  // Golden values: the shuffle must not change between versions or platforms.
  std::vector<std::size_t> g(10);
  std::iota(g.begin(), g.end(), std::size_t{0});
  shuffle_indices(g, 7);
  std::vector<std::size_t> g2(10);
  std::iota(g2.begin(), g2.end(), std::size_t{0});
  shuffle_indices(g2, 7);
  CHECK(g == g2);
  CHECK(g == std::vector<std::size_t>{0, 7, 4, 9, 3, 1, 2, 8, 6, 5});

  const auto d = BatchSampler::range(103, 10, SampleOrder::shuffled, 42, /*drop_last=*/true);
  CHECK(d.batches_per_epoch() == 10);
  for (const auto& batch : d.epoch(3)) CHECK(batch.size() == 10);

  const auto s = BatchSampler::range(7, 3, SampleOrder::sequential);
  CHECK(s.epoch(0) == std::vector<std::vector<std::size_t>>{{0, 1, 2}, {3, 4, 5}, {6}});
  CHECK(s.epoch(5) == s.epoch(0));

  // Stateful streams: row r of batch k+1 continues row r of batch k.
  const auto st = BatchSampler::range(13, 3, SampleOrder::streams);
  CHECK(st.epoch(0) ==
        std::vector<std::vector<std::size_t>>{{0, 4, 8}, {1, 5, 9}, {2, 6, 10}, {3, 7, 11}});

  BatchSampler sub({5, 6, 7, 8}, 2, SampleOrder::sequential);
  CHECK(sub.epoch(0) == std::vector<std::vector<std::size_t>>{{5, 6}, {7, 8}});

  CHECK_THROWS_AS(BatchSampler::range(5, 0, SampleOrder::sequential), InputError);
  CHECK_THROWS_AS(BatchSampler::range(0, 2, SampleOrder::sequential), InputError);
  CHECK_THROWS_AS(BatchSampler::range(5, 6, SampleOrder::sequential, 0, true), InputError);
}

TEST_CASE("batch iterator walks epochs and resumes where it was") {
  const auto smp = BatchSampler::range(10, 4, SampleOrder::shuffled, 9);  // 3 batches/epoch
  BatchIterator it(smp);
  std::vector<std::vector<std::size_t>> seen;
  std::vector<bool> ended;
  for (int k = 0; k < 7; ++k) {
    seen.push_back(it.next());
    ended.push_back(it.epoch_ended());
  }
  CHECK(ended == std::vector<bool>{false, false, true, false, false, true, false});
  CHECK(it.epoch() == 2);
  CHECK(it.batch() == 1);
  const auto e1 = smp.epoch(1);
  CHECK(seen[3] == e1[0]);
  CHECK(seen[5] == e1[2]);

  BatchIterator resumed(smp, 1, 2);
  CHECK(resumed.next() == seen[5]);
  CHECK(resumed.next() == seen[6]);
  CHECK_THROWS_AS(resumed.seek(0, 3), Error);
}

TEST_CASE("split: deterministic, disjoint, complete") {
  const Split a = split(100, 0.2, 5, true);
  const Split b = split(100, 0.2, 5, true);
  const Split c = split(100, 0.2, 6, true);
  CHECK(a.train == b.train);
  CHECK(a.test == b.test);
  CHECK(a.test != c.test);
  CHECK(a.train.size() == 80);
  CHECK(a.test.size() == 20);
  std::set<std::size_t> all(a.train.begin(), a.train.end());
  all.insert(a.test.begin(), a.test.end());
  CHECK(all.size() == 100);
  CHECK(std::is_sorted(a.test.begin(), a.test.end()));

  const Split o = split(10, 0.3, 1, false);
  CHECK(o.train == std::vector<std::size_t>{0, 1, 2, 3, 4, 5, 6});
  CHECK(o.test == std::vector<std::size_t>{7, 8, 9});
  CHECK(split(10, 0.0, 1, true).test.empty());
  CHECK_THROWS_AS(split(10, 1.0, 1, true), InputError);
  CHECK_THROWS_AS(split(10, -0.1, 1, true), InputError);
  CHECK_THROWS_AS(split(1, 0.6, 1, true), InputError);
}

TEST_SUITE_END();
