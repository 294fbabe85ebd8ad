// FNV-1a 64: a small, fast, non-cryptographic digest of bytes, used where rnnlab must notice
// that stored data changed (checkpoint slot checksums, run identity fingerprints). It detects
// accidental change (flipped bytes, edited files), not deliberate tampering.
//
//   h = 0xcbf29ce484222325;  for each byte b: h = (h ^ b) * 0x100000001b3   (mod 2^64)
#pragma once

#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <string>

namespace rnnlab {

class Fnv1a64 {
 public:
  void add(const void* p, std::size_t n) {
    const auto* b = static_cast<const unsigned char*>(p);
    for (std::size_t k = 0; k < n; ++k) h_ = (h_ ^ b[k]) * 0x100000001b3ULL;
  }
  // The string and a terminating NUL (so "ab"+"c" differs from "a"+"bc").
  void add(const std::string& s) {
    add(s.data(), s.size());
    add("", 1);
  }
  template <typename T>
  void add_pod(const T& v) {
    add(&v, sizeof v);
  }
  uint64_t value() const { return h_; }
  std::string hex() const {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, h_);
    return buf;
  }

 private:
  uint64_t h_ = 0xcbf29ce484222325ULL;
};

}  // namespace rnnlab
