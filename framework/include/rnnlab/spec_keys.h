// Spec keys: the one grammar of the dotted keys that name a value in an ExperimentSpec, and the
// editing rules every writer of a spec follows. `--set KEY=VALUE`, sweep axes and tools all
// read a key here: the .rnn compiler (dsl/src/keys.cpp, what `rnnlab check` runs) turns a
// KeyError into a diagnostic at the key's column, the runner (apply_setting, the sweep
// expansion of `rnnlab run` and `rnnlab sweep`) into an InputError. So a key means one thing.
//
// Keys (parts separated by '.'; M a model's name, P a parameter, S a train setting):
//   seed | backend
//   data.P                              the data source's parameter P
//   train.S                             a train setting (loss, batch, steps, epochs, ...)
//   train.optimizer                     the optimizer's name
//   train.optimizer.P | optimizer.P     the optimizer's parameter P
//   train.P (P not a train setting)     the same, when P is a parameter of the optimizer in effect
//   model.M.P                           model M's first cell's parameter P
//   model.M.layerK.P | model.M.K.P      layer K's (0-based) parameter P
//   model.M.KIND.P                      the first layer of that kind (model.M.dense.units)
//   model.M.train.S | .optimizer | .optimizer.P | .P   model M's train overrides, as above
// The optimizer in effect for P is the block's own, else the experiment's, else adam (the
// runner's default).
//
// Editing rules (one home; the compiler's include merge and the runner's override merge too):
//   steps and epochs replace each other: writing one drops the other from that train block;
//   another optimizer replaces the block's with its arguments, the same one merges them.
#pragma once

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"

namespace rnnlab {

// Where a key's value goes.
struct KeyTarget {
  enum class Kind { seed, backend, optimizer, arg } kind = Kind::arg;
  ArgMap* args = nullptr;      // Kind::arg: the map the value goes into ...
  std::string name;            // ... under this name
  TrainSpec* train = nullptr;  // Kind::optimizer and train settings: the train block written
  // What checks the value; nullopt when its owner (a layer kind, the optimizer or the data
  // source) is itself unknown: whoever reports the owner reports that, not the key.
  std::optional<ParamSpec> spec;
};

// Why a key names nothing: `offset` is the byte in the key where the bad part starts.
struct KeyError {
  std::size_t offset = 0;
  std::string message;             // "unknown parameter 'hiden' of lstm (layer 0 of model 'm')"
  std::vector<std::string> notes;  // "did you mean 'hidden'?", "known parameters of lstm: ..."
};

struct KeyResolution {
  std::optional<KeyTarget> target;  // exactly one of target and error is set
  std::optional<KeyError> error;
};

// The forms above, as the note of an unknown key lists them.
extern const char* const kKeyForms;

// Resolves `key` against `spec` (pointers into it; valid until the spec's maps are changed).
KeyResolution resolve_key(ExperimentSpec& spec, const std::string& key, const Catalog& catalog);

// "setting 'KEY': message (note; note)": a KeyError as the runner reports it.
std::string key_error_text(const std::string& key, const KeyError& error);

// Writes a Kind::arg value (steps and epochs replace each other); returns the slot written.
ArgSpec& write_key_arg(const KeyTarget& target, ArgSpec value);

// The schemas of the values that are not in a catalog list: seed (integer >= 0), backend
// (cpu | cuda), loss (the catalog's train setting, else a choice of its losses) and the
// optimizer's name (a choice of the catalog's optimizers).
ParamSpec seed_schema();
ParamSpec backend_schema();
ParamSpec loss_schema(const Catalog& catalog);
ParamSpec optimizer_schema(const Catalog& catalog);

// The names a train block takes (for "did you mean"): the catalog's train settings, loss and
// optimizer.
std::vector<std::string> train_block_names(const Catalog& catalog);

// ---- the train block's editing rules
// Writing `name` (steps or epochs) into a train block drops the other one.
void drop_replaced_length(ArgMap& settings, const std::string& name);
// The block's optimizer becomes `name`: another name drops the old arguments (same: kept).
void set_optimizer(TrainSpec& train, const std::string& name, const SourceLoc& loc);
// `over` (a later train block, or a model's overrides) merged into `base`: settings replace
// key by key (steps and epochs replace each other), another optimizer replaces base's with
// its arguments, the same one merges them. `written(slot, from)` sees every value copied.
void merge_train(TrainSpec& base, const TrainSpec& over,
                 const std::function<void(ArgSpec& slot, const ArgSpec& from)>& written = {});

// ---- layers
bool is_cell(const Catalog& catalog, const std::string& kind);
// The schema of a layer: a cell's for the arguments given (composite cells such as nstep add
// their inner cell's; InputError when those arguments select none), else a built-in layer's;
// nullopt for an unknown kind.
std::optional<std::vector<ParamSpec>> find_layer_schema(const Catalog& catalog,
                                                        const LayerSpec& layer);
// The same, but a cell whose arguments select no schema gives its own declared schema (for
// checks that report those arguments themselves).
std::optional<std::vector<ParamSpec>> layer_schema_or_declared(const Catalog& catalog,
                                                               const LayerSpec& layer);

// A schema's entry named `name` (nullptr when there is none), and every entry's name.
const ParamSpec* find_param(const std::vector<ParamSpec>& schema, const std::string& name);
std::vector<std::string> param_names(const std::vector<ParamSpec>& schema);

// "did you mean 'x'?" when a candidate is close, then "known <what>: a, b, c" (sorted).
std::vector<std::string> suggest(const std::string& word, std::vector<std::string> candidates,
                                 const std::string& what);

}  // namespace rnnlab
