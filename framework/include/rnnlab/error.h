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
