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
#include <memory>
#include <ostream>
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

// Immutable text shared by every copy of a spec: plan_runs copies the spec once per run, and
// the .rnn source (hundreds of KB for a long sweep list) must not be copied with it (issue 10,
// item 8: `check` of 100k runs needed 15 GB). Reads like a const std::string.
class SharedText {
 public:
  SharedText() = default;
  // Implicit on purpose: a spec's source_text is assigned from strings.
  SharedText(std::string text) : text_(std::make_shared<const std::string>(std::move(text))) {}
  SharedText(const char* text) : SharedText(std::string(text)) {}
  const std::string& str() const { return text_ ? *text_ : no_text(); }
  operator const std::string&() const { return str(); }
  bool empty() const { return str().empty(); }
  std::size_t size() const { return str().size(); }
  const char* c_str() const { return str().c_str(); }
  friend std::ostream& operator<<(std::ostream& os, const SharedText& t) { return os << t.str(); }
  friend bool operator==(const SharedText& a, const SharedText& b) { return a.str() == b.str(); }
  friend bool operator==(const SharedText& a, const std::string& b) { return a.str() == b; }

 private:
  static const std::string& no_text() {
    static const std::string none;
    return none;
  }
  std::shared_ptr<const std::string> text_;
};

struct ExperimentSpec {
  std::string name;
  std::string source_path;
  SharedText source_text;  // the .rnn text as written (with included files appended)
  uint64_t seed = 1;
  std::string backend = "cpu";
  DataSpec data;
  std::vector<ModelSpec> models;
  TrainSpec train;
  std::vector<SweepAxis> sweep;
};

}  // namespace rnnlab
