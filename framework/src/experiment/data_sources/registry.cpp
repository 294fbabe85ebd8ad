// The data-source registry (see registry.h).
#include "experiment/data_sources/registry.h"

#include <algorithm>
#include <set>

namespace rnnlab {

namespace {

struct Registration {
  int position;
  DataSourceType (*make)();
};

// A function-local static: registrars of other files may run before this file's statics.
std::vector<Registration>& registrations() {
  static std::vector<Registration> all;
  return all;
}

}  // namespace

DataSourceRegistrar::DataSourceRegistrar(int position, DataSourceType (*make)()) {
  registrations().push_back({position, make});
}

std::vector<DataSourceType> builtin_data_sources() {
  std::vector<Registration> sorted = registrations();
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const Registration& a, const Registration& b) {
                     return a.position < b.position;
                   });
  std::vector<DataSourceType> sources;
  std::set<std::string> names;
  for (std::size_t i = 0; i < sorted.size(); ++i) {
    RNNLAB_CHECK(i == 0 || sorted[i].position != sorted[i - 1].position,
                 "two built-in data sources register listing position ", sorted[i].position);
    sources.push_back(sorted[i].make());
    RNNLAB_CHECK(names.insert(sources.back().entry.name).second, "data source '",
                 sources.back().entry.name, "' is registered twice");
  }
  return sources;
}

}  // namespace rnnlab
