// A trained model's spec and weights from its run file (trained_model.h).
#include "rnnlab/trained_model.h"

#include "rnnlab/backend.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/runner.h"

namespace rnnlab {

TrainedRun read_trained_run(const RunFile& run, const Catalog& catalog,
                            const CompileSpecText& compile) {
  RNNLAB_CHECK_INPUT(run.exists(layout::kConfigResolved), run.path(),
                     " has no /config/resolved (not a run file of `rnnlab run`, or one cut off "
                     "before its header was written)");
  run.check_header_digest();  // a sealed file: the spec text is what was written
  const std::string source =
      run.has_attr(layout::kSourcePath) ? run.attr_string(layout::kSourcePath) : run.path();
  const ExperimentSpec compiled = compile(run.read_text(layout::kConfigResolved), source);
  RNNLAB_CHECK_INPUT(compiled.models.size() == 1, run.path(), " describes ", compiled.models.size(),
                     " models, expected the one of its run");
  TrainedRun t;
  t.spec = resolve_run_spec(compiled, compiled.models.front().name, catalog);
  t.config = train_config(t.spec, catalog);
  return t;
}

void load_parameters(Model& model, const RunFile& run) {
  for (auto& p : model.params().all()) {
    std::string path = "/";  // "/params/<name>", as the messages below name it
    path += layout::at(layout::kParams, p->name);
    RNNLAB_CHECK_INPUT(run.exists(path), run.path(), " has no ", path, " (did the run finish?)");
    Tensor t = run.read_tensor(path);
    RNNLAB_CHECK_INPUT(t.shape() == p->value.shape(), run.path(), ": ", path, " has shape ",
                       shape_str(t.shape()), ", the model expects ", shape_str(p->value.shape()));
    backend_for(p->value.device()).copy(to_dtype(t, p->value.dtype()), p->value);
  }
}

}  // namespace rnnlab
