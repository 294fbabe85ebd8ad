// The built-in data sources (framework/src/experiment/data_sources/, one file each): every
// source file registered itself, in its listing position; each source built through the
// catalog, its batches read with rnnlab/xview.h (xtensor views over the batch tensors).
// Add a source: its name in the listing below and a TEST_CASE that builds it.
#include <doctest/doctest.h>

#include <map>
#include <string>
#include <vector>

#include <xtensor/xmath.hpp>
#include <xtensor/xview.hpp>

#include "rnnlab/catalog.h"
#include "rnnlab/xview.h"
#include "data_source_util.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::build_source;
using rnnlab::test::builtin_cells;

namespace {


}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("data sources: every built-in source registered itself and they list in order") {
  Catalog cat(builtin_cells());
  std::vector<std::string> names;
  for (const DataSourceType& d : cat.data_sources()) {
    names.push_back(d.entry.name);
    CHECK_MESSAGE(!d.entry.doc.empty(), d.entry.name);
    CHECK_MESSAGE(static_cast<bool>(d.create), d.entry.name);
  }
  CHECK(names == std::vector<std::string>{"digits", "csv", "fibonacci", "adding", "length",
                                          "imdb", "synthetic_sentiment", "npy", "mnist", "text",
                                          "copy", "selective_copy", "associative_recall",
                                          "brown_pos"});
}

TEST_CASE("data sources: fibonacci windows predict the next value at every step") {
  const DataSetup fib = build_source("fibonacci", {{"steps", int64_t{12}}});
  const Batch b = fib.dataset->batch({0, 5, 9}, DType::f64);
  const auto x = as_xtensor<double>(b.x);        // [T,B,1]
  const auto y = as_xtensor<double>(b.y_value);  // [T,B,1], y[t] = x[t+1]
  REQUIRE(x.shape() == std::vector<std::size_t>{12, 3, 1});
  CHECK(xt::view(y, xt::range(0, 11), xt::all(), xt::all()) ==
        xt::view(x, xt::range(1, 12), xt::all(), xt::all()));
  CHECK(xt::all(x >= 0.0 && x < 5.0));  // mod 5
}

TEST_CASE("data sources: adding targets are the sum of the two marked values") {
  const DataSetup add =
      build_source("adding", {{"steps", int64_t{20}}, {"examples", int64_t{8}},
                            {"test_examples", int64_t{4}}});
  CHECK(add.train.size() == 8);
  CHECK(add.eval.size() == 4);
  const Batch b = add.dataset->batch({0, 1, 2, 3, 8, 11}, DType::f32);
  const auto x = as_xtensor<float>(b.x);  // [T,B,2]: value, marker
  const auto values = xt::view(x, xt::all(), xt::all(), 0);
  const auto markers = xt::view(x, xt::all(), xt::all(), 1);
  CHECK(xt::all(xt::equal(xt::sum(markers, {0}), 2.0f)));  // two marks per example
  const xt::xarray<float> marked_sum = xt::sum(values * markers, {0});
  const auto y = as_xtensor<float>(b.y_value);  // [B,1]
  CHECK(xt::allclose(xt::view(y, xt::all(), 0), marked_sum));
}

TEST_SUITE_END();
