// The catalog's built-in entries (see catalog.h): layers, optimizers, losses, train settings;
// data sources register themselves (experiment/data_sources/registry.h).
#include "rnnlab/catalog.h"

#include <algorithm>

#include "experiment/data_sources/registry.h"
#include "experiment/schema_helpers.h"

namespace rnnlab {

namespace {

using schema::choice;
using schema::flag;
using schema::integer;
using schema::kInf;
using schema::real;
using schema::text;

std::vector<SchemaEntry> builtin_layers() {
  return {
      {"dense", "y = act(x W + b); on a sequence [T,B,F] it applies to every step",
       {integer("units", 1, 1, "output size O", /*required=*/true),
        choice("activation", "none", {"none", "tanh", "relu", "sigmoid"}, "activation act")}},
      {"embedding", "ids i32 [T,B] -> vectors [T,B,dim] (table [vocab, dim])",
       {integer("vocab", 1, 1, "vocabulary size V", true),
        integer("dim", 1, 1, "embedding size D", true)}},
      {"dropout", "inverted dropout in training (keep prob 1-p), identity in evaluation",
       {real("p", 0.0, 0.0, 0.999, "drop probability in [0, 1)", true)}},
  };
}

ParamSpec weight_decay() {
  return real("weight_decay", 0.0, 0.0, kInf, "L2 penalty added to the gradient (g += wd * w)");
}

ParamSpec learning_rate(double def) {
  ParamSpec s = real("lr", def, 0.0, kInf, "learning rate");
  s.min = 1e-12;  // must be positive; a readable bound in messages
  return s;
}

ParamSpec unit_interval(const char* name, double def, const char* doc) {
  return real(name, def, 0.0, 0.999, doc);  // [0, 1), as an inclusive bound that reads well
}

ParamSpec epsilon(double def) {
  ParamSpec s = real("eps", def, 0.0, kInf, "denominator term (> 0)");
  s.min = 0x1p-1074;
  return s;
}

std::vector<SchemaEntry> builtin_optimizers() {
  return {
      {"sgd", "w -= lr * g", {learning_rate(0.01), weight_decay()}},
      {"momentum", "v = momentum * v + g;  w -= lr * v",
       {learning_rate(0.01), unit_interval("momentum", 0.9, "velocity decay"), weight_decay()}},
      {"adam", "Adam (Kingma & Ba) with bias correction",
       {learning_rate(1e-3), unit_interval("beta1", 0.9, "first-moment decay"),
        unit_interval("beta2", 0.999, "second-moment decay"), epsilon(1e-8), weight_decay()}},
      {"rmsprop", "s = rho * s + (1-rho) g²;  w -= lr * g / (sqrt(s) + eps)  (as Keras)",
       {learning_rate(1e-3), unit_interval("rho", 0.9, "mean-square decay"), epsilon(1e-7),
        weight_decay()}},
  };
}

std::vector<ParamSpec> builtin_train_settings() {
  return {
      choice("loss", "softmax_cross_entropy", {"softmax_cross_entropy", "mse", "bce_with_logits"},
             "training loss (accuracy is reported for the two classification losses; "
             "softmax_cross_entropy on per-step class targets is the mean over the scored "
             "tokens only: padded steps and class id -1 are not counted)"),
      integer("batch", 32, 1, "mini-batch size B"),
      integer("steps", 0, 0, "train for this many steps (0: use epochs)"),
      integer("epochs", 0, 0, "train for this many epochs (0: use steps)"),
      integer("eval_every", 0, 0, "steps between evaluations (0: each epoch end and the end)"),
      integer("log_every", 10, 1, "steps between rows of /metrics in the run file"),
      real("checkpoint_seconds", 60.0, 0.0, kInf,
           "wall-time seconds between checkpoints for --resume (0: off)"),
      integer("checkpoint_every", 0, 0,
              "also checkpoint every this many steps (0: off; with both off, only when "
              "interrupted)"),
      real("diverge_factor", 1e4, 0.0, kInf,
           "fail the run when the loss exceeds this times max(first loss, 1) (0: off)"),
      real("clip", 0.0, 0.0, kInf, "global gradient-norm clipping (0: off)"),
      flag("stateful", false, "carry the recurrent state across batches, reset each epoch"),
      choice("path", "auto", {"auto", "fused", "compiled", "scan", "composed"},
             "how recurrent layers run: the cell's fused kernel, the step compiler, the step "
             "compiler's parallel scan of a linear recurrence, the per-op unroll; auto = fused "
             "if the cell has a kernel, else compiled (as a scan where that pays)"),
      choice("order", "shuffled", {"shuffled", "sequential", "streams"},
             "batch order: a fresh permutation per epoch, the data order, or B parallel "
             "streams (stateful)"),
      flag("drop_last", false, "drop the last short batch of an epoch"),
      choice("dtype", "f32", {"f32", "f64"}, "floating-point type of parameters and data"),
      integer("threads", 0, 0, "CPU threads (0: the backend's default, all cores)"),
      text("tensorboard", "", false,
           "also write TensorBoard event files to DIR/<experiment>/<run>/ (relative to the .rnn "
           "file's folder; `rnnlab run --tensorboard` wins; \"\": none)"),
  };
}

}  // namespace

Catalog::Catalog(const CellRegistry& cells)
    : cells_(cells),
      layers_(builtin_layers()),
      data_(builtin_data_sources()),
      optimizers_(builtin_optimizers()),
      losses_({"softmax_cross_entropy", "mse", "bce_with_logits"}),
      train_(builtin_train_settings()) {}

const SchemaEntry* Catalog::find_layer(const std::string& name) const {
  for (const auto& l : layers_)
    if (l.name == name) return &l;
  return nullptr;
}

const DataSourceType* Catalog::find_data_source(const std::string& name) const {
  for (const auto& d : data_)
    if (d.entry.name == name) return &d;
  return nullptr;
}

const SchemaEntry* Catalog::find_optimizer(const std::string& name) const {
  for (const auto& o : optimizers_)
    if (o.name == name) return &o;
  return nullptr;
}

std::vector<std::string> Catalog::layer_names() const {
  std::vector<std::string> names = cells_.names();
  for (const auto& l : layers_) names.push_back(l.name);
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

void Catalog::add_data_source(DataSourceType type) {
  RNNLAB_CHECK_INPUT(!type.entry.name.empty() && type.create,
                     "a data source needs a name and a factory");
  RNNLAB_CHECK_INPUT(find_data_source(type.entry.name) == nullptr, "data source '",
                     type.entry.name, "' is already in the catalog");
  data_.push_back(std::move(type));
}

}  // namespace rnnlab
