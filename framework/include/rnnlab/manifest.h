// Sweep manifests: the run list of `rnnlab sweep` (models x sweep grid x seeds of one or more
// experiments), one record per run, written to <sweep dir>/manifest.tsv.
//
// Expansion reuses plan_runs (runner.h): same order (files in the order given, then models,
// then the sweep odometer, last axis fastest), same run names and paths. A record's id is
// `<experiment>/<run name>`, e.g. `tiny/lstm-seed=2_hidden=8`: it depends only on the values,
// so a run keeps its id when the sweep is expanded again. Task numbers (the Slurm array index)
// are kept too: assign_tasks gives every id that was already in the previous manifest its old
// number and numbers new ids after the largest one.
//
// File format (UTF-8, one record per line, tab separated, '#' lines are comments):
//   task  id  model  path  file  set  overrides
// path: the run file (absolute); file: the .rnn file (absolute); set: the sweep's global
// `--set` overrides; overrides: this run's sweep point; both as `key=value` joined by ';'
// (empty: "-"). Values holding a tab, newline or ';' are rejected (InputError).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnlab/runner.h"

namespace rnnlab {

struct ManifestRecord {
  int64_t task = 0;
  std::string id;                      // <experiment>/<run name>
  std::string model;
  std::string path;                    // the run file
  std::string file;                    // the .rnn file
  std::vector<std::string> set;        // global overrides "key=value"
  std::vector<std::string> overrides;  // this run's sweep point "key=value", in axis order
  std::string experiment() const { return id.substr(0, id.find('/')); }
};

// The records of one compiled experiment (plan_runs with `options`; tasks numbered from
// `first_task`). InputError for a bad sweep (unknown key, bad value, no values, duplicates).
std::vector<ManifestRecord> expand_manifest(const ExperimentSpec& spec, const Catalog& catalog,
                                            const RunOptions& options, const std::string& file,
                                            const std::vector<std::string>& set,
                                            int64_t first_task = 0);

// Renumbers `records` so that ids present in `previous` keep their task number; the others get
// max(previous)+1, +2, ... in order. InputError on duplicate ids.
void assign_tasks(std::vector<ManifestRecord>& records,
                  const std::vector<ManifestRecord>& previous);

std::string manifest_text(const std::vector<ManifestRecord>& records);
// InputError (naming `where` and the line) for a malformed manifest.
std::vector<ManifestRecord> parse_manifest(const std::string& text, const std::string& where);
std::vector<ManifestRecord> read_manifest(const std::string& path);
void write_manifest(const std::string& path, const std::vector<ManifestRecord>& records);

// The grid point of a record: its overrides without the `seed` axis, joined by ';'
// ("" when only seeds vary). Runs of one model and grid point are averaged by `collect`.
std::string grid_point(const ManifestRecord& r);

// The column a sweep axis gets in summaries, so that one hyper-parameter is one column across
// models: model.M.P -> P, model.M.layerK.P -> layerK.P, model.M.train.P -> train.P, any other
// key (seed, data.P, train.P, ...) as written. E.g. model.lstm.hidden and model.gru.hidden are
// both `hidden`.
std::string axis_column(const std::string& key);
// The record's sweep point as (axis_column(key), value) pairs, in axis order.
std::vector<std::pair<std::string, std::string>> axis_values(const ManifestRecord& r);

}  // namespace rnnlab
