// Writing and reading collect's summary.h5 (see rnnlab/summary_file.h).
#include "rnnlab/summary_file.h"

#include <algorithm>
#include <cstdint>

#include "results/h5.h"
#include "rnnlab/error.h"

namespace rnnlab {

namespace {

using h5::check;
using h5::check_id;
using h5::Handle;

void write_string_attr(hid_t obj, const std::string& name, const std::string& value,
                       const std::string& path) {
  Handle type = h5::vlen_utf8_type(path);
  Handle space = check_id(H5Screate(H5S_SCALAR), H5Sclose, path, "H5Screate");
  Handle attr =
      check_id(H5Acreate2(obj, name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose, path, "creating attribute " + name);
  const char* p = value.c_str();
  check(H5Awrite(attr.get(), type.get(), &p), path, "writing attribute " + name);
}

void write_int_attr(hid_t obj, const std::string& name, int64_t value, const std::string& path) {
  Handle space = check_id(H5Screate(H5S_SCALAR), H5Sclose, path, "H5Screate");
  Handle attr =
      check_id(H5Acreate2(obj, name.c_str(), H5T_STD_I64LE, space.get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose, path, "creating attribute " + name);
  check(H5Awrite(attr.get(), H5T_NATIVE_INT64, &value), path, "writing attribute " + name);
}

// One column as a 1-D dataset of `group` (a table's rows: the column's length).
void write_column(hid_t group, const std::string& table, const SummaryColumn& c,
                  const std::string& path) {
  const hsize_t rows = c.text ? c.strings.size() : c.numbers.size();
  const std::string what = "/" + table + "/" + c.name;
  Handle space = check_id(H5Screate_simple(1, &rows, nullptr), H5Sclose, path, "H5Screate_simple");
  if (c.text) {
    Handle type = h5::vlen_utf8_type(path);
    Handle ds = check_id(H5Dcreate2(group, c.name.c_str(), type.get(), space.get(), H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT),
                         H5Dclose, path, "creating " + what);
    std::vector<const char*> ptrs;
    for (const auto& s : c.strings) ptrs.push_back(s.c_str());
    if (rows > 0)
      check(H5Dwrite(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), path,
            "writing " + what);
  } else {
    Handle ds = check_id(H5Dcreate2(group, c.name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                    H5P_DEFAULT, H5P_DEFAULT),
                         H5Dclose, path, "creating " + what);
    if (rows > 0)
      check(H5Dwrite(ds.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, c.numbers.data()),
            path, "writing " + what);
  }
}

}  // namespace

void write_summary_h5(const std::string& path, const std::vector<SummaryTable>& tables) {
  h5::QuietErrors quiet;
  Handle file = check_id(H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT,
                                   h5::file_access(path, true).get()), H5Fclose,
                         path, "creating the file");
  for (const auto& t : tables) {
    Handle gcpl = h5::ordered_group_plist(path);
    Handle group =
        check_id(H5Gcreate2(file.get(), t.name.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT),
                 H5Gclose, path, "creating group /" + t.name);
    std::string names;
    int64_t rows = 0;
    for (const auto& c : t.columns) {
      names += (names.empty() ? "" : ",") + c.name;
      rows = static_cast<int64_t>(c.text ? c.strings.size() : c.numbers.size());
      write_column(group.get(), t.name, c, path);
    }
    write_string_attr(group.get(), "columns", names, path);
    write_int_attr(group.get(), "rows", rows, path);
  }
  check(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), path, "flushing");
}

std::vector<std::string> read_string_column(const std::string& path, const std::string& dataset) {
  h5::QuietErrors quiet;
  Handle file(H5Fopen(path.c_str(), H5F_ACC_RDONLY, h5::file_access(path, false).get()),
              H5Fclose);
  if (!file.valid()) throw InputError(path + ": cannot open as HDF5");
  Handle ds(H5Dopen2(file.get(), dataset.c_str(), H5P_DEFAULT), H5Dclose);
  if (!ds.valid()) throw InputError(path + ": no dataset " + dataset);
  Handle space = check_id(H5Dget_space(ds.get()), H5Sclose, path, "H5Dget_space");
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  Handle type = h5::vlen_utf8_type(path);
  std::vector<char*> ptrs(static_cast<std::size_t>(std::max<hssize_t>(n, 0)), nullptr);
  if (n > 0)
    check(H5Dread(ds.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()), path,
          "reading " + dataset);
  std::vector<std::string> out;
  for (char* p : ptrs) out.emplace_back(p ? p : "");
  if (n > 0) H5Dvlen_reclaim(type.get(), space.get(), H5P_DEFAULT, ptrs.data());
  return out;
}

}  // namespace rnnlab
