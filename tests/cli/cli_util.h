// Running the `rnnlab` binary from the tests: path, capture of exit code / stdout / stderr,
// and whether it was built with the .rnn compiler.
#pragma once

#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "rnnlab/process.h"
#include "test_util.h"

namespace rnnlab::test {

// The rnnlab executable: RNNLAB_CLI (a compile definition, $<TARGET_FILE:rnnlab>) or its place
// in the build tree next to the plugins.
inline std::string cli_path() {
#if defined(RNNLAB_CLI)
  return RNNLAB_CLI;
#else
  return std::string(RNNLAB_PLUGIN_DIR) + "/../cli/rnnlab";
#endif
}

struct CliResult {
  int code = -1;    // exit status, or 128 + signal
  std::string out;  // stdout
  std::string err;  // stderr
};

inline std::string slurp(const std::string& path) {
  std::ifstream f(path);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// Starts `rnnlab args...` with stdout/stderr going to files under `dir`; returns the pid.
inline pid_t start_cli(const std::vector<std::string>& args, const std::string& dir) {
  std::vector<std::string> argv = {cli_path()};
  argv.insert(argv.end(), args.begin(), args.end());
  return start_process(argv, {.out = Output::file(dir + "/stdout.txt"),
                              .err = Output::file(dir + "/stderr.txt")});
}

inline CliResult wait_cli(pid_t pid, const std::string& dir) {
  CliResult r;
  if (pid > 0) r.code = wait_process(pid);
  r.out = slurp(dir + "/stdout.txt");
  r.err = slurp(dir + "/stderr.txt");
  return r;
}

// Runs `rnnlab args...` to completion; output captured in files under unique_dir(name)
// (test_util.h: unique to this process and call, as ctest runs test cases in parallel processes).
inline CliResult run_cli(const std::vector<std::string>& args, const std::string& name = "cli") {
  const std::string dir = unique_dir(name);
  return wait_cli(start_cli(args, dir), dir);
}

// Output helpers: lines of a text, fields of a CSV line (no quoting), a real PNG file.
inline std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  return out;
}

inline std::vector<std::string> csv_fields(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : line) {
    if (c == ',') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

inline bool is_png(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  char magic[8] = {};
  f.read(magic, 8);
  return f && std::string(magic + 1, 3) == "PNG" && std::filesystem::file_size(path) > 1000;
}

// Waits until `path` exists (true) or `seconds` passed (false).
inline bool wait_for_file(const std::string& path, double seconds) {
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    if (std::filesystem::exists(path)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

inline const std::string kCliFixtures = std::string(RNNLAB_SOURCE_DIR) + "/tests/cli";

}  // namespace rnnlab::test

