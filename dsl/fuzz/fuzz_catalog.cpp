// The fuzzer's stand-in for framework/src/experiment/catalog.cpp: built-in layers, data
// sources, optimizers, losses and train settings with plausible schemas, so the fuzz binary
// needs nothing from the framework beyond the schema code (cell_schema.cpp, cell_registry.cpp).
#include <algorithm>
#include "rnnlab/catalog.h"
namespace rnnlab {
namespace {
ParamSpec I(std::string n, int64_t d, double lo, double hi, bool req = false, std::string doc = "") {
  ParamSpec s; s.name = n; s.type = ParamType::integer; s.default_value = d; s.min = lo; s.max = hi; s.required = req; s.doc = doc; return s; }
ParamSpec R(std::string n, double d, double lo, double hi, std::string doc = "") {
  ParamSpec s; s.name = n; s.type = ParamType::real; s.default_value = d; s.min = lo; s.max = hi; s.doc = doc; return s; }
ParamSpec B(std::string n, bool d, std::string doc = "") { ParamSpec s; s.name = n; s.type = ParamType::boolean; s.default_value = d; s.doc = doc; return s; }
ParamSpec C(std::string n, std::string d, std::vector<std::string> ch, std::string doc = "") {
  ParamSpec s; s.name = n; s.type = ParamType::choice; s.default_value = d; s.choices = ch; s.doc = doc; return s; }
ParamSpec S(std::string n, std::string d, bool req = false, std::string doc = "") {
  ParamSpec s; s.name = n; s.type = ParamType::string; s.default_value = d; s.required = req; s.doc = doc; return s; }
}
Catalog::Catalog(const CellRegistry& cells) : cells_(cells) {
  layers_ = {{"dense", "affine", {I("units", 1, 1, 1 << 20, true, "output features"), C("activation", "none", {"none", "tanh", "relu", "sigmoid"})}},
             {"embedding", "table", {I("vocab", 1, 1, 1e9, true, "vocabulary size"), I("dim", 1, 1, 1 << 20, true, "embedding size")}},
             {"dropout", "dropout", {R("p", 0.5, 0, 0.99, "drop probability")}}};
  auto none = [](const CellConfig&, const std::string&, uint64_t) { return DataSetup{}; };
  data_.push_back({{"digits", "8x8 digits", {S("path", "data/digits.csv.gz"), R("test_fraction", 0.2, 0, 0.9)}}, none});
  data_.push_back({{"csv", "csv series", {S("path", "", true, "CSV file"), S("column", "value"), I("window", 6, 1, 100000)}}, none});
  data_.push_back({{"fibonacci", "fib mod", {I("points", 2000, 1, 1e7), I("modulus", 5, 2, 1000), I("window", 30, 1, 10000)}}, none});
  optimizers_ = {{"sgd", "", {R("lr", 0.01, 0, 10)}}, {"momentum", "", {R("lr", 0.01, 0, 10), R("momentum", 0.9, 0, 1)}},
                 {"adam", "", {R("lr", 0.001, 0, 10), R("beta1", 0.9, 0, 1), R("beta2", 0.999, 0, 1)}},
                 {"rmsprop", "", {R("lr", 0.001, 0, 10), R("rho", 0.9, 0, 1)}}};
  losses_ = {"softmax_cross_entropy", "mse", "bce_with_logits"};
  train_ = {C("loss", "mse", losses_), I("batch", 16, 1, 1 << 20), I("steps", 0, 1, 1e12), I("epochs", 0, 1, 1e9),
            I("eval_every", 0, 0, 1e12), I("log_every", 0, 0, 1e12), R("clip", 0, 0, 1e9), B("stateful", false), B("shuffle", true)};
  train_[0].required = true;
}
const SchemaEntry* Catalog::find_layer(const std::string& n) const { for (auto& l : layers_) if (l.name == n) return &l; return nullptr; }
const DataSourceType* Catalog::find_data_source(const std::string& n) const { for (auto& d : data_) if (d.entry.name == n) return &d; return nullptr; }
const SchemaEntry* Catalog::find_optimizer(const std::string& n) const { for (auto& o : optimizers_) if (o.name == n) return &o; return nullptr; }
std::vector<std::string> Catalog::layer_names() const { auto v = cells_.names(); for (auto& l : layers_) v.push_back(l.name); std::sort(v.begin(), v.end()); return v; }
void Catalog::add_data_source(DataSourceType t) { data_.push_back(std::move(t)); }
}
