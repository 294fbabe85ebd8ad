// The canonical .rnn text of an ExperimentSpec: the one printer of specs. The .rnn compiler's
// dsl::print is this function, and the runner writes it to every run file's /config/resolved
// (which --resume compares, run_identity.h), so the text is the same with or without the DSL.
//
// One statement per line, arguments by name, reals with a '.' or an exponent, words bare and
// other strings quoted, train settings with loss and optimizer first; compiling the text
// (dsl::compile_text) gives the same spec back:
//   experiment t {
//     seed 1
//     backend cpu
//     data digits
//     model m = qrnn(hidden: 64, pooling: f) -> dense(units: 10)
//     train { loss softmax_cross_entropy optimizer adam(lr: 0.001) batch 16 steps 100 }
//   }
#pragma once

#include <string>

#include "rnnlab/experiment.h"

namespace rnnlab {

std::string describe_spec(const ExperimentSpec& spec);

// A value as .rnn text: 42, 0.001, true, fo (a bare word), "a path/x.csv" (quoted; quotes,
// backslashes, newlines and tabs escaped).
std::string spec_literal(const ParamValue& v);

}  // namespace rnnlab
