// The built-in data sources register themselves, one file each (<name>_source.cpp in this
// folder): each file defines a factory `DataSourceType make()` (schema + create, catalog.h) and
// one registrar at namespace scope,
//
//   const DataSourceRegistrar kRegistrar(/*position=*/30, fibonacci_source);
//
// The core is a shared library, so every object file of it is linked and every registrar runs
// when the library is loaded. `position` fixes where the source appears in listings (`rnnlab
// cells`, "did you mean" notes, Catalog::data_sources()): registrars run in link order, which
// is not a contract, so the listing is sorted by position instead. Positions and names are
// unique (checked by builtin_data_sources; a clash is a bug in the core, not an input error).
#pragma once

#include <vector>

#include "rnnlab/catalog.h"

namespace rnnlab {

class DataSourceRegistrar {
 public:
  DataSourceRegistrar(int position, DataSourceType (*make)());
};

// Every registered source, freshly made, in position order (the Catalog's built-ins).
std::vector<DataSourceType> builtin_data_sources();

}  // namespace rnnlab
