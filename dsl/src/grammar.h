// The .rnn grammar's entry points, declared here, defined in grammar_def.h and instantiated
// once in grammar.cpp for config.h's iterator and context:
//   item_rule()   one statement of a file (see ast.h); the driver (parser.cpp) loops over them
//   value_rule()  one value (scalar, list or range): the right-hand side of a --set override
#pragma once

#include <boost/spirit/home/x3.hpp>

#include "ast.h"

namespace rnnlab::dsl::parser {

namespace x3 = boost::spirit::x3;

struct item_class;
using item_type = x3::rule<item_class, ast::item>;
BOOST_SPIRIT_DECLARE(item_type)

struct value__class;
using value_type = x3::rule<value__class, ast::value>;
BOOST_SPIRIT_DECLARE(value_type)

}  // namespace rnnlab::dsl::parser

namespace rnnlab::dsl {
parser::item_type const& item_rule();
parser::value_type const& value_rule();
}  // namespace rnnlab::dsl
