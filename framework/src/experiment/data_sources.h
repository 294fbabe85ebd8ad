// The data sources every Catalog starts with (see catalog.h):
//   digits(path, test_fraction)       8x8 digits, 8 steps of 8 pixels, 10 classes
//   csv(path, column, ..., steps)     windows over one column of a CSV time series
//   fibonacci(points, mod, steps)     F(k) mod m, windows predicting the next value every step
//   adding, length, imdb, synthetic_sentiment   the RWA and sentiment studies' data
//   npy(inputs, targets, lengths)     your own arrays from .npy files
// Sources with a random split take `split_seed`, generated sources `data_seed` (both default
// 1), independent of the model seed: seeds of one sweep share their data and held-out set.
#pragma once

#include <vector>

#include "rnnlab/catalog.h"

namespace rnnlab {

std::vector<DataSourceType> builtin_data_sources();

}  // namespace rnnlab
