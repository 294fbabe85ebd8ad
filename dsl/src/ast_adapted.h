// Boost.Fusion adaptation of the AST structs with more than one member, so X3 can fill them
// from sequence parsers. Leaf nodes (number, string_lit, boolean, ident, dotted_key,
// close_brace, list) are filled by semantic actions in grammar_def.h instead.
#pragma once

#include <boost/fusion/include/adapt_struct.hpp>

#include "ast.h"

BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::range, from, to, step)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::arg, name, val)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::call, name, args)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::setting, key, val)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::optimizer_item, keyword, opt)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::include_stmt, keyword, path)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::experiment_open, keyword, name)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::simple_stmt, keyword, val)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::data_block, keyword, source, settings)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::model_decl, keyword, name, layers, train)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::train_block, keyword, items)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::sweep_item, key, val)
BOOST_FUSION_ADAPT_STRUCT(rnnlab::dsl::ast::sweep_block, keyword, items)
