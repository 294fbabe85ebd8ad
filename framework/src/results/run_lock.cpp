// RunLock: a flock on `<path>.lock`, re-entrant within the process (see rnnlab/run_lock.h).
#include "rnnlab/run_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>
#include <mutex>

#include "rnnlab/error.h"
#include "rnnlab/run_file.h"

namespace rnnlab {
namespace {

namespace fs = std::filesystem;

struct Held {
  int fd = -1;
  int count = 0;
  std::string sidecar;
};

std::mutex& table_mutex() {
  static std::mutex m;
  return m;
}
std::map<std::string, Held>& table() {
  static std::map<std::string, Held> t;
  return t;
}

std::string key_of(const std::string& path) {
  std::error_code ec;
  fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
  return ec ? fs::absolute(path).lexically_normal().string() : p.string();
}

std::string read_all(int fd) {
  std::string s;
  char buf[256];
  ssize_t n;
  ::lseek(fd, 0, SEEK_SET);
  while ((n = ::read(fd, buf, sizeof buf)) > 0) s.append(buf, static_cast<std::size_t>(n));
  while (!s.empty() && (s.back() == '\n' || s.back() == '\0')) s.pop_back();
  return s;
}

std::string this_holder() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::strcpy(host, "unknown");
  return "pid " + std::to_string(::getpid()) + " on host " + host + " since " +
         RunFile::now_iso8601();
}

// Opens and flocks the sidecar; -1 with *holder set when another process holds it. Retries
// when the sidecar was unlinked by its previous holder between our open and our flock.
int lock_sidecar(const std::string& sidecar, const std::string& target, std::string* holder) {
  for (int attempt = 0; attempt < 100; ++attempt) {
    int fd = ::open(sidecar.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    RNNLAB_CHECK_INPUT(fd >= 0, "cannot lock ", target, ": cannot open ", sidecar, ": ",
                       std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      *holder = err == EWOULDBLOCK ? read_all(fd) : std::string("?");
      ::close(fd);
      RNNLAB_CHECK_INPUT(err == EWOULDBLOCK, "cannot lock ", target, ": flock(", sidecar,
                         "): ", std::strerror(err));
      if (holder->empty()) *holder = "another process (it has not written its name yet)";
      return -1;
    }
    struct stat a {}, b {};
    if (::fstat(fd, &a) == 0 && ::stat(sidecar.c_str(), &b) == 0 && a.st_ino == b.st_ino &&
        a.st_dev == b.st_dev)
      return fd;
    ::close(fd);  // the file we locked was unlinked meanwhile: lock the new one
  }
  throw InputError("cannot lock " + target + ": " + sidecar + " keeps being replaced");
}

}  // namespace

RunLock::RunLock(const std::string& path) {
  RNNLAB_CHECK_INPUT(!path.empty(), "cannot lock a run file with an empty path");
  const std::string key = key_of(path);
  std::lock_guard<std::mutex> g(table_mutex());
  auto it = table().find(key);
  if (it != table().end()) {
    ++it->second.count;
    key_ = key;
    return;
  }
  fs::path parent = fs::path(key).parent_path();
  std::error_code ec;
  if (!parent.empty()) fs::create_directories(parent, ec);
  RNNLAB_CHECK_INPUT(!ec, "cannot lock ", path, ": cannot create folder ", parent.string(), ": ",
                     ec.message());
  const std::string sidecar = key + ".lock";
  std::string holder;
  const int fd = lock_sidecar(sidecar, path, &holder);
  RNNLAB_CHECK_INPUT(fd >= 0, path, " is in use by ", holder, " (lock ", sidecar,
                     "); wait for it to finish or stop it, or write elsewhere (--out)");
  const std::string me = this_holder() + "\n";
  if (::ftruncate(fd, 0) == 0) {
    ssize_t ignored = ::pwrite(fd, me.data(), me.size(), 0);
    (void)ignored;
  }
  table()[key] = Held{fd, 1, sidecar};
  key_ = key;
}

RunLock& RunLock::operator=(RunLock&& o) noexcept {
  if (this != &o) {
    RunLock old(std::move(*this));
    key_ = std::move(o.key_);
    o.key_.clear();
  }
  return *this;
}

RunLock::~RunLock() {
  if (key_.empty()) return;
  std::lock_guard<std::mutex> g(table_mutex());
  auto it = table().find(key_);
  if (it == table().end()) return;
  if (--it->second.count > 0) return;
  // Unlink while still holding the flock: a waiter that opened the old inode sees the inode
  // change after its flock succeeds and retries on a fresh sidecar.
  ::unlink(it->second.sidecar.c_str());
  ::close(it->second.fd);
  table().erase(it);
}

}  // namespace rnnlab
