// Progress output for long runs, on stderr.
//   TTY:      one redrawn line  [#########.........]  42%  step 4200/10000  ep 3  loss 0.1234
//             acc 0.953  eval 0.961  12.3 ms/step  ETA 1:11
//   not TTY:  the same fields as a plain line about every 10% (and at the end)
#pragma once

#include <chrono>
#include <cstdint>

namespace rnnlab {

class Progress {
 public:
  enum class Mode { off, auto_detect, lines };
  Progress(int64_t total, Mode mode);
  void update(int64_t step, int64_t epoch, double loss, double accuracy);
  void note_eval(double loss, double accuracy);
  void finish();

 private:
  void draw(bool final_line);
  int64_t total_, step_ = 0, epoch_ = 0, last_line_step_ = 0;
  double loss_ = 0, acc_ = -1, eval_loss_ = -1, eval_acc_ = -1;
  bool tty_ = false, enabled_ = true, finished_ = false;
  std::chrono::steady_clock::time_point start_, last_draw_;
};

}  // namespace rnnlab
