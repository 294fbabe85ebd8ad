// Hand-built ExperimentSpecs for the runner tests (no .rnn compiler needed).
#pragma once

#include <functional>
#include <string>

#include "rnnlab/error.h"
#include "rnnlab/experiment.h"
#include "rnnlab/runner.h"

namespace rnnlab::test {

// Runner options for tests: run files under `out`, no progress output, git sha "test-sha".
inline RunOptions quiet_options(const std::string& out) {
  RunOptions o;
  o.out_dir = out;
  o.quiet = true;
  o.git_sha = "test-sha";
  return o;
}

// The message of the InputError `f` throws, or "" when it throws none.
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  }
  return "";
}

inline ArgSpec arg(ParamValue v) { return ArgSpec{std::move(v), SourceLoc{}}; }

inline LayerSpec layer(std::string kind, ArgMap args = {}) {
  LayerSpec l;
  l.kind = std::move(kind);
  l.args = std::move(args);
  return l;
}

// experiment tiny { seed 3  data digits  model lstm = lstm(hidden: 8) -> dense(10)
//   train { loss softmax_cross_entropy optimizer adam batch 16 steps `steps` eval_every 20
//           log_every 5 } }
// The source path points into experiments/, so the data path default finds the digits.
inline ExperimentSpec tiny_digits_spec(int64_t steps = 40) {
  ExperimentSpec s;
  s.name = "tiny";
  s.source_path = std::string(RNNLAB_SOURCE_DIR) + "/experiments/tiny.rnn";
  s.source_text = "# hand-built test spec\n";
  s.seed = 3;
  s.data.source = "digits";
  ModelSpec m;
  m.name = "lstm";
  m.layers = {layer("lstm", {{"hidden", arg(int64_t{8})}}), layer("dense", {{"units", arg(int64_t{10})}})};
  s.models = {m};
  s.train.settings = {{"loss", arg(std::string("softmax_cross_entropy"))},
                      {"batch", arg(int64_t{16})},
                      {"steps", arg(steps)},
                      {"eval_every", arg(int64_t{20})},
                      {"log_every", arg(int64_t{5})}};
  s.train.optimizer = "adam";
  return s;
}

}  // namespace rnnlab::test
