// ExperimentSpec: a plain description of one experiment, what the .rnn compiler (dsl/)
// produces and what the runner (`rnnlab run`) consumes. No parser types leak into it; every
// element keeps the source location it came from so late errors can still point at the file.
//
//   experiment NAME { seed S  backend cpu
//     data SOURCE { key value ... }
//     model NAME = LAYER(args) -> LAYER(args) ... [ { train overrides } ]
//     train { loss L  optimizer OPT(args)  batch B  steps N | epochs E  ... }
//     sweep { key: [v1, v2, ...] ... } }
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "rnnlab/cell.h"

namespace rnnlab {

struct SourceLoc {
  std::string file;  // path as given
  int line = 0;      // 1-based; 0 = unknown (e.g. a --set override)
  int column = 0;    // 1-based
};

using ParamMap = std::map<std::string, ParamValue>;

// One named argument with where it was written (for diagnostics after parsing).
struct ArgSpec {
  ParamValue value;
  SourceLoc loc;
};
using ArgMap = std::map<std::string, ArgSpec>;

ParamMap values_of(const ArgMap& args);

struct LayerSpec {
  std::string kind;  // a registered cell name (lstm, gru, nstep, ...) or dense | embedding | dropout
  ArgMap args;       // positional arguments are resolved to names by the compiler
  SourceLoc loc;
};

struct DataSpec {
  std::string source;  // a data source from the catalog (digits, csv, fibonacci, ...)
  ArgMap args;
  SourceLoc loc;
};

struct TrainSpec {
  ArgMap settings;        // loss, batch, steps, epochs, eval_every, log_every, clip, ... (catalog)
  std::string optimizer;  // sgd | momentum | adam | rmsprop
  ArgMap optimizer_args;  // lr, beta1, ...
  SourceLoc optimizer_loc;
};

struct ModelSpec {
  std::string name;
  std::vector<LayerSpec> layers;
  TrainSpec train_overrides;  // per-model overrides of the experiment's train block
  SourceLoc loc;
};

struct SweepAxis {
  std::string key;  // "seed", "train.batch", "model.lstm.hidden" (same syntax as --set)
  std::vector<ParamValue> values;
  SourceLoc loc;
};

struct ExperimentSpec {
  std::string name;
  std::string source_path;
  std::string source_text;  // the .rnn text as written (with included files appended)
  uint64_t seed = 1;
  std::string backend = "cpu";
  DataSpec data;
  std::vector<ModelSpec> models;
  TrainSpec train;
  std::vector<SweepAxis> sweep;
};

}  // namespace rnnlab
