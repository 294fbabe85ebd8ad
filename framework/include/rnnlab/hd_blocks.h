// Rows of gate blocks, for the per-element maths of fused cell kernels (host and device, see
// hd_math.h). A row of N blocks, each H wide (LSTM gates [i | f | g | o], a packed state
// [h | n | d | m], ...), holds element j of block k at row[k·H + j]; these read and write
// element j of all N blocks as an aggregate S whose N data members follow the block order and
// which declares `static constexpr int kBlocks = N;` (N = 2, 3 or 4):
//   load_blocks<S>(row, H, j) = S{row[j], row[H + j], .., row[(N-1)H + j]}
//   store_blocks(row, H, j, s)  the reverse
#pragma once

#include <cstdint>

#include "rnnlab/hd_math.h"  // RNNLAB_HD

namespace rnnlab {

template <typename S, typename T>
RNNLAB_HD inline S load_blocks(const T* row, int64_t h, int64_t j) {
  constexpr int N = S::kBlocks;
  static_assert(N >= 2 && N <= 4, "load_blocks: 2, 3 or 4 blocks");
  if constexpr (N == 2)
    return S{row[j], row[h + j]};
  else if constexpr (N == 3)
    return S{row[j], row[h + j], row[2 * h + j]};
  else
    return S{row[j], row[h + j], row[2 * h + j], row[3 * h + j]};
}

template <typename S, typename T>
RNNLAB_HD inline void store_blocks(T* row, int64_t h, int64_t j, const S& s) {
  constexpr int N = S::kBlocks;
  static_assert(N >= 2 && N <= 4, "store_blocks: 2, 3 or 4 blocks");
  if constexpr (N == 2) {
    const auto& [a, b] = s;
    row[j] = a;
    row[h + j] = b;
  } else if constexpr (N == 3) {
    const auto& [a, b, c] = s;
    row[j] = a;
    row[h + j] = b;
    row[2 * h + j] = c;
  } else {
    const auto& [a, b, c, d] = s;
    row[j] = a;
    row[h + j] = b;
    row[2 * h + j] = c;
    row[3 * h + j] = d;
  }
}

}  // namespace rnnlab
