// The one instantiation of the X3 grammar (slow to compile: keep every rule in this unit).
#include "grammar_def.h"

#include "config.h"

namespace rnnlab::dsl::parser {
BOOST_SPIRIT_INSTANTIATE(item_type, iterator_type, context_type)
BOOST_SPIRIT_INSTANTIATE(value_type, iterator_type, context_type)
}  // namespace rnnlab::dsl::parser
