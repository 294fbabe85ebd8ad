// The names of a run file's layout (run_file.h), in one place: every writer (runner, trainer,
// checkpoint, run record) and every reader (report, collect, status, predict) spells a group,
// dataset, column or attribute through these constants, never as a string literal.
//
// The names are the file format: tests/read_run_file.py, tests with h5py and the Python
// package (python/rnnlab) read them from outside C++, so renaming one breaks old files and
// those readers. Add a name here (with its comment) before writing it anywhere.
//
// Paths are relative to the root ("config/resolved" == "/config/resolved" for RunFile); an
// attribute of a group is "group/attr" (RunFile::set_attr), built with `at(group, name)`.
#pragma once

#include <cstdint>
#include <string>

namespace rnnlab::layout {

// "a" + "/" + "b": an object or attribute below a group, e.g. at(kDataset, kExamples).
inline std::string at(const std::string& group, const std::string& name) {
  return group + "/" + name;
}

// ---- root attributes (all scalar; types as in run_file.h) ----
inline constexpr char kRnnlabVersion[] = "rnnlab_version";  // string; marks an rnnlab run file
inline constexpr char kStatus[] = "status";  // string: kRunning, kFinished, kFailed or kInterrupted
inline constexpr char kStartedAt[] = "started_at";            // ISO-8601 UTC, written by create()
inline constexpr char kFinishedAt[] = "finished_at";          // ISO-8601 UTC, only after finish()
inline constexpr char kResumedAt[] = "resumed_at";            // ISO-8601 UTC of the last --resume
inline constexpr char kExperiment[] = "experiment";           // the experiment's name
inline constexpr char kModel[] = "model";                     // the model's name
inline constexpr char kRun[] = "run";                         // the run's name (model + sweep id)
inline constexpr char kSweepId[] = "sweep_id";                // the sweep point, "hidden=8_seed=2"
inline constexpr char kSeed[] = "seed";                       // int64: the model seed
inline constexpr char kBackend[] = "backend";                 // "cpu" | "cuda"
inline constexpr char kDeviceName[] = "device_name";          // CUDA runs: the GPU's name
inline constexpr char kCudaDriver[] = "cuda_driver";          // CUDA runs: driver version
inline constexpr char kCudaRuntime[] = "cuda_runtime";        // CUDA runs: runtime version
inline constexpr char kThreads[] = "threads";                 // int64: CPU threads
inline constexpr char kHost[] = "host";                       // the machine's host name
inline constexpr char kGitSha[] = "git_sha";                  // `git describe --dirty` of the build
inline constexpr char kData[] = "data";                       // one-line description of the data
inline constexpr char kDataWarnings[] = "data_warnings";      // data problems tolerated, one a line
inline constexpr char kSourcePath[] = "source_path";          // the .rnn file the run came from
inline constexpr char kParameters[] = "parameters";           // int64: trainable parameter count
inline constexpr char kRecurrentPaths[] = "recurrent_paths";  // "layer0=compiled" per layer
inline constexpr char kRecurrentPathNotes[] = "recurrent_path_notes";  // why not fused/compiled
inline constexpr char kSteps[] = "steps";  // int64: steps completed (failed runs too)
inline constexpr char kEpochsCompleted[] = "epochs_completed";  // int64
inline constexpr char kTrainTime[] = "train_time";  // float64 s in training steps (also a
                                                    // column of the epochs table)
inline constexpr char kWallTime[] = "wall_time";    // float64 s in fit() (also a column)
inline constexpr char kSequencesPerSecond[] = "sequences_per_second";  // float64 (also a column)
inline constexpr char kError[] = "error";                              // a failed run's message
inline constexpr char kCheckpointWarning[] = "checkpoint_warning";     // a damaged slot skipped

// ---- integrity (run_file.h "Checksums"; rnnlab verify) ----
// int64 format version of the file's checksums, written by create(): 1 = HDF5 metadata
// checksums (1.10 object formats), Fletcher32 on every chunked dataset, and the two digests
// below once the file is sealed. Absent: written before checksums ("unverified").
inline constexpr char kChecksums[] = "checksums";
inline constexpr int64_t kChecksumsVersion = 1;
// int64 FNV-1a 64 digests written by finish() (the file is sealed) and removed by the first
// change after it. content_digest: every attribute (name, type, value) and every dataset
// (path, shape, type, data) outside /checkpoint (its slots carry their own checksums), but
// these two attributes: what `rnnlab verify` checks. header_digest: the root's attributes and
// everything below /config, /dataset and /plugins, where every string of a run file lives
// (variable-length strings sit in HDF5's global heap, which has no checksum of its own): what
// `report` and `predict` check before they trust a file, at the cost of its description only
// (the tables, /params and /split are numbers under Fletcher32 and the metadata checksums).
// A string written anywhere else is covered by content_digest only.
inline constexpr char kContentDigest[] = "content_digest";
inline constexpr char kHeaderDigest[] = "header_digest";

// ---- values of the root `status` attribute ----
inline constexpr char kRunning[] = "running";  // written by create(); still training,
                                               // or killed (then read as interrupted)
inline constexpr char kFinished[] = "finished";
inline constexpr char kFailed[] = "failed";
inline constexpr char kInterrupted[] = "interrupted";  // stopped by a signal; resumable

// ---- /config: what the run was configured with ----
inline constexpr char kConfig[] = "config";
inline constexpr char kConfigSource[] = "config/source";       // the .rnn text as written
inline constexpr char kConfigResolved[] = "config/resolved";   // the fully resolved spec text
inline constexpr char kConfigValues[] = "config/values";       // attrs: every resolved setting
                                                               // (keys: experiment/run_record.h)
inline constexpr char kConfigDataHash[] = "config/data_hash";  // attr: fingerprint of the data
inline constexpr char kConfigCells[] = "config/cells";         // attr: cell plugin versions

// ---- /dataset: attrs of the data the run saw ----
inline constexpr char kDataset[] = "dataset";
inline constexpr char kExamples[] = "examples";                // int64
inline constexpr char kInputSize[] = "input_size";             // int64 I
inline constexpr char kMaxSteps[] = "max_steps";               // int64 T
inline constexpr char kNumClasses[] = "num_classes";           // int64 (0: regression)
inline constexpr char kOutputSize[] = "output_size";           // int64 O (0: classification)
inline constexpr char kPerStepTargets[] = "per_step_targets";  // bool: targets [T,B,O]
inline constexpr char kDescription[] = "description";          // the one-line summary

// ---- /split: int32 [n] example indices ----
inline constexpr char kSplitTrain[] = "split/train";  // trained on
inline constexpr char kSplitEval[] = "split/eval";    // held out

// ---- metric tables (RunFile::append_metrics: 1-D float64 columns, NaN = not logged) ----
inline constexpr char kMetrics[] = "metrics";  // one row per log interval of training
inline constexpr char kEval[] = "eval";        // one row per evaluation
inline constexpr char kEpochs[] = "epochs";    // one row per completed epoch
// Columns (metrics: step, epoch, wall_time, loss, grad_norm, sequences_per_second, accuracy;
// eval: step, epoch, wall_time, loss, accuracy, bpc | perplexity; epochs: epoch, loss,
// train_time).
inline constexpr char kStep[] = "step";           // steps completed at the row
inline constexpr char kEpoch[] = "epoch";         // 1-based epoch of the row
inline constexpr char kLoss[] = "loss";           // mean loss over the row's window / epoch
inline constexpr char kAccuracy[] = "accuracy";   // classification only (per-step: per token)
inline constexpr char kBitsPerChar[] = "bpc";     // eval of a character LM: loss / ln 2
inline constexpr char kPerplexity[] = "perplexity";  // eval of a word LM: exp(loss)
inline constexpr char kGradNorm[] = "grad_norm";  // global gradient norm of the row's step
// (wall_time, train_time and sequences_per_second: the root attribute names above)

// ---- /params: final weights, one dataset per parameter; '/' in a name nests groups ----
inline constexpr char kParams[] = "params";

// ---- /plugins/<cell>: where each cell of the model came from (plugin_loader.h), one
// string dataset each ----
inline constexpr char kPlugins[] = "plugins";
inline constexpr char kPluginName[] = "plugin";      // the plugin's name
inline constexpr char kPluginVersion[] = "version";  // its version
inline constexpr char kPluginFile[] = "file";        // the .so it was loaded from ("" built in)
inline constexpr char kPluginSha256[] = "sha256";    // the .so's SHA-256

// ---- /checkpoint: resume state (slot layout in framework/src/train/checkpoint.h) ----
inline constexpr char kCheckpoint[] = "checkpoint";

// Inside /checkpoint: two slots written alternately, each a complete snapshot (checkpoint.h).
namespace slot {
inline constexpr char kSlotA[] = "a";  // /checkpoint/a
inline constexpr char kSlotB[] = "b";  // /checkpoint/b
// Slot attributes (int64 or float64 only: no variable-length data in a slot)
inline constexpr char kComplete[] = "complete";               // 1 once the slot is fully written
inline constexpr char kChecksum[] = "checksum";               // FNV-1a 64 of everything else
inline constexpr char kStep[] = "step";                       // steps completed
inline constexpr char kIterEpoch[] = "iter_epoch";            // batch iterator position: epoch
inline constexpr char kIterBatch[] = "iter_batch";            //   and batch within it
inline constexpr char kOptimizerStep[] = "optimizer_step";    // the optimizer's step count
inline constexpr char kTrainTime[] = "train_time";            // seconds in training steps so far
inline constexpr char kWallTime[] = "wall_time";              // seconds in fit() so far
inline constexpr char kSequences[] = "sequences";             // sequences trained on
inline constexpr char kEpochLoss[] = "epoch_loss";            // loss sum of the running epoch
inline constexpr char kEpochBatches[] = "epoch_batches";      // its batches
inline constexpr char kWindowLoss[] = "window_loss";          // loss sum of the running log window
inline constexpr char kWindowBatches[] = "window_batches";    // its batches,
inline constexpr char kWindowCorrect[] = "window_correct";    //   correct predictions
inline constexpr char kWindowExamples[] = "window_examples";  //   and examples
inline constexpr char kRowsMetrics[] = "rows_metrics";        // rows of /metrics written
inline constexpr char kRowsEval[] = "rows_eval";              // rows of /eval written
inline constexpr char kRowsEpochs[] = "rows_epochs";          // rows of /epochs written
inline constexpr char kLastEvalStep[] = "last_eval_step";     // step of the last evaluation
inline constexpr char kFirstLoss[] = "first_loss";            // the divergence bound's base
inline constexpr char kHasEval[] = "has_eval";                // 1: the eval_* attrs are present
inline constexpr char kEvalLoss[] = "eval_loss";              // the last evaluation's loss,
inline constexpr char kEvalAccuracy[] = "eval_accuracy";      //   accuracy
inline constexpr char kEvalExamples[] = "eval_examples";      //   and example count
// Slot datasets
inline constexpr char kEpochLosses[] = "epoch_loss";  // f64 [E] mean loss per completed epoch
inline constexpr char kEpochTimes[] = "epoch_time";   // f64 [E] seconds per completed epoch
inline constexpr char kRng[] = "rng";  // i32 [n]: the dropout-seed generator's state text bytes
inline constexpr char kParamsPrefix[] = "params/";  // + parameter name: its value
inline constexpr char kSlot1Prefix[] = "slot1/";    // + parameter name: optimizer slot 1
inline constexpr char kSlot2Prefix[] = "slot2/";    // + parameter name: optimizer slot 2
inline constexpr char kCarryPrefix[] = "carry/";    // + carried-state name (stateful models)
}  // namespace slot

}  // namespace rnnlab::layout
