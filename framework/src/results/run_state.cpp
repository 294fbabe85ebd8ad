// Probing a run's state from its file (see rnnlab/run_state.h).
#include "rnnlab/run_state.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"

namespace rnnlab {

namespace fs = std::filesystem;

std::string run_state(const std::string& path, int64_t* steps, std::string* error,
                      std::string* unreadable) {
  namespace L = layout;
  if (unreadable) unreadable->clear();
  if (!fs::exists(path)) return "missing";
  try {
    RunFile f = RunFile::open(path);
    if (steps && f.has_attr(L::kSteps)) *steps = f.attr_int(L::kSteps);
    if (error && f.has_attr(L::kError)) *error = f.attr_string(L::kError);
    return f.has_attr(L::kStatus) ? f.attr_string(L::kStatus) : L::kFailed;
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
        return L::kRunning;
      }
    }
    return L::kFailed;
  }
}

std::vector<RunStatus> run_statuses(const std::vector<ManifestRecord>& records,
                                    std::ostream& warn) {
  std::vector<RunStatus> out;
  for (const auto& r : records) {
    RunStatus s;
    s.record = &r;
    std::string unreadable;
    s.state = run_state(r.path, &s.steps, &s.error, &unreadable);
    if (!unreadable.empty())
      warn << "rnnlab: warning: " << r.path << ": unreadable run file, counted as " << s.state
           << ": " << unreadable << "\n";
    out.push_back(s);
  }
  return out;
}

}  // namespace rnnlab
