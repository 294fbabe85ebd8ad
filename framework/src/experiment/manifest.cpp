// Sweep manifests (see manifest.h).
#include "rnnlab/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "rnnlab/run_reader.h"

namespace rnnlab {

namespace {

namespace fs = std::filesystem;

void check_field(const std::string& s, const std::string& what) {
  RNNLAB_CHECK_INPUT(s.find_first_of("\t\n\r") == std::string::npos, what, " '", s,
                     "' holds a tab or newline; a manifest cannot record it");
}

std::string join(const std::vector<std::string>& v) {
  if (v.empty()) return "-";
  std::string out;
  for (const auto& s : v) {
    check_field(s, "override");
    RNNLAB_CHECK_INPUT(s.find(';') == std::string::npos, "override '", s,
                       "' holds ';'; a manifest cannot record it");
    out += (out.empty() ? "" : ";") + s;
  }
  return out;
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : s) {
    if (c == sep) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

}  // namespace

std::vector<ManifestRecord> expand_manifest(const ExperimentSpec& spec, const Catalog& catalog,
                                            const RunOptions& options, const std::string& file,
                                            const std::vector<std::string>& set,
                                            int64_t first_task) {
  // One record per plan, in plan_runs' order (the one odometer, plan.cpp): the plan carries its
  // experiment, model, path and sweep point. The plans themselves are not kept (linear in the
  // number of runs, capped at kMaxRuns by for_each_plan).
  std::vector<ManifestRecord> out;
  out.reserve(static_cast<std::size_t>(count_runs(spec, options)));
  const std::string abs_file = fs::absolute(file).lexically_normal().string();
  check_field(abs_file, "file");
  for_each_plan(spec, catalog, options, [&](RunPlan&& p) {
    ManifestRecord r;
    r.task = first_task + static_cast<int64_t>(out.size());
    r.id = p.experiment + "/" + p.name;
    r.model = p.model;
    r.path = fs::absolute(p.path).lexically_normal().string();
    r.file = abs_file;
    r.set = set;
    r.overrides = std::move(p.sweep_settings);
    check_field(r.id, "run id");
    check_field(r.path, "path");
    out.push_back(std::move(r));
  });
  return out;
}

void assign_tasks(std::vector<ManifestRecord>& records,
                  const std::vector<ManifestRecord>& previous) {
  std::map<std::string, int64_t> old;
  int64_t next = 0;
  for (const auto& r : previous) {
    old[r.id] = r.task;
    next = std::max(next, r.task + 1);
  }
  std::set<std::string> seen;
  for (auto& r : records) {
    RNNLAB_CHECK_INPUT(seen.insert(r.id).second, "two runs have the id '", r.id,
                       "' (the same experiment given twice?)");
    auto it = old.find(r.id);
    r.task = it != old.end() ? it->second : next++;
  }
}

std::string manifest_text(const std::vector<ManifestRecord>& records) {
  std::ostringstream os;
  os << "# rnnlab sweep manifest 1\n# task\tid\tmodel\tpath\tfile\tset\toverrides\n";
  for (const auto& r : records)
    os << r.task << '\t' << r.id << '\t' << r.model << '\t' << r.path << '\t' << r.file << '\t'
       << join(r.set) << '\t' << join(r.overrides) << '\n';
  return os.str();
}

std::vector<ManifestRecord> parse_manifest(const std::string& text, const std::string& where) {
  std::vector<ManifestRecord> out;
  std::istringstream is(text);
  std::set<int64_t> tasks;
  int line_no = 0;
  for (std::string line; std::getline(is, line);) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;
    const auto f = split(line, '\t');
    const std::string at = where + ":" + std::to_string(line_no) + ": ";
    RNNLAB_CHECK_INPUT(f.size() == 7, at, "expected 7 tab-separated fields, found ", f.size());
    ManifestRecord r;
    try {
      std::size_t used = 0;
      r.task = std::stoll(f[0], &used);
      RNNLAB_CHECK_INPUT(used == f[0].size() && r.task >= 0, at, "bad task number '", f[0], "'");
    } catch (const std::logic_error&) {
      throw InputError(at + "bad task number '" + f[0] + "'");
    }
    RNNLAB_CHECK_INPUT(tasks.insert(r.task).second, at, "task ", r.task, " appears twice");
    r.id = f[1];
    r.model = f[2];
    r.path = f[3];
    r.file = f[4];
    if (f[5] != "-") r.set = split(f[5], ';');
    if (f[6] != "-") r.overrides = split(f[6], ';');
    out.push_back(std::move(r));
  }
  return out;
}

std::vector<ManifestRecord> read_manifest(const std::string& path) {
  std::ifstream f(path);
  RNNLAB_CHECK_INPUT(f.good(), "cannot read the manifest ", path);
  std::stringstream ss;
  ss << f.rdbuf();
  return parse_manifest(ss.str(), path);
}

void write_manifest(const std::string& path, const std::vector<ManifestRecord>& records) {
  const std::string text = manifest_text(records);
  if (fs::path(path).has_parent_path()) fs::create_directories(fs::path(path).parent_path());
  const std::string tmp = path + ".tmp";
  {
    std::ofstream f(tmp, std::ios::trunc);
    f << text;
    f.close();
    RNNLAB_CHECK_INPUT(f.good(), "cannot write ", tmp);
  }
  fs::rename(tmp, path);
}

std::string grid_point(const ManifestRecord& r) {
  return sweep_point_without_seed(r.overrides, ";");
}

std::string axis_column(const std::string& key) {
  if (!key.starts_with("model.")) return key;
  const std::size_t name_end = key.find('.', 6);
  return name_end == std::string::npos ? key : key.substr(name_end + 1);
}

std::vector<std::pair<std::string, std::string>> axis_values(const ManifestRecord& r) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& o : r.overrides) {
    const std::size_t eq = o.find('=');
    if (eq != std::string::npos) out.emplace_back(axis_column(o.substr(0, eq)), o.substr(eq + 1));
  }
  return out;
}

}  // namespace rnnlab
