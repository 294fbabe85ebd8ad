// Starting other programs: one argv, never a shell; where its output goes; its exit status.
//
//   // run and wait, stdout captured (stderr to the parent's):
//   ProcessResult r = run_process({"sbatch", "--parsable", script},
//                                 {.out = Output::capture(), .err = Output::inherit()});
//   if (r.exit_code == 0) id = r.out;
//
//   // start without waiting (a sweep's worker), then wait for whichever ends first:
//   pid_t pid = start_process({exe, "run", ...}, {.out = Output::file(out_log),
//                                                 .err = Output::file(err_log)});
//   ProcessExit e = wait_any_process();   // e.pid, e.exit_code
//
// Contract
// - argv[0] without a '/' is looked up in $PATH (execvp's rules); the child gets the parent's
//   environment, working folder and stdin.
// - A program that cannot be started (not found, not executable) throws ProcessStartError in the
//   parent, naming it and why; the caller never has to guess from an exit status 127.
//   (posix_spawnp: also safe in a process that runs threads, e.g. TBB's workers.)
// - exit_code: the program's exit status, or 128 + N when signal N ended it (as a shell says).
// - Output::capture() collects the stream into ProcessResult::out / ::err (run_process only;
//   both streams are read together, so a chatty stderr cannot block a captured stdout).
//   Output::file(path) truncates or creates the file (mode 0644) in the parent, so a path that
//   cannot be written is an Error before anything starts. Output::discard() is /dev/null.
//
// shell_quote is for text that a shell will read later (the sbatch scripts a sweep writes),
// never for starting a program here.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "rnnlab/error.h"

namespace rnnlab {

// Where a child's stdout or stderr goes.
struct Output {
  enum class Kind { inherit, discard, capture, file };
  Kind kind = Kind::inherit;
  std::string path;  // Kind::file

  static Output inherit() { return {}; }
  static Output discard() { return {Kind::discard, {}}; }
  static Output capture() { return {Kind::capture, {}}; }
  static Output file(std::string path) { return {Kind::file, std::move(path)}; }
};

struct ProcessIo {
  Output out;  // the child's stdout (fd 1)
  Output err;  // the child's stderr (fd 2)
};

struct ProcessResult {
  int exit_code = -1;  // exit status, or 128 + signal
  std::string out;     // stdout, when captured
  std::string err;     // stderr, when captured
};

// The program could not be started: `program` (argv[0]) and errno `code` (ENOENT: not found).
class ProcessStartError : public Error {
 public:
  ProcessStartError(const std::string& program, int code);
  const std::string& program() const { return program_; }
  int code() const { return code_; }

 private:
  std::string program_;
  int code_;
};

// Runs `argv` and waits for it to end.
ProcessResult run_process(const std::vector<std::string>& argv, const ProcessIo& io = {});

// Starts `argv` and returns its pid without waiting (Output::capture is not allowed here).
pid_t start_process(const std::vector<std::string>& argv, const ProcessIo& io = {});

// Waits for the child `pid` (of start_process) to end; its exit status.
int wait_process(pid_t pid);

struct ProcessExit {
  pid_t pid = -1;
  int exit_code = -1;
};
// Waits for any child of this process to end (waitpid(-1)); Error when there is none.
ProcessExit wait_any_process();

// `s` as one POSIX shell word: unchanged when it is made of letters, digits and _-./=:,+%@
// only (and not empty), else in single quotes (a quote inside written '\'').
std::string shell_quote(const std::string& s);

// The absolute path of the running executable (/proc/self/exe); `fallback` when unreadable.
std::string current_executable(const std::string& fallback);

}  // namespace rnnlab
