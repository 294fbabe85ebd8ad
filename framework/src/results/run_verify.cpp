// The checks of `rnnlab verify` (see rnnlab/run_verify.h).
#include "rnnlab/run_verify.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <filesystem>
#include <optional>

#include "rnnlab/error.h"
#include "rnnlab/isolated.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"
#include "rnnlab/run_reader.h"
#include "train/checkpoint.h"

namespace rnnlab {

namespace {

namespace fs = std::filesystem;
namespace L = layout;
using detail::concat;

// True when a live writer holds the file (HDF5's exclusive flock, as run_state.h probes it).
bool held_by_writer(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd);
  return locked;
}

// Runs `check`; an exception becomes a problem (its message) in `out`.
template <typename Fn>
void guarded(std::vector<std::string>& out, Fn&& check) {
  try {
    check();
  } catch (const std::exception& e) {
    out.push_back(e.what());
  }
}

// The columns of a metric table and their lengths; {} when the table is absent.
struct Table {
  std::string name;
  std::vector<std::pair<std::string, std::vector<double>>> columns;
  std::size_t min_rows() const {
    std::size_t n = columns.empty() ? 0 : columns.front().second.size();
    for (const auto& c : columns) n = std::min(n, c.second.size());
    return n;
  }
  const std::vector<double>* column(const std::string& c) const {
    for (const auto& [n, v] : columns)
      if (n == c) return &v;
    return nullptr;
  }
};

Table read_table(const RunFile& f, const std::string& name, bool rectangular,
                 std::vector<std::string>& problems) {
  Table t;
  t.name = name;
  if (!f.exists(name)) return t;
  // series_names demands a group of 1-D datasets; read_series numbers.
  for (const auto& c : f.series_names(name)) t.columns.emplace_back(c, f.read_series(name, c));
  if (rectangular)
    for (const auto& [c, v] : t.columns)
      if (v.size() != t.columns.front().second.size())
        problems.push_back(
            concat("/", name, ": columns differ in length ('", t.columns.front().first, "' has ",
                   t.columns.front().second.size(), " rows, '", c, "' has ", v.size(), ")"));
  const std::string key = name == L::kEpochs ? L::kEpoch : L::kStep;
  if (const auto* steps = t.column(key)) {
    double last = -INFINITY;
    for (std::size_t i = 0; i < steps->size(); ++i) {
      const double x = (*steps)[i];
      if (std::isnan(x)) continue;
      if (x < last) {
        problems.push_back(concat("/", name, "/", key, ": row ", i, " (", x,
                                  ") comes before the row above it (", last, ")"));
        break;
      }
      last = x;
    }
  }
  return t;
}

void check_layout(const RunFile& f, const std::string& status, bool checksums,
                  std::vector<std::string>& problems) {
  auto need_attr = [&](const char* name) {
    if (!f.has_attr(name))
      problems.push_back(concat("status ", status, " but no root attribute '", name, "'"));
  };
  auto need_object = [&](const char* name) {
    if (!f.exists(name)) problems.push_back(concat("no /", name));
  };
  for (const char* a : {L::kRnnlabVersion, L::kStatus, L::kStartedAt}) need_attr(a);
  if (status != L::kRunning && status != L::kFinished && status != L::kFailed &&
      status != L::kInterrupted)
    problems.push_back(concat("status '", status,
                              "' is none of running, finished, failed, "
                              "interrupted"));
  if (checksums)  // published only once its header was complete (RunFile::create_staged)
    for (const char* o : {L::kConfigSource, L::kConfigResolved, L::kConfigValues, L::kDataset,
                          L::kSplitTrain, L::kSplitEval})
      need_object(o);
  if (status == L::kFinished) {
    for (const char* a :
         {L::kFinishedAt, L::kSteps, L::kTrainTime, L::kWallTime, L::kEpochsCompleted})
      need_attr(a);
    if (f.dataset_paths(L::kParams).empty()) problems.push_back("status finished but no /params");
  } else if (status == L::kFailed) {
    need_attr(L::kFinishedAt);
    need_attr(L::kError);
  } else if (status == L::kInterrupted) {
    need_attr(L::kFinishedAt);
  }
}

void check_checkpoint(const RunFile& f, const std::string& status, const std::vector<Table>& tables,
                      VerifyReport& r) {
  if (!f.exists(L::kCheckpoint) || !has_checkpoint(f)) return;  // none, or none complete yet
  if (f.has_attr(L::at(L::kCheckpoint, L::slot::kComplete))) {
    r.note = "an older rnnlab's checkpoint (one slot, no checksum) is not checked";
    return;
  }
  CheckpointChoice c;
  try {
    c = choose_checkpoint(f);
  } catch (const std::exception& e) {
    r.checkpoint_problems.push_back(e.what());
    return;
  }
  if (!c.problems.empty()) r.checkpoint_problems.push_back("checkpoint " + c.problems);
  const std::string which = concat("checkpoint slot ", c.slot, " (step ", c.step, ")");
  const std::pair<const char*, int64_t> counted[] = {
      {L::kMetrics, c.rows.metrics}, {L::kEval, c.rows.eval}, {L::kEpochs, c.rows.epochs}};
  for (const auto& [name, rows] : counted)
    for (const Table& t : tables)
      if (t.name == name && static_cast<int64_t>(t.min_rows()) < rows)
        r.problems.push_back(
            concat(which, " counts ", rows, " rows of /", name, ", the table has ", t.min_rows()));
  if (c.rows.metrics > 0)
    for (const Table& t : tables)
      if (const auto* steps = t.name == L::kMetrics ? t.column(L::kStep) : nullptr;
          steps && static_cast<int64_t>(steps->size()) >= c.rows.metrics) {
        const double logged = (*steps)[static_cast<std::size_t>(c.rows.metrics - 1)];
        if (!(logged <= double(c.step)))
          r.problems.push_back(concat(which,
                                      ": the last /metrics row it counts was logged at "
                                      "step ",
                                      logged, ", after it"));
      }
  if (status != L::kRunning && f.has_attr(L::kSteps) && c.step > f.attr_int(L::kSteps))
    r.problems.push_back(
        concat(which, " is later than the run's steps (", f.attr_int(L::kSteps), ")"));
}

}  // namespace

std::string verdict_line(const VerifyReport& r) {
  switch (r.verdict) {
    case VerifyReport::Verdict::clean:
      return r.note.empty() ? "clean" : "clean (" + r.note + ")";
    case VerifyReport::Verdict::unverified:
      return "unverified (" + r.note + ")";
    case VerifyReport::Verdict::damaged:
      break;
  }
  std::string s = "damaged: ";
  bool first = true;
  for (const auto* list : {&r.problems, &r.checkpoint_problems})
    for (const auto& p : *list) {
      s += (first ? "" : "; ") + p;
      first = false;
    }
  return s;
}

VerifyReport verify_run_file(const std::string& path) {
  VerifyReport r;
  r.path = path;
  auto finish = [&]() -> VerifyReport& {
    if (!r.problems.empty() || !r.checkpoint_problems.empty())
      r.verdict = VerifyReport::Verdict::damaged;
    return r;
  };
  std::optional<RunFile> opened;
  try {
    opened.emplace(RunFile::open(path));
  } catch (const std::exception& e) {
    if (held_by_writer(path)) {
      r.verdict = VerifyReport::Verdict::unverified;
      r.status = L::kRunning;
      r.note = "a live writer holds it: not checked";
      return r;
    }
    r.problems.push_back(e.what());
    return finish();
  }
  const RunFile& f = *opened;
  bool checksums = false, sealed = false;
  guarded(r.problems, [&] {
    RNNLAB_CHECK_INPUT(f.has_attr(L::kRnnlabVersion),
                       "not an rnnlab run file (no rnnlab_version attribute)");
    checksums = f.has_checksums();
    sealed = f.sealed();
    r.status = f.has_attr(L::kStatus) ? f.attr_string(L::kStatus) : "";
  });
  if (!r.problems.empty()) return finish();

  // Every attribute and dataset (HDF5's checksums on the way), then the digests.
  std::vector<std::string> unreadable;
  const int64_t content = f.compute_digest(true, &unreadable);
  r.problems.insert(r.problems.end(), unreadable.begin(), unreadable.end());
  if (unreadable.empty() && sealed)
    guarded(r.problems, [&] {
      const int64_t stored = f.attr_int(L::kContentDigest);
      if (stored != content)
        r.problems.push_back(concat("the content does not match its content_digest (stored ",
                                    stored, ", computed ", content, ")"));
      f.check_header_digest();
    });

  guarded(r.problems, [&] { check_layout(f, r.status, checksums, r.problems); });
  std::vector<Table> tables;
  guarded(r.problems, [&] {
    const bool rectangular = r.status != L::kRunning;
    for (const char* t : {L::kMetrics, L::kEval, L::kEpochs})
      tables.push_back(read_table(f, t, rectangular, r.problems));
  });
  guarded(r.checkpoint_problems, [&] { check_checkpoint(f, r.status, tables, r); });

  if (!checksums) {
    r.verdict = VerifyReport::Verdict::unverified;
    r.note = "written before checksums";
  } else if (!sealed) {
    r.note = "not sealed: status " + r.status + ", HDF5's checksums only, no digest yet";
  }
  return finish();
}

std::vector<VerifyReport> verify_run_files(const std::vector<std::string>& paths,
                                           const IsolateOptions& options) {
  struct Found {
    std::string path;
    bool folder;
  };
  std::vector<Found> found;
  for (const auto& given : paths) {
    const bool folder = fs::is_directory(given);
    for (const auto& p : find_run_files({given}, "verify")) found.push_back({p, folder});
  }
  const std::vector<IsolatedResult> results = run_isolated(
      found.size(),
      [&](std::size_t i) {
        if (found[i].folder && is_sweep_summary(found[i].path)) return std::string();
        const VerifyReport r = verify_run_file(found[i].path);
        PayloadWriter w;
        w.put(static_cast<int64_t>(r.verdict)).put(r.status).put(r.note);
        for (const auto* list : {&r.problems, &r.checkpoint_problems}) {
          w.put(static_cast<int64_t>(list->size()));
          for (const auto& p : *list) w.put(p);
        }
        return w.bytes();
      },
      options);
  std::vector<VerifyReport> out;
  for (std::size_t i = 0; i < found.size(); ++i) {
    const IsolatedResult& res = results[i];
    if (res.kind == IsolatedResult::Kind::ok && res.text.empty()) continue;  // summary.h5
    VerifyReport r;
    r.path = found[i].path;
    if (res.kind == IsolatedResult::Kind::ok) {
      PayloadReader in(res.text);
      r.verdict = static_cast<VerifyReport::Verdict>(in.i64());
      r.status = in.str();
      r.note = in.str();
      for (auto* list : {&r.problems, &r.checkpoint_problems}) {
        list->resize(static_cast<std::size_t>(in.i64()));
        for (auto& p : *list) p = in.str();
      }
    } else {
      r.verdict = VerifyReport::Verdict::damaged;
      r.problems.push_back(res.kind == IsolatedResult::Kind::crashed
                               ? "reading it crashed the reader (" + res.text + ")"
                               : res.text);
    }
    out.push_back(std::move(r));
  }
  return out;
}

}  // namespace rnnlab
