// AST of a .rnn file, as parsed by the X3 grammar (grammar_def.h). Every node derives from
// x3::position_tagged, so the compiler can point a diagnostic at line:col of any node.
//
// The variants are plain aliases of x3::variant (not derived types) so that X3's
// annotate_on_success visits them and tags the alternative they hold.
//
// A file is a flat list of items; the parse driver (parser.cpp) reads them one at a time so
// that it can recover after a syntax error and report the next one too:
//   include "x.rnn" | experiment NAME { | } | seed V | backend V | data SRC { k v ... }
//   | model NAME = layer -> layer ... [{ train items }] | train { ... } | sweep { key: V ... }
#pragma once

#include <boost/optional.hpp>
#include <boost/spirit/home/x3/support/ast/position_tagged.hpp>
#include <boost/spirit/home/x3/support/ast/variant.hpp>
#include <string>
#include <vector>

namespace rnnlab::dsl::ast {

namespace x3 = boost::spirit::x3;

// ---- literals
struct number : x3::position_tagged {
  std::string text;  // as written: "-2", "1e-3", "0.5"; the compiler decides integer/real
};
struct string_lit : x3::position_tagged {
  std::string text;  // unescaped
};
struct boolean : x3::position_tagged {
  bool value = false;
};
struct ident : x3::position_tagged {
  std::string name;
};

using scalar = x3::variant<number, string_lit, boolean, ident>;

// [a, b, c]
struct list : x3::position_tagged {
  std::vector<scalar> items;
};

// a..b [step s]  (both ends included)
struct range : x3::position_tagged {
  number from;
  number to;
  boost::optional<number> step;
};

using value = x3::variant<scalar, list, range>;

// ---- layers and calls: NAME [ ( [name:] value, ... ) ]
struct arg : x3::position_tagged {
  boost::optional<ident> name;  // absent = positional
  value val;
};
struct call : x3::position_tagged {
  ident name;
  boost::optional<std::vector<arg>> args;  // absent = no parentheses
};

// ---- settings: `key value` inside data/train blocks, `optimizer adam(lr: 1e-3)` in train
struct setting : x3::position_tagged {
  ident key;
  value val;
};
struct optimizer_item : x3::position_tagged {
  std::string keyword;  // "optimizer"
  call opt;
};
using train_item = x3::variant<optimizer_item, setting>;

// ---- statements
struct include_stmt : x3::position_tagged {
  std::string keyword;  // "include"
  string_lit path;
};
struct experiment_open : x3::position_tagged {
  std::string keyword;  // "experiment"
  ident name;
};
struct close_brace : x3::position_tagged {
  char brace = '}';
};
struct simple_stmt : x3::position_tagged {
  std::string keyword;  // "seed" | "backend"
  value val;
};
struct data_block : x3::position_tagged {
  std::string keyword;  // "data"
  ident source;
  boost::optional<std::vector<setting>> settings;
};
struct model_decl : x3::position_tagged {
  std::string keyword;  // "model"
  ident name;
  std::vector<call> layers;
  boost::optional<std::vector<train_item>> train;  // per-model overrides
};
struct train_block : x3::position_tagged {
  std::string keyword;  // "train"
  std::vector<train_item> items;
};
struct dotted_key : x3::position_tagged {
  std::string text;  // "model.lstm.hidden"
};
struct sweep_item : x3::position_tagged {
  dotted_key key;
  value val;
};
struct sweep_block : x3::position_tagged {
  std::string keyword;  // "sweep"
  std::vector<sweep_item> items;
};

using item = x3::variant<include_stmt, experiment_open, close_brace, simple_stmt, data_block,
                         model_decl, train_block, sweep_block>;

}  // namespace rnnlab::dsl::ast
