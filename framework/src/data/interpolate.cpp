// interpolate_missing: fill NaN gaps of a series linearly between the nearest known values.
#include <cmath>

#include "rnnlab/data.h"

namespace rnnlab {

std::size_t interpolate_missing(std::vector<double>& v, const std::vector<int64_t>& positions) {
  RNNLAB_CHECK(positions.empty() || positions.size() == v.size(),
               "interpolate_missing: ", positions.size(), " positions for ", v.size(), " values");
  auto pos = [&](std::size_t i) {
    return positions.empty() ? static_cast<double>(i) : static_cast<double>(positions[i]);
  };
  const std::size_t n = v.size();
  std::size_t filled = 0;
  std::size_t prev = n;  // index of the last known value, n = none yet
  for (std::size_t i = 0; i <= n; ++i) {
    if (i < n && std::isnan(v[i])) continue;
    // v[i] known (or i == n): fill the gap (prev, i).
    const std::size_t lo = prev == n ? 0 : prev + 1;
    for (std::size_t k = lo; k < i; ++k) {
      if (prev == n && i == n) {
        throw InputError(
            "interpolate_missing: every value is missing, nothing to interpolate from");
      } else if (prev == n) {
        v[k] = v[i];  // leading gap: copy the first known value
      } else if (i == n) {
        v[k] = v[prev];  // trailing gap: copy the last known value
      } else {
        const double w = (pos(k) - pos(prev)) / (pos(i) - pos(prev));
        v[k] = v[prev] + w * (v[i] - v[prev]);
      }
      ++filled;
    }
    prev = i;
  }
  return filled;
}

}  // namespace rnnlab
