// The digests of a run file (RunFile::compute_digest / seal / check_header_digest; run_file.h
// "Checksums"): FNV-1a 64 over the file's logical content, read through HDF5 (so every HDF5
// checksum on the way is checked too). FNV-1a rather than SHA-256: it detects accidental
// change, which is what damage is, and hashes several times faster (results/README.md has the
// measurement); the checkpoint slots use it for the same reason.
#include <algorithm>
#include <cstring>
#include <vector>

#include "core/fnv1a.h"
#include "results/h5.h"
#include "rnnlab/error.h"
#include "rnnlab/isolated.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"

namespace rnnlab {
namespace {

using detail::concat;
using h5::check;
using h5::check_id;
using h5::check_tri;
using h5::Handle;

constexpr std::size_t kSlabBytes = std::size_t{8} << 20;  // a big dataset is read in slabs

// h5::check_id / h5::check with the message built only on failure: the walk makes thousands
// of calls per file, and readers pay for every one of them.
template <typename What>
Handle own(hid_t id, Handle::Closer close, const std::string& fname, What&& what) {
  if (id < 0) h5::fail(fname, what());
  return Handle(id, close);
}
template <typename What>
void ok(herr_t rc, const std::string& fname, What&& what) {
  if (rc < 0) h5::fail(fname, what());
}

// The digest of one pass over the file.
struct Walk {
  hid_t file;
  const std::string& fname;
  bool content;  // content_digest (all data) or header_digest (not Fletcher32-protected data)
  Fnv1a64 h;
  Handle vlen_types[2];  // memory types of variable-length strings, ASCII and UTF-8 (cached)
};

// The memory type `w` reads variable-length strings of `ftype` as.
hid_t vlen_type(Walk& w, hid_t ftype) {
  const H5T_cset_t cset = H5Tget_cset(ftype);
  Handle& t = w.vlen_types[cset == H5T_CSET_UTF8 ? 1 : 0];
  if (!t.valid()) {
    t = check_id(H5Tcopy(H5T_C_S1), H5Tclose, w.fname, "H5Tcopy");
    check(H5Tset_size(t.get(), H5T_VARIABLE), w.fname, "H5Tset_size");
    check(H5Tset_cset(t.get(), cset == H5T_CSET_UTF8 ? H5T_CSET_UTF8 : H5T_CSET_ASCII), w.fname,
          "H5Tset_cset");
  }
  return t.get();
}

bool is_variable(hid_t type) {
  return H5Tget_class(type) == H5T_VLEN || H5Tis_variable_str(type) > 0;
}

// The type, as far as rnnlab's types go: strings ("s"), integers and floats by size and sign,
// enums (rnnlab's bools) by members; another class by its number and size.
void add_type(Fnv1a64& h, hid_t type) {
  const H5T_class_t cls = H5Tget_class(type);
  const uint64_t size = H5Tget_size(type);
  switch (cls) {
    case H5T_STRING:
      h.add("s");
      return;
    case H5T_INTEGER:
      h.add("i");
      h.add_pod(size);
      h.add_pod(static_cast<int32_t>(H5Tget_sign(type)));
      return;
    case H5T_FLOAT:
      h.add("f");
      h.add_pod(size);
      return;
    case H5T_ENUM: {
      h.add("e");
      h.add_pod(size);
      const int n = H5Tget_nmembers(type);
      h.add_pod(static_cast<int32_t>(n));
      for (int i = 0; i < n; ++i) {
        if (char* name = H5Tget_member_name(type, static_cast<unsigned>(i))) {
          h.add(std::string(name));
          H5free_memory(name);
        }
        std::vector<unsigned char> v(size);
        if (H5Tget_member_value(type, static_cast<unsigned>(i), v.data()) >= 0)
          h.add(v.data(), v.size());
      }
      return;
    }
    default:
      h.add("o");
      h.add_pod(static_cast<int32_t>(cls));
      h.add_pod(size);
  }
}

// The values of `n` elements of type `ftype`, read by `read(mem_type, buffer)`.
template <typename Read, typename What>
void add_values(Walk& w, hid_t ftype, hssize_t n, Read&& read, What&& what) {
  if (n <= 0) return;
  const auto count = static_cast<std::size_t>(n);
  const H5T_class_t cls = H5Tget_class(ftype);
  if (cls == H5T_STRING && H5Tis_variable_str(ftype) > 0) {
    std::vector<char*> p(count, nullptr);
    const herr_t rc = read(vlen_type(w, ftype), p.data());
    for (char* s : p) {
      if (rc >= 0) w.h.add(std::string(s ? s : ""));
      if (s) H5free_memory(s);
    }
    ok(rc, w.fname, [&] { return concat("reading ", what()); });
    return;
  }
  if (cls == H5T_STRING) {  // fixed length: each element as its text
    const std::size_t size = H5Tget_size(ftype);
    std::vector<char> buf(count * size);
    ok(read(ftype, buf.data()), w.fname, [&] { return concat("reading ", what()); });
    for (std::size_t i = 0; i < count; ++i) {
      std::string s(buf.data() + i * size, size);
      s.resize(std::min(s.find('\0'), s.size()));
      w.h.add(s);
    }
    return;
  }
  if (cls == H5T_INTEGER || cls == H5T_FLOAT || cls == H5T_ENUM) {
    // In this machine's byte order: the file's own type when it matches (no conversion; what
    // rnnlab writes: little-endian), else the native equivalent.
    Handle native;
    hid_t mt = ftype;
    if (H5Tget_order(ftype) != H5Tget_order(H5T_NATIVE_INT)) {
      native = check_id(H5Tget_native_type(ftype, H5T_DIR_ASCEND), H5Tclose, w.fname,
                        "H5Tget_native_type");
      mt = native.get();
    }
    std::vector<unsigned char> buf(count * H5Tget_size(mt));
    ok(read(mt, buf.data()), w.fname, [&] { return concat("reading ", what()); });
    w.h.add(buf.data(), buf.size());
    return;
  }
  w.h.add("unread");  // compound, array, reference, ...: rnnlab writes none; its type only
}

void add_attrs(Walk& w, hid_t obj, const std::string& path) {
  std::vector<std::string> names;
  hsize_t pos = 0;
  ok(H5Aiterate2(
         obj, H5_INDEX_NAME, H5_ITER_INC, &pos,
         [](hid_t, const char* name, const H5A_info_t*, void* data) -> herr_t {
           static_cast<std::vector<std::string>*>(data)->emplace_back(name);
           return 0;
         },
         &names),
     w.fname, [&] { return concat("listing the attributes of '", path, "'"); });
  for (const auto& name : names) {
    if (path == "/" && (name == layout::kContentDigest || name == layout::kHeaderDigest)) continue;
    auto what = [&] { return concat("attribute '", name, "' of '", path, "'"); };
    Handle a = own(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose, w.fname,
                   [&] { return "opening " + what(); });
    Handle type = own(H5Aget_type(a.get()), H5Tclose, w.fname, [&] { return "typing " + what(); });
    Handle space =
        own(H5Aget_space(a.get()), H5Sclose, w.fname, [&] { return "sizing " + what(); });
    w.h.add("@" + name);
    add_type(w.h, type.get());
    const hssize_t n = H5Sget_simple_extent_npoints(space.get());
    w.h.add_pod(static_cast<int64_t>(n));
    add_values(
        w, type.get(), n, [&](hid_t mt, void* buf) { return H5Aread(a.get(), mt, buf); }, what);
  }
}

bool has_fletcher32(hid_t dset, const std::string& fname) {
  Handle dcpl = check_id(H5Dget_create_plist(dset), H5Pclose, fname, "H5Dget_create_plist");
  if (H5Pget_layout(dcpl.get()) != H5D_CHUNKED) return false;
  unsigned flags = 0;
  std::size_t nelmts = 0;
  unsigned config = 0;
  h5::QuietErrors quiet;  // "filter not found" is an answer here, not an error
  const herr_t rc = H5Pget_filter_by_id2(dcpl.get(), H5Z_FILTER_FLETCHER32, &flags, &nelmts,
                                         nullptr, 0, nullptr, &config);
  H5Eclear2(H5E_DEFAULT);
  return rc >= 0;
}

void add_dataset(Walk& w, hid_t dset, const std::string& path) {
  Handle type = check_id(H5Dget_type(dset), H5Tclose, w.fname, "H5Dget_type");
  Handle space = check_id(H5Dget_space(dset), H5Sclose, w.fname, "H5Dget_space");
  add_type(w.h, type.get());
  const int rank = H5Sget_simple_extent_ndims(space.get());
  ok(rank, w.fname, [&] { return concat("the shape of '", path, "'"); });
  std::vector<hsize_t> dims(static_cast<std::size_t>(rank));
  if (rank > 0) H5Sget_simple_extent_dims(space.get(), dims.data(), nullptr);
  w.h.add_pod(static_cast<int32_t>(H5Sget_simple_extent_type(space.get())));
  for (hsize_t d : dims) w.h.add_pod(static_cast<uint64_t>(d));
  // header_digest: the data a chunk checksum already covers is left to it (not text: the
  // chunks of a variable-length dataset hold heap references, not the strings).
  if (!w.content && !is_variable(type.get()) && has_fletcher32(dset, w.fname)) return;
  auto what = [&] { return concat("dataset '", path, "'"); };
  const hssize_t n = H5Sget_simple_extent_npoints(space.get());
  const std::size_t elem = H5Tget_size(type.get());
  if (rank == 0 || n <= 0 || is_variable(type.get()) ||
      static_cast<std::size_t>(n) * elem <= kSlabBytes) {
    add_values(
        w, type.get(), n,
        [&](hid_t mt, void* buf) { return H5Dread(dset, mt, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf); },
        what);
    return;
  }
  // In slabs of the first axis, so a large tensor never needs a second copy in memory; the
  // bytes hashed are the same as in one read.
  const hsize_t row = static_cast<hsize_t>(n) / dims[0];
  const hsize_t rows = std::max<hsize_t>(1, kSlabBytes / std::max<std::size_t>(row * elem, 1));
  for (hsize_t start = 0; start < dims[0]; start += rows) {
    std::vector<hsize_t> offset(dims.size(), 0), count = dims;
    offset[0] = start;
    count[0] = std::min(rows, dims[0] - start);
    Handle fspace = check_id(H5Scopy(space.get()), H5Sclose, w.fname, "H5Scopy");
    check(H5Sselect_hyperslab(fspace.get(), H5S_SELECT_SET, offset.data(), nullptr, count.data(),
                              nullptr),
          w.fname, "H5Sselect_hyperslab");
    Handle mspace = check_id(H5Screate_simple(rank, count.data(), nullptr), H5Sclose, w.fname,
                             "H5Screate_simple");
    add_values(
        w, type.get(), static_cast<hssize_t>(count[0] * row),
        [&](hid_t mt, void* buf) {
          return H5Dread(dset, mt, mspace.get(), fspace.get(), H5P_DEFAULT, buf);
        },
        what);
    isolated_progress();
  }
}

void add_object(Walk& w, const std::string& path) {
  Handle o = own(H5Oopen(w.file, path.c_str(), H5P_DEFAULT), H5Oclose, w.fname,
                 [&] { return concat("opening '", path, "'"); });
  const H5I_type_t kind = H5Iget_type(o.get());
  w.h.add(path);
  w.h.add(kind == H5I_DATASET ? "D" : kind == H5I_GROUP ? "G" : "T");
  add_attrs(w, o.get(), path);
  if (kind == H5I_DATASET) add_dataset(w, o.get(), path);
  isolated_progress();
}

}  // namespace

int64_t RunFile::compute_digest(bool content, std::vector<std::string>* errors) const {
  h5::QuietErrors quiet;
  RNNLAB_CHECK(file_ >= 0, "run file ", path_, ": compute_digest on a closed file");
  Walk w{file_, path_, content, {}, {}};
  // content: every object but /checkpoint, which is left to its slots' own checksums
  // (checkpoint.h: a resume falls back from a damaged slot to the other, which it could not if
  // the digest covered the slots too). header: the root and the run's description, where every
  // string of a run file lives (run_layout.h); below them in name order (H5Lvisit), hard links
  // only (rnnlab makes no others).
  std::vector<std::string> paths;
  struct Listing {
    std::string prefix;
    std::vector<std::string>* paths;
  };
  auto list = [&](const std::string& group) {
    Listing l{group == "/" ? "/" : group + "/", &paths};
    const herr_t rc = H5Lvisit_by_name(
        file_, group.c_str(), H5_INDEX_NAME, H5_ITER_INC,
        [](hid_t, const char* name, const H5L_info_t* info, void* data) -> herr_t {
          auto* l = static_cast<Listing*>(data);
          if (info->type == H5L_TYPE_HARD) l->paths->push_back(l->prefix + name);
          return 0;
        },
        &l, H5P_DEFAULT);
    if (rc >= 0) return;
    if (!errors) h5::fail(path_, concat("listing the objects of '", group, "'"));
    errors->push_back(
        concat(path_, ": listing the objects of '", group, "' failed (HDF5: ", h5::reason(), ")"));
  };
  const std::string ckpt = std::string("/") + layout::kCheckpoint;
  if (content) {
    list("/");
    std::erase_if(paths,
                  [&](const std::string& p) { return p == ckpt || p.starts_with(ckpt + "/"); });
  } else {
    for (const char* g : {layout::kConfig, layout::kDataset, layout::kPlugins}) {
      const std::string abs = std::string("/") + g;
      if (H5Lexists(file_, abs.c_str(), H5P_DEFAULT) <= 0) continue;
      paths.push_back(abs);
      list(abs);
    }
  }
  auto visit = [&](const std::string& p) {
    if (!errors) return add_object(w, p);
    try {
      add_object(w, p);
    } catch (const std::exception& e) {
      errors->push_back(e.what());
    }
  };
  visit("/");
  for (const auto& p : paths) visit(p);
  return static_cast<int64_t>(w.h.value());
}

bool RunFile::has_checksums() const { return has_attr(layout::kChecksums); }

bool RunFile::sealed() const {
  return has_attr(layout::kContentDigest) && has_attr(layout::kHeaderDigest);
}

void RunFile::seal() {
  begin_change("seal");
  const int64_t content = compute_digest(true);
  const int64_t header = compute_digest(false);
  set_attr(layout::kContentDigest, content);
  set_attr(layout::kHeaderDigest, header);
  flush();
  sealed_ = true;
}

bool RunFile::check_header_digest() const {
  if (!has_attr(layout::kHeaderDigest)) return false;
  const int64_t stored = attr_int(layout::kHeaderDigest);
  const int64_t actual = compute_digest(false);
  RNNLAB_CHECK_INPUT(stored == actual, "run file ", path_,
                     " is damaged: its content does not match its header_digest (stored ", stored,
                     ", computed ", actual, ")");
  return true;
}

}  // namespace rnnlab
