// The one home of the HDF5 C API in rnnlab: RAII handles, scoped error silencing, and failed
// calls turned into rnnlab::Error carrying HDF5's own reason. Every file that calls H5*
// directly (run_file.cpp, summary_file.cpp) goes through this header.
//
// Error handling contract
//   * HDF5 prints its error stack to stderr by default. rnnlab never switches that off for the
//     process: an h5::QuietErrors guard silences it on this thread while it lives (around one
//     probe or one RunFile call) and restores the previous handler when it goes out of scope,
//     so a library user's own HDF5 error handler keeps working.
//   * A failing call is checked at once (check / check_id / check_tri) and becomes
//     rnnlab::Error("<file>: <what> failed (HDF5: <reason>)"); `reason()` reads and clears
//     HDF5's error stack.
//   * Every hid_t a caller keeps is owned by an h5::Handle, closed by its destructor with the
//     matching H5?close; a thrown error therefore never leaks an identifier.
#pragma once

#include <hdf5.h>

#include <string>

namespace rnnlab::h5 {

// Silences HDF5's automatic error printing on this thread while alive (errors become
// exceptions instead); restores whatever handler was installed before.
class QuietErrors {
 public:
  QuietErrors();
  ~QuietErrors();
  QuietErrors(const QuietErrors&) = delete;
  QuietErrors& operator=(const QuietErrors&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// HDF5's own account of the last failure on this thread: the descriptions from the API call
// down to where the error was detected, e.g. "unable to open file: file signature not found".
// Clears the error stack.
std::string reason();

// Owns one HDF5 identifier; closes it with `close` (H5Fclose, H5Dclose, ...) when destroyed.
// Move-only. An invalid id (< 0) is never closed.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer close) : id_(id), close_(close) {}
  Handle(Handle&& o) noexcept : id_(o.id_), close_(o.close_) { o.id_ = H5I_INVALID_HID; }
  Handle& operator=(Handle&& o) noexcept;
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  ~Handle();
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

 private:
  hid_t id_ = H5I_INVALID_HID;
  Closer close_ = nullptr;
};

// Throws rnnlab::Error for a failed HDF5 call on `file`, naming what was being done.
[[noreturn]] void fail(const std::string& file, const std::string& what);
// `id` owned by a Handle; fail() if the call that returned it failed (id < 0).
Handle check_id(hid_t id, Handle::Closer close, const std::string& file, const std::string& what);
// fail() if rc < 0.
void check(herr_t rc, const std::string& file, const std::string& what);
// A tri-state result (H5Lexists, H5Aexists, ...): true / false, fail() if rc < 0.
bool check_tri(htri_t rc, const std::string& file, const std::string& what);

// The file access property list of every file rnnlab opens or creates. A writer takes HDF5's
// own file lock where the file system supports it (not failing on ones that do not, NFS on
// clusters); a reader takes none, so `report`, `status` and `verify` read a run while it is
// written (writers exclude each other with RunLock; a reader of a live file sees its last
// flushed rows, and reads run in a child process, isolated.h). One setting for the whole
// process: HDF5 refuses to open a file again with another locking choice while it is open.
Handle file_access(const std::string& file, bool writer);

// Scalar variable-length UTF-8 string type, h5py's `str` (file and memory type alike).
Handle vlen_utf8_type(const std::string& file);
// A group creation property list that tracks and indexes link creation order, so members
// list in the order they were written (metric columns, summary columns).
Handle ordered_group_plist(const std::string& file);

}  // namespace rnnlab::h5
