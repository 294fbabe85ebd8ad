// The cell API: what a recurrent cell plugin implements. This header (with autodiff.h,
// ops.h, parameter.h, rng.h and plugin_api.h) is the plugin SDK.
//
// A cell splits its maths in two:
//   project_inputs:  X [T,B,I] -> P [T,B,G]   everything that does not depend on the previous
//                    state, for all steps at once (one big GEMM, or QRNN's convolution);
//   step:            (P_t [B,G], state_{t-1}) -> state_t   the recurrence, written with
//                    autodiff ops so a new cell gets gradients for free.
// The output at step t is output(state_t) [B,H] (state[0], i.e. h, unless overridden).
// State is a list of [B, size] tensors declared by state_specs() (h; or h, c; ...).
//
// Optionally a cell provides a fused sequence kernel for a device: one tape node that runs the
// whole recurrence (forward and a hand-written backward). It returns the packed states of every
// step, [T,B,ΣS] (the states concatenated in state_specs() order), and must equal the composed
// path; the conformance tests check this against finite differences.
//
// Masking (variable-length batches): mask [T,B] holds 1 for valid steps and 0 for padding. On a
// padded step the state is carried unchanged and no gradient flows through the step.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "rnnlab/autodiff.h"
#include "rnnlab/ops.h"
#include "rnnlab/parameter.h"
#include "rnnlab/rng.h"

namespace rnnlab {

// ---------------------------------------------------------------- parameter schema
// string: free text (a path, a column name); choice: one of `choices`.
enum class ParamType { integer, real, boolean, choice, string };
using ParamValue = std::variant<int64_t, double, bool, std::string>;

const char* param_type_name(ParamType t);
std::string param_value_str(const ParamValue& v);

struct ParamSpec {
  std::string name;
  ParamType type = ParamType::integer;
  ParamValue default_value;  // std::monostate-free: a spec without default is `required`
  bool required = false;
  double min = -std::numeric_limits<double>::infinity();
  double max = std::numeric_limits<double>::infinity();
  std::vector<std::string> choices;  // for ParamType::choice
  std::string doc;
};

// Checks one value against its spec. Returns "" if fine, else what was expected and found
// ("expected an integer in [1, 65536], found 0"). Integers are accepted for reals.
std::string check_param_value(const ParamSpec& spec, const ParamValue& v);

// Resolved cell parameters: every schema entry present, every value checked.
class CellConfig {
 public:
  CellConfig() = default;
  // Fills defaults, rejects unknown names (with "did you mean"), missing required ones and bad
  // values. Throws InputError listing every problem.
  static CellConfig resolve(const std::string& cell, const std::vector<ParamSpec>& schema,
                            const std::map<std::string, ParamValue>& given);
  int64_t integer(const std::string& name) const;
  double real(const std::string& name) const;
  bool boolean(const std::string& name) const;
  const std::string& choice(const std::string& name) const;
  const std::string& text(const std::string& name) const { return choice(name); }  // string
  const std::map<std::string, ParamValue>& values() const { return values_; }

 private:
  const ParamValue& at(const std::string& name) const;
  std::map<std::string, ParamValue> values_;
};

// ---------------------------------------------------------------- cell
// Tensors by name (checkpointed carried state, see Cell::save_carry).
using NamedTensors = std::map<std::string, Tensor>;

struct StateSpec {
  std::string name;
  int64_t size;
};

struct CellContext {
  bool training = false;
  uint64_t seed = 0;      // per-batch seed for stochastic cells (zoneout, dropout)
  bool stateful = false;  // the layer carries state across batches (a cell may carry more,
                          // e.g. QRNN's last window of inputs; reset_state() forgets it)
};

// What a cell that runs whole sequences itself returns (see Cell::run_sequence).
struct SequenceResult {
  Var outputs;                   // [T,B,H], zero on padded steps
  std::vector<Var> final_state;  // each [B,S_k], taken at each sequence's own last step
};

class Cell {
 public:
  virtual ~Cell() = default;
  virtual int64_t input_size() const = 0;
  virtual int64_t hidden_size() const = 0;  // size of output(state)
  virtual std::vector<StateSpec> state_specs() const = 0;

  // X [T,B,I] -> P [T,B,G]
  virtual Var project_inputs(Tape& tape, const Var& x, const CellContext& ctx) = 0;
  // p_t [B,G], state_{t-1} -> state_t
  virtual std::vector<Var> step(Tape& tape, const Var& p_t, const std::vector<Var>& state,
                                const CellContext& ctx) = 0;
  virtual Var output(const std::vector<Var>& state) const { return state.at(0); }
  // Zeros [B, S_k] of `dtype` by default; a cell with a trainable initial state overrides it.
  virtual std::vector<Var> initial_state(Tape& tape, int64_t batch, DType dtype);

  // Fused whole-sequence kernel: P [T,B,G], state_0, mask [T,B] -> packed states [T,B,ΣS].
  // Return an invalid Var() when there is none for tape.device() (the default).
  virtual Var fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0,
                             const Var& mask, const CellContext& ctx);
  virtual bool has_fused(Device) const { return false; }

  // Optional: a cell that is really a stack (nstep: layers, directions) runs the whole
  // sequence itself instead of project_inputs/step. x [T,B,I], lengths [B] (empty = all T),
  // state0 as from initial_state() or the stateful carry.
  virtual bool runs_whole_sequence() const { return false; }
  // False when an output may depend on LATER steps (a bidirectional stack): the conformance
  // suite then accepts that two halves of a sequence differ from the whole.
  virtual bool causal() const { return true; }
  virtual SequenceResult run_sequence(Tape& tape, const Var& x, const std::vector<int32_t>& lengths,
                                      const std::vector<Var>& state0, const CellContext& ctx);

  // Forget any state the cell carries itself across batches (called by Recurrent::reset_state).
  virtual void reset_state() {}
  // The state the cell carries itself across batches (stateful mode), for checkpoints: put each
  // tensor into `out` under `prefix` + a name of the cell's choosing; load_carry gets the same
  // names back (on the cell's device) after a resume and must restore exactly what was saved;
  // names it finds missing mean "nothing carried". Cells that carry nothing leave both alone.
  virtual void save_carry(const std::string& prefix, NamedTensors& out) const {
    (void)prefix, (void)out;
  }
  virtual void load_carry(const std::string& prefix, const NamedTensors& in) {
    (void)prefix, (void)in;
  }
};

class CellRegistry;

// Everything a factory needs to build a cell: its resolved config, the input size, where to
// create its parameters (under `prefix`), the RNG to initialise them, and the registry (a
// composite cell such as nstep builds its inner cells from it).
struct CellArgs {
  const CellConfig& config;
  int64_t input_size;
  ParameterStore& params;
  std::string prefix;  // e.g. "lstm/layer0/lstm"
  Rng& rng;
  const CellRegistry* registry = nullptr;
};

struct CellType {
  std::string name;
  std::string doc;
  std::vector<ParamSpec> schema;
  std::function<std::unique_ptr<Cell>(const CellArgs&)> create;
  // Optional, for composite cells (nstep): the full schema for the values given, e.g. nstep's
  // own parameters (with `cell`'s choices filled from the registry) plus the parameters of the
  // inner cell that given["cell"] names, which nstep forwards. Unset: `schema` is the whole
  // story. CellRegistry::schema_for() calls it; create() validates against its result.
  std::function<std::vector<ParamSpec>(const CellRegistry&,
                                       const std::map<std::string, ParamValue>& given)>
      expand_schema;
  // Filled by the registry:
  std::string plugin;   // plugin name
  std::string version;  // plugin version
  std::string file;     // .so path
};

// Ambiguity (no silent shadowing): when two plugins of the search path register the same cell
// name, the plugin loader keeps both with add_alternative(). The name is then AMBIGUOUS:
// find() still returns a type (the name exists; `rnnlab cells` lists every candidate through
// candidates()), but get(), schema_for() and create() throw an InputError naming every
// candidate's plugin and file, until pick() chooses one (the CLI's --cell-from CELL=PLUGIN or
// $RNNLAB_CELL_FROM). Nothing is chosen by search-path order.
class CellRegistry {
 public:
  // Throws InputError if a cell of that name exists (naming both plugins).
  void add(CellType type);
  // Like add(), but a cell of that name from another file makes the name ambiguous (see above)
  // instead of an error. The same name twice from one file is still an error.
  void add_alternative(CellType type);
  // The type of `name` (for an ambiguous name: the first candidate), nullptr if unknown.
  const CellType* find(const std::string& name) const;
  // Every candidate of `name`: one for a plain cell, two or more for an ambiguous one, none for
  // an unknown name. Pointers stay valid until the next add/pick.
  std::vector<const CellType*> candidates(const std::string& name) const;
  // "" unless `name` is ambiguous; else the message get() throws.
  std::string ambiguity(const std::string& name) const;
  // Resolves `cell` to the candidate whose plugin name, file (as given or canonical) or file
  // name is `plugin_or_file`. InputError when the cell is unknown or no candidate matches
  // (listing them). Picking the only provider of a plain cell is allowed (a no-op).
  void pick(const std::string& cell, const std::string& plugin_or_file);
  // A plugin file that could not be loaded (the loader skipped it with a warning): get() of an
  // unknown cell named like the file (librnnlab_plugin_<name>.so) says why instead of only
  // "unknown cell".
  void add_unloadable(const std::string& name, const std::string& reason);
  // Throws InputError: unknown cell (with "did you mean" and the known names, or why its
  // plugin file could not be loaded) or an ambiguous one.
  const CellType& get(const std::string& name) const;
  std::vector<std::string> names() const;
  // The schema `given` is validated against: type.expand_schema(*this, given) when the type has
  // one (composite cells), else type.schema. The DSL and `rnnlab cells` should use this.
  std::vector<ParamSpec> schema_for(const std::string& name,
                                    const std::map<std::string, ParamValue>& given = {}) const;
  std::unique_ptr<Cell> create(const std::string& name,
                               const std::map<std::string, ParamValue>& given,
                               int64_t input_size, ParameterStore& params,
                               const std::string& prefix, Rng& rng) const;
  // Set by the loader while a plugin registers.
  void set_origin(std::string plugin, std::string version, std::string file);

 private:
  // `type` with the loader's origin applied, checked (a name, a factory, a sane schema).
  CellType stamped(CellType type) const;

  std::map<std::string, CellType> types_;
  std::map<std::string, std::vector<CellType>> ambiguous_;  // name -> every candidate (>= 2)
  std::map<std::string, std::string> unloadable_;           // name -> why its file was skipped
  std::string origin_plugin_, origin_version_, origin_file_;
};

// Closest candidate by edit distance (for "did you mean"), "" if none is close.
std::string closest_name(const std::string& word, const std::vector<std::string>& candidates);

}  // namespace rnnlab
