// Schema checks with located, named errors (see resolve_util.h).
#include "experiment/resolve_util.h"

#include "rnnlab/spec_keys.h"

namespace rnnlab::detail {

CellConfig resolve_args(const std::string& what, const std::string& name,
                        const std::vector<ParamSpec>& schema, const ArgMap& args,
                        const SourceLoc& loc, ArgMap* filled) {
  CellConfig config;
  try {
    config = CellConfig::resolve(name, schema, values_of(args));
  } catch (const InputError& e) {
    std::string msg = e.what();
    const std::string from = "cell '" + name + "'";
    for (std::size_t at = msg.find(from); at != std::string::npos;
         at = msg.find(from, at + what.size()))
      msg.replace(at, from.size(), what);
    // One location prefix per line (resolve reports every problem, one per line).
    const std::string prefix = loc_prefix(loc);
    std::string out;
    std::size_t start = 0;
    while (start <= msg.size()) {
      std::size_t end = msg.find('\n', start);
      if (end == std::string::npos) end = msg.size();
      out += (out.empty() ? "" : "\n") + prefix + msg.substr(start, end - start);
      start = end + 1;
    }
    throw InputError(out);
  }
  if (filled) {
    ArgMap out;
    for (const auto& [key, value] : config.values()) {
      auto it = args.find(key);
      out[key] = ArgSpec{value, it != args.end() ? it->second.loc : loc};
    }
    *filled = std::move(out);
  }
  return config;
}

std::vector<ParamSpec> layer_schema(const Catalog& catalog, const LayerSpec& layer) {
  if (auto schema = find_layer_schema(catalog, layer)) return std::move(*schema);
  const std::vector<std::string> names = catalog.layer_names();
  std::string msg = loc_prefix(layer.loc) + "unknown layer '" + layer.kind + "'";
  const std::string near = closest_name(layer.kind, names);
  if (!near.empty()) msg += " (did you mean '" + near + "'?)";
  std::string known;
  for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
  msg += "; known cells and layers: " + known;
  throw InputError(msg);
}

}  // namespace rnnlab::detail
