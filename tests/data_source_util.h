// Building a data source through the catalog in tests, as a .rnn data block would.
#pragma once

#include <map>
#include <string>

#include <doctest/doctest.h>

#include "rnnlab/catalog.h"
#include "test_util.h"

namespace rnnlab::test {

// The built-in source `name` from `given` (defaults for the rest); relative paths are relative
// to `base_dir` (the .rnn file's folder; default experiments/). REQUIREs that the source exists.
inline DataSetup build_source(const std::string& name,
                              const std::map<std::string, ParamValue>& given,
                              const std::string& base_dir = std::string(RNNLAB_SOURCE_DIR) +
                                                            "/experiments") {
  static const Catalog cat(builtin_cells());
  const DataSourceType* t = cat.find_data_source(name);
  REQUIRE(t);
  return t->create(CellConfig::resolve(name, t->entry.schema, given), base_dir, 1);
}

}  // namespace rnnlab::test
