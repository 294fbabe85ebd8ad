// Reading and aggregating run files for `rnnlab report` (see report_data.h).
#include "report_data.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "rnnlab/run_file.h"

namespace rnnlab::cli {

namespace fs = std::filesystem;

std::vector<std::string> find_run_files(const std::vector<std::string>& paths) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    RNNLAB_CHECK_INPUT(fs::exists(p), "report: no such file or folder: ", p);
    if (fs::is_directory(p)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().extension() == ".h5") found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(p);
    }
  }
  RNNLAB_CHECK_INPUT(!out.empty(), "report: no run files (*.h5) under the given paths");
  return out;
}

namespace {

std::string attr_or(const RunFile& f, const std::string& name, const std::string& def) {
  return f.has_attr(name) ? f.attr_string(name) : def;
}

// An attr as text, whatever its type: a string as is, a number in its shortest exact form
// ("0.001", "128"), a bool as true / false. Error for other types (arrays, compounds).
std::string attr_text(const RunFile& f, const std::string& name) {
  const std::string type = f.attr_type(name);
  if (type == "string") return f.attr_string(name);
  if (type == "integer") return std::to_string(f.attr_int(name));
  if (type == "bool") return f.attr_bool(name) ? "true" : "false";
  RNNLAB_CHECK(type == "real", "report: attribute ", name, " of ", f.path(), " is not a scalar");
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, f.attr_double(name));
  return std::string(buf, res.ptr);
}

// Every attr of `object` ("/" or a group) that attr_text can show, by name.
std::vector<std::pair<std::string, std::string>> attrs_text(const RunFile& f,
                                                            const std::string& object) {
  std::vector<std::pair<std::string, std::string>> out;
  const std::string prefix = object == "/" ? "" : object + "/";
  for (const auto& name : f.attr_names(object)) {
    try {
      out.emplace_back(name, attr_text(f, prefix + name));
    } catch (const Error&) {  // not a scalar string, number or bool (another tool's): left out
    }
  }
  return out;
}

// The group of a run: its model plus its sweep id without the seed component
// ("lstm" + "hidden=64_seed=2" -> "lstm-hidden=64").
std::string group_of(const std::string& model, const std::string& sweep_id) {
  std::string kept;
  std::size_t start = 0;
  while (start < sweep_id.size()) {
    std::size_t end = sweep_id.find('_', start);
    if (end == std::string::npos) end = sweep_id.size();
    const std::string part = sweep_id.substr(start, end - start);
    if (part.rfind("seed=", 0) != 0) kept += (kept.empty() ? "" : "_") + part;
    start = end + 1;
  }
  return kept.empty() ? model : model + "-" + kept;
}

Series read_series(const RunFile& f, const std::string& group, const std::string& value) {
  Series s;
  if (f.num_rows(group) == 0) return s;
  auto names = f.series_names(group);
  auto has = [&](const std::string& n) { return std::find(names.begin(), names.end(), n) != names.end(); };
  if (!has("step") || !has(value)) return s;
  s.step = f.read_series(group, "step");
  s.value = f.read_series(group, value);
  s.wall_time = has("wall_time") ? f.read_series(group, "wall_time")
                                 : std::vector<double>(s.step.size(), NAN);
  s.epoch = has("epoch") ? f.read_series(group, "epoch") : std::vector<double>(s.step.size(), NAN);
  return s;
}

// DIR/summary.h5 of `rnnlab collect`: groups /runs and /groups, no run attributes.
bool is_sweep_summary(const std::string& path) {
  if (fs::path(path).filename() != "summary.h5") return false;
  try {
    RunFile f = RunFile::open(path);
    return !f.has_attr("rnnlab_version") && f.exists("runs") && f.exists("groups");
  } catch (const std::exception&) {
    return false;
  }
}

}  // namespace

Stat stat_of(const std::vector<double>& v) {
  Stat s;
  if (v.empty()) return {NAN, NAN};
  for (double x : v) s.mean += x;
  s.mean /= double(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / double(v.size() - 1));
  }
  return s;
}

RunRecord read_run(const std::string& path) {
  RunFile f = RunFile::open(path);
  RNNLAB_CHECK_INPUT(f.has_attr("rnnlab_version"), path,
                     ": an HDF5 file, but not an rnnlab run file (no rnnlab_version attribute)");
  RunRecord r;
  r.path = path;
  r.experiment = attr_or(f, "experiment", "?");
  r.model = attr_or(f, "model", fs::path(path).stem().string());
  r.run = attr_or(f, "run", r.model);
  r.group = group_of(r.model, attr_or(f, "sweep_id", ""));
  r.status = attr_or(f, "status", "?");
  r.seed = f.has_attr("seed") ? f.attr_int("seed") : 0;
  r.train_loss = read_series(f, "metrics", "loss");
  r.steps = f.has_attr("steps") ? f.attr_int("steps")
                                : (r.train_loss.step.empty() ? 0 : int64_t(r.train_loss.step.back()));
  r.train_time = f.has_attr("train_time") ? f.attr_double("train_time") : NAN;
  r.wall_time = f.has_attr("wall_time")
                    ? f.attr_double("wall_time")
                    : (r.train_loss.wall_time.empty() ? NAN : r.train_loss.wall_time.back());
  r.ms_per_step = r.steps > 0 ? 1e3 * r.train_time / double(r.steps) : NAN;
  r.final_train_loss = r.train_loss.value.empty() ? NAN : r.train_loss.value.back();
  const auto eval_names = f.series_names("eval");
  r.accuracy = std::find(eval_names.begin(), eval_names.end(), "accuracy") != eval_names.end();
  r.eval_loss = read_series(f, "eval", "loss");
  if (r.accuracy) r.eval_accuracy = read_series(f, "eval", "accuracy");
  r.eval_metric = r.accuracy ? r.eval_accuracy : r.eval_loss;
  r.has_eval = !r.eval_metric.value.empty();
  if (r.has_eval) {
    r.final_metric = r.eval_metric.value.back();
    r.best_metric = r.accuracy ? *std::max_element(r.eval_metric.value.begin(), r.eval_metric.value.end())
                               : *std::min_element(r.eval_metric.value.begin(), r.eval_metric.value.end());
  }
  r.attrs = attrs_text(f, "/");
  if (f.exists("config/values")) r.values = attrs_text(f, "config/values");
  if (f.exists("config/resolved")) r.resolved = f.read_text("config/resolved");
  return r;
}

std::vector<RunRecord> read_runs(const std::vector<std::string>& paths, std::ostream& warn) {
  std::vector<RunRecord> runs;
  std::size_t skipped = 0;
  for (const auto& given : paths) {
    const bool folder = fs::is_directory(given);
    for (const auto& path : find_run_files({given})) {
      if (folder && is_sweep_summary(path)) continue;  // `rnnlab collect`'s DIR/summary.h5
      try {
        runs.push_back(read_run(path));
      } catch (const std::exception& e) {
        // The messages of RunFile name the file; say which one in any case.
        const std::string what = e.what();
        const std::string why = what.find(path) == std::string::npos ? path + ": " + what : what;
        if (!folder) throw InputError("report: " + why);
        warn << "rnnlab report: warning: skipped an unreadable run file: " << why << "\n";
        ++skipped;
      }
    }
  }
  RNNLAB_CHECK_INPUT(!runs.empty(), "report: no run file under the given paths could be read (",
                     skipped, " skipped, see the warnings above)");
  if (skipped > 0)
    warn << "rnnlab report: warning: " << skipped << " unreadable run file"
         << (skipped == 1 ? "" : "s") << " skipped; reporting " << runs.size() << "\n";
  return runs;
}

std::vector<GroupRow> aggregate(const std::vector<RunRecord>& runs) {
  std::vector<GroupRow> rows;
  std::map<std::pair<std::string, std::string>, std::size_t> index;
  for (const auto& r : runs) {
    auto key = std::make_pair(r.experiment, r.group);
    auto it = index.find(key);
    if (it == index.end()) {
      it = index.emplace(key, rows.size()).first;
      rows.push_back(GroupRow{});
      rows.back().experiment = r.experiment;
      rows.back().group = r.group;
    }
    rows[it->second].runs.push_back(&r);
  }
  double fastest = INFINITY;
  for (auto& g : rows) {
    std::vector<double> fm, bm, tl, wt, ms;
    bool all_eval = true, acc = true;
    for (const auto* r : g.runs) {
      g.seeds.push_back(r->seed);
      g.finished += r->status == "finished";
      all_eval &= r->has_eval;
      acc &= r->accuracy;
      if (r->has_eval) {
        fm.push_back(r->final_metric);
        bm.push_back(r->best_metric);
      }
      tl.push_back(r->final_train_loss);
      wt.push_back(r->wall_time);
      ms.push_back(r->ms_per_step);
    }
    g.metric = fm.empty() ? "" : (acc ? "accuracy" : "loss");
    (void)all_eval;
    g.final_metric = stat_of(fm);
    g.best_metric = stat_of(bm);
    g.final_train_loss = stat_of(tl);
    g.wall_time = stat_of(wt);
    g.ms_per_step = stat_of(ms);
    if (std::isfinite(g.ms_per_step.mean)) fastest = std::min(fastest, g.ms_per_step.mean);
  }
  for (auto& g : rows) g.time_ratio = g.ms_per_step.mean / fastest;
  return rows;
}

}  // namespace rnnlab::cli
