// Reading run files back and aggregating them (see rnnlab/run_reader.h).
#include "rnnlab/run_reader.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <filesystem>
#include <map>

#include "rnnlab/isolated.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/sweep_summary.h"

namespace rnnlab {

namespace fs = std::filesystem;
namespace L = layout;

// ---- the numbers both commands state ----

double last_logged(const std::vector<double>& column) {
  for (auto it = column.rbegin(); it != column.rend(); ++it)
    if (!std::isnan(*it)) return *it;
  return RunMetrics::kNaN;
}

double best_logged(const std::vector<double>& column, bool highest) {
  double best = RunMetrics::kNaN;
  for (double x : column)
    if (!std::isnan(x) && (std::isnan(best) || (highest ? x > best : x < best))) best = x;
  return best;
}

RunMetrics metrics_of(const std::vector<double>& train_loss, const std::vector<double>& eval_loss,
                      const std::vector<double>& eval_accuracy) {
  RunMetrics m;
  m.final_train_loss = last_logged(train_loss);
  m.final_eval_loss = last_logged(eval_loss);
  m.best_eval_loss = best_logged(eval_loss, false);
  m.final_eval_accuracy = last_logged(eval_accuracy);
  m.best_eval_accuracy = best_logged(eval_accuracy, true);
  return m;
}

namespace {

bool has_column(const RunFile& f, const std::string& table, const std::string& name) {
  const auto names = f.series_names(table);
  return std::find(names.begin(), names.end(), name) != names.end();
}

// A column of a metric table, {} when the table or the column is absent.
std::vector<double> column(const RunFile& f, const std::string& table, const std::string& name) {
  return has_column(f, table, name) ? f.read_series(table, name) : std::vector<double>{};
}

}  // namespace

bool higher_is_better(const std::string& metric) { return metric == L::kAccuracy; }

const Series* eval_series(const RunRecord& r, const std::string& metric) {
  if (metric == L::kLoss) return &r.eval_loss;
  if (metric == L::kAccuracy) return r.accuracy ? &r.eval_accuracy : nullptr;
  return r.metric == metric ? &r.eval_metric : nullptr;
}

RunMetrics read_metrics(const RunFile& f) {
  RunMetrics m = metrics_of(column(f, L::kMetrics, L::kLoss), column(f, L::kEval, L::kLoss),
                            column(f, L::kEval, L::kAccuracy));
  const std::vector<double> bpc = column(f, L::kEval, L::kBitsPerChar);
  const std::vector<double> ppl = column(f, L::kEval, L::kPerplexity);
  m.final_eval_bpc = last_logged(bpc);
  m.best_eval_bpc = best_logged(bpc, false);
  m.final_eval_perplexity = last_logged(ppl);
  m.best_eval_perplexity = best_logged(ppl, false);
  return m;
}

double ms_per_step(double train_time, int64_t steps) {
  return steps > 0 ? 1e3 * train_time / double(steps) : RunMetrics::kNaN;
}

RunTiming read_timing(const RunFile& f) {
  RunTiming t;
  if (f.has_attr(L::kSteps)) t.steps = f.attr_int(L::kSteps);
  if (f.has_attr(L::kTrainTime)) t.train_time = f.attr_double(L::kTrainTime);
  if (f.has_attr(L::kWallTime)) t.wall_time = f.attr_double(L::kWallTime);
  t.ms_per_step = ms_per_step(t.train_time, t.steps);
  return t;
}

// ---- aggregation ----

Stat stat_of(const std::vector<double>& v) {
  Stat s;
  if (v.empty()) return {RunMetrics::kNaN, RunMetrics::kNaN};
  for (double x : v) s.mean += x;
  s.mean /= double(v.size());
  if (v.size() > 1) {
    double ss = 0;
    for (double x : v) ss += (x - s.mean) * (x - s.mean);
    s.std = std::sqrt(ss / double(v.size() - 1));
  }
  return s;
}

std::vector<std::vector<std::size_t>> group_in_order(const std::vector<std::string>& keys) {
  std::vector<std::vector<std::size_t>> groups;
  std::map<std::string, std::size_t> index;
  for (std::size_t i = 0; i < keys.size(); ++i) {
    auto [it, fresh] = index.emplace(keys[i], groups.size());
    if (fresh) groups.emplace_back();
    groups[it->second].push_back(i);
  }
  return groups;
}

std::string sweep_point_without_seed(const std::vector<std::string>& parts,
                                     const std::string& sep) {
  std::string kept;
  for (const auto& p : parts)
    if (p.rfind("seed=", 0) != 0) kept += (kept.empty() ? "" : sep) + p;
  return kept;
}

// ---- `rnnlab report`: whole runs ----

std::vector<std::string> find_run_files(const std::vector<std::string>& paths,
                                        const std::string& command) {
  std::vector<std::string> out;
  for (const auto& p : paths) {
    RNNLAB_CHECK_INPUT(fs::exists(p), command, ": no such file or folder: ", p);
    if (fs::is_directory(p)) {
      std::vector<std::string> found;
      for (const auto& e : fs::recursive_directory_iterator(p))
        if (e.is_regular_file() && e.path().extension() == ".h5")
          found.push_back(e.path().string());
      std::sort(found.begin(), found.end());
      out.insert(out.end(), found.begin(), found.end());
    } else {
      out.push_back(p);
    }
  }
  RNNLAB_CHECK_INPUT(!out.empty(), command, ": no run files (*.h5) under the given paths");
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

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < s.size()) {
    std::size_t end = s.find(sep, start);
    if (end == std::string::npos) end = s.size();
    parts.push_back(s.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// The group of a run: its model plus its sweep id without the seed component
// ("lstm" + "hidden=64_seed=2" -> "lstm-hidden=64").
std::string group_of(const std::string& model, const std::string& sweep_id) {
  const std::string kept = sweep_point_without_seed(split(sweep_id, '_'), "_");
  return kept.empty() ? model : model + "-" + kept;
}

Series read_series(const RunFile& f, const std::string& table, const std::string& value) {
  Series s;
  if (f.num_rows(table) == 0) return s;
  if (!has_column(f, table, L::kStep) || !has_column(f, table, value)) return s;
  s.step = f.read_series(table, L::kStep);
  s.value = f.read_series(table, value);
  const std::vector<double> none(s.step.size(), RunMetrics::kNaN);
  s.wall_time = has_column(f, table, L::kWallTime) ? f.read_series(table, L::kWallTime) : none;
  s.epoch = has_column(f, table, L::kEpoch) ? f.read_series(table, L::kEpoch) : none;
  return s;
}

}  // namespace

bool is_sweep_summary(const std::string& path) {
  if (fs::path(path).filename() != kSummaryFile) return false;
  try {
    RunFile f = RunFile::open(path);
    return !f.has_attr(L::kRnnlabVersion) && f.exists(kRunsTable) && f.exists(kGroupsTable);
  } catch (const std::exception&) {
    return false;
  }
}

RunRecord read_run(const std::string& path) {
  RunFile f = RunFile::open(path);
  RNNLAB_CHECK_INPUT(f.has_attr(L::kRnnlabVersion), path,
                     ": an HDF5 file, but not an rnnlab run file (no rnnlab_version attribute)");
  f.check_header_digest();  // a sealed file: its strings are what was written
  RunRecord r;
  r.path = path;
  r.experiment = attr_or(f, L::kExperiment, "?");
  r.model = attr_or(f, L::kModel, fs::path(path).stem().string());
  r.run = attr_or(f, L::kRun, r.model);
  r.group = group_of(r.model, attr_or(f, L::kSweepId, ""));
  r.status = attr_or(f, L::kStatus, "?");
  r.seed = f.has_attr(L::kSeed) ? f.attr_int(L::kSeed) : 0;
  r.train_loss = read_series(f, L::kMetrics, L::kLoss);
  const RunTiming timing = read_timing(f);
  r.steps = f.has_attr(L::kSteps)
                ? timing.steps
                : (r.train_loss.step.empty() ? 0 : int64_t(r.train_loss.step.back()));
  r.train_time = timing.train_time;
  r.wall_time =
      f.has_attr(L::kWallTime)
          ? timing.wall_time
          : (r.train_loss.wall_time.empty() ? RunMetrics::kNaN : r.train_loss.wall_time.back());
  r.ms_per_step = ms_per_step(r.train_time, r.steps);
  r.accuracy = has_column(f, L::kEval, L::kAccuracy);
  r.eval_loss = read_series(f, L::kEval, L::kLoss);
  if (r.accuracy) r.eval_accuracy = read_series(f, L::kEval, L::kAccuracy);
  r.metric = has_column(f, L::kEval, L::kBitsPerChar)  ? L::kBitsPerChar
             : has_column(f, L::kEval, L::kPerplexity) ? L::kPerplexity
             : r.accuracy                              ? L::kAccuracy
                                                       : L::kLoss;
  r.eval_metric = r.metric == L::kAccuracy ? r.eval_accuracy
                  : r.metric == L::kLoss   ? r.eval_loss
                                           : read_series(f, L::kEval, r.metric);
  r.has_eval = !r.eval_metric.value.empty();
  r.final_train_loss = last_logged(r.train_loss.value);
  if (r.has_eval) {
    r.final_metric = last_logged(r.eval_metric.value);
    r.best_metric = best_logged(r.eval_metric.value, higher_is_better(r.metric));
  }
  r.attrs = attrs_text(f, "/");
  if (f.exists(L::kConfigValues)) r.values = attrs_text(f, L::kConfigValues);
  if (f.exists(L::kConfigResolved)) r.resolved = f.read_text(L::kConfigResolved);
  return r;
}

namespace {

// A RunRecord through the pipe of run_isolated (every field, in declaration order).
void put_series(PayloadWriter& w, const Series& s) {
  w.put(s.step).put(s.wall_time).put(s.value).put(s.epoch);
}
Series get_series(PayloadReader& r) {
  Series s;
  s.step = r.doubles();
  s.wall_time = r.doubles();
  s.value = r.doubles();
  s.epoch = r.doubles();
  return s;
}
void put_pairs(PayloadWriter& w, const std::vector<std::pair<std::string, std::string>>& v) {
  w.put(static_cast<int64_t>(v.size()));
  for (const auto& [k, x] : v) w.put(k).put(x);
}
std::vector<std::pair<std::string, std::string>> get_pairs(PayloadReader& r) {
  std::vector<std::pair<std::string, std::string>> v(static_cast<std::size_t>(r.i64()));
  for (auto& [k, x] : v) {
    k = r.str();
    x = r.str();
  }
  return v;
}
std::string put_record(const RunRecord& x) {
  PayloadWriter w;
  w.put(x.path).put(x.experiment).put(x.model).put(x.run).put(x.group).put(x.status);
  w.put(x.seed).put(x.steps).put(x.train_time).put(x.ms_per_step).put(x.wall_time);
  w.put(x.final_train_loss).put(x.has_eval).put(x.accuracy).put(x.metric);
  w.put(x.final_metric).put(x.best_metric);
  for (const Series* s : {&x.train_loss, &x.eval_metric, &x.eval_loss, &x.eval_accuracy})
    put_series(w, *s);
  put_pairs(w, x.attrs);
  put_pairs(w, x.values);
  w.put(x.resolved);
  return w.bytes();
}
RunRecord get_record(const std::string& bytes) {
  PayloadReader r(bytes);
  RunRecord x;
  for (std::string* s : {&x.path, &x.experiment, &x.model, &x.run, &x.group, &x.status})
    *s = r.str();
  x.seed = r.i64();
  x.steps = r.i64();
  x.train_time = r.f64();
  x.ms_per_step = r.f64();
  x.wall_time = r.f64();
  x.final_train_loss = r.f64();
  x.has_eval = r.flag();
  x.accuracy = r.flag();
  x.metric = r.str();
  x.final_metric = r.f64();
  x.best_metric = r.f64();
  for (Series* s : {&x.train_loss, &x.eval_metric, &x.eval_loss, &x.eval_accuracy})
    *s = get_series(r);
  x.attrs = get_pairs(r);
  x.values = get_pairs(r);
  x.resolved = r.str();
  return x;
}

}  // namespace

std::vector<RunRecord> read_runs(const std::vector<std::string>& paths, std::ostream& warn) {
  struct Found {
    std::string path;
    bool folder;  // found in a folder (else given by name)
  };
  std::vector<Found> found;
  for (const auto& given : paths) {
    const bool folder = fs::is_directory(given);
    for (const auto& path : find_run_files({given})) found.push_back({path, folder});
  }
  // Read in a child process (isolated.h): a file that crashes libhdf5 takes down only the
  // child. "" = collect's DIR/summary.h5 in a folder, passed over.
  const std::vector<IsolatedResult> results = run_isolated(found.size(), [&](std::size_t i) {
    if (found[i].folder && is_sweep_summary(found[i].path)) return std::string();
    return put_record(read_run(found[i].path));
  });
  std::vector<RunRecord> runs;
  std::size_t skipped = 0;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const std::string& path = found[i].path;
    const IsolatedResult& res = results[i];
    if (res.kind == IsolatedResult::Kind::ok) {
      if (!res.text.empty()) runs.push_back(get_record(res.text));
      continue;
    }
    // The messages of RunFile name the file; say which one in any case.
    const std::string what =
        res.kind == IsolatedResult::Kind::crashed
            ? "the file is damaged: reading it crashed the reader (" + res.text + ")"
            : res.text;
    const std::string why = what.find(path) == std::string::npos ? path + ": " + what : what;
    if (!found[i].folder) throw InputError("report: " + why);
    warn << "rnnlab report: warning: skipped an unreadable run file: " << why << "\n";
    ++skipped;
  }
  RNNLAB_CHECK_INPUT(!runs.empty(), "report: no run file under the given paths could be read (",
                     skipped, " skipped, see the warnings above)");
  if (skipped > 0)
    warn << "rnnlab report: warning: " << skipped << " unreadable run file"
         << (skipped == 1 ? "" : "s") << " skipped; reporting " << runs.size() << "\n";
  return runs;
}

std::vector<GroupRow> aggregate(const std::vector<RunRecord>& runs) {
  std::vector<std::string> keys;
  for (const auto& r : runs) keys.push_back(r.experiment + '\n' + r.group);
  std::vector<GroupRow> rows;
  double fastest = INFINITY;
  for (const auto& members : group_in_order(keys)) {
    GroupRow g;
    g.experiment = runs[members.front()].experiment;
    g.group = runs[members.front()].group;
    std::vector<double> fm, bm, tl, wt, ms;
    std::string metric = runs[members.front()].metric;
    for (std::size_t i : members)
      if (runs[i].metric != metric) metric = L::kLoss;  // mixed: the one every run has
    for (std::size_t i : members) {
      const RunRecord* r = &runs[i];
      g.runs.push_back(r);
      g.seeds.push_back(r->seed);
      g.finished += r->status == L::kFinished;
      if (r->has_eval) {
        const Series& ev = *eval_series(*r, metric);
        fm.push_back(last_logged(ev.value));
        bm.push_back(best_logged(ev.value, higher_is_better(metric)));
      }
      tl.push_back(r->final_train_loss);
      wt.push_back(r->wall_time);
      ms.push_back(r->ms_per_step);
    }
    g.metric = fm.empty() ? "" : metric;
    g.final_metric = stat_of(fm);
    g.best_metric = stat_of(bm);
    g.final_train_loss = stat_of(tl);
    g.wall_time = stat_of(wt);
    g.ms_per_step = stat_of(ms);
    if (std::isfinite(g.ms_per_step.mean)) fastest = std::min(fastest, g.ms_per_step.mean);
    rows.push_back(std::move(g));
  }
  for (auto& g : rows) g.time_ratio = g.ms_per_step.mean / fastest;
  return rows;
}

}  // namespace rnnlab
