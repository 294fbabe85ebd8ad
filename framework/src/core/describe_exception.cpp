// describe_current_exception() (error.h): what a catch block is handling, as one line.
#include <cxxabi.h>

#include <cstdlib>
#include <exception>
#include <string>
#include <typeinfo>

#include "rnnlab/error.h"

namespace rnnlab {

std::string describe_current_exception() {
  try {
    throw;
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
  }
  std::string type = "an unknown type";
  if (const std::type_info* t = abi::__cxa_current_exception_type()) {
    int status = 0;
    char* name = abi::__cxa_demangle(t->name(), nullptr, nullptr, &status);
    type = status == 0 && name ? name : t->name();
    std::free(name);
  }
  std::string value;
  try {
    throw;
  } catch (int v) {
    value = std::to_string(v);
  } catch (long v) {
    value = std::to_string(v);
  } catch (const char* v) {
    value = v ? std::string("\"") + v + "\"" : "null";
  } catch (const std::string& v) {
    value = "\"" + v + "\"";
  } catch (...) {
  }
  return "an exception of type " + type + " (not derived from std::exception) was thrown" +
         (value.empty() ? "" : ": " + value);
}

}  // namespace rnnlab
