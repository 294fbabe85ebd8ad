// Work in forked children, results back through a pipe (see rnnlab/isolated.h).
#include "rnnlab/isolated.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>

#include "rnnlab/error.h"

namespace rnnlab {

namespace {

int g_progress_fd = -1;  // the pipe to the parent, in a child of run_isolated only

// The pipe carries frames: 'P' (progress) and 'R' index kind length bytes (a result). Results
// are sent in batches (a write and a wake-up of the parent per item would cost more than
// reading a small run file); which item a child was in when it died is not in the pipe but in
// a word of memory the child shares with the parent (`Shared`), written before each item.
void write_all(int fd, const void* data, std::size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t k = ::write(fd, p, n);
    if (k < 0 && errno == EINTR) continue;
    if (k <= 0) ::_exit(3);  // the parent is gone
    p += k;
    n -= static_cast<std::size_t>(k);
  }
}

void append_result(std::string& out, uint64_t i, IsolatedResult::Kind kind,
                   const std::string& text) {
  char h[18];
  h[0] = 'R';
  std::memcpy(h + 1, &i, 8);
  h[9] = static_cast<char>(kind);
  const uint64_t n = text.size();
  std::memcpy(h + 10, &n, 8);
  out.append(h, sizeof h);
  out += text;
}

IsolatedResult run_one(const std::function<std::string(std::size_t)>& work, std::size_t i) {
  try {
    return {IsolatedResult::Kind::ok, work(i)};
  } catch (const InputError& e) {
    return {IsolatedResult::Kind::input_error, e.what()};
  } catch (...) {
    return {IsolatedResult::Kind::error, describe_current_exception()};
  }
}

// Memory shared by the parent and its child (an anonymous MAP_SHARED page).
struct Shared {
  volatile int64_t current = -1;  // the item the child is in (-1: none yet)
};

// The child: `items` in turn. Never returns.
[[noreturn]] void child(const std::function<std::string(std::size_t)>& work,
                        const std::vector<std::size_t>& items, int fd, Shared* shared,
                        bool silence) {
  if (silence) {
    const int null = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
    if (null >= 0) {
      ::dup2(null, 1);
      ::dup2(null, 2);
      ::close(null);
    }
  }
  // The host's crash handlers (a test framework's, a crash reporter's) must not run here: a
  // crash should simply end this child with its signal.
  for (int sig : {SIGABRT, SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGTRAP, SIGSYS, SIGTERM, SIGINT})
    ::signal(sig, SIG_DFL);
  g_progress_fd = fd;
  std::string batch;
  auto last_flush = std::chrono::steady_clock::now();
  for (std::size_t i : items) {
    shared->current = static_cast<int64_t>(i);
    const IsolatedResult r = run_one(work, i);
    append_result(batch, i, r.kind, r.text);
    const auto now = std::chrono::steady_clock::now();
    if (batch.size() >= (std::size_t{1} << 20) ||
        now - last_flush >= std::chrono::milliseconds(2)) {
      write_all(fd, batch.data(), batch.size());
      batch.clear();
      last_flush = now;
    }
  }
  write_all(fd, batch.data(), batch.size());
  ::_exit(0);
}

bool someone_elses_signal(int sig) {
  return sig == SIGINT || sig == SIGTERM || sig == SIGHUP || sig == SIGQUIT;
}

}  // namespace

std::string signal_text(int sig) {
  const char* abbrev = sigabbrev_np(sig);
  const char* descr = strsignal(sig);
  std::string s = "signal " + std::to_string(sig);
  if (abbrev) s += " (SIG" + std::string(abbrev) + (descr ? std::string(": ") + descr : "") + ")";
  return s;
}

void isolated_progress() {
  if (g_progress_fd < 0) return;
  // At most ten a second: callers may call it per attribute or per read.
  static std::chrono::steady_clock::time_point last{};
  const auto now = std::chrono::steady_clock::now();
  if (now - last < std::chrono::milliseconds(100)) return;
  last = now;
  write_all(g_progress_fd, "P", 1);
}

std::vector<IsolatedResult> run_isolated(std::size_t n,
                                         const std::function<std::string(std::size_t)>& work,
                                         const IsolateOptions& options) {
  std::vector<IsolatedResult> out(n);
  if (const char* e = std::getenv("RNNLAB_ISOLATE"); e && std::string(e) == "0") {
    for (std::size_t i = 0; i < n; ++i) out[i] = run_one(work, i);
    return out;
  }
  std::vector<bool> done(n, false);
  void* page =
      ::mmap(nullptr, sizeof(Shared), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  RNNLAB_CHECK(page != MAP_FAILED, "cannot map a page: ", std::strerror(errno));
  struct Unmap {
    void* p;
    ~Unmap() { ::munmap(p, sizeof(Shared)); }
  } unmap{page};
  Shared* shared = new (page) Shared;
  for (;;) {
    std::vector<std::size_t> items;  // those without a result yet, in order
    for (std::size_t i = 0; i < n; ++i)
      if (!done[i]) items.push_back(i);
    if (items.empty()) break;
    shared->current = -1;
    int fds[2];
    RNNLAB_CHECK(::pipe2(fds, O_CLOEXEC) == 0, "cannot create a pipe: ", std::strerror(errno));
    std::fflush(nullptr);  // the child must not flush our buffers again
    const pid_t pid = ::fork();
    if (pid < 0) {
      const int err = errno;
      ::close(fds[0]);
      ::close(fds[1]);
      throw Error(std::string("cannot fork: ") + std::strerror(err));
    }
    if (pid == 0) {
      ::close(fds[0]);
      child(work, items, fds[1], shared, options.silence);
    }
    ::close(fds[1]);
    std::string buf;
    std::size_t received = 0;
    bool timed_out = false;
    for (;;) {
      pollfd pfd{fds[0], POLLIN, 0};
      const int r = ::poll(&pfd, 1, options.timeout_ms);
      if (r < 0 && errno == EINTR) continue;
      if (r == 0) {
        timed_out = true;
        break;
      }
      char chunk[65536];
      const ssize_t k = ::read(fds[0], chunk, sizeof chunk);
      if (k < 0 && errno == EINTR) continue;
      if (k <= 0) break;  // EOF: the child is gone
      buf.append(chunk, static_cast<std::size_t>(k));
      std::size_t pos = 0;
      while (pos < buf.size()) {  // every complete frame
        if (buf[pos] == 'P') {
          pos += 1;
          continue;
        }
        if (buf[pos] != 'R') {  // not a frame of ours: ignore the rest
          pos = buf.size();
          break;
        }
        if (buf.size() - pos < 18) break;
        uint64_t i = 0, len = 0;
        std::memcpy(&i, buf.data() + pos + 1, 8);
        std::memcpy(&len, buf.data() + pos + 10, 8);
        if (buf.size() - pos - 18 < len) break;
        if (i < n && !done[i]) {
          out[i].kind = static_cast<IsolatedResult::Kind>(buf[pos + 9]);
          out[i].text.assign(buf, pos + 18, len);
          done[i] = true;
          ++received;
        }
        pos += 18 + len;
      }
      buf.erase(0, pos);
    }
    ::close(fds[0]);
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (received == items.size()) break;  // every item has its result
    if (!timed_out && WIFSIGNALED(status) && someone_elses_signal(WTERMSIG(status)))
      throw Error("stopped: a child reading files was ended by " + signal_text(WTERMSIG(status)));
    // The child died in item `current` (or hung there); the items it finished but had not
    // sent yet go to the next child. A child that died outside any item (no current, or one
    // already answered) is charged to the first item without a result, so each round ends at
    // least one item.
    const int64_t cur = shared->current;
    std::size_t bad = 0;
    if (cur >= 0 && static_cast<std::size_t>(cur) < n && !done[static_cast<std::size_t>(cur)])
      bad = static_cast<std::size_t>(cur);
    else
      while (done[bad]) ++bad;
    IsolatedResult& r = out[bad];
    r.kind = IsolatedResult::Kind::crashed;
    if (timed_out)
      r.text = "no progress for " + std::to_string(options.timeout_ms / 1000) + " s, killed";
    else if (WIFSIGNALED(status))
      r.text = "killed by " + signal_text(WTERMSIG(status));
    else if (WIFEXITED(status))
      r.text = "exited with status " + std::to_string(WEXITSTATUS(status));
    else
      r.text = "ended abnormally";
    done[bad] = true;
  }
  return out;
}

// ---- payloads ----

PayloadWriter& PayloadWriter::raw(const void* p, std::size_t n) {
  out_.append(static_cast<const char*>(p), n);
  return *this;
}

PayloadWriter& PayloadWriter::put(const std::string& s) {
  put(static_cast<int64_t>(s.size()));
  return raw(s.data(), s.size());
}

PayloadWriter& PayloadWriter::put(const std::vector<double>& v) {
  put(static_cast<int64_t>(v.size()));
  return raw(v.data(), v.size() * sizeof(double));
}

void PayloadReader::raw(void* p, std::size_t n) {
  RNNLAB_CHECK(in_.size() - pos_ >= n, "isolated read: a truncated result (", in_.size(),
               " bytes, wanted ", pos_ + n, ")");
  std::memcpy(p, in_.data() + pos_, n);
  pos_ += n;
}

int64_t PayloadReader::i64() {
  int64_t v = 0;
  raw(&v, sizeof v);
  return v;
}

double PayloadReader::f64() {
  double v = 0;
  raw(&v, sizeof v);
  return v;
}

std::string PayloadReader::str() {
  const int64_t n = i64();
  RNNLAB_CHECK(n >= 0 && static_cast<std::size_t>(n) <= in_.size() - pos_,
               "isolated read: a bad string length ", n);
  std::string s(in_.data() + pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return s;
}

std::vector<double> PayloadReader::doubles() {
  const int64_t n = i64();
  RNNLAB_CHECK(n >= 0 && static_cast<std::size_t>(n) <= (in_.size() - pos_) / sizeof(double),
               "isolated read: a bad vector length ", n);
  std::vector<double> v(static_cast<std::size_t>(n));
  raw(v.data(), v.size() * sizeof(double));
  return v;
}

}  // namespace rnnlab
