// A cell's parameters: from KEY=VALUE text (`rnnlab gradcheck --set hidden=8`), typed by the
// cell's schema and checked against it; and the schema a listing shows (`rnnlab cells`).
//
// Typing of VALUE: by the schema entry of KEY: integer (decimal), real (an integer is taken as
// a real), boolean (true | false), choice and string (the text as is). A KEY the schema does
// not know is typed by its spelling (integer, else real, else true/false, else text) and then
// reported by the check.
// The check: every KEY against the cell's schema for these values (CellRegistry::schema_for,
// so a composite cell's expanded schema): an unknown KEY is an InputError with "did you mean"
// and the cell's parameter names; a bad value the schema's message (check_param_value).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "rnnlab/cell.h"

namespace rnnlab {

// InputError for text without '=' or an empty KEY, a VALUE of the wrong type, an unknown KEY or
// a value out of range; the registry's errors for an unknown or ambiguous cell.
std::map<std::string, ParamValue> cell_params_from_text(const CellRegistry& registry,
                                                        const std::string& cell,
                                                        const std::vector<std::string>& key_values);

// The parameters a listing shows for `type`: its schema, except that a composite cell (one with
// expand_schema, e.g. nstep) shows its own entries as expand_schema fills them from `registry`
// (nstep's `cell`: every loaded cell, not the static elman|gru|lstm); the inner cell's
// parameters are its own business. The static schema when the expansion throws.
std::vector<ParamSpec> listed_schema(const CellRegistry& registry, const CellType& type);

}  // namespace rnnlab
