// X3 configuration shared by the grammar's one instantiation (grammar.cpp) and its user (the
// parse driver, parser.cpp): iterator, skipper (blanks and `#` comments) and the rule context.
// The context carries a position_tagger under x3::error_handler_tag; annotate_on_success
// calls its tag() for every AST node a rule produces.
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <boost/spirit/home/x3/support/ast/position_tagged.hpp>
#include <boost/spirit/home/x3/support/utility/error_reporting.hpp>
#include <functional>
#include <string>
#include <vector>

namespace rnnlab::dsl::parser {

namespace x3 = boost::spirit::x3;

using iterator_type = std::string::const_iterator;

// Blanks, newlines and comments from `#` to the end of the line. Character sets are spelled
// out instead of x3::space/alpha/digit: those classify through <cctype> and assert (or are
// undefined) on bytes >= 0x80, e.g. UTF-8 in a comment.
inline const auto skipper = x3::char_(" \t\r\n\f\v") | x3::lexeme['#' >> *(x3::char_ - x3::eol)];
using skipper_type = std::remove_cv_t<decltype(skipper)>;

// Records where each AST node begins and ends (x3::position_cache); X3's annotate_on_success
// finds it through x3::error_handler_tag.
struct position_tagger {
  explicit position_tagger(iterator_type first, iterator_type last) : cache(first, last) {}
  template <typename Node>
  void tag(Node& node, iterator_type first, iterator_type last) {
    cache.annotate(node, first, last);
  }
  x3::position_cache<std::vector<iterator_type>> cache;
};

using phrase_context_type = x3::phrase_parse_context<skipper_type>::type;
using context_type = x3::context<x3::error_handler_tag, std::reference_wrapper<position_tagger>,
                                 phrase_context_type>;

}  // namespace rnnlab::dsl::parser
