// Dense, Embedding, Dropout and Recurrent layers.
#include "rnnlab/model.h"

namespace rnnlab {

ActivationFn activation_from_name(const std::string& name) {
  if (name == "none" || name == "linear" || name.empty()) return ActivationFn::none;
  if (name == "tanh") return ActivationFn::tanh;
  if (name == "relu") return ActivationFn::relu;
  if (name == "sigmoid") return ActivationFn::sigmoid;
  throw InputError("unknown activation '" + name + "' (expected none, tanh, relu or sigmoid)");
}

namespace {
Var apply(ActivationFn act, const Var& x) {
  switch (act) {
    case ActivationFn::none: return x;
    case ActivationFn::tanh: return tanh(x);
    case ActivationFn::relu: return relu(x);
    case ActivationFn::sigmoid: return sigmoid(x);
  }
  return x;
}
}  // namespace

Dense::Dense(int64_t in, int64_t out, ActivationFn act, ParameterStore& ps,
             const std::string& prefix, Rng& rng)
    : in_(in), out_(out), act_(act) {
  RNNLAB_CHECK_INPUT(in > 0 && out > 0, "dense layer needs positive sizes, found ", in, " -> ",
                     out);
  w_ = &ps.create(prefix + "/W", {in, out});
  b_ = &ps.create(prefix + "/b", {out});
  init::glorot(*w_, rng);
}

Activation Dense::forward(Tape& tape, const Activation& in, const ForwardContext&) {
  RNNLAB_CHECK(in.x.dim(-1) == in_, "dense layer expects ", in_, " features, found ",
               shape_str(in.x.shape()));
  Activation out = in;
  out.x = apply(act_, linear(in.x, tape.param(*w_), tape.param(*b_)));
  return out;
}

// Embedding table initialised U(-0.05, 0.05) like Keras.
Embedding::Embedding(int64_t vocab, int64_t dim, ParameterStore& ps, const std::string& prefix,
                     Rng& rng)
    : vocab_(vocab), dim_(dim) {
  table_ = &ps.create(prefix + "/table", {vocab, dim});
  init::uniform(*table_, rng, 0.05);
}

Activation Embedding::forward(Tape& tape, const Activation& in, const ForwardContext&) {
  Activation out = in;
  out.x = embedding(tape.param(*table_), in.x);
  return out;
}

Activation Dropout::forward(Tape&, const Activation& in, const ForwardContext& ctx) {
  Activation out = in;
  out.x = dropout(in.x, p_, mix64(ctx.seed ^ mix64(salt_)),
                  ctx.training);
  return out;
}

RecurrentLayer::RecurrentLayer(std::unique_ptr<Cell> cell, bool return_sequences,
                               Recurrent::Options opts, std::string cell_name)
    : rnn_(std::move(cell), opts), return_sequences_(return_sequences),
      cell_name_(std::move(cell_name)) {}

Activation RecurrentLayer::forward(Tape& tape, const Activation& in, const ForwardContext& ctx) {
  RNNLAB_CHECK(in.sequence, "a recurrent layer needs a sequence input [T,B,F]");
  CellContext cc{ctx.training, ctx.seed};
  Recurrent::Output o = rnn_.forward(tape, in.x, in.lengths, cc);
  Activation out;
  if (return_sequences_) {
    out.x = o.outputs;
    out.sequence = true;
    out.lengths = in.lengths;
  } else {
    out.x = o.last;
    out.sequence = false;
  }
  return out;
}

}  // namespace rnnlab
