// Probing a run's state from its file (see rnnlab/run_state.h).
#include "rnnlab/run_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "rnnlab/isolated.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"

namespace rnnlab {

namespace fs = std::filesystem;
namespace L = layout;

RunState run_state(const std::string& path, int64_t* steps, std::string* error,
                   std::string* unreadable) {
  if (unreadable) unreadable->clear();
  if (!fs::exists(path)) return RunState::missing;
  try {
    // What this reads is checked without the cost of the header_digest (which would cost
    // `status` several times its time) where it can be: steps is an integer under its object
    // header's checksum, and a status that a damaged string heap turned into anything but one
    // of the four states is damage. The error text of a failed run is a string only the digest
    // covers: checked for those few.
    RunFile f = RunFile::open(path);
    if (steps && f.has_attr(L::kSteps)) *steps = f.attr_int(L::kSteps);
    const std::string status = f.has_attr(L::kStatus) ? f.attr_string(L::kStatus) : L::kFailed;
    const std::optional<RunState> state = parse_file_status(status);
    RNNLAB_CHECK_INPUT(state.has_value(), "run file ", path, " is damaged: its status '", status,
                       "' is none of running, finished, failed, interrupted");
    if (error && f.has_attr(L::kError)) {
      if (*state != RunState::running) f.check_header_digest();
      *error = f.attr_string(L::kError);
    }
    return *state;
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
        return RunState::running;
      }
    }
    return RunState::failed;
  }
}

std::vector<RunStatus> run_statuses(const std::vector<ManifestRecord>& records,
                                    std::ostream& warn) {
  // Probed in a child process (isolated.h): a file that crashes libhdf5 takes down only the
  // child, and counts as failed.
  const std::vector<IsolatedResult> results = run_isolated(records.size(), [&](std::size_t i) {
    RunStatus s;
    std::string unreadable;
    s.state = to_string(run_state(records[i].path, &s.steps, &s.error, &unreadable));
    return PayloadWriter().put(s.state).put(s.steps).put(s.error).put(unreadable).bytes();
  });
  std::vector<RunStatus> out;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const ManifestRecord& r = records[i];
    RunStatus s;
    s.record = &r;
    std::string unreadable;
    if (results[i].kind == IsolatedResult::Kind::ok) {
      PayloadReader in(results[i].text);
      s.state = in.str();
      s.steps = in.i64();
      s.error = in.str();
      unreadable = in.str();
    } else {  // run_state never throws: the child crashed
      s.state = to_string(RunState::failed);
      s.error = unreadable =
          "the file is damaged: reading it crashed the reader (" + results[i].text + ")";
    }
    if (!unreadable.empty())
      warn << "rnnlab: warning: " << r.path << ": unreadable run file, counted as " << s.state
           << ": " << unreadable << "\n";
    out.push_back(s);
  }
  return out;
}

}  // namespace rnnlab
