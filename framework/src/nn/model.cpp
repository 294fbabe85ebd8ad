// Model (a layer stack) and ModelBuilder.
#include "rnnlab/model.h"

namespace rnnlab {

std::string Model::next_prefix(const std::string& kind) const {
  return name_ + "/layer" + std::to_string(layers_.size()) + "/" + kind;
}

Layer& Model::add(std::unique_ptr<Layer> layer) {
  layers_.push_back(std::move(layer));
  return *layers_.back();
}

Activation Model::forward(Tape& tape, Activation in, const ForwardContext& ctx) {
  for (auto& l : layers_) in = l->forward(tape, in, ctx);
  return in;
}

NamedTensors Model::carried_state() const {
  NamedTensors out;
  for (std::size_t k = 0; k < layers_.size(); ++k)
    layers_[k]->save_carry("layer" + std::to_string(k) + "/", out);
  return out;
}

void Model::restore_carried_state(const NamedTensors& state) {
  for (std::size_t k = 0; k < layers_.size(); ++k)
    layers_[k]->load_carry("layer" + std::to_string(k) + "/", state);
}

void Model::reset_state() {
  for (auto& l : layers_) l->reset_state();
}

void Model::set_use_fused(bool on) {
  for (auto& l : layers_)
    if (auto* r = dynamic_cast<RecurrentLayer*>(l.get())) r->recurrent().set_use_fused(on);
}

void Model::set_path(RecurrentPath path) {
  for (auto& l : layers_)
    if (auto* r = dynamic_cast<RecurrentLayer*>(l.get())) r->recurrent().set_path(path);
}

std::string Model::recurrent_paths() const {
  std::string s;
  for (std::size_t k = 0; k < layers_.size(); ++k)
    if (const auto* r = dynamic_cast<const RecurrentLayer*>(layers_[k].get())) {
      const std::optional<RecurrentPath> ran = r->recurrent().path_ran();
      s += (s.empty() ? "layer" : " layer") + std::to_string(k) + "=" +
           (ran ? path_name(*ran) : "none");
    }
  return s;
}

std::string Model::recurrent_path_notes() const {
  std::string s;
  for (std::size_t k = 0; k < layers_.size(); ++k)
    if (const auto* r = dynamic_cast<const RecurrentLayer*>(layers_[k].get()))
      if (!r->recurrent().path_note().empty())
        s += (s.empty() ? "layer" : "; layer") + std::to_string(k) + ": " +
             r->recurrent().path_note();
  return s;
}

ModelBuilder::ModelBuilder(const CellRegistry& registry, std::string name, int64_t input_size,
                           uint64_t seed, Device device, DType dtype)
    : registry_(registry),
      model_(std::make_unique<Model>(std::move(name), input_size, device, dtype)),
      rng_(Rng(seed).fork("init")) {}

ModelBuilder& ModelBuilder::cell(const std::string& cell,
                                 const std::map<std::string, ParamValue>& params,
                                 bool return_sequences, bool stateful) {
  // The cell's parameters live under "<model>/layer<k>/<cell>/".
  std::string prefix = model_->next_prefix(cell);
  auto c = registry_.create(cell, params, model_->output_size(), model_->params(), prefix, rng_);
  Recurrent::Options opts;
  opts.stateful = stateful;
  model_->add(std::make_unique<RecurrentLayer>(std::move(c), return_sequences, opts, cell));
  return *this;
}

ModelBuilder& ModelBuilder::dense(int64_t out, ActivationFn act) {
  model_->add(std::make_unique<Dense>(model_->output_size(), out, act, model_->params(),
                                      model_->next_prefix("dense"), rng_));
  return *this;
}

ModelBuilder& ModelBuilder::embedding(int64_t vocab, int64_t dim) {
  model_->add(std::make_unique<Embedding>(vocab, dim, model_->params(),
                                          model_->next_prefix("embedding"), rng_));
  return *this;
}

ModelBuilder& ModelBuilder::dropout(double p) {
  model_->add(std::make_unique<Dropout>(model_->output_size(), p, model_->layers().size()));
  return *this;
}

std::unique_ptr<Model> ModelBuilder::build() { return std::move(model_); }

}  // namespace rnnlab
