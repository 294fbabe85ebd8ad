// Starting other programs with posix_spawnp (process.h).
#include "rnnlab/process.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

extern char** environ;

namespace rnnlab {

namespace {

std::string errno_text(int code) { return std::strerror(code); }

// A file descriptor closed when it goes out of scope.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    reset();
    fd_ = std::exchange(o.fd_, -1);
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

// posix_spawn's file actions, freed when it goes out of scope.
class FileActions {
 public:
  FileActions() { ::posix_spawn_file_actions_init(&fa_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  ~FileActions() { ::posix_spawn_file_actions_destroy(&fa_); }
  posix_spawn_file_actions_t* get() { return &fa_; }

 private:
  posix_spawn_file_actions_t fa_;
};

// One of the child's streams (fd 1 or 2): what the parent keeps open for it until the spawn,
// and for a capture the read end of its pipe.
struct Stream {
  Fd child_end;  // dup2'ed onto the child's fd (close-on-exec here, so no other child gets it)
  Fd read_end;   // Output::capture: the parent reads the child's output here
};

Stream open_stream(const Output& o, bool allow_capture) {
  Stream s;
  switch (o.kind) {
    case Output::Kind::inherit:
      break;
    case Output::Kind::discard:
      s.child_end = Fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
      RNNLAB_CHECK(s.child_end.get() >= 0, "cannot open /dev/null: ", errno_text(errno));
      break;
    case Output::Kind::file:
      s.child_end = Fd(::open(o.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      RNNLAB_CHECK(s.child_end.get() >= 0, "cannot write ", o.path, ": ", errno_text(errno));
      break;
    case Output::Kind::capture: {
      RNNLAB_CHECK(allow_capture, "start_process: Output::capture needs run_process");
      int fds[2];
      RNNLAB_CHECK(::pipe2(fds, O_CLOEXEC) == 0, "pipe: ", errno_text(errno));
      s.read_end = Fd(fds[0]);
      s.child_end = Fd(fds[1]);
      break;
    }
  }
  return s;
}

pid_t spawn(const std::vector<std::string>& argv, Stream& out, Stream& err) {
  RNNLAB_CHECK(!argv.empty() && !argv.front().empty(), "run_process: no program given");
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  FileActions actions;
  if (out.child_end.get() >= 0) ::posix_spawn_file_actions_adddup2(actions.get(), out.child_end.get(), 1);
  if (err.child_end.get() >= 0) ::posix_spawn_file_actions_adddup2(actions.get(), err.child_end.get(), 2);
  pid_t pid = -1;
  const int rc = ::posix_spawnp(&pid, args.front(), actions.get(), nullptr, args.data(), environ);
  if (rc != 0) throw ProcessStartError(argv.front(), rc);
  out.child_end.reset();  // the child holds its own copies: EOF on a pipe when it exits
  err.child_end.reset();
  return pid;
}

int exit_code_of(int status) {
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

// Reads both capture pipes (either may be closed) until the child has closed them.
void drain(Stream& out, Stream& err, std::string& out_text, std::string& err_text) {
  std::array<pollfd, 2> fds{};
  std::array<std::string*, 2> dest{&out_text, &err_text};
  fds[0] = {out.read_end.get(), POLLIN, 0};
  fds[1] = {err.read_end.get(), POLLIN, 0};  // poll ignores a negative fd
  char buf[4096];
  while (fds[0].fd >= 0 || fds[1].fd >= 0) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      throw Error("poll: " + errno_text(errno));
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        fds[i].fd = -1;
        continue;
      }
      dest[i]->append(buf, static_cast<std::size_t>(n));
    }
  }
}

}  // namespace

ProcessStartError::ProcessStartError(const std::string& program, int code)
    : Error("cannot run '" + program + "': " + errno_text(code) +
            (code == ENOENT && program.find('/') == std::string::npos ? " (not found on $PATH)"
                                                                        : "")),
      program_(program),
      code_(code) {}

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessIo& io) {
  Stream out = open_stream(io.out, true), err = open_stream(io.err, true);
  ProcessResult r;
  const pid_t pid = spawn(argv, out, err);
  try {
    drain(out, err, r.out, r.err);
  } catch (...) {
    wait_process(pid);
    throw;
  }
  r.exit_code = wait_process(pid);
  return r;
}

pid_t start_process(const std::vector<std::string>& argv, const ProcessIo& io) {
  Stream out = open_stream(io.out, false), err = open_stream(io.err, false);
  return spawn(argv, out, err);
}

int wait_process(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno == EINTR) continue;
    throw Error("waitpid " + std::to_string(pid) + ": " + errno_text(errno));
  }
  return exit_code_of(status);
}

ProcessExit wait_any_process() {
  int status = 0;
  pid_t pid;
  while ((pid = ::waitpid(-1, &status, 0)) < 0) {
    if (errno == EINTR) continue;
    throw Error("waitpid: " + errno_text(errno));
  }
  return {pid, exit_code_of(status)};
}

std::string shell_quote(const std::string& s) {
  if (!s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                        "0123456789_-./=:,+%@") == std::string::npos)
    return s;
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string current_executable(const std::string& fallback) {
  std::error_code ec;
  const auto p = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? fallback : p.string();
}

}  // namespace rnnlab
