// Catalog: everything an experiment can name, with a schema for each, so the .rnn checker and
// `--set` overrides validate against one source of truth:
//   cells         from the CellRegistry (plugins)
//   layers        dense(units, activation) | embedding(vocab, dim) | dropout(p)
//   data sources  digits | csv | fibonacci | ... (each with a factory that builds the Dataset)
//   optimizers    sgd | momentum | adam | rmsprop (+ weight_decay)
//   losses        softmax_cross_entropy | mse | bce_with_logits
//   train keys    loss, batch, steps, epochs, eval_every, log_every, checkpoint_every, clip, ...
// Schemas reuse ParamSpec (cell.h); values are checked with CellConfig::resolve.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/data.h"

namespace rnnlab {

struct SchemaEntry {
  std::string name;
  std::string doc;
  std::vector<ParamSpec> schema;
};

// A dataset with its train/evaluation split, built from a data block.
struct DataSetup {
  std::unique_ptr<Dataset> dataset;
  std::vector<std::size_t> train;
  std::vector<std::size_t> eval;
  std::string description;  // one line for logs and the run file
  // Repairs the source made to the data (e.g. a CSV's missing values interpolated), one line
  // each naming the file and line: printed by create_data, kept in the run file.
  std::vector<std::string> warnings;
};

struct DataSourceType {
  SchemaEntry entry;
  // config: resolved against entry.schema; base_dir: the .rnn file's folder (relative paths
  // in data blocks are resolved against it); seed: the run's (model) seed. The built-in
  // sources ignore it: their splits and generated examples come from the data parameters
  // split_seed / data_seed, so the held-out set does not change with the model seed.
  std::function<DataSetup(const CellConfig& config, const std::string& base_dir, uint64_t seed)>
      create;
  // Optional: what `rnnlab check` validates without building the data (e.g. the shapes and
  // dtypes of .npy files); InputError when the data would not load. Empty: only the `path`
  // argument's existence is checked.
  std::function<void(const CellConfig& config, const std::string& base_dir)> check;
};

class Catalog {
 public:
  explicit Catalog(const CellRegistry& cells);
  const CellRegistry& cells() const { return cells_; }
  const std::vector<SchemaEntry>& layers() const { return layers_; }
  const std::vector<DataSourceType>& data_sources() const { return data_; }
  const std::vector<SchemaEntry>& optimizers() const { return optimizers_; }
  const std::vector<std::string>& losses() const { return losses_; }
  const std::vector<ParamSpec>& train_settings() const { return train_; }

  const SchemaEntry* find_layer(const std::string& name) const;
  const DataSourceType* find_data_source(const std::string& name) const;
  const SchemaEntry* find_optimizer(const std::string& name) const;
  // All names a model layer may use (cells + layers), sorted: for "did you mean" and notes.
  std::vector<std::string> layer_names() const;

  // Adds a data source (built-ins are added by the constructor).
  void add_data_source(DataSourceType type);

 private:
  const CellRegistry& cells_;
  std::vector<SchemaEntry> layers_;
  std::vector<DataSourceType> data_;
  std::vector<SchemaEntry> optimizers_;
  std::vector<std::string> losses_;
  std::vector<ParamSpec> train_;
};

}  // namespace rnnlab
