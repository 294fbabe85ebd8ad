// RAII and scoped error handling over the HDF5 C API (see h5.h).
#include "results/h5.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <utility>
#include <vector>

#include "rnnlab/error.h"

namespace rnnlab::h5 {

namespace {

// HDF5 tears its open objects down at exit. A file whose flush and close already failed (a
// full disk) is half-closed there, and libhdf5 1.10 crashes in H5F__close_cb on it, turning
// a clean "run failed" into a segfault. rnnlab closes every file it opens itself (RAII), so
// the library's exit hook has nothing left to do: switched off before any other HDF5 call.
const bool kNoExitTeardown = H5dont_atexit() >= 0;

// The operating system's error behind the failure on the stack ("..., errno = 28, error
// message = 'No space left on device', ..." in a file driver's description), or 0.
int system_errno(const std::vector<std::string>& descs) {
  for (const std::string& d : descs)
    if (const auto at = d.find("errno = "); at != std::string::npos)
      if (const int e = std::atoi(d.c_str() + at + 8); e > 0) return e;
  return 0;
}

std::vector<std::string> take_error_stack() {
  std::vector<std::string> descs;
  H5Ewalk2(
      H5E_DEFAULT, H5E_WALK_DOWNWARD,
      [](unsigned, const H5E_error2_t* e, void* data) -> herr_t {
        auto* out = static_cast<std::vector<std::string>*>(data);
        if (e && e->desc && *e->desc) out->emplace_back(e->desc);
        return 0;
      },
      &descs);
  H5Eclear2(H5E_DEFAULT);
  return descs;
}

std::string summary(const std::vector<std::string>& descs) {
  if (descs.empty()) return "no HDF5 error message";
  // The outermost and the two innermost messages say it all; the middle is plumbing.
  std::string s = descs.front();
  std::size_t from = descs.size() > 3 ? descs.size() - 2 : 1;
  for (std::size_t i = from; i < descs.size(); ++i)
    if (descs[i] != descs[i - 1]) s += ": " + descs[i];
  return s;
}

}  // namespace

QuietErrors::QuietErrors() {
  H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
}

QuietErrors::~QuietErrors() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }

std::string reason() { return summary(take_error_stack()); }

Handle& Handle::operator=(Handle&& o) noexcept {
  std::swap(id_, o.id_);
  std::swap(close_, o.close_);
  return *this;
}

Handle::~Handle() {
  if (id_ >= 0 && close_) close_(id_);
}

void fail(const std::string& file, const std::string& what) {
  (void)kNoExitTeardown;
  const std::vector<std::string> descs = take_error_stack();
  // A failure of the disk, not of the file: one line in the system's words, which a user
  // can act on ("no space left on device while writing runs/x/run.h5").
  if (const int e = system_errno(descs); e == ENOSPC || e == EDQUOT || e == EIO || e == EFBIG ||
                                         e == EROFS) {
    std::string text = std::strerror(e);
    if (!text.empty()) text[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(text[0])));
    throw StorageError(detail::concat(text, " while writing ", file));
  }
  throw Error(detail::concat(file, ": ", what, " failed (HDF5: ", summary(descs), ")"));
}

Handle file_access(const std::string& file, bool writer) {
  Handle fapl = check_id(H5Pcreate(H5P_FILE_ACCESS), H5Pclose, file, "H5Pcreate");
#if H5_VERSION_GE(1, 10, 7)
  check(H5Pset_file_locking(fapl.get(), writer, true), file, "H5Pset_file_locking");
#else
  (void)writer;
#endif
  return fapl;
}

Handle check_id(hid_t id, Handle::Closer close, const std::string& file, const std::string& what) {
  if (id < 0) fail(file, what);
  return Handle(id, close);
}

void check(herr_t rc, const std::string& file, const std::string& what) {
  if (rc < 0) fail(file, what);
}

bool check_tri(htri_t rc, const std::string& file, const std::string& what) {
  if (rc < 0) fail(file, what);
  return rc > 0;
}

Handle vlen_utf8_type(const std::string& file) {
  Handle t = check_id(H5Tcopy(H5T_C_S1), H5Tclose, file, "H5Tcopy");
  check(H5Tset_size(t.get(), H5T_VARIABLE), file, "H5Tset_size");
  check(H5Tset_cset(t.get(), H5T_CSET_UTF8), file, "H5Tset_cset");
  return t;
}

Handle ordered_group_plist(const std::string& file) {
  Handle gcpl = check_id(H5Pcreate(H5P_GROUP_CREATE), H5Pclose, file, "H5Pcreate");
  check(H5Pset_link_creation_order(gcpl.get(), H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED), file,
        "H5Pset_link_creation_order");
  return gcpl;
}

}  // namespace rnnlab::h5
