// rnnlab errors: every failure is an exception whose message says what was expected,
// what was found and where. The CLI maps Error -> exit 1 and InputError -> exit 2.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace rnnlab {

// A run failed (numerical trouble, I/O, a kernel error).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The user gave bad input (file, parameter, plugin). Exit code 2 in the CLI.
class InputError : public Error {
 public:
  using Error::Error;
};

// The storage under a file failed (no space left, quota, an I/O error): not the run's or the
// cell's fault, so it is reported as it is, one line (a run still fails: exit 1).
class StorageError : public Error {
 public:
  using Error::Error;
};

// Inside a catch block: what is being handled, as one line. A std::exception gives its
// what(); anything else (a plugin's `throw 42`) its demangled type and, for int, long,
// const char* and std::string, its value: "an exception of type int (not derived from
// std::exception) was thrown: 42". (framework/src/core/describe_exception.cpp)
std::string describe_current_exception();

namespace detail {
template <typename... Args>
std::string concat(const Args&... args) {
  std::ostringstream os;
  (os << ... << args);
  return os.str();
}
}  // namespace detail

}  // namespace rnnlab

// RNNLAB_CHECK(cond, "expected ", x, " but found ", y) throws rnnlab::Error.
#define RNNLAB_CHECK(cond, ...)                                              \
  do {                                                                       \
    if (!(cond)) throw ::rnnlab::Error(::rnnlab::detail::concat(__VA_ARGS__)); \
  } while (0)

#define RNNLAB_CHECK_INPUT(cond, ...)                                             \
  do {                                                                            \
    if (!(cond)) throw ::rnnlab::InputError(::rnnlab::detail::concat(__VA_ARGS__)); \
  } while (0)
