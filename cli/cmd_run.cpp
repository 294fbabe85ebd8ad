// rnnlab run FILE.rnn: trains every model (x sweep point) of an experiment, one HDF5 file each,
// and prints one summary line per run.
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>

#include "cli_common.h"
#include "rnnlab/backend.h"
#include "rnnlab/runner.h"
#include "rnnlab/sweep_executor.h"

namespace rnnlab::cli {

namespace {

const char* kUsage =
    "usage: rnnlab run FILE.rnn [options]\n"
    "\n"
    "Trains every model of the experiment (for every point of its sweep) and writes one HDF5\n"
    "file per run to OUT/<experiment>/<model>[-<sweep id>]/run.h5. Prints a summary line per\n"
    "run.\n"
    "\n"
    "Checkpoints: every run saves one (two checksummed slots in its run file) each\n"
    "`checkpoint_seconds` of wall time (train block, default 60; 0 off), every\n"
    "`checkpoint_every` steps if set, and on Ctrl-C / SIGTERM, which stop after the current\n"
    "step and mark the run interrupted. A damaged newer slot falls back to the older one.\n"
    "\n"
    "Locking: a run file is locked (RUN.h5.lock) before it is touched; a second rnnlab on the\n"
    "same run exits 2 naming the holder and leaves the file as it was.\n"
    "\n"
    "--resume reuses an existing run file only if the same run wrote it (resolved spec, data\n"
    "fingerprint, cell plugins and their .so hashes; else exit 2 listing what differs): a\n"
    "finished one is skipped, an interrupted or killed one continues from its checkpoint\n"
    "bit-identically, one without a checkpoint starts over (said on stderr). Without\n"
    "--resume the file is replaced.\n"
    "\n"
    "TensorBoard: --tensorboard DIR (or the train setting `tensorboard \"DIR\"`, relative to\n"
    "the .rnn file's folder; the option wins) also writes each run's metric rows as they are\n"
    "logged to DIR/<experiment>/<run>/events.out.tfevents.* (scalars train/loss,\n"
    "train/accuracy, eval/loss, eval/accuracy, eval/bpc, ..., epoch/loss; hyperparameters\n"
    "through the hparams plugin). Watch with `tensorboard --logdir DIR`; import with `wandb\n"
    "sync --sync-tensorboard DIR` or `aim convert tensorboard --logdir DIR`. A new run file\n"
    "replaces the folder's event files, a resumed run appends one without repeating steps.\n"
    "\n"
    "Divergence: a non-finite loss, or one above diverge_factor (default 1e4) x max(first\n"
    "loss, 1), fails the run (status failed, exit 1).\n"
    "\n"
    "rnnlab run --manifest DIR/manifest.tsv --task-id N runs the one run of task N of a sweep\n"
    "(`rnnlab sweep`): its .rnn file, --set overrides and sweep point come from the manifest;\n"
    "always as with --resume (a task started again continues from its checkpoint).\n"
    "\n"
    "exit status: 0 all runs finished, 1 a run failed or was interrupted, 2 bad input";

std::string summary_line(const RunSummary& s) {
  char buf[256];
  std::string line = s.name + ": ";
  if (s.status == RunState::skipped)
    return line + "already finished (" + std::to_string(s.steps) + " steps), skipped -> " + s.path;
  if (s.status == RunState::failed) return line + "FAILED: " + s.error + " -> " + s.path;
  if (s.status == RunState::interrupted)
    line += "interrupted at step " + std::to_string(s.steps) + " (continue with --resume), ";
  else
    line += "finished " + std::to_string(s.steps) + " steps, ";
  if (s.resumed_from > 0) line += "resumed from step " + std::to_string(s.resumed_from) + ", ";
  std::snprintf(buf, sizeof buf, "%.1f s, %.3f ms/step, train loss %.4g", s.wall_time,
                s.ms_per_step, s.final_train_loss);
  line += buf;
  if (s.final_eval) {
    if (s.final_eval->bits_per_char >= 0) {
      std::snprintf(buf, sizeof buf, ", eval bpc %.4f", s.final_eval->bits_per_char);
      line += buf;
    } else if (s.final_eval->perplexity >= 0) {
      std::snprintf(buf, sizeof buf, ", eval perplexity %.2f", s.final_eval->perplexity);
      line += buf;
    }
    if (s.final_eval->accuracy >= 0)
      std::snprintf(buf, sizeof buf, ", eval accuracy %.4f (loss %.4g)", s.final_eval->accuracy,
                    s.final_eval->loss);
    else
      std::snprintf(buf, sizeof buf, ", eval loss %.4g", s.final_eval->loss);
    line += buf;
  }
  return line + " -> " + s.path;
}

bool listed(const char* env, const std::string& id) {
  const char* v = std::getenv(env);
  if (!v) return false;
  const std::string list = std::string(",") + v + ",";
  return list.find("," + id + ",") != std::string::npos;
}

// One task of a sweep manifest: the plan of its record, run as `rnnlab run` would.
int run_manifest_task(const std::string& manifest, int64_t task, int threads, bool quiet,
                      const std::string& tensorboard, const std::vector<std::string>& plugin_dirs,
                      const std::vector<std::string>& cell_from) {
  auto plugins = load_plugins(plugin_dirs, cell_from);
  Catalog catalog(plugins->cells);
  RunOptions options;
  options.threads = threads;
  options.quiet = quiet;
  options.tensorboard = tensorboard;
  options.git_sha = git_sha();
  const SweepTask t = plan_sweep_task(
      manifest, task, catalog,
      [&](const std::string& file, const std::vector<std::string>& overrides) {
        return compile_experiment(file, catalog, overrides);
      },
      options);
  // Test-only hook, not in --help (tests/README.md): the listed runs fail after one step.
  if (listed("RNNLAB_SWEEP_FAIL_RUNS", t.record.id))
    options.on_step = [](int64_t) {
      throw Error("failed on purpose ($RNNLAB_SWEEP_FAIL_RUNS names this run)");
    };
  std::cerr << "task " << task << ": " << t.record.id << " -> " << t.record.path << std::endl;
  const RunSummary s = execute_run(t.plan, catalog, options);
  std::cout << summary_line(s) << std::endl;
  return s.status == RunState::finished || s.status == RunState::skipped ? kExitOk : kExitRunFailed;
}

}  // namespace

int cmd_run(const Args& args) {
  po::options_description opts("options");
  std::string file, out, backend;
  std::vector<std::string> models, sets, plugin_dirs, cell_from;
  int64_t seed = -1, task_id = -1;
  int threads = 0;
  std::string manifest, tensorboard;
  opts.add_options()
      ("out,o", po::value(&out)->default_value("results"), "output folder for run files")
      ("model,m", po::value(&models)->composing(), "run only this model (repeatable)")
      ("seed", po::value(&seed), "seed for every run (replaces a sweep over seed)")
      ("threads", po::value(&threads), "CPU threads (default: the train block's, else all)")
      ("backend", po::value(&backend), "cpu | cuda (overrides the file's backend)")
      ("set", po::value(&sets)->composing(), "override KEY=VALUE, e.g. train.batch=32 (repeatable)")
      ("resume", "continue interrupted runs of the same configuration from their "
                 "checkpoints, skip finished ones (see above)")
      ("quiet,q", "no progress output")
      ("tensorboard", po::value(&tensorboard), "DIR: also write TensorBoard event files to "
                                               "DIR/<experiment>/<run>/ (see above)")
      ("plugin-path", po::value(&plugin_dirs)->composing(), "extra plugin folder (repeatable)")
      ("cell-from", po::value(&cell_from)->composing(), kCellFromHelp)
      ("manifest", po::value(&manifest), "a sweep's manifest.tsv: run one of its tasks (with --task-id)")
      ("task-id", po::value(&task_id), "the task number in --manifest (Slurm: $SLURM_ARRAY_TASK_ID)");
  po::options_description hidden;
  hidden.add_options()("file", po::value(&file), "experiment file");
  po::positional_options_description pos;
  pos.add("file", 1);
  po::variables_map vm;
  if (!parse("run", kUsage, args, opts, hidden, pos, vm)) return kExitOk;
  if (vm.count("tensorboard") && tensorboard.empty())
    throw UsageError("rnnlab run: --tensorboard needs a folder");
  if (vm.count("manifest") || vm.count("task-id")) {
    if (!vm.count("manifest") || !vm.count("task-id") || task_id < 0)
      throw UsageError("rnnlab run: --manifest and --task-id (>= 0) go together");
    if (vm.count("file") || vm.count("model") || vm.count("seed") || vm.count("set") ||
        vm.count("backend") || vm.count("resume"))
      throw UsageError(
          "rnnlab run: --manifest takes no FILE, --model, --seed, --set, --backend or --resume");
    if (threads < 0) throw UsageError("rnnlab run: --threads must be >= 0");
    return run_manifest_task(manifest, task_id, threads, vm.count("quiet") > 0, tensorboard,
                             plugin_dirs, cell_from);
  }
  require_positional("run", vm, "file", "the experiment file (FILE.rnn)");
  if (vm.count("seed") && seed < 0) throw UsageError("rnnlab run: --seed must be >= 0");
  if (threads < 0) throw UsageError("rnnlab run: --threads must be >= 0");
  if (vm.count("backend") && backend != "cpu" && backend != "cuda")
    throw UsageError("rnnlab run: --backend must be cpu or cuda, found '" + backend + "'");

  auto plugins = load_plugins(plugin_dirs, cell_from);
  Catalog catalog(plugins->cells);
  ExperimentSpec spec = compile_experiment(file, catalog, sets);
  if (vm.count("seed")) {
    spec.seed = static_cast<uint64_t>(seed);
    std::erase_if(spec.sweep, [](const SweepAxis& a) { return a.key == "seed"; });
  }
  if (vm.count("backend")) spec.backend = backend;
  if (spec.backend == "cuda" && backend_available(Device::cuda)) {  // else the run says why
    const DeviceInfo info = device_info(Device::cuda);
    std::cerr << "device: " << info.name << " (CUDA driver " << info.driver << ", runtime "
              << info.runtime << ")" << std::endl;
  }

  RunOptions options;
  options.out_dir = out;
  options.models = models;
  options.threads = threads;
  options.resume = vm.count("resume") > 0;
  options.quiet = vm.count("quiet") > 0;
  options.tensorboard = tensorboard;
  options.git_sha = git_sha();
  options.on_start = [](const RunPlan& p, std::size_t i, std::size_t n) {
    std::cerr << "[" << i + 1 << "/" << n << "] " << p.name << " -> " << p.path << std::endl;
  };
  options.on_finish = [](const RunPlan&, const RunSummary& s) {
    std::cout << summary_line(s) << std::endl;
  };
  const std::vector<RunSummary> runs = run_experiment(spec, catalog, options);
  const bool bad = std::any_of(runs.begin(), runs.end(), [](const RunSummary& s) {
    return s.status == RunState::failed || s.status == RunState::interrupted;
  });
  return bad ? kExitRunFailed : kExitOk;
}

}  // namespace rnnlab::cli
