// End to end: training on the digits reaches the accuracy the study reports, writes a run file
// h5py can read, stops cleanly on NaN, and is reproducible from its seed.
#include <doctest/doctest.h>

#include "rnnlab/optim.h"

#include <cmath>
#include <cstdlib>
#include <fstream>

#include "rnnlab/data.h"
#include "rnnlab/model.h"
#include "rnnlab/run_file.h"
#include "rnnlab/trainer.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::temp_dir;

namespace {

const std::string kDigits = std::string(RNNLAB_SOURCE_DIR) + "/experiments/data/digits.csv.gz";

TrainConfig digits_config(int64_t steps, uint64_t seed) {
  TrainConfig cfg;
  cfg.loss = LossKind::softmax_cross_entropy;
  cfg.optimizer.kind = UpdateRule::Kind::adam;
  cfg.optimizer.lr = 1e-3;
  cfg.batch = 16;
  cfg.steps = steps;
  cfg.seed = seed;
  cfg.quiet = true;
  cfg.log_every = 50;
  return cfg;
}

std::vector<double> train_losses(const std::string& cell, uint64_t seed, int threads,
                                 bool fused = true) {
  DigitsDataset digits(kDigits);
  Split sp = split(digits.size(), 0.2, seed, true);
  auto model = ModelBuilder(builtin_cells(), "m", 8, seed).cell(cell, {{"hidden", int64_t{32}}}).dense(10).build();
  model->set_use_fused(fused);
  int before = backend_for(Device::cpu).threads();
  backend_for(Device::cpu).set_threads(threads);
  std::string path = temp_dir("determinism") + "/" + cell + std::to_string(threads) + ".h5";
  {
    RunFile run = RunFile::create(path);
    TrainConfig cfg = digits_config(150, seed);
    cfg.log_every = 1;
    Trainer(*model, cfg).fit(digits, sp.train, sp.test, &run);
  }
  backend_for(Device::cpu).set_threads(before);
  std::vector<double> out = RunFile::open(path).read_series("metrics", "loss");
  for (auto& p : model->params().all()) {
    auto v = to_vector<double>(p->value);
    out.insert(out.end(), v.begin(), v.end());
  }
  return out;
}

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("digits: lstm(128) -> dense(10) reaches >= 0.95 held-out accuracy and writes a run file") {
  DigitsDataset digits(kDigits);
  Split sp = split(digits.size(), 0.2, 1, true);
  auto model = ModelBuilder(builtin_cells(), "lstm", 8, 1).cell("lstm", {{"hidden", int64_t{128}}}).dense(10).build();
  std::string path = temp_dir("digits") + "/lstm.h5";
  TrainResult r;
  {
    RunFile run = RunFile::create(path);
    run.set_attr("experiment", "digits");
    run.set_attr("model", "lstm");
    run.set_attr("seed", int64_t{1});
    TrainConfig cfg = digits_config(4000, 1);
    cfg.eval_every = 1000;
    r = Trainer(*model, cfg).fit(digits, sp.train, sp.test, &run);
  }
  REQUIRE(r.final_eval.has_value());
  MESSAGE("digits lstm: test accuracy " << r.final_eval->accuracy << " after " << r.steps
                                        << " steps, " << 1e3 * r.train_time / r.steps << " ms/step");
  CHECK(r.final_eval->examples == 359);
  CHECK(r.final_eval->accuracy >= 0.95);

  RunFile back = RunFile::open(path);
  CHECK(back.attr_string("status") == "finished");
  CHECK(back.attr_int("steps") == 4000);
  CHECK(back.read_series("metrics", "step").size() == 80);
  CHECK(back.read_series("eval", "accuracy").back() == doctest::Approx(r.final_eval->accuracy));
  Tensor w = back.read_tensor("/params/lstm/layer0/lstm/W_h");
  CHECK(w.shape() == Shape{128, 512});
  CHECK(to_vector<float>(w) == to_vector<float>(model->params().get("lstm/layer0/lstm/W_h").value));
  // readable without rnnlab
  std::string cmd = "/usr/bin/python3 " + std::string(RNNLAB_SOURCE_DIR) +
                    "/tests/read_run_file.py --quiet --status finished " + path;
  CHECK(std::system(cmd.c_str()) == 0);
}

TEST_CASE("training: a NaN loss stops the run with a clear error and a failed run file") {
  // A data file with a NaN pixel: the loss becomes NaN at the first batch that holds it.
  std::string dir = temp_dir("nan");
  std::string csv = dir + "/digits_nan.csv";
  {
    std::ofstream f(csv);
    for (int i = 0; i < 40; ++i) {
      for (int j = 0; j < 64; ++j) f << (i == 5 && j == 3 ? "nan" : std::to_string((i + j) % 17)) << ",";
      f << i % 10 << "\n";
    }
  }
  // The loader rejects it as bad input, naming file and line ...
  CHECK_THROWS_WITH_AS(DigitsDataset{csv}, doctest::Contains("digits_nan.csv:6"), InputError);

  // ... and a diverging run (relu RNN regression, SGD with learning rate 1e4) stops with
  // status=failed once the loss or the gradient is no longer finite.
  std::vector<double> series(300);
  for (std::size_t i = 0; i < series.size(); ++i) series[i] = std::sin(0.1 * double(i));
  WindowDataset windows(series, 6);
  auto model = ModelBuilder(builtin_cells(), "m", 1, 1)
                   .cell("elman", {{"hidden", int64_t{16}}, {"activation", std::string("relu")}})
                   .dense(1)
                   .build();
  TrainConfig cfg = digits_config(200, 1);
  cfg.loss = LossKind::mse;
  cfg.optimizer.kind = UpdateRule::Kind::sgd;
  cfg.optimizer.lr = 1e4;
  std::string path = dir + "/diverged.h5";
  std::vector<std::size_t> idx(200);
  for (std::size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  {
    RunFile run = RunFile::create(path);
    Trainer t(*model, cfg);
    CHECK_THROWS_WITH_AS(t.fit(windows, idx, {}, &run), doctest::Contains("diverged"), Error);
  }
  RunFile back = RunFile::open(path);
  CHECK(back.attr_string("status") == "failed");
  CHECK(back.attr_string("error").find("step") != std::string::npos);
}

TEST_CASE("training: same seed gives the same numbers and 1 or 2 threads give identical results") {
  for (const char* cell : {"lstm", "gru", "elman"}) {
    INFO(cell);
    auto a = train_losses(cell, 3, 1);
    auto b = train_losses(cell, 3, 1);
    auto c = train_losses(cell, 3, 2);
    CHECK(a == b);
    CHECK(a == c);
    auto d = train_losses(cell, 4, 1);
    CHECK(a != d);
  }
}

TEST_CASE("training: bad configurations are input errors" * doctest::test_suite("unit")) {
  auto model = ModelBuilder(builtin_cells(), "m", 8, 1).cell("gru", {{"hidden", int64_t{8}}}).dense(10).build();
  TrainConfig cfg = digits_config(10, 1);
  cfg.epochs = 2;
  CHECK_THROWS_WITH_AS(Trainer(*model, cfg), doctest::Contains("exactly one of steps and epochs"), InputError);
  cfg.epochs = 0;
  cfg.stateful = true;
  CHECK_THROWS_AS(Trainer(*model, cfg), InputError);
  cfg.stateful = false;
  cfg.loss = LossKind::mse;
  DigitsDataset digits(kDigits);
  Trainer t(*model, cfg);
  CHECK_THROWS_WITH_AS(t.fit(digits, {0, 1, 2}, {}), doctest::Contains("value targets"), InputError);
}

TEST_CASE("optimizer: a parameter's max_abs bound holds after every update of every rule"
          * doctest::test_suite("unit")) {
  using K = UpdateRule::Kind;
  for (K kind : {K::sgd, K::momentum, K::adam, K::rmsprop}) {
    ParameterStore bounded, free;
    Parameter& b = bounded.create("u", {64});
    Parameter& f = free.create("u", {64});
    b.max_abs = 0.5;
    for (int64_t i = 0; i < 64; ++i) b.value.data<float>()[i] = f.value.data<float>()[i] = 0.01f * static_cast<float>(i - 32);
    UpdateRule r;
    r.kind = kind;
    r.lr = 0.05;
    Optimizer ob(r), of(r);
    for (int step = 0; step < 20; ++step) {
      for (ParameterStore* s : {&bounded, &free}) {
        Parameter& p = s->get("u");
        p.grad = zeros(p.value.shape(), p.value.dtype(), p.value.device());
        for (int64_t i = 0; i < 64; ++i) p.grad.data<float>()[i] = i % 2 ? 1.0f : -1.0f;  // push outwards
      }
      ob.step(bounded);
      of.step(free);
      for (int64_t i = 0; i < 64; ++i) {
        const float vb = b.value.data<float>()[i], vf = f.value.data<float>()[i];
        CHECK(std::abs(vb) <= 0.5f);
        if (std::abs(vf) < 0.49f && step == 0) CHECK(vb == vf);  // inside the bound: the same update
      }
    }
    int64_t at_bound = 0;
    for (int64_t i = 0; i < 64; ++i) at_bound += std::abs(b.value.data<float>()[i]) == 0.5f;
    INFO("rule " << update_kind_name(kind));
    CHECK(at_bound > 0);  // the free copy went past 0.5: the bound did something
  }
}

TEST_SUITE_END();
