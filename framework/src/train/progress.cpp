// Progress bar / periodic progress lines (see progress.h).
#include "train/progress.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <string>

namespace rnnlab {

Progress::Progress(int64_t total, Mode mode)
    : total_(total), start_(std::chrono::steady_clock::now()), last_draw_(start_) {
  enabled_ = mode != Mode::off;
  tty_ = mode == Mode::auto_detect && isatty(STDERR_FILENO);
}

void Progress::update(int64_t step, int64_t epoch, double loss, double accuracy) {
  step_ = step;
  epoch_ = epoch;
  loss_ = loss;
  acc_ = accuracy;
  if (!enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (tty_) {
    if (now - last_draw_ > std::chrono::milliseconds(100) || step == total_) {
      last_draw_ = now;
      draw(false);
    }
  } else if (step - last_line_step_ >= std::max<int64_t>(1, total_ / 10)) {
    last_line_step_ = step;
    draw(true);
  }
}

void Progress::note_eval(double loss, double accuracy) {
  eval_loss_ = loss;
  eval_acc_ = accuracy;
}

void Progress::draw(bool final_line) {
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  double frac = total_ > 0 ? double(step_) / double(total_) : 1.0;
  double per_step = step_ > 0 ? elapsed / double(step_) : 0.0;
  long eta = static_cast<long>(per_step * double(total_ - step_));
  char buf[320];
  std::string bar;
  if (tty_) {
    const std::size_t filled = static_cast<std::size_t>(std::clamp(frac, 0.0, 1.0) * 24);
    bar.reserve(28);
    bar.push_back('[');
    bar.append(filled, '#');
    bar.append(24 - filled, '.');
    bar.append("] ");
  }
  int n = std::snprintf(buf, sizeof buf, "%s%3d%%  step %lld/%lld  ep %lld  loss %.4g", bar.c_str(),
                        static_cast<int>(frac * 100), static_cast<long long>(step_),
                        static_cast<long long>(total_), static_cast<long long>(epoch_), loss_);
  std::string line(buf, static_cast<std::size_t>(std::max(0, n)));
  if (acc_ >= 0) {
    std::snprintf(buf, sizeof buf, "  acc %.3f", acc_);
    line += buf;
  }
  if (eval_loss_ >= 0) {
    std::snprintf(buf, sizeof buf, eval_acc_ >= 0 ? "  eval %.4g/%.3f" : "  eval %.4g", eval_loss_,
                  eval_acc_);
    line += buf;
  }
  std::snprintf(buf, sizeof buf, "  %.2f ms/step  ETA %ld:%02ld", per_step * 1e3, eta / 60, eta % 60);
  line += buf;
  if (tty_)
    std::fprintf(stderr, "\r%s\033[K%s", line.c_str(), final_line ? "\n" : "");
  else
    std::fprintf(stderr, "%s\n", line.c_str());
  std::fflush(stderr);
}

void Progress::finish() {
  if (!enabled_ || finished_) return;
  finished_ = true;
  if (step_ > 0 && (tty_ || step_ != last_line_step_)) draw(true);
}

}  // namespace rnnlab
