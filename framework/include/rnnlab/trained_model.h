// A trained model back from its run file, for inference (`rnnlab predict`): the run's spec
// from /config/resolved, the model built as the run built it, the final weights from /params.
//
//   RunFile run = RunFile::open(path);
//   TrainedRun t = read_trained_run(run, catalog, compile);  // compile: the .rnn compiler
//   auto model = build_model(t.spec.models.front(), catalog, input_size, t.spec.seed,
//                            Device::cpu, t.config.dtype, stateful, per_step_targets);
//   load_parameters(*model, run);
//
// The core cannot read .rnn text (that is dsl/, a layer above): the caller passes the compiler
// (dsl::compile_text). Writing it needs no DSL: describe_spec (spec_text.h) is the printer.
#pragma once

#include <functional>
#include <string>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"
#include "rnnlab/model.h"
#include "rnnlab/run_file.h"
#include "rnnlab/trainer.h"

namespace rnnlab {

// Compiles .rnn `text` that claims to come from `source_path` (relative paths resolve against
// its folder); throws on errors.
using CompileSpecText =
    std::function<ExperimentSpec(const std::string& text, const std::string& source_path)>;

struct TrainedRun {
  ExperimentSpec spec;  // resolved for the run's one model (resolve_run_spec)
  TrainConfig config;   // train_config(spec): dtype, seed, ...
};

// The run's spec: /config/resolved compiled against the file it came from (the run's
// source_path attr, else the run file's path). InputError naming the file when it has no
// /config/resolved (not a run file of `rnnlab run`, or one cut off before its header) or the
// text describes other than one model, or when a sealed file's header_digest does not match
// (RunFile::check_header_digest).
TrainedRun read_trained_run(const RunFile& run, const Catalog& catalog,
                            const CompileSpecText& compile);

// Copies /params/<name> of `run` into every parameter of `model` (cast to the parameter's
// dtype, onto its device). InputError naming the dataset when one is missing (the run did not
// finish) or its shape differs from the parameter's.
void load_parameters(Model& model, const RunFile& run);

}  // namespace rnnlab
