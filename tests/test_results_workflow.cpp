// Research-grade results (issue 13): splits fixed by data.split_seed and recorded in the run
// file (/split), typed resolved values (/config/values, also read by h5py), bool attributes,
// and the `npy` data source with its input checks.
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <string>
#include <vector>
#include <xtensor/xarray.hpp>
#include <xtensor/xbuilder.hpp>
#include <xtensor/xnpy.hpp>

#include "cli/runner_util.h"
#include "experiment/run_record.h"
#include "rnnlab/backend.h"
#include "rnnlab/catalog.h"
#include "rnnlab/data.h"
#include "rnnlab/run_file.h"
#include "rnnlab/runner.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::arg;
using rnnlab::test::builtin_cells;
using rnnlab::test::error_of;
using rnnlab::test::quiet_options;
using rnnlab::test::temp_dir;
using rnnlab::test::tiny_digits_spec;
namespace fs = std::filesystem;

namespace {

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

std::vector<int32_t> ints(const RunFile& f, const std::string& path) {
  return to_vector<int32_t>(f.read_tensor(path));
}

std::vector<int32_t> as_i32(const std::vector<std::size_t>& v) {
  return std::vector<int32_t>(v.begin(), v.end());
}

int run_checker(const std::string& file, const std::string& args) {
  const std::string cmd = "/usr/bin/python3 '" + std::string(RNNLAB_SOURCE_DIR) +
                          "/tests/read_run_file.py' --quiet '" + file + "' " + args;
  const int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("RunFile: bool attrs are h5py enum bools, and attr_type names every stored type") {
  const std::string path = temp_dir("results_workflow") + "/attrs.h5";
  {
    RunFile f = RunFile::create(path);
    f.set_attr("g/yes", true);
    f.set_attr("g/no", false);
    f.set_attr("g/int", int64_t{7});
    f.set_attr("g/real", 0.5);
    f.set_attr("g/text", "x");
    f.finish("finished");
  }
  RunFile f = RunFile::open(path);
  CHECK(f.attr_bool("g/yes"));
  CHECK_FALSE(f.attr_bool("g/no"));
  CHECK(f.attr_type("g/yes") == "bool");
  CHECK(f.attr_type("g/int") == "integer");
  CHECK(f.attr_type("g/real") == "real");
  CHECK(f.attr_type("g/text") == "string");
  CHECK_THROWS_AS(f.attr_int("g/yes"), Error);   // a bool is not an integer
  CHECK_THROWS_AS(f.attr_bool("g/int"), Error);  // nor an integer a bool
  const std::string cmd =
      "/usr/bin/python3 -c \"import h5py, numpy as np, sys; a = h5py.File(sys.argv[1], 'r')['g']"
      ".attrs; sys.exit(0 if type(a['yes']) is np.bool_ and a['yes'] and not a['no'] and "
      "type(a['int']) is np.int64 and type(a['real']) is np.float64 else 1)\" '" +
      path + "'";
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE(
    "splits: the held-out set follows data.split_seed, not the model seed, and is in the "
    "run file" * doctest::test_suite("integration")) {
  Catalog cat(builtin_cells());
  const std::string out = temp_dir("results_workflow/split");
  fs::remove_all(out);
  ExperimentSpec s = tiny_digits_spec(5);
  s.sweep = {{"seed", {int64_t{1}, int64_t{2}}, {}},
             {"data.split_seed", {int64_t{1}, int64_t{4}}, {}}};
  auto runs = run_experiment(s, cat, quiet_options(out));
  REQUIRE(runs.size() == 4);
  for (const auto& r : runs) REQUIRE(r.status == RunState::finished);
  auto eval_of = [&](int seed, int split_seed) {
    const std::string p = out + "/tiny/lstm-seed=" + std::to_string(seed) +
                          "_split_seed=" + std::to_string(split_seed) + "/run.h5";
    RunFile f = RunFile::open(p);
    return ints(f, "split/eval");
  };
  // Same split seed, different model seeds: the same held-out images.
  CHECK(eval_of(1, 1) == eval_of(2, 1));
  CHECK(eval_of(1, 4) == eval_of(2, 4));
  // Another split seed: another held-out set of the same size.
  CHECK(eval_of(1, 1) != eval_of(1, 4));
  CHECK(eval_of(1, 1).size() == eval_of(1, 4).size());
  // The default split seed (1) is the split every run of model seed 1 had before split_seed.
  const Split old = split(1797, 0.2, 1, true);
  CHECK(eval_of(2, 1) == as_i32(old.test));

  RunFile f = RunFile::open(out + "/tiny/lstm-seed=2_split_seed=1/run.h5");
  CHECK(ints(f, "split/train") == as_i32(old.train));
  CHECK(f.attr_int("dataset/examples") == 1797);
  CHECK(f.attr_int("dataset/num_classes") == 10);
  CHECK_FALSE(f.attr_bool("dataset/per_step_targets"));
}

TEST_CASE(
    "splits: generated sources draw their examples from data.data_seed, not the model "
    "seed" * doctest::test_suite("integration")) {
  Catalog cat(builtin_cells());
  auto make = [&](const char* name, std::map<std::string, ParamValue> given, uint64_t seed) {
    const DataSourceType* t = cat.find_data_source(name);
    REQUIRE(t);
    return t->create(CellConfig::resolve(name, t->entry.schema, given), "", seed);
  };
  auto eval_x = [](const DataSetup& d) {
    return to_vector<double>(d.dataset->batch(d.eval, DType::f64).x);
  };
  for (const char* name : {"adding", "length"}) {
    CAPTURE(name);
    std::map<std::string, ParamValue> small = {{"examples", int64_t{20}},
                                               {"test_examples", int64_t{5}}};
    const DataSetup a = make(name, small, 1), b = make(name, small, 2);
    CHECK(eval_x(a) == eval_x(b));  // model seeds 1 and 2: the same held-out sequences
    small["data_seed"] = int64_t{2};
    CHECK(eval_x(a) != eval_x(make(name, small, 1)));
  }
  std::map<std::string, ParamValue> sent = {{"examples", int64_t{30}},
                                            {"vocab", int64_t{40}},
                                            {"min_len", int64_t{10}},
                                            {"max_len", int64_t{20}}};
  const DataSetup s1 = make("synthetic_sentiment", sent, 1),
                  s2 = make("synthetic_sentiment", sent, 2);
  CHECK(s1.eval == s2.eval);
  CHECK(to_vector<int32_t>(s1.dataset->batch(s1.eval, DType::f32).x) ==
        to_vector<int32_t>(s2.dataset->batch(s2.eval, DType::f32).x));
  sent["data_seed"] = int64_t{5};
  const DataSetup s3 = make("synthetic_sentiment", sent, 1);
  CHECK(s3.eval == s1.eval);  // same split_seed: the same indices, other generated sequences
  CHECK(to_vector<int32_t>(s3.dataset->batch(s3.eval, DType::f32).x) !=
        to_vector<int32_t>(s1.dataset->batch(s1.eval, DType::f32).x));
}

TEST_CASE("run file: /config/values holds every resolved value with its type (C++ and h5py)"
          * doctest::test_suite("integration")) {
  Catalog cat(builtin_cells());
  const std::string out = temp_dir("results_workflow/values");
  fs::remove_all(out);
  ExperimentSpec s = tiny_digits_spec(5);
  s.train.optimizer_args["lr"] = arg(0.02);
  s.sweep = {{"model.lstm.hidden", {int64_t{6}}, {}}};
  auto runs = run_experiment(s, cat, quiet_options(out));
  REQUIRE(runs.size() == 1);
  REQUIRE(runs[0].status == RunState::finished);
  RunFile f = RunFile::open(runs[0].path);
  auto type = [&](const std::string& k) { return f.attr_type("config/values/" + k); };
  const std::string v = "config/values/";
  CHECK(f.attr_int(v + "seed") == 3);
  CHECK(type("seed") == "integer");
  CHECK(f.attr_string(v + "model") == "lstm");
  CHECK(f.attr_string(v + "cell") == "lstm");
  CHECK(f.attr_int(v + "cell.hidden") == 6);  // the sweep point
  CHECK(f.attr_int(v + "layer0.hidden") == 6);
  CHECK(type("cell.forget_bias") == "real");  // a default, as a real
  CHECK(f.attr_double(v + "cell.forget_bias") == 1.0);
  CHECK(f.attr_string(v + "layer1.kind") == "dense");
  CHECK(f.attr_int(v + "layer1.units") == 10);
  CHECK(f.attr_string(v + "layer1.activation") == "none");
  CHECK(f.attr_string(v + "data.source") == "digits");
  CHECK(f.attr_double(v + "data.test_fraction") == 0.2);
  CHECK(f.attr_int(v + "data.split_seed") == 1);
  CHECK(f.attr_int(v + "train.steps") == 5);
  CHECK_FALSE(f.has_attr(v + "train.epochs"));  // only the one in use
  CHECK(type("train.stateful") == "bool");
  CHECK_FALSE(f.attr_bool(v + "train.stateful"));
  CHECK(f.attr_string(v + "train.loss") == "softmax_cross_entropy");
  CHECK(f.attr_string(v + "train.optimizer") == "adam");
  CHECK(type("optimizer.lr") == "real");
  CHECK(f.attr_double(v + "optimizer.lr") == 0.02);
  CHECK(f.attr_double(v + "optimizer.beta2") == 0.999);
  // Every key config_values() lists is in the file, and nothing else.
  const auto expected = config_values(resolve_run_spec(
                                          [&] {
                                            ExperimentSpec p = s;
                                            p.sweep.clear();
                                            apply_setting(p, "model.lstm.hidden", int64_t{6}, cat);
                                            return p;
                                          }(),
                                          "lstm", cat),
                                      cat);
  std::vector<std::string> keys;
  for (const auto& [k, _] : expected) keys.push_back(k);
  std::sort(keys.begin(), keys.end());
  CHECK(f.attr_names("config/values") == keys);

  // h5py sees the same types, and the /split and /dataset layout holds.
  CHECK(run_checker(runs[0].path,
                    "--status finished --value seed=int:3 --value cell=str:lstm "
                    "--value cell.hidden=int:6 --value optimizer.lr=real:0.02 "
                    "--value train.stateful=bool:false --value data.split_seed=int:1 "
                    "--tensor split/eval=int32:359 --tensor split/train=int32:1438") == 0);
}

// ---- npy ----

namespace {

struct NpyDir {
  std::string dir;
  explicit NpyDir(const std::string& name) : dir(temp_dir("results_workflow/npy_" + name)) {}
  std::string file(const std::string& name) const { return dir + "/" + name; }
  template <typename T>
  std::string save(const std::string& name, const xt::xarray<T>& a) const {
    xt::dump_npy(file(name), a);
    return file(name);
  }
};

xt::xarray<float> inputs(std::size_t n, std::size_t t, std::size_t i) {
  xt::xarray<float> x = xt::zeros<float>({n, t, i});
  for (std::size_t k = 0; k < x.size(); ++k) x.data()[k] = 0.01f * static_cast<float>(k);
  return x;
}

}  // namespace

TEST_CASE("npy: batches hold the arrays in [T,B,I] order with lengths and targets") {
  NpyDir d("layout");
  const auto x = d.save("x.npy", inputs(5, 4, 3));
  const auto len = d.save("len.npy", xt::xarray<int64_t>{4, 1, 2, 4, 3});
  const auto y = d.save("y.npy", xt::xarray<int32_t>{0, 2, 1, 1, 0});
  NpyDataset ds(x, y, len);
  CHECK(ds.size() == 5);
  CHECK(ds.input_size() == 3);
  CHECK(ds.max_steps() == 4);
  CHECK(ds.num_classes() == 3);
  CHECK(ds.output_size() == 0);
  Batch b = ds.batch({3, 1}, DType::f64);
  CHECK(b.x.shape() == Shape{4, 2, 3});
  const auto xv = to_vector<double>(b.x);
  // x[t,b,i] = inputs[idx_b, t, i] = 0.01 * ((idx_b * 4 + t) * 3 + i)
  for (int t = 0; t < 4; ++t)
    for (int bb = 0; bb < 2; ++bb)
      for (int i = 0; i < 3; ++i) {
        const int idx = bb == 0 ? 3 : 1;
        CHECK(xv[(t * 2 + bb) * 3 + i] ==
              doctest::Approx(0.01 * ((idx * 4 + t) * 3 + i)).epsilon(1e-6));
      }
  CHECK(b.lengths == std::vector<int32_t>{4, 1});
  CHECK(to_vector<int32_t>(b.y_class) == std::vector<int32_t>{1, 2});

  // Regression, per step [N,T,O] and one value per sequence [N,O]; a Fortran-ordered file is
  // read in C order.
  xt::xarray<double, xt::layout_type::column_major> ys = xt::zeros<double>({5, 4, 2});
  for (std::size_t n = 0; n < 5; ++n)
    for (std::size_t t = 0; t < 4; ++t)
      for (std::size_t o = 0; o < 2; ++o) ys(n, t, o) = 100.0 * n + 10.0 * t + o;
  xt::dump_npy(d.file("ys.npy"), ys);
  NpyDataset per_step(x, d.file("ys.npy"));
  CHECK(per_step.output_size() == 2);
  CHECK(per_step.num_classes() == 0);
  Batch r = per_step.batch({2, 0}, DType::f32);
  CHECK(r.y_value.shape() == Shape{4, 2, 2});
  const auto yv = to_vector<double>(r.y_value);
  CHECK(yv[(1 * 2 + 0) * 2 + 1] == 211.0);  // t=1, b=0 (example 2), o=1
  CHECK(yv[(3 * 2 + 1) * 2 + 0] == 30.0);   // t=3, b=1 (example 0), o=0
  const auto yo = d.save("yo.npy", xt::xarray<double>{{1, 2}, {3, 4}, {5, 6}, {7, 8}, {9, 10}});
  Batch o = NpyDataset(x, yo).batch({4}, DType::f32);
  CHECK(o.y_value.shape() == Shape{1, 2});
  CHECK(to_vector<double>(o.y_value) == std::vector<double>{9, 10});
}

TEST_CASE("npy: every bad input is an InputError naming the file and the problem") {
  NpyDir d("errors");
  const auto x = d.save("x.npy", inputs(4, 3, 2));
  const auto y = d.save("y.npy", xt::xarray<int64_t>{0, 1, 1, 0});
  auto err = [&](const std::string& xi, const std::string& yi, const std::string& li = "",
                 int64_t classes = 0) {
    return error_of([&] { NpyDataset(xi, yi, li, classes); });
  };
  // Wrong dtype of the inputs.
  const auto xi = d.save("x_int.npy", xt::xarray<int32_t>(xt::zeros<int32_t>({4, 3, 2})));
  std::string e = err(xi, y);
  CHECK(contains(e, "x_int.npy"));
  CHECK(contains(e, "dtype int32, expected float32 or float64"));
  // Unsupported dtype (bool).
  e = err(d.save("x_bool.npy", xt::xarray<bool>(xt::zeros<bool>({4, 3, 2}))), y);
  CHECK(contains(e, "x_bool.npy"));
  CHECK(contains(e, "unsupported dtype '|b1' (bool)"));
  // Wrong rank.
  e = err(d.save("x2.npy", xt::xarray<float>(xt::zeros<float>({4, 6}))), y);
  CHECK(contains(e, "x2.npy"));
  CHECK(contains(e, "shape [4,6], expected [N,T,I]"));
  // NaN, with its index.
  xt::xarray<float> xn = inputs(4, 3, 2);
  xn(2, 1, 0) = std::numeric_limits<float>::quiet_NaN();
  e = err(d.save("x_nan.npy", xn), y);
  CHECK(contains(e, "x_nan.npy"));
  CHECK(contains(e, "NaN at index [2,1,0]"));
  // N mismatch between inputs and targets.
  e = err(x, d.save("y5.npy", xt::xarray<int64_t>{0, 1, 1, 0, 1}));
  CHECK(contains(e, "y5.npy"));
  CHECK(contains(e, "has 5 examples on its first axis, but inputs"));
  CHECK(contains(e, "N = 4"));
  // Lengths: out of range, float, N mismatch.
  e = err(x, y, d.save("len0.npy", xt::xarray<int64_t>{3, 0, 1, 2}));
  CHECK(contains(e, "len0.npy"));
  CHECK(contains(e, "value 0 at index [1] is outside 1..T (T = 3"));
  e = err(x, y, d.save("lenf.npy", xt::xarray<double>{3, 3, 1, 2}));
  CHECK(contains(e, "lenf.npy': dtype float64, expected integers"));
  e = err(x, y, d.save("len3.npy", xt::xarray<int64_t>{3, 3, 1}));
  CHECK(contains(e, "len3.npy"));
  CHECK(contains(e, "has 3 examples"));
  // Targets: a label out of range, integer labels of the wrong shape, float [N].
  e = err(x, d.save("yneg.npy", xt::xarray<int64_t>{0, -1, 1, 0}));
  CHECK(contains(e, "yneg.npy': label -1 at index [1]"));
  e = err(x, y, "", 1);
  CHECK(contains(e, "label 1 at index [1] is outside 0..0 (classes 1)"));
  e = err(x, d.save("y2i.npy", xt::xarray<int64_t>(xt::zeros<int64_t>({4, 2}))));
  CHECK(contains(e, "y2i.npy': shape [4,2] has 2 steps, but inputs"));
  e = err(x, d.save("y3i.npy", xt::xarray<int64_t>(xt::zeros<int64_t>({4, 3, 1}))));
  CHECK(contains(e, "y3i.npy': integer dtype int64 with shape [4,3,1]"));
  e = err(x, d.save("yf1.npy", xt::xarray<double>{0.5, 1, 2, 3}));
  CHECK(contains(e, "yf1.npy': float shape [4], expected [N,O] or [N,T,O]"));
  // Per-step targets of the wrong length, per-step targets with short sequences, Inf.
  e = err(x, d.save("ys5.npy", xt::xarray<double>(xt::zeros<double>({4, 5, 1}))));
  CHECK(contains(e, "has 5 steps, but inputs"));
  xt::xarray<double> ys = xt::zeros<double>({4, 3, 1});
  e = err(x, d.save("ys.npy", ys), d.save("len_ok.npy", xt::xarray<int32_t>{3, 2, 3, 3}));
  CHECK(contains(e, "are per step [N,T,O]: every sequence must have all T = 3 steps"));
  ys(3, 2, 0) = std::numeric_limits<double>::infinity();
  e = err(x, d.save("ys_inf.npy", ys));
  CHECK(contains(e, "ys_inf.npy': Inf at index [3,2,0]"));
  // Files: missing, not .npy, truncated.
  e = err(d.file("nope.npy"), y);
  CHECK(contains(e, "nope.npy': cannot open the file"));
  { std::ofstream(d.file("text.npy")) << "1,2,3\n"; }
  e = err(d.file("text.npy"), y);
  CHECK(contains(e, "text.npy' is not a NumPy .npy file"));
  fs::copy_file(x, d.file("cut.npy"), fs::copy_options::overwrite_existing);
  fs::resize_file(d.file("cut.npy"), fs::file_size(x) - 8);
  e = err(d.file("cut.npy"), y);
  CHECK(contains(e, "cut.npy' is truncated"));
}

TEST_CASE(
    "npy: the data source resolves paths against the .rnn file and errors carry the "
    "data block's position") {
  Catalog cat(builtin_cells());
  NpyDir d("source");
  d.save("x.npy", inputs(10, 3, 2));
  d.save("y.npy", xt::xarray<int64_t>{0, 1, 2, 0, 1, 2, 0, 1, 2, 0});
  d.save("y_bad.npy", xt::xarray<int64_t>{0, 1});
  ExperimentSpec s = tiny_digits_spec(5);
  s.source_path = d.file("exp.rnn");
  s.data.source = "npy";
  s.data.loc = SourceLoc{s.source_path, 4, 3};
  s.data.args = {{"inputs", arg(std::string("x.npy"))},
                 {"targets", arg(std::string("y.npy"))},
                 {"test_fraction", arg(0.3)}};
  DataSetup data = create_data(resolve_run_spec(s, "lstm", cat), cat);
  CHECK(data.dataset->size() == 10);
  CHECK(data.eval.size() == 3);
  CHECK(data.dataset->num_classes() == 3);
  CHECK(as_i32(data.eval) == as_i32(split(10, 0.3, 1, true).test));  // split_seed default 1

  s.data.args["targets"] = arg(std::string("y_bad.npy"));
  const std::string e = error_of([&] { create_data(resolve_run_spec(s, "lstm", cat), cat); });
  CHECK(contains(e, d.file("exp.rnn") + ":4:3: data 'npy': targets '" + d.file("y_bad.npy")));
  CHECK(contains(e, "has 2 examples on its first axis"));
}

TEST_SUITE_END();
