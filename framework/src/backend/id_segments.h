// The positions of an id list grouped by id, for a deterministic scatter-add (the CUDA
// backend's scatter_add_rows, the backward of an embedding): instead of atomicAdd, whose order
// changes from run to run, one thread per (id, column) adds the rows of its id in position
// order, the same order as the CPU's loop, so both devices give the same bits every time.
//
//   ids [n] -> segments s = 0..S-1 in increasing id: id[s], and the positions p with
//              ids[p] == id[s] as order[start[s] .. start[s+1]), ascending.
// Ids outside [0, rows) are left out (gather_rows has already refused them).
#pragma once

#include <cstdint>
#include <vector>

namespace rnnlab {

struct IdSegments {
  std::vector<int32_t> id;     // [S] the distinct ids, increasing
  std::vector<int32_t> start;  // [S+1] segment s is order[start[s] .. start[s+1])
  std::vector<int32_t> order;  // [m] positions, grouped by id, ascending within a group
};

IdSegments id_segments(const std::vector<int32_t>& ids, int64_t rows);

}  // namespace rnnlab
