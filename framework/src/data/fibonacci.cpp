// fibonacci_mod: the Fibonacci sequence modulo m, a periodic toy series (Pisano period: 20
// for m = 5).
#include "rnnlab/data.h"

namespace rnnlab {

std::vector<double> fibonacci_mod(int64_t n_points, int64_t mod) {
  RNNLAB_CHECK_INPUT(n_points >= 0, "fibonacci: number of points must be >= 0, got ", n_points);
  RNNLAB_CHECK_INPUT(mod >= 1, "fibonacci: modulus must be >= 1, got ", mod);
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(n_points));
  const auto m = static_cast<uint64_t>(mod);  // a + b < 2^64: no overflow for any int64 mod
  uint64_t a = 1 % m, b = 1 % m;              // F(1), F(2)
  for (int64_t k = 0; k < n_points; ++k) {
    out.push_back(static_cast<double>(a));
    const uint64_t c = (a + b) % m;
    a = b;
    b = c;
  }
  return out;
}

}  // namespace rnnlab
