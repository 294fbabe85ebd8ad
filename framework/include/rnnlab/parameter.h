// Named trainable parameters. Names are paths: `<model>/<layer>/<cell>/<name>`, e.g.
// `lstm/layer0/lstm/W_x`; the same names are written to /params/ in the HDF5 run file.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "rnnlab/tensor.h"

namespace rnnlab {

class Rng;

struct Parameter {
  std::string name;
  Tensor value;
  Tensor grad;   // same shape; accumulated by Tape::backward, zeroed by the optimizer
  Tensor slot1;  // optimizer state (momentum / adam m / rmsprop mean square)
  Tensor slot2;  // optimizer state (adam v)
  // Tape memo: the node this parameter has on the tape generation `tape_generation`.
  uint64_t tape_generation = 0;
  int32_t tape_node = -1;
  // > 0: a constraint |value| <= max_abs that the optimizer keeps by clamping after every
  // update (projected gradient descent; e.g. IndRNN's recurrent weights, |u| <= 2^(1/T)).
  double max_abs = 0.0;
};

// Owns the parameters of a model, in creation order (which fixes their order everywhere).
class ParameterStore {
 public:
  ParameterStore(Device device = Device::cpu, DType dtype = DType::f32)
      : device_(device), dtype_(dtype) {}
  // Creates a zero parameter; throws if the name exists.
  Parameter& create(const std::string& name, const Shape& shape);
  Parameter* find(const std::string& name);
  Parameter& get(const std::string& name);  // throws with the known names
  const std::vector<std::unique_ptr<Parameter>>& all() const { return params_; }
  std::size_t size() const { return params_.size(); }
  int64_t numel() const;
  void zero_grad();
  Device device() const { return device_; }
  DType dtype() const { return dtype_; }

 private:
  Device device_;
  DType dtype_;
  std::vector<std::unique_ptr<Parameter>> params_;
};

}  // namespace rnnlab
