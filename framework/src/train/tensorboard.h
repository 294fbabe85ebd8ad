// TensorBoard event files of a run (`rnnlab run --tensorboard DIR`): written by rnnlab itself,
// no TensorFlow. TensorBoard, `wandb sync` and `aim convert tensorboard` read them.
//
// File: <folder>/events.out.tfevents.<unix seconds>.<host>.<pid>[.<n>], a sequence of TFRecords:
//   uint64 length (little endian) | uint32 masked_crc(length bytes) | data | uint32
//   masked_crc(data) masked_crc(x) = ((c >> 15) | (c << 17)) + 0xa282ead8  (mod 2^32), c =
//   CRC32C(x) CRC32C: the Castagnoli polynomial 0x1EDC6F41 (reflected 0x82F63B78), init and final
//   xor 0xFFFFFFFF; crc32c("123456789") = 0xE3069283. Debian has no C/C++ CRC32C library (only
//   python3-crc32c), so it is a byte table here (rows are rare: speed does not matter).
// Each record's data is one `Event` protobuf, encoded by hand (field numbers from TensorBoard's
// tensorboard/compat/proto/event.proto and summary.proto):
//   Event        wall_time = 1 (double, Unix seconds), step = 2 (int64),
//                file_version = 3 (string, "brain.Event:2": the first record), summary = 5
//   Summary      value = 1 (repeated Summary.Value)
//   Value        tag = 1 (string), simple_value = 2 (float), metadata = 9 (SummaryMetadata)
//   SummaryMetadata  plugin_data = 1: PluginData { plugin_name = 1, content = 2 (bytes) }
// Hyperparameters go through the hparams plugin (tensorboard/plugins/hparams/plugin_data.proto
// and api.proto): a Value tagged `_hparams_/session_start_info` / `_hparams_/session_end_info`
// with no value (TensorBoard adds its null tensor when it reads them) whose metadata's
// plugin_data is { plugin_name "hparams", content = HParamsPluginData } (version 0):
//   HParamsPluginData  version = 1 (int32, 0: left out), session_start_info = 3,
//                      session_end_info = 4
//   SessionStartInfo   hparams = 1 (map<string, google.protobuf.Value>: entries key = 1,
//                      value = 2), group_name = 4, start_time_secs = 5 (double)
//   SessionEndInfo     status = 1 (Status: 1 success, 2 failure), end_time_secs = 2 (double)
//   google.protobuf.Value  number_value = 2 (double), string_value = 3, bool_value = 4
// Without an `_hparams_/experiment` record TensorBoard builds the experiment from the sessions
// (hparams: the union of their keys; metrics: their scalar tags).
//
// Every record is written whole by one write(2) and is in the file when the call returns, so a
// live run can be watched and a killed one leaves a readable prefix (a reader stops at the first
// incomplete record: read_event_records).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/trainer.h"

namespace rnnlab::tensorboard {

// CRC32C of `n` bytes, continuing from `crc` (0 to start).
uint32_t crc32c(const void* data, std::size_t n, uint32_t crc = 0);
uint32_t masked_crc32c(const void* data, std::size_t n);
// One TFRecord of `data` (framing above).
std::string frame_record(std::string_view data);
// The records' data of an event file, up to (not including) the first incomplete or damaged
// record; *whole (when given) = false when such a record ended the reading.
std::vector<std::string> read_event_records(const std::string& path, bool* whole = nullptr);

// ---- Event messages ----
std::string file_version_event(double wall_time);
// One Event with a Summary of one simple_value per (tag, value).
std::string scalars_event(double wall_time, int64_t step,
                          const std::vector<std::pair<std::string, double>>& values);
// `_hparams_/session_start_info` at step 0 with every (name, value).
std::string session_start_event(double wall_time,
                                const std::vector<std::pair<std::string, ParamValue>>& hparams);
// `_hparams_/session_end_info` at `step`; status 1 success, 2 failure.
std::string session_end_event(double wall_time, int64_t step, int status);

// The largest step of each tag in an Event's data (scalars and hparams records alike), merged
// into `last`. False when `event` is not a parsable Event.
bool merge_last_steps(std::string_view event, std::map<std::string, int64_t>& last);

// Is `name` an event file's name (events.out.tfevents.*)?
bool is_event_file(const std::string& name);

// An event file of one run's folder: TensorBoard's name for it, its first record the
// file_version. Write errors are said once on stderr and end the writing (the run goes on: the
// run file is the record of the run).
class EventFile {
 public:
  // Creates `folder` and a new event file in it; InputError when it cannot.
  explicit EventFile(const std::string& folder);
  ~EventFile();
  EventFile(const EventFile&) = delete;
  EventFile& operator=(const EventFile&) = delete;

  void write(std::string_view event);  // one record, written whole
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  int fd_ = -1;
};

// The TensorBoard view of one run: a MetricObserver (trainer.h) writing every metric row as
// scalars, and the hparams session. Tags: train/loss, train/accuracy, train/grad_norm,
// train/sequences_per_second (step: the row's step); eval/loss, eval/accuracy, eval/bpc,
// eval/perplexity (whichever the row has); epoch/loss, epoch/train_time (step: the epoch).
//
// `resume` false: the folder's earlier event files are deleted first (the run file is new, so
// are its events). `resume` true: a new event file is added beside them, and a value whose step
// is at or below the largest step its tag already has in the folder's files is not written
// again (a resume is bit-identical, so such a row repeats one already there); the hparams
// start record is written once per folder.
class RunEvents final : public MetricObserver {
 public:
  RunEvents(const std::string& folder, bool resume);

  void start_session(const std::vector<std::pair<std::string, ParamValue>>& hparams);
  // finished: success; failed: failure; interrupted: nothing (the resumed run ends it). At the
  // largest step written so far.
  void end_session(RunState status);

  void train_row(int64_t step, int64_t epoch, double wall_time, double loss, double grad_norm,
                 double sequences_per_second, double accuracy) override;
  void eval_row(int64_t step, int64_t epoch, double wall_time, const EvalResult& e) override;
  void epoch_row(int64_t epoch, double loss, double train_time) override;

  const std::string& path() const { return file_.path(); }

 private:
  void scalars(int64_t step, std::vector<std::pair<std::string, double>> values);
  bool fresh(const std::string& tag, int64_t step) const;

  std::map<std::string, int64_t> last_;  // the largest step per tag in the earlier files
  int64_t step_ = 0;                     // the largest row step seen (not epochs)
  EventFile file_;
};

}  // namespace rnnlab::tensorboard
