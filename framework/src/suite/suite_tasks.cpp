// The cell suite's tasks, budgets and the experiment of one task (suite.h).
#include <algorithm>
#include <filesystem>
#include <set>

#include "rnnlab/cell_params.h"
#include "rnnlab/error.h"
#include "rnnlab/runner.h"
#include "rnnlab/spec_keys.h"
#include "rnnlab/suite.h"

namespace rnnlab {

namespace fs = std::filesystem;

namespace {

// The suite's tasks in the order of the leaderboard (experiments/suite/<name>.rnn).
const std::vector<std::string>& task_order() {
  static const std::vector<std::string> order = {
      "char_lm",    "word_lm", "pos",    "copy",  "selective_copy", "associative_recall",
      "mnist_rows", "psmnist", "adding", "length"};
  return order;
}

using Table = std::map<std::string, std::vector<std::string>>;

// smoke: three steps of a small batch on tiny data (generated sources: few, short sequences;
// corpora and MNIST: a small held-out part), one evaluation at the end, hidden 16.
const std::vector<std::string> kSmokeCommon = {"train.steps=3", "train.eval_every=0",
                                               "train.log_every=1", "model.cell.hidden=16"};
const Table kSmoke = {
    {"char_lm", {"train.batch=4", "data.valid_fraction=0.002", "data.test_fraction=0.002"}},
    {"word_lm", {"train.batch=4", "data.valid_fraction=0.002", "data.test_fraction=0.002"}},
    {"pos", {"train.batch=8", "data.valid_fraction=0.002", "data.test_fraction=0.002"}},
    {"copy", {"train.batch=8", "data.blanks=5", "data.examples=64", "data.test_examples=16"}},
    {"selective_copy",
     {"train.batch=8", "data.steps=16", "data.examples=64", "data.test_examples=16"}},
    {"associative_recall", {"train.batch=8", "data.examples=64", "data.test_examples=16"}},
    {"mnist_rows", {"train.batch=8", "data.test_fraction=0.005"}},
    {"psmnist", {"train.batch=4", "data.test_fraction=0.002"}},
    {"adding", {"train.batch=8", "data.steps=8", "data.examples=64", "data.test_examples=16"}},
    {"length", {"train.batch=8", "data.max_len=12", "data.examples=64", "data.test_examples=16"}},
};

// paper: the papers' settings where this data allows them (README "Rank a new cell" and
// experiments/README.md list them): their sequence lengths, model sizes and training lengths,
// for a cluster or a GPU; evaluation every few thousand steps.
const Table kPaper = {
    // Character LMs (SRU: enwik8, text8; minGRU: Shakespeare) train far larger models for
    // many epochs: here hidden 512 for 10 epochs of the Brown training part.
    {"char_lm",
     {"model.cell.hidden=512", "model.cell.embedding.dim=64", "train.batch=64", "train.epochs=10",
      "train.eval_every=2000"}},
    // Word LM as Zaremba et al.'s medium PTB model (the QRNN paper's comparison): 650 units,
    // embedding 650, 39 epochs, BPTT 35, batch 20, gradient norm 5; the standard 10% valid part.
    {"word_lm",
     {"model.cell.hidden=650", "model.cell.embedding.dim=650", "data.valid_fraction=0.1",
      "train.epochs=39", "train.clip=5", "train.eval_every=5000"}},
    // A BiLSTM tagger's size (100 units per direction), 20 epochs.
    {"pos", {"model.cell.hidden=100", "train.epochs=20", "train.eval_every=5000"}},
    // Copy memory (Arjovsky et al. 2016): T = 100 blanks, every step scored as in the paper,
    // hidden 128, 20 000 steps.
    {"copy",
     {"data.blanks=100", "data.score=all", "model.cell.hidden=128", "data.examples=2000000",
      "train.steps=20000", "train.eval_every=1000"}},
    // Selective copy (Gu & Dao 2023, sec. 4.1.1): 16 tokens among 4096 steps.
    {"selective_copy",
     {"data.steps=4096", "data.tokens=16", "model.cell.hidden=128", "data.examples=2000000",
      "train.steps=20000", "train.eval_every=1000"}},
    // MQAR towards Zoology's harder settings (Arora et al. 2023): 32 pairs of 64 keys and 64
    // values, 16 queries (vocabulary 129).
    {"associative_recall",
     {"data.pairs=32", "data.keys=64", "data.values=64", "data.queries=16",
      "model.cell.embedding.vocab=129", "model.cell.embedding.dim=64", "model.cell.dense.units=129",
      "model.cell.hidden=128", "data.examples=2000000", "train.steps=20000",
      "train.eval_every=1000"}},
    // Row-by-row MNIST: hidden 128, 20 epochs.
    {"mnist_rows", {"model.cell.hidden=128", "train.epochs=20"}},
    // psMNIST as the uRNN paper's LSTM (Arjovsky et al. 2016): hidden 128, 100 epochs.
    {"psmnist",
     {"model.cell.hidden=128", "data.test_fraction=0.2", "train.epochs=100",
      "train.eval_every=5000"}},
    // The RWA study (Ostmeyer & Cowell 2017): T = 1000, hidden 250, batch 100, 20 000 steps.
    {"adding",
     {"data.steps=1000", "model.cell.hidden=250", "train.batch=100", "data.examples=2000000",
      "train.steps=20000", "train.eval_every=500"}},
    {"length",
     {"data.max_len=1000", "model.cell.hidden=250", "train.batch=100", "data.examples=2000000",
      "train.steps=20000", "train.eval_every=500"}},
};

// A train setting's value typed by the catalog's schema of that setting, else by its spelling
// (integer, real, true/false, text); checked when the experiment is compiled.
ParamValue typed_value(const std::string& name, const std::string& text, const Catalog& catalog) {
  const ParamSpec* spec = find_param(catalog.train_settings(), name);
  auto as_integer = [&](int64_t& out) {
    try {
      std::size_t n = 0;
      out = std::stoll(text, &n);
      return n == text.size();
    } catch (const std::exception&) {
      return false;
    }
  };
  auto as_real = [&](double& out) {
    try {
      std::size_t n = 0;
      out = std::stod(text, &n);
      return n == text.size();
    } catch (const std::exception&) {
      return false;
    }
  };
  int64_t i = 0;
  double d = 0;
  if (spec && (spec->type == ParamType::choice || spec->type == ParamType::string)) return text;
  if (spec && spec->type == ParamType::real && as_real(d)) return d;
  if (as_integer(i)) return i;
  if (as_real(d)) return d;
  if (text == "true") return true;
  if (text == "false") return false;
  return text;
}

bool is_composite(const Catalog& catalog, const std::string& kind) {
  const CellType* t = catalog.cells().find(kind);
  return t && t->expand_schema;
}

// The hidden size a recurrent layer has: its argument, else its cell's default.
ParamValue hidden_of(const LayerSpec& layer, const Catalog& catalog) {
  if (auto it = layer.args.find("hidden"); it != layer.args.end()) return it->second.value;
  const auto schema = find_layer_schema(catalog, layer);
  RNNLAB_CHECK_INPUT(schema && find_param(*schema, "hidden"), layer.loc.file, ":", layer.loc.line,
                     ": suite: the recurrent layer '", layer.kind, "' has no hidden size to match");
  return find_param(*schema, "hidden")->default_value;
}

// `layer` (a recurrent layer of model `cell`) running `cell` instead, at the same hidden size.
LayerSpec replaced_layer(const LayerSpec& layer, const SuiteCell& cell, const Catalog& catalog) {
  const SourceLoc at{"suite cell " + cell.name, 0, 0};
  LayerSpec out;
  out.loc = layer.loc;
  ArgSpec hidden{hidden_of(layer, catalog), layer.loc};
  if (is_composite(catalog, layer.kind)) {
    // Keep the composite's own arguments (its declared schema) and hidden; stack `cell`.
    const CellType& type = catalog.cells().get(layer.kind);
    std::set<std::string> own;
    for (const auto& p : type.schema) own.insert(p.name);
    out.kind = layer.kind;
    for (const auto& [name, arg] : layer.args)
      if (own.count(name)) out.args[name] = arg;
    out.args["cell"] = ArgSpec{cell.name, at};
    out.args["hidden"] = hidden;
    for (const auto& [name, value] : cell.args)
      out.args[own.count(name) ? "cell_" + name : name] = ArgSpec{value, at};
  } else {
    out.kind = cell.name;
    out.args["hidden"] = hidden;
    for (const auto& [name, value] : cell.args) out.args[name] = ArgSpec{value, at};
  }
  return out;
}

// The data block's paths made absolute against `base` (the task file's folder): the argument
// `path`, and any other text argument that names an existing file or folder there.
void absolute_data_paths(DataSpec& data, const fs::path& base) {
  for (auto& [name, arg] : data.args) {
    auto* text = std::get_if<std::string>(&arg.value);
    if (!text || text->empty()) continue;
    const fs::path p(*text);
    if (p.is_absolute()) continue;
    std::error_code ec;
    if (name == "path" || fs::exists(base / p, ec)) *text = (base / p).lexically_normal().string();
  }
}

}  // namespace

const std::vector<std::string>& suite_budgets() {
  static const std::vector<std::string> budgets = {"smoke", "quick", "paper"};
  return budgets;
}

std::vector<std::string> suite_budget_overrides(const std::string& budget,
                                                const std::string& task) {
  if (budget == "quick") return {};
  const Table* table = budget == "smoke" ? &kSmoke : budget == "paper" ? &kPaper : nullptr;
  RNNLAB_CHECK_INPUT(table, "unknown suite budget '", budget, "' (smoke, quick or paper)");
  std::vector<std::string> out = budget == "smoke" ? kSmokeCommon : std::vector<std::string>{};
  if (auto it = table->find(task); it != table->end())
    out.insert(out.end(), it->second.begin(), it->second.end());
  return out;
}

std::vector<SuiteTask> suite_tasks(const std::string& dir) {
  std::error_code ec;
  RNNLAB_CHECK_INPUT(fs::is_directory(dir, ec), "suite: the task folder ", dir,
                     " does not exist (--tasks-dir)");
  std::vector<SuiteTask> tasks;
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().extension() == ".rnn")
      tasks.push_back(
          {e.path().stem().string(), fs::absolute(e.path()).lexically_normal().string()});
  RNNLAB_CHECK_INPUT(!tasks.empty(), "suite: no task files (*.rnn) in ", dir);
  const auto& order = task_order();
  auto place = [&](const SuiteTask& t) {
    return std::find(order.begin(), order.end(), t.name) - order.begin();
  };
  std::sort(tasks.begin(), tasks.end(), [&](const SuiteTask& a, const SuiteTask& b) {
    return std::pair(place(a), a.name) < std::pair(place(b), b.name);
  });
  return tasks;
}

std::vector<SuiteTask> select_suite_tasks(const std::vector<SuiteTask>& tasks,
                                          const std::vector<std::string>& names) {
  if (names.empty()) return tasks;
  std::vector<std::string> known;
  for (const auto& t : tasks) known.push_back(t.name);
  for (const auto& n : names)
    if (std::find(known.begin(), known.end(), n) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      throw InputError("suite: unknown task '" + n + "' (tasks: " + list + ")");
    }
  std::vector<SuiteTask> out;
  for (const auto& t : tasks)
    if (std::find(names.begin(), names.end(), t.name) != names.end()) out.push_back(t);
  return out;
}

std::vector<SuiteCell> suite_cells(const std::vector<std::string>& candidates,
                                   const std::vector<std::string>& settings,
                                   const std::vector<std::string>& baselines,
                                   const Catalog& catalog) {
  RNNLAB_CHECK_INPUT(!candidates.empty(), "suite: no cell to rank");
  std::vector<std::string> cell_args;
  std::vector<std::pair<std::string, std::string>> train;
  for (const auto& s : settings) {
    const auto eq = s.find('=');
    RNNLAB_CHECK_INPUT(eq != std::string::npos && eq > 0, "suite: --set '", s,
                       "' is not KEY=VALUE");
    if (s.starts_with("train.")) {
      RNNLAB_CHECK_INPUT(eq > 6, "suite: --set '", s, "' names no train setting");
      train.emplace_back(s.substr(6, eq - 6), s.substr(eq + 1));
    } else {
      RNNLAB_CHECK_INPUT(s.substr(0, eq).find('.') == std::string::npos, "suite: --set '", s,
                         "': KEY is an argument of the cell (hidden, activation, ...) or "
                         "train.SETTING; the tasks' other settings come from --budget");
      cell_args.push_back(s);
    }
  }
  std::vector<SuiteCell> out;
  auto add = [&](const std::string& name, bool candidate) {
    for (const auto& c : out)
      if (c.name == name) return;
    const CellType& type = catalog.cells().get(name);  // unknown / ambiguous: InputError
    RNNLAB_CHECK_INPUT(!type.expand_schema, "suite: '", name,
                       "' is a composite cell; rank the cell it stacks instead");
    RNNLAB_CHECK_INPUT(find_param(catalog.cells().schema_for(name), "hidden"), "suite: cell '",
                       name, "' has no parameter `hidden`: the suite matches cells by hidden size");
    SuiteCell c{name, {}, {}};
    if (candidate) {
      c.args = cell_params_from_text(catalog.cells(), name, cell_args);
      for (const auto& [k, v] : train) c.train.emplace_back(k, typed_value(k, v, catalog));
    }
    out.push_back(std::move(c));
  };
  for (const auto& c : candidates) add(c, true);
  for (const auto& b : baselines) add(b, false);
  return out;
}

ExperimentSpec suite_experiment(const ExperimentSpec& task, const std::vector<SuiteCell>& cells,
                                int seeds, const Catalog& catalog, const std::string& source_path) {
  RNNLAB_CHECK_INPUT(seeds >= 1, "suite: --seeds must be at least 1, found ", seeds);
  const auto base = std::find_if(task.models.begin(), task.models.end(),
                                 [](const ModelSpec& m) { return m.name == kSuiteModel; });
  RNNLAB_CHECK_INPUT(base != task.models.end(), task.source_path, ": suite task '", task.name,
                     "' has no model named `", kSuiteModel, "` (the model whose recurrent ",
                     "layer the suite replaces)");
  std::vector<std::size_t> recurrent;
  for (std::size_t i = 0; i < base->layers.size(); ++i)
    if (is_cell(catalog, base->layers[i].kind)) recurrent.push_back(i);
  RNNLAB_CHECK_INPUT(!recurrent.empty(), task.source_path, ": suite task '", task.name,
                     "': model `", kSuiteModel, "` has no recurrent layer");

  ExperimentSpec out = task;
  out.models.clear();
  for (const SuiteCell& c : cells) {
    ModelSpec m = *base;
    m.name = c.name;
    for (std::size_t i : recurrent) m.layers[i] = replaced_layer(base->layers[i], c, catalog);
    out.models.push_back(std::move(m));
    for (const auto& [setting, value] : c.train)
      apply_setting(out, "model." + c.name + ".train." + setting, value, catalog);
    // An optimizer argument alone (train.lr, train.optimizer.lr) lands in the model's
    // overrides without an optimizer name, which the canonical text would not print: name
    // the experiment's optimizer there, whose arguments the run then merges with these.
    TrainSpec& over = out.models.back().train_overrides;
    if (over.optimizer.empty() && !over.optimizer_args.empty()) {
      over.optimizer = out.train.optimizer.empty() ? "adam" : out.train.optimizer;
      over.optimizer_loc = SourceLoc{"suite cell " + c.name, 0, 0};
    }
  }
  std::erase_if(out.sweep, [](const SweepAxis& a) { return a.key == "seed"; });
  SweepAxis seed_axis{"seed", {}, SourceLoc{source_path, 0, 0}};
  for (int s = 1; s <= seeds; ++s) seed_axis.values.emplace_back(int64_t{s});
  out.sweep.push_back(std::move(seed_axis));
  absolute_data_paths(out.data, fs::absolute(task.source_path).parent_path());
  out.source_path = source_path;
  return out;
}

}  // namespace rnnlab
