// Sweep manifests (see manifest.h).
#include "rnnlab/manifest.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "rnnlab/run_file.h"

#include <fcntl.h>
#include <hdf5.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

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
  std::string out;
  for (const auto& o : r.overrides)
    if (o.rfind("seed=", 0) != 0) out += (out.empty() ? "" : ";") + o;
  return out;
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

std::string run_state(const std::string& path, int64_t* steps, std::string* error,
                      std::string* unreadable) {
  if (unreadable) unreadable->clear();
  if (!fs::exists(path)) return "missing";
  try {
    RunFile f = RunFile::open(path);
    if (steps && f.has_attr("steps")) *steps = f.attr_int("steps");
    if (error && f.has_attr("error")) *error = f.attr_string("error");
    return f.has_attr("status") ? f.attr_string("status") : "failed";
  } catch (const std::exception& e) {
    if (error) *error = e.what();
    if (unreadable) *unreadable = e.what();
    // A live writer holds HDF5's exclusive file lock (flock): the run is still training.
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
      ::close(fd);
      if (locked) {
        if (unreadable) unreadable->clear();
        return "running";
      }
    }
    return "failed";
  }
}

namespace {

struct H5Handle {
  hid_t id = -1;
  herr_t (*close)(hid_t) = nullptr;
  H5Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  ~H5Handle() {
    if (id >= 0) close(id);
  }
};

void h5check(bool ok, const std::string& path, const std::string& what) {
  if (!ok) throw Error(path + ": HDF5: cannot " + what);
}

void write_string_attr(hid_t obj, const std::string& name, const std::string& value,
                       const std::string& path) {
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  h5check(type.id >= 0 && H5Tset_size(type.id, H5T_VARIABLE) >= 0 &&
              H5Tset_cset(type.id, H5T_CSET_UTF8) >= 0,
          path, "make a string type");
  H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  H5Handle attr(H5Acreate2(obj, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT),
                H5Aclose);
  const char* p = value.c_str();
  h5check(attr.id >= 0 && H5Awrite(attr.id, type.id, &p) >= 0, path, "write attribute " + name);
}

}  // namespace

void write_summary_h5(const std::string& path, const std::vector<SummaryTable>& tables) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  H5Handle file(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  h5check(file.id >= 0, path, "create the file");
  for (const auto& t : tables) {
    H5Handle gcpl(H5Pcreate(H5P_GROUP_CREATE), H5Pclose);
    H5Pset_link_creation_order(gcpl.id, H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED);
    H5Handle group(H5Gcreate2(file.id, t.name.c_str(), H5P_DEFAULT, gcpl.id, H5P_DEFAULT),
                   H5Gclose);
    h5check(group.id >= 0, path, "create group /" + t.name);
    std::string names;
    hsize_t rows = 0;
    for (const auto& c : t.columns) {
      names += (names.empty() ? "" : ",") + c.name;
      rows = c.text ? c.strings.size() : c.numbers.size();
      const hsize_t dims[1] = {rows};
      H5Handle space(H5Screate_simple(1, dims, nullptr), H5Sclose);
      const std::string what = "write /" + t.name + "/" + c.name;
      if (c.text) {
        H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
        H5Tset_size(type.id, H5T_VARIABLE);
        H5Tset_cset(type.id, H5T_CSET_UTF8);
        H5Handle ds(H5Dcreate2(group.id, c.name.c_str(), type.id, space.id, H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose);
        std::vector<const char*> ptrs;
        for (const auto& s : c.strings) ptrs.push_back(s.c_str());
        h5check(ds.id >= 0 && (rows == 0 || H5Dwrite(ds.id, type.id, H5S_ALL, H5S_ALL,
                                                     H5P_DEFAULT, ptrs.data()) >= 0),
                path, what);
      } else {
        H5Handle ds(H5Dcreate2(group.id, c.name.c_str(), H5T_IEEE_F64LE, space.id, H5P_DEFAULT,
                               H5P_DEFAULT, H5P_DEFAULT),
                    H5Dclose);
        h5check(ds.id >= 0 && (rows == 0 || H5Dwrite(ds.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL,
                                                     H5P_DEFAULT, c.numbers.data()) >= 0),
                path, what);
      }
    }
    write_string_attr(group.id, "columns", names, path);
    H5Handle space(H5Screate(H5S_SCALAR), H5Sclose);
    H5Handle attr(H5Acreate2(group.id, "rows", H5T_STD_I64LE, space.id, H5P_DEFAULT, H5P_DEFAULT),
                  H5Aclose);
    const int64_t r = static_cast<int64_t>(rows);
    h5check(attr.id >= 0 && H5Awrite(attr.id, H5T_NATIVE_INT64, &r) >= 0, path,
            "write attribute rows");
  }
  h5check(H5Fflush(file.id, H5F_SCOPE_GLOBAL) >= 0, path, "flush");
}

std::vector<std::string> read_string_column(const std::string& path, const std::string& dataset) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  H5Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), H5Fclose);
  if (file.id < 0) throw InputError(path + ": cannot open as HDF5");
  H5Handle ds(H5Dopen2(file.id, dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (ds.id < 0) throw InputError(path + ": no dataset " + dataset);
  H5Handle space(H5Dget_space(ds.id), H5Sclose);
  const hssize_t n = H5Sget_simple_extent_npoints(space.id);
  H5Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.id, H5T_VARIABLE);
  H5Tset_cset(type.id, H5T_CSET_UTF8);
  std::vector<char*> ptrs(static_cast<std::size_t>(std::max<hssize_t>(n, 0)), nullptr);
  if (n > 0)
    h5check(H5Dread(ds.id, type.id, H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) >= 0, path,
            "read " + dataset);
  std::vector<std::string> out;
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  if (n > 0) H5Dvlen_reclaim(type.id, space.id, H5P_DEFAULT, ptrs.data());
  return out;
}

}  // namespace rnnlab
