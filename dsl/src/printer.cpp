// print(): the canonical .rnn text of a spec, rnnlab::describe_spec (rnnlab/spec_text.h): the
// one printer, shared with the runner's /config/resolved. compile_text(print(spec)) gives the
// same spec back.
#include "rnnlab/dsl/compile.h"
#include "rnnlab/spec_text.h"

namespace rnnlab::dsl {

std::string print(const ExperimentSpec& spec) { return describe_spec(spec); }

}  // namespace rnnlab::dsl
