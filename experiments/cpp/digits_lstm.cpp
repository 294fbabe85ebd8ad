// End-to-end example in C++ (before the .rnn language): lstm(hidden 128) -> dense(10) on the
// 8x8 digits, each image read as 8 steps of 8 pixels; Adam 1e-3, batch 16; 20% held out.
// Writes one HDF5 run file and prints the test accuracy.
//
//   digits_lstm [--steps N] [--out FILE.h5] [--seed S] [--cell lstm|gru|elman] [--threads N]
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "rnnlab/data.h"
#include "rnnlab/model.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/run_file.h"
#include "rnnlab/trainer.h"

using namespace rnnlab;

int main(int argc, char** argv) {
  int64_t steps = 10000, threads = 0;
  uint64_t seed = 1;
  std::string out = "results/digits_lstm/digits_lstm.h5", cell = "lstm";
  std::string data = RNNLAB_SOURCE_DIR "/experiments/data/digits.csv.gz";
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--steps") steps = std::atoll(v.c_str());
    else if (k == "--out") out = v;
    else if (k == "--seed") seed = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--cell") cell = v;
    else if (k == "--data") data = v;
    else if (k == "--threads") threads = std::atoll(v.c_str());
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      return 2;
    }
  }
  try {
    if (threads > 0) backend_for(Device::cpu).set_threads(static_cast<int>(threads));
    CellRegistry cells;
    PluginLoader loader;
    loader.load_search_path({}, cells);
    DigitsDataset digits(data);
    Split sp = split(digits.size(), 0.2, seed, true);

    auto model = ModelBuilder(cells, cell, digits.input_size(), seed)
                     .cell(cell, {{"hidden", int64_t{128}}})
                     .dense(10)
                     .build();
    TrainConfig cfg;
    cfg.loss = LossKind::softmax_cross_entropy;
    cfg.optimizer.kind = UpdateRule::Kind::adam;
    cfg.optimizer.lr = 1e-3;
    cfg.batch = 16;
    cfg.steps = steps;
    cfg.eval_every = std::max<int64_t>(1, steps / 10);
    cfg.seed = seed;

    RunFile run = RunFile::create(out);
    run.set_attr("experiment", "digits_lstm (C++ example)");
    run.set_attr("model", cell);
    run.set_attr("seed", static_cast<int64_t>(seed));
    run.set_attr("backend", "cpu");
    run.set_attr("threads", static_cast<int64_t>(backend_for(Device::cpu).threads()));
    run.write_text("/config/source", "C++ example experiments/cpp/digits_lstm.cpp");
    Trainer trainer(*model, cfg);
    TrainResult r = trainer.fit(digits, sp.train, sp.test, &run);
    std::printf("%s: %lld steps in %.2f s (%.3f ms/step), test accuracy %.4f on %lld images -> %s\n",
                cell.c_str(), static_cast<long long>(r.steps), r.train_time,
                1e3 * r.train_time / double(r.steps), r.final_eval ? r.final_eval->accuracy : -1.0,
                static_cast<long long>(r.final_eval ? r.final_eval->examples : 0), out.c_str());
    return 0;
  } catch (const InputError& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "run failed: %s\n", e.what());
    return 1;
  }
}
