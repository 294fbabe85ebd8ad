// The data sources every Catalog starts with (see catalog.h):
//   digits(path, test_fraction)       8x8 digits, 8 steps of 8 pixels, 10 classes
//   csv(path, column, ..., steps)     windows over one column of a CSV time series
//   fibonacci(points, mod, steps)     F(k) mod m, windows predicting the next value every step
#pragma once

#include <vector>

#include "rnnlab/catalog.h"

namespace rnnlab {

std::vector<DataSourceType> builtin_data_sources();

}  // namespace rnnlab
