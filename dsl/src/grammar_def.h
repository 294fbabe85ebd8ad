// The .rnn grammar (Boost.Spirit X3). Included only by grammar.cpp, which instantiates it once.
//
// Expectation points (`>`) name what must come next through the rule's name, e.g. the rule
// `eq_after_model` is named "'=' after the model name", so a parse error reads
// "expected '=' after the model name" instead of X3 internals. Every rule whose ID derives
// from annotate_on_success tags its AST node with its position (config.h).
#pragma once

#include <boost/spirit/home/x3.hpp>
#include <boost/spirit/home/x3/support/utility/annotate_on_success.hpp>
#include <string>

#include "ast.h"
#include "ast_adapted.h"
#include "grammar.h"

namespace rnnlab::dsl::parser {

namespace x3 = boost::spirit::x3;
using x3::_attr;
using x3::_val;

// ASCII only (see config.h): names are [A-Za-z_][A-Za-z0-9_]*.
inline const auto name_start = x3::char_("a-zA-Z_");
inline const auto name_char = x3::char_("a-zA-Z0-9_");
inline const auto digit = x3::char_("0-9");

// A keyword: the word itself, not a prefix of a longer name.
inline auto kw(const char* word) { return x3::lexeme[x3::lit(word) >> !name_char]; }
inline auto kw_str(const char* word) { return x3::lexeme[x3::string(word) >> !name_char]; }

// Semantic actions for the leaf nodes: fill the node from the matched text (x3::raw) and tag
// it with that range. (X3 calls on_success with the rule's attribute, but through some
// sequences and attribute-less parsers it is not the node that ends up in the AST, so the
// leaves tag themselves; position_cache::annotate simply records the range again.)
template <typename Ctx, typename Range>
void tag_node(Ctx& ctx, const Range& r) {
  x3::get<x3::error_handler_tag>(ctx).get().tag(_val(ctx), r.begin(), r.end());
}
inline auto set_name = [](auto& ctx) {
  _val(ctx).name = std::string(_attr(ctx).begin(), _attr(ctx).end());
  tag_node(ctx, _attr(ctx));
};
inline auto set_text = [](auto& ctx) {
  _val(ctx).text = std::string(_attr(ctx).begin(), _attr(ctx).end());
  tag_node(ctx, _attr(ctx));
};
inline auto set_true = [](auto& ctx) {
  _val(ctx).value = true;
  tag_node(ctx, _attr(ctx));
};
inline auto set_false = [](auto& ctx) {
  _val(ctx).value = false;
  tag_node(ctx, _attr(ctx));
};
inline auto tag_here = [](auto& ctx) { tag_node(ctx, _attr(ctx)); };
inline auto set_items = [](auto& ctx) { _val(ctx).items = _attr(ctx); };
inline auto set_brace = [](auto& ctx) {
  _val(ctx).brace = '}';
  tag_node(ctx, _attr(ctx));
};
// "\"a\\\"b\"" -> a"b (the escape was validated by the grammar)
inline auto set_string = [](auto& ctx) {
  const std::string raw(_attr(ctx).begin(), _attr(ctx).end());
  std::string out;
  for (std::size_t i = 1; i + 1 < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 2 < raw.size()) {
      c = raw[++i];
      if (c == 'n') c = '\n';
      if (c == 't') c = '\t';
    }
    out += c;
  }
  _val(ctx).text = std::move(out);
  tag_node(ctx, _attr(ctx));
};

// Rule IDs: annotate_on_success tags the node with its source range.
#define RNNLAB_DSL_RULE(name, attr, what)                      \
  struct name##_class : x3::annotate_on_success {};            \
  x3::rule<name##_class, attr> const name = what;
#define RNNLAB_DSL_PLAIN(name, what)       \
  struct name##_class {};                  \
  x3::rule<name##_class> const name = what;

// ---- rules
RNNLAB_DSL_RULE(ident_, ast::ident, "a name")
RNNLAB_DSL_RULE(number_, ast::number, "a number")
RNNLAB_DSL_RULE(string_, ast::string_lit, "a string")
RNNLAB_DSL_RULE(boolean_, ast::boolean, "true or false")
RNNLAB_DSL_RULE(scalar_, ast::scalar, "a value")
RNNLAB_DSL_RULE(list_, ast::list, "a list")
RNNLAB_DSL_RULE(range_, ast::range, "a range")
RNNLAB_DSL_RULE(value_, ast::value, "a value")
RNNLAB_DSL_RULE(arg_name_, ast::ident, "an argument name")
RNNLAB_DSL_RULE(arg_, ast::arg, "an argument")
RNNLAB_DSL_RULE(call_, ast::call, "a call")
RNNLAB_DSL_RULE(layer_, ast::call, "a layer, e.g. lstm(hidden: 128)")
RNNLAB_DSL_RULE(opt_call_, ast::call, "an optimizer, e.g. adam(lr: 1e-3)")
RNNLAB_DSL_RULE(setting_, ast::setting, "a setting")
RNNLAB_DSL_RULE(setting_value_, ast::value, "a value after the setting name")
RNNLAB_DSL_RULE(optimizer_item_, ast::optimizer_item, "an optimizer")
RNNLAB_DSL_RULE(train_item_, ast::train_item, "a train setting")
RNNLAB_DSL_RULE(include_stmt_, ast::include_stmt, "include")
RNNLAB_DSL_RULE(include_path_, ast::string_lit, "a file name in double quotes")
RNNLAB_DSL_RULE(experiment_open_, ast::experiment_open, "experiment")
RNNLAB_DSL_RULE(experiment_name_, ast::ident, "an experiment name")
RNNLAB_DSL_RULE(close_brace_, ast::close_brace, "'}'")
RNNLAB_DSL_RULE(simple_stmt_, ast::simple_stmt, "a statement")
RNNLAB_DSL_RULE(stmt_value_, ast::value, "a value")
RNNLAB_DSL_RULE(data_block_, ast::data_block, "data")
RNNLAB_DSL_RULE(data_source_, ast::ident, "a data source name, e.g. digits")
RNNLAB_DSL_RULE(model_decl_, ast::model_decl, "model")
RNNLAB_DSL_RULE(model_name_, ast::ident, "a model name")
RNNLAB_DSL_RULE(train_block_, ast::train_block, "train")
RNNLAB_DSL_RULE(dotted_key_, ast::dotted_key, "a sweep key")
RNNLAB_DSL_RULE(sweep_item_, ast::sweep_item, "a sweep entry")
RNNLAB_DSL_RULE(sweep_value_, ast::value, "a value, list or range after ':'")
RNNLAB_DSL_RULE(sweep_block_, ast::sweep_block, "sweep")
RNNLAB_DSL_RULE(range_end_, ast::number, "a number after '..'")
RNNLAB_DSL_RULE(range_step_, ast::number, "a number after 'step'")
RNNLAB_DSL_RULE(list_value_, ast::scalar, "a value in the list")

struct list_items_class {};
x3::rule<list_items_class, std::vector<ast::scalar>> const list_items_ = "list items";
struct arg_list_class {};
x3::rule<arg_list_class, std::vector<ast::arg>> const arg_list_ = "an argument list";
struct layers_class {};
x3::rule<layers_class, std::vector<ast::call>> const layers_ = "layers";
struct settings_class {};
x3::rule<settings_class, std::vector<ast::setting>> const settings_ = "settings";
struct train_items_class {};
x3::rule<train_items_class, std::vector<ast::train_item>> const train_items_ = "'{'";

RNNLAB_DSL_PLAIN(close_list_, "',' or ']'")
RNNLAB_DSL_PLAIN(close_args_, "',' or ')'")
RNNLAB_DSL_PLAIN(close_string_, "a closing '\"'")
RNNLAB_DSL_PLAIN(escape_, "an escape: \\\" \\\\ \\n or \\t")
RNNLAB_DSL_PLAIN(eq_after_model_, "'=' after the model name")
RNNLAB_DSL_PLAIN(open_block_, "'{'")
RNNLAB_DSL_PLAIN(close_settings_, "a setting or '}'")
RNNLAB_DSL_PLAIN(close_sweep_, "a sweep key or '}'")
RNNLAB_DSL_PLAIN(colon_after_key_, "':' after the sweep key")
RNNLAB_DSL_RULE(next_arg_, ast::arg, "an argument after ','")

// ---- definitions
const auto name_chars = x3::lexeme[name_start >> *name_char];
const auto ident__def = x3::raw[name_chars][set_name];
const auto number__def =
    x3::raw[x3::lexeme[-x3::char_("+-") >> +digit >> -('.' >> +digit) >>
                       -(x3::char_("eE") >> -x3::char_("+-") >> +digit)]][set_text];
const auto close_string__def = x3::lit('"');
const auto escape__def = x3::char_("\"\\nt");
const auto string__def = x3::raw[x3::lexeme[('"' >> *(('\\' > escape_) |
                                                      (x3::char_ - x3::char_("\"\\\n")))) >
                                             close_string_]][set_string];
const auto boolean__def = x3::raw[kw("true")][set_true] | x3::raw[kw("false")][set_false];
const auto scalar__def = string_ | number_ | boolean_ | ident_;
const auto list_value__def = scalar_;
const auto close_list__def = x3::lit(']');
const auto list_items__def = -(list_value_ >> *(',' > list_value_));
const auto list__def =
    x3::raw[x3::lit('[')][tag_here] >> (list_items_ > close_list_)[set_items];
const auto range_end__def = number_;
const auto range_step__def = number_;
const auto range__def = (number_ >> "..") > range_end_ > -(kw("step") > range_step_);
const auto value__def = range_ | list_ | scalar_;

const auto arg_name__def = ident_ >> ':';
const auto arg__def = -arg_name_ >> value_;
const auto next_arg__def = arg_;
const auto close_args__def = x3::lit(')');
const auto arg_list__def = ('(' >> -(arg_ >> *(',' > next_arg_))) > close_args_;
const auto call__def = ident_ >> -arg_list_;
const auto layer__def = call_;
const auto opt_call__def = call_;

const auto setting_value__def = value_;
const auto setting__def = ident_ > setting_value_;
const auto optimizer_item__def = kw_str("optimizer") > opt_call_;
const auto train_item__def = optimizer_item_ | setting_;
const auto open_block__def = x3::lit('{');
const auto close_settings__def = x3::lit('}');
const auto settings__def = '{' > *setting_ > close_settings_;
const auto train_items__def = '{' > *train_item_ > close_settings_;

const auto include_path__def = string_;
const auto include_stmt__def = kw_str("include") > include_path_;
const auto experiment_name__def = ident_;
const auto experiment_open__def = kw_str("experiment") > experiment_name_ > open_block_;
const auto close_brace__def = x3::raw[x3::lit('}')][set_brace];
const auto stmt_value__def = value_;
const auto simple_stmt__def = (kw_str("seed") | kw_str("backend")) > stmt_value_;
const auto data_source__def = ident_;
const auto data_block__def = kw_str("data") > data_source_ > -settings_;
const auto model_name__def = ident_;
const auto eq_after_model__def = x3::lit('=');
const auto layers__def = layer_ >> *("->" > layer_);
const auto model_decl__def =
    kw_str("model") > model_name_ > eq_after_model_ > layers_ > -train_items_;
const auto train_block__def = kw_str("train") > train_items_;
const auto dotted_key__def = x3::raw[x3::lexeme[name_chars % '.']][set_text];
const auto colon_after_key__def = x3::lit(':');
const auto sweep_value__def = value_;
const auto sweep_item__def = dotted_key_ > colon_after_key_ > sweep_value_;
const auto close_sweep__def = x3::lit('}');
const auto sweep_block__def = kw_str("sweep") > open_block_ > *sweep_item_ > close_sweep_;

struct item_class : x3::annotate_on_success {};
const item_type item = "a statement";
const auto item_def = include_stmt_ | experiment_open_ | simple_stmt_ | data_block_ |
                      model_decl_ | train_block_ | sweep_block_ | close_brace_;

BOOST_SPIRIT_DEFINE(ident_, number_, string_, boolean_, scalar_, list_, range_, value_, arg_name_,
                    arg_, call_, layer_, opt_call_, setting_, setting_value_, optimizer_item_,
                    train_item_, include_stmt_, include_path_, experiment_open_,
                    experiment_name_, close_brace_, simple_stmt_, stmt_value_, data_block_,
                    data_source_, model_decl_, model_name_, train_block_, dotted_key_,
                    sweep_item_, sweep_value_, sweep_block_, range_end_, range_step_,
                    list_value_, list_items_, arg_list_, layers_, settings_, train_items_,
                    close_list_, close_args_, close_string_, escape_, eq_after_model_,
                    open_block_, close_settings_, close_sweep_, colon_after_key_, next_arg_,
                    item)

#undef RNNLAB_DSL_RULE
#undef RNNLAB_DSL_PLAIN

}  // namespace rnnlab::dsl::parser

namespace rnnlab::dsl {
parser::item_type const& item_rule() { return parser::item; }
parser::value_type const& value_rule() { return parser::value_; }
}  // namespace rnnlab::dsl
