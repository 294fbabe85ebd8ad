// Positions grouped by id (see id_segments.h): a counting sort, stable, O(n + rows).
#include "backend/id_segments.h"

#include <cstddef>

namespace rnnlab {

IdSegments id_segments(const std::vector<int32_t>& ids, int64_t rows) {
  std::vector<int32_t> count(static_cast<std::size_t>(rows) + 1, 0);
  for (int32_t v : ids)
    if (v >= 0 && v < rows) ++count[static_cast<std::size_t>(v) + 1];
  for (std::size_t r = 1; r < count.size(); ++r) count[r] += count[r - 1];  // first slot per id
  IdSegments s;
  s.order.resize(static_cast<std::size_t>(count.back()));
  std::vector<int32_t> next(count.begin(), count.end() - 1);
  for (std::size_t p = 0; p < ids.size(); ++p) {
    const int32_t v = ids[p];
    if (v >= 0 && v < rows) s.order[static_cast<std::size_t>(next[static_cast<std::size_t>(v)]++)] = static_cast<int32_t>(p);
  }
  for (int64_t r = 0; r < rows; ++r)
    if (count[static_cast<std::size_t>(r) + 1] > count[static_cast<std::size_t>(r)]) {
      s.id.push_back(static_cast<int32_t>(r));
      s.start.push_back(count[static_cast<std::size_t>(r)]);
    }
  s.start.push_back(count.back());
  return s;
}

}  // namespace rnnlab
