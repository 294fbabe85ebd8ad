// The parameters of the image sources read as sequences (`digits`, `mnist`): how an image
// becomes a sequence (SequentialImage, data.h):
//   reading       row: T = R steps of C pixels | pixel: T = R*C steps of 1 pixel
//   permute       pixel reading only: one fixed permutation of the pixel positions (psMNIST)
//   permute_seed  its seed (default 1), a data parameter like split_seed
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "experiment/schema_helpers.h"
#include "rnnlab/catalog.h"

namespace rnnlab::data_source {

// reading, permute, permute_seed for images of `rows` x `cols` pixels (the docs give T and I).
inline std::vector<ParamSpec> image_reading_params(int64_t rows, int64_t cols) {
  const std::string pixels = std::to_string(rows * cols);
  return {
      schema::choice("reading", "row", {"row", "pixel"},
                     "row: " + std::to_string(rows) + " steps of " + std::to_string(cols) +
                         " pixels; pixel: " + pixels + " steps of 1 pixel"),
      schema::flag("permute", false,
                   "pixel reading only: read the " + pixels +
                       " pixels in one fixed random order, the same for every image (psMNIST)"),
      schema::integer("permute_seed", 1, 0, "seed of the pixel permutation (with permute true)"),
  };
}

// The options of those parameters; SequentialImage rejects permute with the row reading.
inline ImageReadingOptions image_reading_of(const CellConfig& c) {
  ImageReadingOptions o;
  o.reading = parse_image_reading(c.choice("reading"));
  o.permute = c.boolean("permute");
  o.permute_seed = static_cast<uint64_t>(c.integer("permute_seed"));
  return o;
}

}  // namespace rnnlab::data_source
