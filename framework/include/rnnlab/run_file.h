// RunFile: the one HDF5 file a run writes (HDF5 C API underneath). Readable by h5py / pandas
// without rnnlab:  pd.DataFrame({k: f["metrics"][k][:] for k in f["metrics"]}).
//
// Layout (every name below is a constant in rnnlab/run_layout.h; write and read through those)
// ------
//   /                      attrs: rnnlab_version, git_sha, experiment, model, seed, backend,
//                                 threads, started_at, finished_at,
//                                 status (running | finished | failed | interrupted)
//   /config/source         the .rnn text as written      (scalar variable-length UTF-8 string)
//   /config/resolved       the fully resolved spec       (same)
//   /config/values         attrs: every resolved setting with its real type (int64, float64,
//                          bool, string): seed, cell.hidden, data.split_seed, optimizer.lr, ...
//                          (`rnnlab run`; keys in framework/src/experiment/run_record.h)
//   /dataset               attrs: examples, input_size, max_steps, num_classes, output_size,
//                          per_step_targets, description
//   /split/train, /split/eval   int32 [n]: the example indices trained on / held out
//   /metrics/<name>        1-D extendible chunked float64 datasets, one per column:
//                          step, epoch, wall_time, loss, accuracy, ...
//   /eval/<name>           the same for evaluation
//   /params/<param-name>   final weights; '/' in a parameter name makes nested groups
//                          (lstm/layer0/lstm/W_x -> /params/lstm/layer0/lstm/W_x)
//   /checkpoint/...        state needed to resume exactly: tensors by name + int/string attrs
//
// Types: string attrs are scalar variable-length UTF-8 (h5py gives `str`), integer attrs are
// int64, real attrs float64, bool attrs an int8 enum {FALSE, TRUE} (h5py gives numpy.bool_).
// Tensors keep their shape (a scalar is an HDF5 scalar dataspace) and dtype: f32 -> IEEE F32LE,
// f64 -> IEEE F64LE, i32 -> STD I32LE.
//
// Metric tables: every dataset of one metrics group ("metrics", "eval") has the same length;
// row i of all columns is the i-th call of append_metrics(group, row). A column missing from
// a row holds NaN in that row; a column that first appears in a later row is created with NaN
// for all earlier rows (the datasets' fill value is NaN). So the group is always a rectangular
// table, NaN meaning "not logged in that row".
//
// Crash behaviour: create() writes status = "running" and started_at and flushes at once;
// callers flush() at every log interval and finish(status) at the end. A process that is
// killed leaves a file that opens normally (no SWMR / file-consistency flags are used, so
// h5py opens it without h5clear) and holds everything up to the last flush, with status
// still "running". Readers must treat status == "running" with no live writer as
// "interrupted". finished_at is only present after finish(). (Without SWMR, HDF5 1.10 does
// not promise consistency for a kill *during* a flush or a cache eviction; small run files
// keep unflushed metadata in memory, which is what the kill test in tests/ exercises.)
//
// Checksums (files with the root attr `checksums`, written by create(); results/README.md):
//   * object formats of HDF5 1.10 (H5Fset_libver_bounds V110..LATEST after creating the file
//     with a version 2 superblock): superblock, object headers, B-trees, heaps and chunk
//     indexes carry checksums that HDF5 checks on every read. (A version 3 superblock would
//     add file-consistency flags: a killed writer's file would then need h5clear before
//     anything, h5py included, opens it; version 2 has a checksum and no such flags.)
//   * every dataset with data is chunked with the Fletcher32 filter (chunks of at most 1 MiB:
//     a tensor whole when it is no larger; metric columns 1024 rows a chunk); scalars, empty
//     tensors and text are compact (stored in their object header, which has a checksum).
//   * variable-length strings live in HDF5's global heap, which has no checksum in any HDF5
//     version: seal() (called by finish()) stores two digests of the content (run_layout.h:
//     content_digest, header_digest), so a sealed file is covered end to end. The first change
//     to a sealed file removes them (and flushes) before it changes anything, so a stored
//     digest always describes the file. A running file (killed or live) is covered by HDF5's
//     checksums only.
//   A read that fails a checksum is an Error naming the file and the object (HDF5: "data
//   error detected by fletcher32 checksum", "incorrect metadata checksum"). Files written
//   before checksums (no `checksums` attr) read as before, unverified.
//
// Space: replacing a dataset of another shape/dtype, or text, leaves the old bytes unused in
// the file (HDF5 does not shrink files); same-shape tensor rewrites are in place.
//
// Errors: a missing / non-HDF5 / corrupt file at open() is an InputError naming the path;
// every other failing HDF5 call is an rnnlab::Error naming the file, the object and HDF5's
// own reason. HDF5's automatic error printing is silenced inside RunFile's calls only
// (results/h5.h: QuietErrors), the caller's own HDF5 error handler is left as it was.
//
// Not thread-safe: one RunFile per thread (the writer is the training loop).
#pragma once

#include <concepts>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rnnlab/run_lock.h"
#include "rnnlab/tensor.h"

namespace rnnlab {

namespace detail {
template <typename T>
concept OtherInteger = std::integral<T> && !std::same_as<T, int64_t> && !std::same_as<T, bool>;
}  // namespace detail

class RunFile {
 public:
  // Creates `path` (and its parent directories), truncating an existing file. Writes the root
  // attrs status = "running", started_at = now (ISO-8601 UTC), rnnlab_version, then flushes.
  // Takes the file's RunLock first (run_lock.h): InputError naming the holder, with the file
  // untouched, if another process writes it.
  static RunFile create(const std::string& path);
  // The same, written as `path` + kStagingSuffix under `path`'s RunLock, for a writer that
  // publish()es it under `path` once its header is complete: a file named `path` then never
  // lacks its header (a kill during creation leaves at most the staging file, which the next
  // start replaces), and an existing `path` stays untouched until then.
  static RunFile create_staged(const std::string& path);
  static constexpr const char* kStagingSuffix = ".part";
  // Flushes, then renames the file to `path` (atomic within a folder; the file stays open).
  void publish(const std::string& path);
  // Opens an existing run file, read-only unless `writable` (then under its RunLock, as create).
  // Throws InputError if the file is missing, not an HDF5 file, or corrupt.
  static RunFile open(const std::string& path, bool writable = false);

  RunFile(RunFile&& other) noexcept;
  RunFile& operator=(RunFile&& other) noexcept;
  RunFile(const RunFile&) = delete;
  RunFile& operator=(const RunFile&) = delete;
  ~RunFile();  // closes (never throws); does not change status

  const std::string& path() const { return path_; }
  bool is_open() const { return file_ >= 0; }
  bool writable() const { return writable_; }
  void close();  // like the destructor, but reports a failing close as Error

  // ---- attributes ----
  // `name` without '/' is an attribute of the root group. "a/b/name" is attribute `name` of
  // the group or dataset /a/b (set_attr creates missing groups), e.g. "checkpoint/step".
  // Setting an existing attribute replaces it (its type may change).
  void set_attr(const std::string& name, const std::string& value);
  void set_attr(const std::string& name, const char* value) { set_attr(name, std::string(value)); }
  void set_attr(const std::string& name, int64_t value);
  void set_attr(const std::string& name, double value);
  template <detail::OtherInteger T>  // int, unsigned, size_t, ... stored as int64
  void set_attr(const std::string& name, T value) {
    set_attr(name, static_cast<int64_t>(value));
  }
  // A bool is stored as h5py stores numpy.bool_: an HDF5 enum over int8 {FALSE = 0, TRUE = 1}
  // (h5py reads it back as numpy.bool_; never as an integer attr).
  void set_attr(const std::string& name, bool value);
  bool has_attr(const std::string& name) const;
  std::string attr_string(const std::string& name) const;  // Error unless a string attr
  int64_t attr_int(const std::string& name) const;         // Error unless an integer attr
  double attr_double(const std::string& name) const;       // float or integer attr
  bool attr_bool(const std::string& name) const;           // Error unless a bool attr (above)
  // The stored type of an attribute: "string", "integer", "real", "bool" or "other".
  std::string attr_type(const std::string& name) const;
  std::vector<std::string> attr_names(const std::string& object = "/") const;  // sorted

  // ---- text (e.g. "/config/source") ----
  void write_text(const std::string& path, const std::string& text);  // replaces
  std::string read_text(const std::string& path) const;  // variable or fixed-length string

  // ---- metric tables (see "Metric tables" above) ----
  // Appends one row: extends every column of `group` by one (NaN) and writes the given
  // values; columns named in `row` that do not exist yet are created NaN-padded.
  // Names must be non-empty, unique within the row and contain no '/'.
  void append_metrics(const std::string& group,
                      const std::vector<std::pair<std::string, double>>& row);
  std::vector<double> read_series(const std::string& group, const std::string& name) const;
  // Columns in the order they were first logged (name order for groups written by other
  // tools); {} if there is no such group.
  std::vector<std::string> series_names(const std::string& group) const;
  int64_t num_rows(const std::string& group) const;  // 0 if no group
  // Keeps the first `rows` rows of every column of `group` (columns may differ in length, as
  // after a kill between two columns' resizes). Only the datasets' extents change, nothing is
  // rewritten, so a kill at any point leaves every row below `rows` as it was. Error if a
  // column is shorter than `rows`.
  void truncate_rows(const std::string& group, int64_t rows);

  // ---- tensors (f32 / f64 / i32, any device; shape kept) ----
  // Creates intermediate groups; replaces an existing dataset at `path` (in place when
  // shape and dtype match, so checkpoints rewritten every interval do not grow the file).
  void write_tensor(const std::string& path, const Tensor& t);
  Tensor read_tensor(const std::string& path, Device device = Device::cpu) const;

  // ---- structure ----
  bool exists(const std::string& path) const;  // group or dataset; false for a dangling path
  // Paths, relative to `group`, of all datasets below it (recursively), sorted; {} if no
  // group. E.g. dataset_paths("params") -> {"lstm/layer0/lstm/W_x", ...}.
  std::vector<std::string> dataset_paths(const std::string& group) const;
  void remove(const std::string& path);  // unlinks a group (recursively) or dataset

  // ---- durability ----
  void flush();  // H5Fflush: everything written so far is on disk
  // Sets status (finished | failed | interrupted) and finished_at = now, then seal()s (which
  // flushes).
  void finish(const std::string& status);

  // ---- integrity (see "Checksums" above) ----
  // True when the file was written with checksums (root attr `checksums`).
  bool has_checksums() const;
  // True when the file holds its digests (it was sealed and not changed since).
  bool sealed() const;
  // A digest of the file as it is now (FNV-1a 64, as an int64 like the checkpoint checksums):
  // `content` = content_digest (every dataset outside /checkpoint, read whole), else
  // header_digest (the root's attributes, /config, /dataset, /plugins; run_layout.h). The
  // encoding, the root and then every object in H5Lvisit's name order: path, kind, each
  // attribute (name, type, values), and for a dataset its type, shape and values (but the data
  // of a Fletcher32-chunked dataset in the header digest: its chunks have a checksum); strings
  // as their text, numbers as native bytes. With `errors`, an object that cannot be read is
  // recorded there (its path and HDF5's reason) and the walk goes on (the digest is then
  // meaningless); without, it is an Error.
  int64_t compute_digest(bool content, std::vector<std::string>* errors = nullptr) const;
  // Stores both digests of the file as it is now and flushes (the file is sealed).
  void seal();
  // Checks the stored header_digest against the file: InputError naming the file when they
  // differ; nothing to check (returns false) when the file holds no digest. What readers call
  // before they trust the strings of a file (run_reader.h, trained_model.h; run_state.h for a
  // failed run's error text).
  bool check_header_digest() const;

  // "2024-05-01T12:34:56Z"
  static std::string now_iso8601();

 private:
  RunFile(std::string path, int64_t file, bool writable, RunLock lock);
  static RunFile create_file(const std::string& path, RunLock lock);
  void require_writable(const char* what) const;
  // require_writable, then: a sealed file loses its digests (flushed) before the change.
  void begin_change(const char* what);
  // A reader of a run still being written (status running): a table's last row may be
  // half-appended (some columns grown, not yet all), so such a reader sees the rows every
  // column has. Anyone else gets an error for columns of different lengths (damage).
  bool reads_live_run() const;

  RunLock lock_;  // held while a writable file is open (declared first: released last)
  std::string path_;
  int64_t file_ = -1;  // hid_t
  bool writable_ = false;
  bool sealed_ = false;  // writable and holding digests: the next change removes them
};

}  // namespace rnnlab
