// StopSignals (see stop_signals.h).
#include "train/stop_signals.h"

#include <atomic>
#include <csignal>
#include <mutex>

namespace rnnlab {
namespace {

std::atomic<int> g_signal{0};
extern "C" void on_stop_signal(int sig) { g_signal.store(sig); }

std::mutex g_mutex;
int g_depth = 0;
struct sigaction g_old_int {}, g_old_term {};

}  // namespace

StopSignals::StopSignals() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (g_depth++ > 0) return;
  g_signal.store(0);
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  // A stop is a flag the trainer polls between steps: no system call, in rnnlab or in a
  // library under it (HDF5, stdio), may fail with EINTR because the signal came during it.
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, &g_old_int);
  sigaction(SIGTERM, &sa, &g_old_term);
}

StopSignals::~StopSignals() {
  std::lock_guard<std::mutex> lock(g_mutex);
  if (--g_depth > 0) return;
  sigaction(SIGINT, &g_old_int, nullptr);
  sigaction(SIGTERM, &g_old_term, nullptr);
}

int StopSignals::received() { return g_signal.load(); }

}  // namespace rnnlab
