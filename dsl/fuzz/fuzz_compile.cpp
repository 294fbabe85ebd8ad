// libFuzzer target: any bytes as a .rnn file (and, from the first line, as --set overrides)
// must give either a spec or diagnostics — never a crash, a hang or a sanitizer report. A valid
// spec must also survive the print() round trip.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "dsl/test_catalog.h"
#include "rnnlab/dsl/compile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto& cat = rnnlab::dsl_test::test_catalog();
  std::vector<std::string> overrides;
  if (text.rfind("#! set ", 0) == 0) overrides.push_back(text.substr(7, text.find('\n') - 7));
  const auto r = rnnlab::dsl::compile_text(text, "fuzz.rnn", cat, overrides);
  if (r.ok) {
    const auto again = rnnlab::dsl::compile_text(rnnlab::dsl::print(r.spec), "p.rnn", cat);
    if (!again.ok || rnnlab::dsl::print(again.spec) != rnnlab::dsl::print(r.spec)) __builtin_trap();
  } else if (r.diagnostics.empty() || r.rendered.empty()) {
    __builtin_trap();
  }
  return 0;
}
