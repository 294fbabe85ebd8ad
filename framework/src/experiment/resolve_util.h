// Helpers shared by the runner's resolution steps: checking an argument map against a schema
// with errors that name the thing and point at the .rnn file.
#pragma once

#include <string>
#include <vector>

#include "rnnlab/catalog.h"
#include "rnnlab/experiment.h"
#include "rnnlab/located_message.h"

namespace rnnlab::detail {

using rnnlab::loc_prefix;  // located_message.h

// CellConfig::resolve with messages saying `what` ("layer 'dense'", "data source 'csv'", ...)
// instead of "cell '<name>'", prefixed with the location. With `filled`, the complete argument
// map (defaults added, located at `loc`) is stored there.
CellConfig resolve_args(const std::string& what, const std::string& name,
                        const std::vector<ParamSpec>& schema, const ArgMap& args,
                        const SourceLoc& loc, ArgMap* filled = nullptr);

// find_layer_schema (spec_keys.h), with an unknown kind an InputError located at the layer,
// with "did you mean" and the known names.
std::vector<ParamSpec> layer_schema(const Catalog& catalog, const LayerSpec& layer);

}  // namespace rnnlab::detail
