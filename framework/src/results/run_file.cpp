// RunFile over the HDF5 C API; layout and guarantees are documented in rnnlab/run_file.h.
#include "rnnlab/run_file.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <filesystem>
#include <limits>
#include <set>
#include <system_error>
#include <type_traits>

#include "rnnlab/backend.h"
#include "rnnlab/error.h"
#include "rnnlab/isolated.h"
#include "rnnlab/run_layout.h"
#include "results/h5.h"

#ifndef RNNLAB_VERSION
#define RNNLAB_VERSION "unknown"
#endif

namespace rnnlab {
namespace {

namespace fs = std::filesystem;
using detail::concat;
using h5::check;
using h5::check_id;
using h5::check_tri;
using h5::fail;
using h5::Handle;

static_assert(std::is_same_v<hid_t, int64_t>, "RunFile stores hid_t as int64_t");

constexpr hsize_t kMetricChunk = 1024;  // rows per chunk of a metric column (8 KiB)

// "config//source/" -> "/config/source"; "" and "/" -> "/". Rejects "." and "..".
std::string normalize(const std::string& path, const std::string& fname) {
  std::string out;
  std::size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    std::size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    if (j > i) {
      std::string part = path.substr(i, j - i);
      RNNLAB_CHECK(part != "." && part != "..", "run file ", fname, ": object path '", path,
                   "': '.' and '..' are not allowed");
      out += '/';
      out += part;
    }
    i = j;
  }
  return out.empty() ? "/" : out;
}
std::string parent_of(const std::string& abs) {  // abs is normalized
  std::size_t k = abs.rfind('/');
  return k == 0 ? "/" : abs.substr(0, k);
}
std::vector<std::string> components(const std::string& abs) {
  std::vector<std::string> parts;
  std::size_t i = 1;
  while (i < abs.size()) {
    std::size_t j = abs.find('/', i);
    if (j == std::string::npos) j = abs.size();
    parts.push_back(abs.substr(i, j - i));
    i = j + 1;
  }
  return parts;
}
// "checkpoint/step" -> {"/checkpoint", "step"};  "status" -> {"/", "status"}.
std::pair<std::string, std::string> split_attr(const std::string& name, const std::string& fname) {
  std::string abs = normalize(name, fname);
  RNNLAB_CHECK(abs != "/", "run file ", fname, ": attribute name '", name, "' is empty");
  std::size_t k = abs.rfind('/');
  return {k == 0 ? "/" : abs.substr(0, k), abs.substr(k + 1)};
}

H5I_type_t object_type(hid_t file, const std::string& abs, const std::string& fname) {
  Handle o = check_id(H5Oopen(file, abs.c_str(), H5P_DEFAULT), H5Oclose, fname,
                   concat("opening '", abs, "'"));
  return H5Iget_type(o.get());
}

// True if `abs` names an object; false if any link on the way is missing or dangling, or an
// intermediate component is not a group (HDF5 itself would report those as errors).
bool path_exists(hid_t file, const std::string& abs, const std::string& fname) {
  if (abs == "/") return true;
  std::string prefix;
  const auto parts = components(abs);
  for (std::size_t i = 0; i < parts.size(); ++i) {
    prefix += "/" + parts[i];
    if (!check_tri(H5Lexists(file, prefix.c_str(), H5P_DEFAULT), fname,
                   concat("checking link '", prefix, "'")) ||
        !check_tri(H5Oexists_by_name(file, prefix.c_str(), H5P_DEFAULT), fname,
                   concat("checking object '", prefix, "'")))
      return false;
    if (i + 1 < parts.size() && object_type(file, prefix, fname) != H5I_GROUP) return false;
  }
  return true;
}

// Creates the groups along `abs` that do not exist yet (they track link creation order, so
// metric columns list in the order they were first logged).
void ensure_group(hid_t file, const std::string& abs, const std::string& fname) {
  if (abs == "/") return;
  std::string prefix;
  for (const auto& part : components(abs)) {
    prefix += "/" + part;
    if (path_exists(file, prefix, fname)) {
      RNNLAB_CHECK(object_type(file, prefix, fname) == H5I_GROUP, "run file ", fname, ": '", prefix,
                   "' exists but is not a group (needed for '", abs, "')");
      continue;
    }
    Handle gcpl = h5::ordered_group_plist(fname);
    check_id(H5Gcreate2(file, prefix.c_str(), H5P_DEFAULT, gcpl.get(), H5P_DEFAULT), H5Gclose,
             fname, concat("creating group '", prefix, "'"));
  }
}

// Reads a one-element string (attribute or dataset, variable or fixed length).
template <typename ReadFn>
std::string read_string(hid_t ftype, hid_t space, ReadFn&& read, const std::string& fname,
                        const std::string& what) {
  RNNLAB_CHECK(H5Tget_class(ftype) == H5T_STRING, "run file ", fname, ": ", what,
               " is not a string");
  hssize_t n = H5Sget_simple_extent_npoints(space);
  RNNLAB_CHECK(n == 1, "run file ", fname, ": ", what, " holds ", n,
               " elements; expected one string");
  if (check_tri(H5Tis_variable_str(ftype), fname, "H5Tis_variable_str")) {
    Handle mt = check_id(H5Tcopy(H5T_C_S1), H5Tclose, fname, "H5Tcopy");
    check(H5Tset_size(mt.get(), H5T_VARIABLE), fname, "H5Tset_size");
    check(H5Tset_cset(mt.get(), H5Tget_cset(ftype)), fname, "H5Tset_cset");
    char* p = nullptr;
    check(read(mt.get(), &p), fname, concat("reading ", what));
    std::string s = p ? std::string(p) : std::string();
    if (p) H5free_memory(p);
    return s;
  }
  std::size_t size = H5Tget_size(ftype);
  std::string buf(size, '\0');
  check(read(ftype, buf.data()), fname, concat("reading ", what));
  if (H5Tget_strpad(ftype) == H5T_STR_SPACEPAD) {
    buf.erase(buf.find_last_not_of(' ') + 1);
  } else {
    std::size_t z = buf.find('\0');
    if (z != std::string::npos) buf.resize(z);
  }
  return buf;
}

struct Column {
  std::string name;
  Handle dset;
  hsize_t rows = 0;
};

// The 1-D datasets of a metrics group (any other member is an error).
std::vector<Column> open_columns(hid_t group, const std::string& gabs, const std::string& fname) {
  std::vector<std::string> names;
  H5_index_t idx = H5_INDEX_NAME;
  {
    Handle gcpl = check_id(H5Gget_create_plist(group), H5Pclose, fname, "H5Gget_create_plist");
    unsigned flags = 0;
    check(H5Pget_link_creation_order(gcpl.get(), &flags), fname, "H5Pget_link_creation_order");
    if (flags & H5P_CRT_ORDER_INDEXED) idx = H5_INDEX_CRT_ORDER;
  }
  hsize_t pos = 0;
  check(H5Literate(
            group, idx, H5_ITER_INC, &pos,
            [](hid_t, const char* name, const H5L_info_t*, void* data) -> herr_t {
              static_cast<std::vector<std::string>*>(data)->emplace_back(name);
              return 0;
            },
            &names),
        fname, concat("listing '", gabs, "'"));
  std::vector<Column> cols;
  for (auto& n : names) {
    std::string what = concat("'", gabs == "/" ? "" : gabs, "/", n, "'");
    Handle o =
        check_id(H5Oopen(group, n.c_str(), H5P_DEFAULT), H5Oclose, fname, concat("opening ", what));
    RNNLAB_CHECK(H5Iget_type(o.get()) == H5I_DATASET, "run file ", fname, ": ", what,
                 " is not a dataset; a metrics group holds only 1-D columns");
    Handle d = check_id(H5Dopen2(group, n.c_str(), H5P_DEFAULT), H5Dclose, fname,
                     concat("opening ", what));
    Handle space = check_id(H5Dget_space(d.get()), H5Sclose, fname, "H5Dget_space");
    RNNLAB_CHECK(H5Sget_simple_extent_ndims(space.get()) == 1, "run file ", fname, ": ", what,
                 " is not 1-D; a metrics group holds only 1-D columns");
    hsize_t rows = 0;
    H5Sget_simple_extent_dims(space.get(), &rows, nullptr);
    cols.push_back(Column{n, std::move(d), rows});
  }
  return cols;
}

hsize_t common_rows(const std::vector<Column>& cols, const std::string& gabs,
                    const std::string& fname, bool live = false) {
  if (cols.empty()) return 0;
  if (live) {  // RunFile::reads_live_run: the rows that every column has
    hsize_t n = cols.front().rows;
    for (const auto& c : cols) n = std::min(n, c.rows);
    return n;
  }
  for (const auto& c : cols)
    RNNLAB_CHECK(c.rows == cols.front().rows, "run file ", fname, ": columns of '", gabs,
                 "' differ in length ('", cols.front().name, "' has ", cols.front().rows,
                 " rows, '", c.name, "' has ", c.rows, ")");
  return cols.front().rows;
}

struct TypeMap {
  hid_t file_type, mem_type;
};
TypeMap type_map(DType t) {
  switch (t) {
    case DType::f32:
      return {H5T_IEEE_F32LE, H5T_NATIVE_FLOAT};
    case DType::f64:
      return {H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE};
    case DType::i32:
      return {H5T_STD_I32LE, H5T_NATIVE_INT32};
  }
  throw Error("unknown dtype");
}

std::string type_desc(hid_t t) {
  std::size_t size = H5Tget_size(t);
  switch (H5Tget_class(t)) {
    case H5T_INTEGER:
      return concat(H5Tget_sign(t) == H5T_SGN_NONE ? "uint" : "int", size * 8);
    case H5T_FLOAT:
      return concat("float", size * 8);
    case H5T_STRING:
      return "string";
    default:
      return concat("HDF5 type class ", static_cast<int>(H5Tget_class(t)));
  }
}

template <typename T>
Tensor read_as(hid_t dset, hid_t mem_type, const Shape& shape, Device device,
               const std::string& fname, const std::string& abs) {
  std::vector<T> v(static_cast<std::size_t>(shape_numel(shape)));
  if (!v.empty())
    check(H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), fname,
          concat("reading '", abs, "'"));
  isolated_progress();  // in a reader's child process (isolated.h): not a hang
  return from_vector(v, shape, device);
}

// New objects of a file with checksums in the 1.10 formats: checksummed object headers, v2
// B-trees, fractal heaps and chunk indexes (extensible / fixed arrays). Set on the open file,
// after creating it with a version 2 superblock (run_file.h "Checksums": a version 3 one would
// carry file-consistency flags that make a killed writer's file unopenable without h5clear).
void use_checksummed_formats(hid_t file, const std::string& fname) {
  check(H5Fset_libver_bounds(file, H5F_LIBVER_V110, H5F_LIBVER_LATEST), fname,
        "H5Fset_libver_bounds");
}

// The creation properties of a dataset of `dims` elements of `elem` bytes: chunked with the
// Fletcher32 filter, chunks of at most kTensorChunkBytes (the whole tensor when it is no
// larger, else slabs cut along its first axes), or compact (scalars, empty tensors: stored in
// the object header, which has a checksum).
constexpr hsize_t kTensorChunkBytes = hsize_t{1} << 20;
Handle tensor_create_plist(const std::vector<hsize_t>& dims, std::size_t elem,
                           const std::string& fname) {
  Handle dcpl = check_id(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, fname, "H5Pcreate");
  hsize_t numel = 1;
  for (hsize_t d : dims) numel *= d;
  if (dims.empty() || numel == 0) {
    check(H5Pset_layout(dcpl.get(), H5D_COMPACT), fname, "H5Pset_layout");
    return dcpl;
  }
  std::vector<hsize_t> chunk = dims;
  hsize_t bytes = numel * std::max<std::size_t>(elem, 1);
  for (std::size_t k = 0; k < chunk.size() && bytes > kTensorChunkBytes; ++k) {
    const hsize_t inner = bytes / chunk[k];  // the bytes of one index along axis k
    chunk[k] = std::max<hsize_t>(1, kTensorChunkBytes / inner);
    bytes = chunk[k] * inner;
  }
  check(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), fname,
        "H5Pset_chunk");
  check(H5Pset_fletcher32(dcpl.get()), fname, "H5Pset_fletcher32");
  return dcpl;
}

}  // namespace

// ---------------------------------------------------------------------------------------------

RunFile::RunFile(std::string path, int64_t file, bool writable, RunLock lock)
    : lock_(std::move(lock)), path_(std::move(path)), file_(file), writable_(writable) {}

RunFile::RunFile(RunFile&& o) noexcept
    : lock_(std::move(o.lock_)), path_(std::move(o.path_)), file_(o.file_),
      writable_(o.writable_), sealed_(o.sealed_) {
  o.file_ = -1;
}

RunFile& RunFile::operator=(RunFile&& o) noexcept {
  if (this != &o) {
    std::swap(lock_, o.lock_);
    std::swap(path_, o.path_);
    std::swap(file_, o.file_);
    std::swap(writable_, o.writable_);
    std::swap(sealed_, o.sealed_);
  }
  return *this;
}

RunFile::~RunFile() {
  if (file_ >= 0) {
    h5::QuietErrors quiet;
    H5Fclose(file_);
    H5Eclear2(H5E_DEFAULT);
  }
}

void RunFile::close() {
  if (file_ < 0) return;
  h5::QuietErrors quiet;
  hid_t f = file_;
  file_ = -1;
  const herr_t rc = H5Fclose(f);
  lock_ = RunLock();  // released once the file is closed
  check(rc, path_, "closing the file");
}

std::string RunFile::now_iso8601() {
  std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

RunFile RunFile::create(const std::string& path) {
  RNNLAB_CHECK(!path.empty(), "run file path is empty");
  return create_file(path, RunLock(path));  // the lock before O_TRUNC: another writer's file
                                            // is never touched
}

RunFile RunFile::create_staged(const std::string& path) {
  RNNLAB_CHECK(!path.empty(), "run file path is empty");
  RunLock lock(path);
  return create_file(path + kStagingSuffix, std::move(lock));
}

void RunFile::publish(const std::string& path) {
  require_writable("publish");
  flush();
  std::error_code ec;
  fs::rename(path_, path, ec);
  RNNLAB_CHECK(!ec, "cannot publish run file ", path_, " as ", path, ": ", ec.message());
  path_ = path;
}

RunFile RunFile::create_file(const std::string& path, RunLock lock) {
  h5::QuietErrors quiet;
  fs::path p(path);
  if (p.has_parent_path()) {
    std::error_code ec;
    fs::create_directories(p.parent_path(), ec);
    RNNLAB_CHECK(!ec, "cannot create run file ", path, ": cannot create directory ",
                 p.parent_path().string(), ": ", ec.message());
  }
  Handle fapl = h5::file_access(path, true);
  // A version 2 superblock (checksummed, no consistency flags), then the 1.10 object formats.
  check(H5Pset_libver_bounds(fapl.get(), H5F_LIBVER_V18, H5F_LIBVER_LATEST), path,
        "H5Pset_libver_bounds");
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, fapl.get());
  if (f < 0) throw Error(concat("cannot create run file ", path, ": ", h5::reason()));
  RunFile rf(path, f, true, std::move(lock));
  use_checksummed_formats(f, path);
  rf.set_attr(layout::kChecksums, layout::kChecksumsVersion);
  rf.set_attr(layout::kRnnlabVersion, std::string(RNNLAB_VERSION));
  rf.set_attr(layout::kStatus, std::string(layout::kRunning));
  rf.set_attr(layout::kStartedAt, now_iso8601());
  rf.flush();
  return rf;
}

RunFile RunFile::open(const std::string& path, bool writable) {
  h5::QuietErrors quiet;
  std::error_code ec;
  auto st = fs::status(path, ec);
  RNNLAB_CHECK_INPUT(fs::exists(st), "cannot open run file ", path, ": no such file");
  RNNLAB_CHECK_INPUT(!fs::is_directory(st), "cannot open run file ", path,
                     ": is a directory, not an HDF5 file");
  htri_t is_h5 = H5Fis_hdf5(path.c_str());
  if (is_h5 < 0)
    throw InputError(concat("cannot open run file ", path, ": unreadable (", h5::reason(), ")"));
  RNNLAB_CHECK_INPUT(is_h5 > 0, "cannot open run file ", path,
                     ": not an HDF5 file (no HDF5 signature)");
  RunLock lock = writable ? RunLock(path) : RunLock();
  Handle fapl = h5::file_access(path, writable);
  hid_t f = H5Fopen(path.c_str(), writable ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get());
  if (f < 0)
    throw InputError(concat("cannot open run file ", path, ": corrupt or unreadable HDF5 file (",
                            h5::reason(), ")"));
  RunFile rf(path, f, writable, std::move(lock));
  if (writable) {
    // What is written from now on gets the same checksums as the rest of the file; a sealed
    // file loses its digests at its first change (begin_change).
    if (rf.has_checksums()) use_checksummed_formats(f, path);
    rf.sealed_ = rf.sealed();
  }
  return rf;
}

void RunFile::require_writable(const char* what) const {
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": ", what, " on a closed file");
  RNNLAB_CHECK(writable_, "run file ", path_, ": ", what, " on a file opened read-only");
}

void RunFile::begin_change(const char* what) {
  require_writable(what);
  if (!sealed_) return;
  // The digests go first, and reach the disk before the change does: a stored digest never
  // describes another content, whenever the writer is killed.
  sealed_ = false;
  h5::QuietErrors quiet;
  for (const char* name : {layout::kContentDigest, layout::kHeaderDigest})
    if (check_tri(H5Aexists(file_, name), path_, concat("checking attribute '", name, "'")))
      check(H5Adelete(file_, name), path_, concat("removing attribute '", name, "'"));
  check(H5Fflush(file_, H5F_SCOPE_GLOBAL), path_, "flushing");
}

// ---- attributes ----

namespace {
// Opens the object that holds attribute `name` ("a/b/attr" -> /a/b); creates missing groups
// when `create`. Returns an invalid Handle if it does not exist and !create.
std::pair<Handle, std::string> attr_owner(hid_t file, const std::string& name, bool create,
                                       const std::string& fname) {
  auto [obj, attr] = split_attr(name, fname);
  if (create) {
    ensure_group(file, obj, fname);
  } else if (!path_exists(file, obj, fname)) {
    return {Handle(), attr};
  }
  Handle o = check_id(H5Oopen(file, obj.c_str(), H5P_DEFAULT), H5Oclose, fname,
                   concat("opening '", obj, "'"));
  return {std::move(o), attr};
}

void write_scalar_attr(hid_t file, const std::string& name, hid_t ftype, hid_t mtype,
                       const void* buf, const std::string& fname) {
  auto [obj, attr] = attr_owner(file, name, true, fname);
  std::string what = concat("attribute '", name, "'");
  if (check_tri(H5Aexists(obj.get(), attr.c_str()), fname, concat("checking ", what))) {
    // Same type: overwrite in place, so no moment exists (a kill, a full disk) in which the
    // file has lost the attribute. Another type: replace it.
    Handle old = check_id(H5Aopen(obj.get(), attr.c_str(), H5P_DEFAULT), H5Aclose, fname,
                          concat("opening ", what));
    Handle old_type = check_id(H5Aget_type(old.get()), H5Tclose, fname, concat("typing ", what));
    Handle old_space = check_id(H5Aget_space(old.get()), H5Sclose, fname, concat("sizing ", what));
    if (H5Sget_simple_extent_type(old_space.get()) == H5S_SCALAR &&
        check_tri(H5Tequal(old_type.get(), ftype), fname, concat("comparing ", what))) {
      check(H5Awrite(old.get(), mtype, buf), fname, concat("writing ", what));
      return;
    }
    old = Handle();
    check(H5Adelete(obj.get(), attr.c_str()), fname, concat("replacing ", what));
  }
  Handle space = check_id(H5Screate(H5S_SCALAR), H5Sclose, fname, "H5Screate");
  Handle a =
      check_id(H5Acreate2(obj.get(), attr.c_str(), ftype, space.get(), H5P_DEFAULT, H5P_DEFAULT),
               H5Aclose, fname, concat("creating ", what));
  check(H5Awrite(a.get(), mtype, buf), fname, concat("writing ", what));
}

Handle open_attr(hid_t file, const std::string& name, const std::string& fname) {
  auto [obj, attr] = attr_owner(file, name, false, fname);
  bool found = obj.get() >= 0 && check_tri(H5Aexists(obj.get(), attr.c_str()), fname,
                                           concat("checking attribute '", name, "'"));
  RNNLAB_CHECK(found, "run file ", fname, ": no attribute '", name, "'");
  return check_id(H5Aopen(obj.get(), attr.c_str(), H5P_DEFAULT), H5Aclose, fname,
                  concat("opening attribute '", name, "'"));
}

// Checks a numeric attribute is a single value of an allowed class, then reads it.
template <typename T>
T read_numeric_attr(hid_t file, const std::string& name, hid_t mtype, bool allow_float,
                    const std::string& fname, const char* expected) {
  Handle a = open_attr(file, name, fname);
  Handle type = check_id(H5Aget_type(a.get()), H5Tclose, fname, "H5Aget_type");
  Handle space = check_id(H5Aget_space(a.get()), H5Sclose, fname, "H5Aget_space");
  H5T_class_t cls = H5Tget_class(type.get());
  RNNLAB_CHECK(cls == H5T_INTEGER || (allow_float && cls == H5T_FLOAT), "run file ", fname,
               ": attribute '", name, "' is ", type_desc(type.get()), "; expected ", expected);
  hssize_t n = H5Sget_simple_extent_npoints(space.get());
  RNNLAB_CHECK(n == 1, "run file ", fname, ": attribute '", name, "' holds ", n,
               " values; expected one");
  T v{};
  check(H5Aread(a.get(), mtype, &v), fname, concat("reading attribute '", name, "'"));
  return v;
}
}  // namespace

void RunFile::set_attr(const std::string& name, const std::string& value) {
  h5::QuietErrors quiet;
  begin_change("set_attr");
  RNNLAB_CHECK(value.find('\0') == std::string::npos, "run file ", path_, ": attribute '", name,
               "': strings must not contain NUL characters");
  Handle t = h5::vlen_utf8_type(path_);
  const char* p = value.c_str();
  write_scalar_attr(file_, name, t.get(), t.get(), &p, path_);
}

void RunFile::set_attr(const std::string& name, int64_t value) {
  h5::QuietErrors quiet;
  begin_change("set_attr");
  write_scalar_attr(file_, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value, path_);
}

void RunFile::set_attr(const std::string& name, double value) {
  h5::QuietErrors quiet;
  begin_change("set_attr");
  write_scalar_attr(file_, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value, path_);
}

bool RunFile::has_attr(const std::string& name) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": has_attr on a closed file");
  auto [obj, attr] = attr_owner(file_, name, false, path_);
  return obj.get() >= 0 && check_tri(H5Aexists(obj.get(), attr.c_str()), path_,
                                     concat("checking attribute '", name, "'"));
}

std::string RunFile::attr_string(const std::string& name) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": attr_string on a closed file");
  Handle a = open_attr(file_, name, path_);
  Handle type = check_id(H5Aget_type(a.get()), H5Tclose, path_, "H5Aget_type");
  Handle space = check_id(H5Aget_space(a.get()), H5Sclose, path_, "H5Aget_space");
  return read_string(
      type.get(), space.get(), [&](hid_t mt, void* buf) { return H5Aread(a.get(), mt, buf); },
      path_, concat("attribute '", name, "'"));
}

int64_t RunFile::attr_int(const std::string& name) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": attr_int on a closed file");
  return read_numeric_attr<int64_t>(file_, name, H5T_NATIVE_INT64, false, path_, "an integer");
}

double RunFile::attr_double(const std::string& name) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": attr_double on a closed file");
  return read_numeric_attr<double>(file_, name, H5T_NATIVE_DOUBLE, true, path_, "a number");
}

// ---- bool attributes and attribute types ----

namespace {
// numpy.bool_ as h5py writes it: enum over int8 with FALSE = 0, TRUE = 1.
Handle bool_enum_type(const std::string& fname) {
  Handle t = check_id(H5Tenum_create(H5T_NATIVE_INT8), H5Tclose, fname, "H5Tenum_create");
  const int8_t no = 0, yes = 1;
  check(H5Tenum_insert(t.get(), "FALSE", &no), fname, "H5Tenum_insert");
  check(H5Tenum_insert(t.get(), "TRUE", &yes), fname, "H5Tenum_insert");
  return t;
}

bool is_bool_enum(hid_t type) {
  if (H5Tget_class(type) != H5T_ENUM || H5Tget_nmembers(type) != 2 || H5Tget_size(type) != 1)
    return false;
  for (unsigned i = 0; i < 2; ++i) {
    char* name = H5Tget_member_name(type, i);
    if (!name) return false;
    const std::string n = name;
    H5free_memory(name);
    if (n != (i == 0 ? "FALSE" : "TRUE")) return false;
  }
  return true;
}
}  // namespace

void RunFile::set_attr(const std::string& name, bool value) {
  h5::QuietErrors quiet;
  begin_change("set_attr");
  Handle t = bool_enum_type(path_);
  const int8_t v = value ? 1 : 0;
  write_scalar_attr(file_, name, t.get(), t.get(), &v, path_);
}

bool RunFile::attr_bool(const std::string& name) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": attr_bool on a closed file");
  Handle a = open_attr(file_, name, path_);
  Handle type = check_id(H5Aget_type(a.get()), H5Tclose, path_, "H5Aget_type");
  Handle space = check_id(H5Aget_space(a.get()), H5Sclose, path_, "H5Aget_space");
  RNNLAB_CHECK(is_bool_enum(type.get()) && H5Sget_simple_extent_npoints(space.get()) == 1,
               "run file ", path_, ": attribute '", name, "' is ", type_desc(type.get()),
               "; expected a bool");
  Handle mt = bool_enum_type(path_);
  int8_t v = 0;
  check(H5Aread(a.get(), mt.get(), &v), path_, concat("reading attribute '", name, "'"));
  return v != 0;
}

std::string RunFile::attr_type(const std::string& name) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": attr_type on a closed file");
  Handle a = open_attr(file_, name, path_);
  Handle type = check_id(H5Aget_type(a.get()), H5Tclose, path_, "H5Aget_type");
  switch (H5Tget_class(type.get())) {
    case H5T_STRING: return "string";
    case H5T_INTEGER: return "integer";
    case H5T_FLOAT: return "real";
    case H5T_ENUM: return is_bool_enum(type.get()) ? "bool" : "other";
    default: return "other";
  }
}

std::vector<std::string> RunFile::attr_names(const std::string& object) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": attr_names on a closed file");
  std::string abs = normalize(object, path_);
  RNNLAB_CHECK(path_exists(file_, abs, path_), "run file ", path_, ": no object '", abs, "'");
  Handle o = check_id(H5Oopen(file_, abs.c_str(), H5P_DEFAULT), H5Oclose, path_,
                   concat("opening '", abs, "'"));
  std::vector<std::string> names;
  hsize_t pos = 0;
  check(H5Aiterate2(
            o.get(), H5_INDEX_NAME, H5_ITER_INC, &pos,
            [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
              static_cast<std::vector<std::string>*>(data)->emplace_back(name);
              return 0;
            },
            &names),
        path_, concat("listing attributes of '", abs, "'"));
  std::sort(names.begin(), names.end());
  return names;
}

// ---- text ----

void RunFile::write_text(const std::string& path, const std::string& text) {
  h5::QuietErrors quiet;
  begin_change("write_text");
  std::string abs = normalize(path, path_);
  RNNLAB_CHECK(abs != "/", "run file ", path_, ": write_text needs a dataset path");
  RNNLAB_CHECK(text.find('\0') == std::string::npos, "run file ", path_, ": text for '", abs,
               "' contains a NUL character");
  ensure_group(file_, parent_of(abs), path_);
  if (path_exists(file_, abs, path_)) {
    RNNLAB_CHECK(object_type(file_, abs, path_) == H5I_DATASET, "run file ", path_, ": '", abs,
                 "' exists and is a group; write_text replaces datasets only");
    check(H5Ldelete(file_, abs.c_str(), H5P_DEFAULT), path_, concat("replacing '", abs, "'"));
  }
  Handle t = h5::vlen_utf8_type(path_);
  Handle space = check_id(H5Screate(H5S_SCALAR), H5Sclose, path_, "H5Screate");
  // Compact: the string's heap reference sits in the object header (checksummed); the text
  // itself, in the global heap, is covered by the digests (run_file.h "Checksums").
  Handle dcpl = tensor_create_plist({}, 0, path_);
  Handle d = check_id(
      H5Dcreate2(file_, abs.c_str(), t.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      H5Dclose, path_, concat("creating '", abs, "'"));
  const char* p = text.c_str();
  check(H5Dwrite(d.get(), t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, &p), path_,
        concat("writing '", abs, "'"));
}

std::string RunFile::read_text(const std::string& path) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": read_text on a closed file");
  std::string abs = normalize(path, path_);
  RNNLAB_CHECK(path_exists(file_, abs, path_), "run file ", path_, ": no dataset '", abs, "'");
  Handle d = check_id(H5Dopen2(file_, abs.c_str(), H5P_DEFAULT), H5Dclose, path_,
                   concat("opening dataset '", abs, "'"));
  Handle type = check_id(H5Dget_type(d.get()), H5Tclose, path_, "H5Dget_type");
  Handle space = check_id(H5Dget_space(d.get()), H5Sclose, path_, "H5Dget_space");
  return read_string(
      type.get(), space.get(),
      [&](hid_t mt, void* buf) { return H5Dread(d.get(), mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); },
      path_, concat("dataset '", abs, "'"));
}

// ---- metric tables ----

void RunFile::append_metrics(const std::string& group,
                             const std::vector<std::pair<std::string, double>>& row) {
  h5::QuietErrors quiet;
  begin_change("append_metrics");
  std::string gabs = normalize(group, path_);
  RNNLAB_CHECK(gabs != "/", "run file ", path_, ": append_metrics needs a group name");
  RNNLAB_CHECK(!row.empty(), "run file ", path_, ": append_metrics to '", gabs,
               "' with an empty row");
  std::set<std::string> seen;
  for (const auto& [name, v] : row) {
    RNNLAB_CHECK(
        !name.empty() && name.find('/') == std::string::npos && name != "." && name != "..",
        "run file ", path_, ": bad metric name '", name, "' for '", gabs,
        "' (must be non-empty, without '/')");
    RNNLAB_CHECK(seen.insert(name).second, "run file ", path_, ": metric '", name,
                 "' given twice in one row of '", gabs, "'");
  }

  ensure_group(file_, gabs, path_);
  Handle g = check_id(H5Gopen2(file_, gabs.c_str(), H5P_DEFAULT), H5Gclose, path_,
                   concat("opening group '", gabs, "'"));
  std::vector<Column> cols = open_columns(g.get(), gabs, path_);
  const hsize_t n = common_rows(cols, gabs, path_);
  const hsize_t new_n = n + 1;

  // Grow every existing column by one row (the new cell reads as the NaN fill value).
  for (auto& c : cols)
    check(H5Dset_extent(c.dset.get(), &new_n), path_,
          concat("extending '", gabs, "/", c.name, "'"));

  for (const auto& [name, value] : row) {
    auto it =
        std::find_if(cols.begin(), cols.end(), [&](const Column& c) { return c.name == name; });
    Handle created;
    hid_t d;
    std::string what = concat("'", gabs, "/", name, "'");
    if (it != cols.end()) {
      d = it->dset.get();
    } else {
      // New column: NaN for the n rows logged before it appeared.
      hsize_t maxdims = H5S_UNLIMITED, chunk = kMetricChunk;
      Handle space =
          check_id(H5Screate_simple(1, &new_n, &maxdims), H5Sclose, path_, "H5Screate_simple");
      Handle dcpl = check_id(H5Pcreate(H5P_DATASET_CREATE), H5Pclose, path_, "H5Pcreate");
      check(H5Pset_chunk(dcpl.get(), 1, &chunk), path_, "H5Pset_chunk");
      const double nan = std::numeric_limits<double>::quiet_NaN();
      check(H5Pset_fill_value(dcpl.get(), H5T_NATIVE_DOUBLE, &nan), path_, "H5Pset_fill_value");
      check(H5Pset_fill_time(dcpl.get(), H5D_FILL_TIME_IFSET), path_, "H5Pset_fill_time");
      check(H5Pset_fletcher32(dcpl.get()), path_, "H5Pset_fletcher32");
      created = check_id(H5Dcreate2(g.get(), name.c_str(), H5T_IEEE_F64LE, space.get(), H5P_DEFAULT,
                                    dcpl.get(), H5P_DEFAULT),
                         H5Dclose, path_, concat("creating ", what));
      d = created.get();
    }
    Handle fspace = check_id(H5Dget_space(d), H5Sclose, path_, "H5Dget_space");
    hsize_t start = n, count = 1;
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, &start, nullptr, &count, nullptr),
          path_, "H5Sselect_hyperslab");
    Handle mspace =
        check_id(H5Screate_simple(1, &count, nullptr), H5Sclose, path_, "H5Screate_simple");
    check(H5Dwrite(d, H5T_NATIVE_DOUBLE, mspace.get(), fspace.get(), H5P_DEFAULT, &value), path_,
          concat("writing row ", n, " of ", what));
  }
}

std::vector<double> RunFile::read_series(const std::string& group, const std::string& name) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": read_series on a closed file");
  std::string abs = normalize(normalize(group, path_) + "/" + name, path_);
  RNNLAB_CHECK(path_exists(file_, abs, path_), "run file ", path_, ": no series '", abs, "'");
  Handle d = check_id(H5Dopen2(file_, abs.c_str(), H5P_DEFAULT), H5Dclose, path_,
                   concat("opening series '", abs, "'"));
  Handle type = check_id(H5Dget_type(d.get()), H5Tclose, path_, "H5Dget_type");
  H5T_class_t cls = H5Tget_class(type.get());
  RNNLAB_CHECK(cls == H5T_FLOAT || cls == H5T_INTEGER, "run file ", path_, ": series '", abs,
               "' is ", type_desc(type.get()), "; expected numbers");
  Handle space = check_id(H5Dget_space(d.get()), H5Sclose, path_, "H5Dget_space");
  RNNLAB_CHECK(H5Sget_simple_extent_ndims(space.get()) == 1, "run file ", path_, ": series '", abs,
               "' is not 1-D");
  hsize_t rows = 0;
  H5Sget_simple_extent_dims(space.get(), &rows, nullptr);
  std::vector<double> v(rows);
  if (rows > 0)
    check(H5Dread(d.get(), H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data()), path_,
          concat("reading series '", abs, "'"));
  isolated_progress();  // in a reader's child process (isolated.h): not a hang
  if (reads_live_run()) {  // a half-appended last row of a live table is not read
    const std::size_t whole = static_cast<std::size_t>(num_rows(normalize(group, path_)));
    if (v.size() > whole) v.resize(whole);
  }
  return v;
}

std::vector<std::string> RunFile::series_names(const std::string& group) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": series_names on a closed file");
  std::string gabs = normalize(group, path_);
  if (!path_exists(file_, gabs, path_)) return {};
  Handle g = check_id(H5Gopen2(file_, gabs.c_str(), H5P_DEFAULT), H5Gclose, path_,
                   concat("opening group '", gabs, "'"));
  std::vector<std::string> names;
  for (const auto& c : open_columns(g.get(), gabs, path_)) names.push_back(c.name);
  return names;
}

void RunFile::truncate_rows(const std::string& group, int64_t rows) {
  h5::QuietErrors quiet;
  begin_change("truncate_rows");
  std::string gabs = normalize(group, path_);
  if (!path_exists(file_, gabs, path_)) {
    RNNLAB_CHECK(rows == 0, "run file ", path_, ": '", gabs, "' is missing, expected ", rows,
                 " rows");
    return;
  }
  Handle g = check_id(H5Gopen2(file_, gabs.c_str(), H5P_DEFAULT), H5Gclose, path_,
                   concat("opening group '", gabs, "'"));
  const hsize_t n = static_cast<hsize_t>(rows);
  for (auto& c : open_columns(g.get(), gabs, path_)) {
    RNNLAB_CHECK(c.rows >= n, "run file ", path_, ": column '", gabs, "/", c.name, "' has ",
                 c.rows, " rows, fewer than the ", rows, " its checkpoint recorded");
    if (c.rows > n)
      check(H5Dset_extent(c.dset.get(), &n), path_,
            concat("truncating '", gabs, "/", c.name, "' to ", rows, " rows"));
  }
}

int64_t RunFile::num_rows(const std::string& group) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": num_rows on a closed file");
  std::string gabs = normalize(group, path_);
  if (!path_exists(file_, gabs, path_)) return 0;
  Handle g = check_id(H5Gopen2(file_, gabs.c_str(), H5P_DEFAULT), H5Gclose, path_,
                   concat("opening group '", gabs, "'"));
  return static_cast<int64_t>(
      common_rows(open_columns(g.get(), gabs, path_), gabs, path_, reads_live_run()));
}

bool RunFile::reads_live_run() const {
  return !writable_ && has_attr(layout::kStatus) &&
         attr_string(layout::kStatus) == layout::kRunning;
}

// ---- tensors ----

void RunFile::write_tensor(const std::string& path, const Tensor& t) {
  h5::QuietErrors quiet;
  begin_change("write_tensor");
  std::string abs = normalize(path, path_);
  RNNLAB_CHECK(abs != "/", "run file ", path_, ": write_tensor needs a dataset path");
  RNNLAB_CHECK(t.defined(), "run file ", path_, ": write_tensor('", abs,
               "') of an undefined tensor");
  std::vector<hsize_t> dims;
  for (int64_t d : t.shape()) {
    RNNLAB_CHECK(d >= 0, "run file ", path_, ": tensor for '", abs, "' has shape ",
                 shape_str(t.shape()));
    dims.push_back(static_cast<hsize_t>(d));
  }
  const TypeMap tm = type_map(t.dtype());

  // Host copy (tensors may live on any device).
  std::vector<float> f32;
  std::vector<double> f64;
  std::vector<int32_t> i32;
  const void* host = nullptr;
  switch (t.dtype()) {
    case DType::f32:
      f32 = to_vector<float>(t);
      host = f32.data();
      break;
    case DType::f64:
      f64 = to_vector<double>(t);
      host = f64.data();
      break;
    case DType::i32:
      i32 = to_vector<int32_t>(t);
      host = i32.data();
      break;
  }

  ensure_group(file_, parent_of(abs), path_);
  Handle d;
  if (path_exists(file_, abs, path_)) {
    RNNLAB_CHECK(object_type(file_, abs, path_) == H5I_DATASET, "run file ", path_, ": '", abs,
                 "' exists and is not a dataset");
    Handle old = check_id(H5Dopen2(file_, abs.c_str(), H5P_DEFAULT), H5Dclose, path_,
                       concat("opening '", abs, "'"));
    Handle otype = check_id(H5Dget_type(old.get()), H5Tclose, path_, "H5Dget_type");
    Handle ospace = check_id(H5Dget_space(old.get()), H5Sclose, path_, "H5Dget_space");
    int rank = H5Sget_simple_extent_ndims(ospace.get());
    std::vector<hsize_t> odims(static_cast<std::size_t>(std::max(rank, 0)));
    if (rank > 0) H5Sget_simple_extent_dims(ospace.get(), odims.data(), nullptr);
    bool same =
        check_tri(H5Tequal(otype.get(), tm.file_type), path_, "H5Tequal") &&
        H5Sget_simple_extent_type(ospace.get()) == (dims.empty() ? H5S_SCALAR : H5S_SIMPLE) &&
        odims == dims;
    if (same) {
      d = std::move(old);
    } else {
      old = Handle();
      check(H5Ldelete(file_, abs.c_str(), H5P_DEFAULT), path_, concat("replacing '", abs, "'"));
    }
  }
  if (d.get() < 0) {
    Handle space =
        dims.empty()
            ? check_id(H5Screate(H5S_SCALAR), H5Sclose, path_, "H5Screate")
            : check_id(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr),
                       H5Sclose, path_, "H5Screate_simple");
    Handle dcpl = tensor_create_plist(dims, dtype_size(t.dtype()), path_);
    d = check_id(H5Dcreate2(file_, abs.c_str(), tm.file_type, space.get(), H5P_DEFAULT, dcpl.get(),
                            H5P_DEFAULT),
                 H5Dclose, path_, concat("creating '", abs, "'"));
  }
  if (t.numel() > 0)
    check(H5Dwrite(d.get(), tm.mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, host), path_,
          concat("writing '", abs, "'"));
}

Tensor RunFile::read_tensor(const std::string& path, Device device) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": read_tensor on a closed file");
  std::string abs = normalize(path, path_);
  RNNLAB_CHECK(path_exists(file_, abs, path_), "run file ", path_, ": no tensor '", abs, "'");
  RNNLAB_CHECK(object_type(file_, abs, path_) == H5I_DATASET, "run file ", path_, ": '", abs,
               "' is a group, not a tensor");
  Handle d = check_id(H5Dopen2(file_, abs.c_str(), H5P_DEFAULT), H5Dclose, path_,
                   concat("opening '", abs, "'"));
  Handle type = check_id(H5Dget_type(d.get()), H5Tclose, path_, "H5Dget_type");
  Handle space = check_id(H5Dget_space(d.get()), H5Sclose, path_, "H5Dget_space");
  H5S_class_t sc = H5Sget_simple_extent_type(space.get());
  RNNLAB_CHECK(sc == H5S_SCALAR || sc == H5S_SIMPLE, "run file ", path_, ": '", abs,
               "' has an empty (null) dataspace");
  Shape shape;
  if (sc == H5S_SIMPLE) {
    int rank = H5Sget_simple_extent_ndims(space.get());
    std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
    H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
    for (hsize_t x : dims) shape.push_back(static_cast<int64_t>(x));
  }
  H5T_class_t cls = H5Tget_class(type.get());
  std::size_t size = H5Tget_size(type.get());
  if (cls == H5T_FLOAT && size == 4)
    return read_as<float>(d.get(), H5T_NATIVE_FLOAT, shape, device, path_, abs);
  if (cls == H5T_FLOAT && size == 8)
    return read_as<double>(d.get(), H5T_NATIVE_DOUBLE, shape, device, path_, abs);
  if (cls == H5T_INTEGER && size == 4 && H5Tget_sign(type.get()) == H5T_SGN_2)
    return read_as<int32_t>(d.get(), H5T_NATIVE_INT32, shape, device, path_, abs);
  throw Error(concat("run file ", path_, ": tensor '", abs, "' has type ", type_desc(type.get()),
                     "; expected float32, float64 or int32"));
}

// ---- structure ----

bool RunFile::exists(const std::string& path) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": exists on a closed file");
  return path_exists(file_, normalize(path, path_), path_);
}

std::vector<std::string> RunFile::dataset_paths(const std::string& group) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": dataset_paths on a closed file");
  std::string gabs = normalize(group, path_);
  if (!path_exists(file_, gabs, path_)) return {};
  RNNLAB_CHECK(object_type(file_, gabs, path_) == H5I_GROUP, "run file ", path_, ": '", gabs,
               "' is not a group");
  Handle g = check_id(H5Gopen2(file_, gabs.c_str(), H5P_DEFAULT), H5Gclose, path_,
                   concat("opening group '", gabs, "'"));
  struct Visit {
    std::vector<std::string> paths;
  } visit;
  check(H5Lvisit(
            g.get(), H5_INDEX_NAME, H5_ITER_INC,
            [](hid_t grp, const char* name, const H5L_info_t* info, void* data) -> herr_t {
              auto* v = static_cast<Visit*>(data);
              if (info->type != H5L_TYPE_HARD) return 0;
              hid_t o = H5Oopen(grp, name, H5P_DEFAULT);
              if (o < 0) return -1;
              if (H5Iget_type(o) == H5I_DATASET) v->paths.emplace_back(name);
              H5Oclose(o);
              return 0;
            },
            &visit),
        path_, concat("listing '", gabs, "'"));
  std::sort(visit.paths.begin(), visit.paths.end());
  return visit.paths;
}

void RunFile::remove(const std::string& path) {
  h5::QuietErrors quiet;
  begin_change("remove");
  std::string abs = normalize(path, path_);
  RNNLAB_CHECK(abs != "/", "run file ", path_, ": cannot remove the root group");
  RNNLAB_CHECK(path_exists(file_, abs, path_), "run file ", path_, ": remove: no object '", abs,
               "'");
  check(H5Ldelete(file_, abs.c_str(), H5P_DEFAULT), path_, concat("removing '", abs, "'"));
}

// ---- durability ----

void RunFile::flush() {
  h5::QuietErrors quiet;
  require_writable("flush");
  check(H5Fflush(file_, H5F_SCOPE_GLOBAL), path_, "flushing");
}

void RunFile::finish(const std::string& status) {
  RNNLAB_CHECK(status == layout::kFinished || status == layout::kFailed ||
                   status == layout::kInterrupted,
               "run file ",
               path_, ": finish status '", status, "'; expected finished, failed or interrupted");
  set_attr(layout::kStatus, status);
  set_attr(layout::kFinishedAt, now_iso8601());
  seal();
}

}  // namespace rnnlab
