// execute_run and run_experiment: one resolved run -> Trainer::fit -> its HDF5 file (runner.h).
#include "rnnlab/runner.h"

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>

#include "experiment/run_identity.h"
#include "experiment/run_record.h"
#include "rnnlab/backend.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/run_lock.h"
#include "rnnlab/run_verify.h"
#include "train/checkpoint.h"
#include "train/stop_signals.h"
#include "train/tensorboard.h"

namespace rnnlab {

namespace {

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

Device device_of(const std::string& backend) {
  if (backend == "cpu") return Device::cpu;
  if (backend == "cuda") return Device::cuda;
  throw InputError("backend must be cpu or cuda, found '" + backend + "'");
}

// Sets the CPU thread count for one run and restores the previous count afterwards.
class ThreadScope {
 public:
  explicit ThreadScope(int threads) : before_(backend_for(Device::cpu).threads()) {
    if (threads > 0) backend_for(Device::cpu).set_threads(threads);
  }
  ~ThreadScope() { backend_for(Device::cpu).set_threads(before_); }
  ThreadScope(const ThreadScope&) = delete;
  ThreadScope& operator=(const ThreadScope&) = delete;

 private:
  int before_;
};

// Does the dataset give per-step targets (y_value [T,B,O] or per-step classes y_class [T,B])?
bool per_step_targets(const DataSetup& d) {
  Batch b = d.dataset->batch({d.train.front()}, DType::f32);
  return (b.y_value.defined() && b.y_value.rank() == 3) || b.per_step_classes();
}

// A stream dataset (a language model, data.h) trains with truncated BPTT: `stateful true` and
// `order streams` unless the train block sets them (then Trainer::fit names a conflict).
void stream_training(const DataSetup& d, const TrainSpec& t, TrainConfig& cfg) {
  if (!d.dataset->stream()) return;
  if (!t.settings.count("stateful")) cfg.stateful = true;
  if (!t.settings.count("order")) cfg.order = SampleOrder::streams;
}

// One forward of a small training batch before any file is written, so that a model/loss/data
// mismatch is an InputError that names the run instead of a failed run file.
void dry_run(Model& model, const DataSetup& d, const TrainConfig& cfg, const std::string& run) {
  Trainer trainer(model, cfg);
  const std::size_t n = std::min<std::size_t>(d.train.size(), static_cast<std::size_t>(cfg.batch));
  std::vector<std::size_t> idx(d.train.begin(), d.train.begin() + static_cast<std::ptrdiff_t>(n));
  Batch b = d.dataset->batch(idx, cfg.dtype);
  Tape tape(model.params().device());
  try {
    trainer.check_data(*d.dataset);
    trainer.batch_loss(tape, b, false, 0);
  } catch (const InputError& e) {
    throw InputError("run '" + run + "': " + e.what());
  }
  model.reset_state();
}

// The root attrs of this process's run (a resume writes them again, in place).
void write_header(RunFile& run, const RunPlan& plan, const RunOptions& options,
                  const DataSetup& data) {
  const ExperimentSpec& s = plan.spec;
  namespace L = layout;
  run.set_attr(L::kExperiment, s.name);
  run.set_attr(L::kModel, plan.model);
  run.set_attr(L::kRun, plan.name);
  run.set_attr(L::kSweepId, plan.sweep_id);
  run.set_attr(L::kSeed, static_cast<int64_t>(s.seed));
  run.set_attr(L::kBackend, s.backend);
  if (s.backend == "cuda") {
    const DeviceInfo info = device_info(Device::cuda);
    run.set_attr(L::kDeviceName, info.name);
    run.set_attr(L::kCudaDriver, info.driver);
    run.set_attr(L::kCudaRuntime, info.runtime);
  }
  run.set_attr(L::kThreads, static_cast<int64_t>(backend_for(Device::cpu).threads()));
  run.set_attr(L::kHost, host_name());
  run.set_attr(L::kGitSha, options.git_sha.empty() ? std::string("unknown") : options.git_sha);
  run.set_attr(L::kData, data.description);
  record_data_warnings(run, data);
  run.set_attr(L::kSourcePath, s.source_path);
  run.flush();
}

// " (cells: lstm from /p/librnnlab_plugin_lstm.so, ...)" for the registered cells a run's model
// names, so a failure inside a cell points at the plugin file that holds it.
std::string cells_context(const ExperimentSpec& s, const Catalog& catalog) {
  std::string out;
  for (const auto& l : s.models.front().layers)
    if (const CellType* t = catalog.cells().find(l.kind))
      out += (out.empty() ? " (cells: " : ", ") + l.kind + " from " + t->file;
  return out.empty() ? out : out + ")";
}

// The folder of a run's TensorBoard event files (runner.h, "TensorBoard"); "" : none.
std::string tensorboard_folder(const RunPlan& plan, const RunOptions& options) {
  namespace fs = std::filesystem;
  fs::path dir = options.tensorboard;
  if (dir.empty()) {
    const auto it = plan.spec.train.settings.find("tensorboard");
    if (it == plan.spec.train.settings.end()) return "";
    const auto* v = std::get_if<std::string>(&it->second.value);
    if (!v || v->empty()) return "";
    dir = *v;
    if (dir.is_relative() && !plan.spec.source_path.empty())
      dir = fs::path(plan.spec.source_path).parent_path() / dir;
  }
  return (dir / plan.experiment / plan.name).lexically_normal().string();
}

double last_or_nan(const std::vector<double>& v) {
  return v.empty() ? std::numeric_limits<double>::quiet_NaN() : v.back();
}

}  // namespace

RunSummary execute_run(const RunPlan& plan, const Catalog& catalog, const RunOptions& options) {
  const ExperimentSpec& s = plan.spec;
  RunSummary sum;
  sum.name = plan.name;
  sum.path = plan.path;
  // From here on SIGINT/SIGTERM are a flag: the run ends "interrupted" instead of dying
  // mid-write, and a signal during start-up ends it before any file is touched.
  StopSignals signals;

  const Device device = device_of(s.backend);
  std::string why;
  RNNLAB_CHECK_INPUT(backend_available(device, &why), "backend '", s.backend,
                     "' is not available: ", why);
  TrainConfig cfg = train_config(s, catalog);
  cfg.quiet = options.quiet;
  cfg.progress = options.progress;
  cfg.on_step = options.on_step;
  int threads = options.threads;
  if (auto it = s.train.settings.find("threads"); threads <= 0 && it != s.train.settings.end())
    if (const auto* v = std::get_if<int64_t>(&it->second.value)) threads = static_cast<int>(*v);
  ThreadScope thread_scope(threads);

  DataSetup data = create_data(s, catalog);
  RNNLAB_CHECK_INPUT(!data.train.empty(), "run '", plan.name, "': the data has no training examples");
  stream_training(data, s.train, cfg);
  const RunIdentity identity = identify_run(s, catalog, data, cfg.dtype, describe_spec(plan.spec));
  auto model = build_model(s.models.front(), catalog, data.dataset->input_size(), s.seed, device,
                           cfg.dtype, cfg.stateful, per_step_targets(data));
  model->set_path(cfg.path);
  try {
    dry_run(*model, data, cfg, plan.name);  // a bad spec is an InputError before any file exists
  } catch (const InputError&) {
    throw;
  } catch (...) {  // a cell's bug on the first batch: this run failed (no file), others go on
    sum.status = RunState::failed;
    sum.error = "model '" + plan.model + "'" + cells_context(s, catalog) +
                ", first batch: " + describe_current_exception();
    return sum;
  }

  // The run file is ours alone before we read or write it (InputError naming the holder).
  RunLock lock(plan.path);

  // Resume: reuse a file only when it is whole (run_verify.h, in a child process: a damaged
  // file is started over, saying why, never continued; a damaged checkpoint slot is left to
  // the slots' own fallback below) and only for the run that wrote it; then skip it when
  // finished, continue from its checkpoint, or start over (saying so) when it has none.
  std::string damage;
  if (options.resume && std::filesystem::exists(plan.path)) {
    IsolateOptions patient;  // a false "damaged" would throw the run's progress away
    patient.timeout_ms = 300000;
    const VerifyReport v = verify_run_files({plan.path}, patient).front();
    for (const auto& p : v.problems) damage += (damage.empty() ? "" : "; ") + p;
    if (!damage.empty())  // not progress output: said even with --quiet
      std::cerr << plan.name << ": starting over: " << plan.path << " is damaged: " << damage
                << std::endl;
  }
  if (options.resume && damage.empty() && std::filesystem::exists(plan.path)) {
    RunFile old = RunFile::open(plan.path);
    const std::vector<std::string> diff = identity_differences(old, identity);
    if (!diff.empty()) {
      std::string msg =
          plan.path + " was written by another configuration, so --resume will not reuse it:";
      for (const auto& d : diff) msg += "\n  " + d;
      throw InputError(msg + "\n  run without --resume to replace it, or write elsewhere (--out)");
    }
    const std::string status =
        old.has_attr(layout::kStatus) ? old.attr_string(layout::kStatus) : "";
    if (parse_file_status(status) == RunState::finished) {
      sum.status = RunState::skipped;
      sum.steps = old.has_attr(layout::kSteps) ? old.attr_int(layout::kSteps) : 0;
      return sum;
    }
    cfg.resume = has_checkpoint(old);
    if (cfg.resume) verify_checkpoint(old);  // before the file is opened for writing
    if (!cfg.resume)  // not progress output: said even with --quiet
      std::cerr << plan.name << ": starting over: " << plan.path << " has no checkpoint"
                << std::endl;
  }
  if (signals.stop_requested()) {  // stopped during start-up: nothing written
    sum.status = RunState::interrupted;
    return sum;
  }

  // TensorBoard: before the run file is touched (a folder that cannot be made is an InputError).
  std::unique_ptr<tensorboard::RunEvents> events;
  if (const std::string folder = tensorboard_folder(plan, options); !folder.empty()) {
    events = std::make_unique<tensorboard::RunEvents>(folder, cfg.resume);
    auto hparams = config_values(s, catalog);
    std::erase_if(hparams, [](const auto& kv) { return kv.first == "train.tensorboard"; });
    events->start_session(hparams);
    cfg.observer = events.get();
  }

  Trainer trainer(*model, cfg);

  RunFile run = cfg.resume ? RunFile::open(plan.path, true) : RunFile::create_staged(plan.path);
  if (cfg.resume) {
    run.set_attr(layout::kStatus, layout::kRunning);
    run.set_attr(layout::kResumedAt, RunFile::now_iso8601());
  }
  write_header(run, plan, options, data);
  run.set_attr(layout::kParameters, model->params().numel());
  // The path each recurrent layer ran in the dry run ("layer0=compiled"), and why a layer does
  // not run the path asked for.
  run.set_attr(layout::kRecurrentPaths, model->recurrent_paths());
  if (!model->recurrent_path_notes().empty())
    run.set_attr(layout::kRecurrentPathNotes, model->recurrent_path_notes());
  if (!cfg.resume) {
    // What a file is created with and never rewritten (a resume's identity check proved it
    // equal; a rewrite would open a moment, a kill, in which the file lacks it): the texts and
    // identity, /config/values, /dataset, /split (run_record.h), /plugins/<cell> (file,
    // sha256). The file was written as <run>.h5.part and appears under its name only now,
    // complete.
    run.write_text(layout::kConfigSource, s.source_text);
    write_identity(run, identity);
    write_run_record(run, s, catalog, data);
    record_cell_plugins(run, catalog.cells(), s.models.front());
    run.publish(plan.path);
  }

  TrainResult r;
  try {
    r = trainer.fit(*data.dataset, data.train, data.eval, &run);
  } catch (const InputError&) {
    throw;
  } catch (const StorageError& e) {  // the disk, not the model: said as it is
    if (events) events->end_session(RunState::failed);
    sum.status = RunState::failed;
    sum.error = e.what();
    return sum;
  } catch (...) {  // anything a cell throws, `throw 42` included: this run failed, others go on
    if (events) events->end_session(RunState::failed);
    sum.status = RunState::failed;
    sum.error = "model '" + plan.model + "'" + cells_context(s, catalog) + ": " +
                describe_current_exception();
    return sum;
  }
  if (events) events->end_session(r.status);
  sum.status = r.status;
  sum.steps = r.steps;
  sum.resumed_from = r.resumed_from;
  sum.train_time = r.train_time;
  sum.wall_time = r.wall_time;
  sum.ms_per_step = r.steps > 0 ? 1e3 * r.train_time / double(r.steps) : 0.0;
  sum.final_eval = r.final_eval;
  sum.final_train_loss = last_or_nan(run.read_series(layout::kMetrics, layout::kLoss));
  return sum;
}

std::vector<RunSummary> run_experiment(const ExperimentSpec& spec, const Catalog& catalog,
                                       const RunOptions& options) {
  const std::vector<RunPlan> plans = plan_runs(spec, catalog, options);
  std::vector<RunSummary> out;
  for (std::size_t i = 0; i < plans.size(); ++i) {
    if (options.on_start) options.on_start(plans[i], i, plans.size());
    out.push_back(execute_run(plans[i], catalog, options));
    if (options.on_finish) options.on_finish(plans[i], out.back());
    if (out.back().status == RunState::interrupted) break;
  }
  return out;
}

}  // namespace rnnlab
