// $RNNLAB_CELL_FROM and --cell-from picks applied to a registry (plugin_loader.h).
#include <cstdlib>
#include <utility>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"
#include "rnnlab/plugin_loader.h"

namespace rnnlab {

void apply_cell_picks(CellRegistry& registry, const std::vector<std::string>& cell_from) {
  std::vector<std::pair<std::string, std::string>> picks;  // (source, CELL=PLUGIN)
  if (const char* env = std::getenv("RNNLAB_CELL_FROM")) {
    const std::string s = env;
    for (std::size_t start = 0; start <= s.size();) {
      std::size_t end = s.find(',', start);
      if (end == std::string::npos) end = s.size();
      if (end > start) picks.emplace_back("RNNLAB_CELL_FROM", s.substr(start, end - start));
      start = end + 1;
    }
  }
  for (const std::string& c : cell_from) picks.emplace_back("--cell-from", c);
  for (const auto& [source, kv] : picks) {
    const std::size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 == kv.size())
      throw InputError(source + ": expected CELL=PLUGIN (a plugin name or .so file), found '" +
                       kv + "'");
    registry.pick(kv.substr(0, eq), kv.substr(eq + 1));
  }
}

}  // namespace rnnlab
