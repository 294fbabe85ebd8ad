// Models: a stack of layers (`lstm(hidden: 128) -> dense(10)`), each transforming an
// Activation. A sequence activation is x [T,B,F] with per-sequence lengths; a vector
// activation is x [B,F]. Parameter names: `<model>/layer<k>/<kind>/<name>`.
//
//   recurrent  [T,B,I] -> [T,B,H] (sequences: true) or [B,H] (the last valid step)
//   dense      y = act(x W + b), W [F,O], b [O]; on [T,B,F] it applies to every step
//   embedding  ids i32 [T,B] -> [T,B,D]  (table [V,D])
//   dropout    inverted dropout in training, identity in evaluation
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/recurrent.h"

namespace rnnlab {

struct Activation {
  Var x;
  bool sequence = false;         // x is [T,B,F]
  std::vector<int32_t> lengths;  // sequence lengths (empty = full)
};

struct ForwardContext {
  bool training = false;
  uint64_t seed = 0;  // per-batch seed for dropout/zoneout
};

class Layer {
 public:
  virtual ~Layer() = default;
  virtual std::string kind() const = 0;
  virtual int64_t output_size() const = 0;
  virtual Activation forward(Tape& tape, const Activation& in, const ForwardContext& ctx) = 0;
  virtual void reset_state() {}
  // The state carried across batches (stateful mode), for checkpoints (see Cell::save_carry).
  virtual void save_carry(const std::string& prefix, NamedTensors& out) const {
    (void)prefix, (void)out;
  }
  virtual void load_carry(const std::string& prefix, const NamedTensors& in) {
    (void)prefix, (void)in;
  }
};

enum class ActivationFn { none, tanh, relu, sigmoid };
ActivationFn activation_from_name(const std::string& name);  // throws InputError

class Dense final : public Layer {
 public:
  Dense(int64_t in, int64_t out, ActivationFn act, ParameterStore& ps, const std::string& prefix,
        Rng& rng);
  std::string kind() const override { return "dense"; }
  int64_t output_size() const override { return out_; }
  Activation forward(Tape& tape, const Activation& in, const ForwardContext& ctx) override;

 private:
  int64_t in_, out_;
  ActivationFn act_;
  Parameter* w_;
  Parameter* b_;
};

class Embedding final : public Layer {
 public:
  Embedding(int64_t vocab, int64_t dim, ParameterStore& ps, const std::string& prefix, Rng& rng);
  std::string kind() const override { return "embedding"; }
  int64_t output_size() const override { return dim_; }
  Activation forward(Tape& tape, const Activation& in, const ForwardContext& ctx) override;

 private:
  int64_t vocab_, dim_;
  Parameter* table_;
};

class Dropout final : public Layer {
 public:
  // `salt` (the layer index) makes each dropout layer's masks differ for one batch seed.
  Dropout(int64_t size, double p, uint64_t salt) : size_(size), p_(p), salt_(salt) {}
  std::string kind() const override { return "dropout"; }
  int64_t output_size() const override { return size_; }
  Activation forward(Tape& tape, const Activation& in, const ForwardContext& ctx) override;

 private:
  int64_t size_;
  double p_;
  uint64_t salt_;
};

class RecurrentLayer final : public Layer {
 public:
  RecurrentLayer(std::unique_ptr<Cell> cell, bool return_sequences, Recurrent::Options opts,
                 std::string cell_name);
  std::string kind() const override { return cell_name_; }
  int64_t output_size() const override { return rnn_.cell().hidden_size(); }
  Activation forward(Tape& tape, const Activation& in, const ForwardContext& ctx) override;
  void reset_state() override { rnn_.reset_state(); }
  void save_carry(const std::string& prefix, NamedTensors& out) const override {
    rnn_.save_carry(prefix, out);
  }
  void load_carry(const std::string& prefix, const NamedTensors& in) override {
    rnn_.load_carry(prefix, in);
  }
  Recurrent& recurrent() { return rnn_; }
  const Recurrent& recurrent() const { return rnn_; }
  bool return_sequences() const { return return_sequences_; }

 private:
  Recurrent rnn_;
  bool return_sequences_;
  std::string cell_name_;
};

class Model {
 public:
  Model(std::string name, int64_t input_size, Device device = Device::cpu,
        DType dtype = DType::f32)
      : name_(std::move(name)), input_size_(input_size), params_(device, dtype) {}
  const std::string& name() const { return name_; }
  ParameterStore& params() { return params_; }
  int64_t input_size() const { return input_size_; }
  int64_t output_size() const { return layers_.empty() ? input_size_ : layers_.back()->output_size(); }
  // Prefix for the next layer's parameters: "<model>/layer<k>/<kind>".
  std::string next_prefix(const std::string& kind) const;
  Layer& add(std::unique_ptr<Layer> layer);
  const std::vector<std::unique_ptr<Layer>>& layers() const { return layers_; }
  Activation forward(Tape& tape, Activation in, const ForwardContext& ctx);
  void reset_state();
  // Every layer's carried state as "layer<k>/..." (empty when nothing is carried), and back.
  NamedTensors carried_state() const;
  void restore_carried_state(const NamedTensors& state);
  // Switches every recurrent layer between its fused kernel and the composed unroll.
  void set_use_fused(bool on);
  // Sets every recurrent layer's path (recurrent.h: auto | fused | compiled | scan | composed).
  void set_path(RecurrentPath path);
  // What each recurrent layer ran last, "layer0=compiled layer2=fused" (layer index in the
  // stack), and the reasons it is not the path asked for ("layer0: not compiled: ..."; "" if
  // none).
  std::string recurrent_paths() const;
  std::string recurrent_path_notes() const;

 private:
  std::string name_;
  int64_t input_size_;
  ParameterStore params_;
  std::vector<std::unique_ptr<Layer>> layers_;
};

// Convenience builder used by tests, examples and the DSL compiler.
class ModelBuilder {
 public:
  ModelBuilder(const CellRegistry& registry, std::string name, int64_t input_size, uint64_t seed,
               Device device = Device::cpu, DType dtype = DType::f32);
  // A recurrent layer; return_sequences=false gives the last valid step [B,H].
  ModelBuilder& cell(const std::string& cell, const std::map<std::string, ParamValue>& params,
                     bool return_sequences = false, bool stateful = false);
  ModelBuilder& dense(int64_t out, ActivationFn act = ActivationFn::none);
  ModelBuilder& embedding(int64_t vocab, int64_t dim);
  ModelBuilder& dropout(double p);
  std::unique_ptr<Model> build();

 private:
  const CellRegistry& registry_;
  std::unique_ptr<Model> model_;
  Rng rng_;
};

}  // namespace rnnlab
