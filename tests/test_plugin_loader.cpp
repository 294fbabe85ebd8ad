// Tests of the cell parameter schema, the cell registry and the plugin loader. The test plugins
// (tests/plugins/) are built into RNNLAB_TEST_PLUGIN_DIR, one per loader failure mode.
#include <doctest/doctest.h>
#include <stdlib.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "rnnlab/cell.h"
#include "rnnlab/error.h"
#include "rnnlab/plugin_api.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/version.h"
#include "builtin_plugins.h"
#include "test_util.h"

#ifndef RNNLAB_TEST_PLUGIN_DIR
#error "RNNLAB_TEST_PLUGIN_DIR must be defined (see tests/plugins/CMakeLists.txt)"
#endif

namespace fs = std::filesystem;
using namespace rnnlab;

namespace {

std::string plugin_file(const std::string& target) {
  return std::string(RNNLAB_TEST_PLUGIN_DIR) + "/librnnlab_plugin_" + target + ".so";
}

// The message of the InputError that f throws (fails the test if it throws nothing or
// something else).
template <typename F>
std::string input_error(F&& f) {
  try {
    f();
  } catch (const InputError& e) {
    return e.what();
  } catch (const std::exception& e) {
    FAIL("expected InputError, got another exception: " << e.what());
  }
  FAIL("expected InputError, nothing was thrown");
  return "";
}

bool contains(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// A fresh directory, removed at scope exit (test_util.h), that test plugins are copied into.
struct TempDir : test::ScratchDir {
  TempDir() : ScratchDir("plugin_loader") {}
  // Copies a test plugin in (a copy, so it is a distinct object for dlopen).
  std::string add(const std::string& target) const {
    const fs::path to = path / ("librnnlab_plugin_" + target + ".so");
    fs::copy_file(plugin_file(target), to);
    return to.string();
  }
};

// Sets (or unsets) an environment variable for a scope.
struct EnvGuard {
  std::string name;
  std::optional<std::string> old;
  EnvGuard(std::string n, const std::optional<std::string>& value) : name(std::move(n)) {
    if (const char* v = std::getenv(name.c_str())) old = v;
    if (value)
      setenv(name.c_str(), value->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
  ~EnvGuard() {
    if (old)
      setenv(name.c_str(), old->c_str(), 1);
    else
      unsetenv(name.c_str());
  }
};

ParamSpec spec(std::string name, ParamType type, ParamValue default_value, double min = -INFINITY,
               double max = INFINITY, std::vector<std::string> choices = {}) {
  ParamSpec s;
  s.name = std::move(name);
  s.type = type;
  s.default_value = std::move(default_value);
  s.min = min;
  s.max = max;
  s.choices = std::move(choices);
  s.doc = "test parameter";
  return s;
}

std::vector<ParamSpec> lstm_schema() {
  ParamSpec hidden = spec("hidden", ParamType::integer, int64_t{0}, 1, 65536);
  hidden.required = true;
  return {
      hidden,
      spec("forget_bias", ParamType::real, 1.0, 0, 10),
      spec("peephole", ParamType::boolean, false),
      spec("pooling", ParamType::choice, std::string("fo"), -INFINITY, INFINITY,
           {"f", "fo", "ifo"}),
  };
}

// A do-nothing cell for the registry's success path.
class FakeCell : public Cell {
 public:
  FakeCell(int64_t in, int64_t h) : in_(in), h_(h) {}
  int64_t input_size() const override { return in_; }
  int64_t hidden_size() const override { return h_; }
  std::vector<StateSpec> state_specs() const override { return {{"h", h_}}; }
  Var project_inputs(Tape&, const Var& x, const CellContext&) override { return x; }
  std::vector<Var> step(Tape&, const Var&, const std::vector<Var>& s, const CellContext&) override {
    return s;
  }

 private:
  int64_t in_, h_;
};

CellType fake_type(const std::string& name) {
  CellType t;
  t.name = name;
  t.doc = "fake";
  t.schema = lstm_schema();
  t.create = [](const CellArgs& a) -> std::unique_ptr<Cell> {
    return std::make_unique<FakeCell>(a.input_size, a.config.integer("hidden"));
  };
  return t;
}

}  // namespace

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

// ------------------------------------------------------------------ schema

TEST_CASE("schema: type names and value formatting") {
  CHECK(std::string(param_type_name(ParamType::integer)) == "integer");
  CHECK(std::string(param_type_name(ParamType::real)) == "real");
  CHECK(std::string(param_type_name(ParamType::boolean)) == "boolean");
  CHECK(std::string(param_type_name(ParamType::choice)) == "choice");
  CHECK(param_value_str(int64_t{42}) == "42");
  CHECK(param_value_str(1.0) == "1.0");
  CHECK(param_value_str(0.25) == "0.25");
  CHECK(param_value_str(1e-3) == "0.001");
  CHECK(param_value_str(true) == "true");
  CHECK(param_value_str(std::string("ifo")) == "ifo");
}

TEST_CASE("schema: check_param_value") {
  const auto s = lstm_schema();
  const ParamSpec& hidden = s[0];
  const ParamSpec& fb = s[1];
  const ParamSpec& peep = s[2];
  const ParamSpec& pool = s[3];
  CHECK(check_param_value(hidden, int64_t{128}) == "");
  CHECK(check_param_value(hidden, int64_t{0}) == "expected an integer in [1, 65536], found 0");
  CHECK(check_param_value(hidden, int64_t{70000}) ==
        "expected an integer in [1, 65536], found 70000");
  CHECK(check_param_value(hidden, 2.5) == "expected an integer in [1, 65536], found the real 2.5");
  CHECK(check_param_value(hidden, std::string("big")) ==
        "expected an integer in [1, 65536], found the string 'big'");
  CHECK(check_param_value(fb, 0.5) == "");
  CHECK(check_param_value(fb, int64_t{2}) == "");  // integers are accepted for reals
  CHECK(check_param_value(fb, -0.5) == "expected a real in [0, 10], found -0.5");
  CHECK(check_param_value(fb, std::nan("")) == "expected a real in [0, 10], found nan");
  CHECK(check_param_value(fb, true) == "expected a real in [0, 10], found the boolean true");
  CHECK(check_param_value(peep, true) == "");
  CHECK(check_param_value(peep, int64_t{1}) ==
        "expected a boolean (true or false), found the integer 1");
  CHECK(check_param_value(pool, std::string("ifo")) == "");
  CHECK(check_param_value(pool, std::string("foo")) ==
        "expected one of 'f', 'fo', 'ifo', found 'foo' (did you mean 'fo'?)");
  const ParamSpec lower_only = spec("lr", ParamType::real, 0.1, 0);
  CHECK(check_param_value(lower_only, -1.0) == "expected a real >= 0, found -1.0");
  const ParamSpec unbounded = spec("n", ParamType::integer, int64_t{3});
  CHECK(check_param_value(unbounded, int64_t{-7}) == "");
}

TEST_CASE("schema: resolve fills defaults and converts integers to reals") {
  const CellConfig c = CellConfig::resolve("lstm", lstm_schema(),
                                           {{"hidden", int64_t{64}}, {"forget_bias", int64_t{2}}});
  CHECK(c.integer("hidden") == 64);
  CHECK(c.real("forget_bias") == 2.0);
  CHECK(std::holds_alternative<double>(c.values().at("forget_bias")));
  CHECK(c.boolean("peephole") == false);
  CHECK(c.choice("pooling") == "fo");
  CHECK(c.values().size() == 4);
  // Asking for a parameter the schema does not have, or with the wrong type, is a cell bug.
  CHECK_THROWS_AS(c.integer("nope"), Error);
  CHECK_THROWS_AS(c.boolean("hidden"), Error);
  CHECK_THROWS_AS(c.choice("hidden"), Error);
}

TEST_CASE("schema: resolve reports every problem at once") {
  const std::string msg = input_error([] {
    CellConfig::resolve("lstm", lstm_schema(),
                        {{"hiden", int64_t{128}},
                         {"forget_bias", 11.5},
                         {"peephole", std::string("yes")},
                         {"pooling", std::string("ifoo")},
                         {"zzz", int64_t{1}}});
  });
  CHECK(contains(msg, "cell 'lstm': unknown parameter 'hiden' (did you mean 'hidden'?)"));
  CHECK(contains(msg,
                 "cell 'lstm': unknown parameter 'zzz' (known: forget_bias, hidden, "
                 "peephole, pooling)"));
  CHECK(contains(msg,
                 "cell 'lstm': missing required parameter 'hidden' (an integer in "
                 "[1, 65536])"));
  CHECK(contains(msg,
                 "cell 'lstm': parameter 'forget_bias': expected a real in [0, 10], "
                 "found 11.5"));
  CHECK(contains(msg,
                 "cell 'lstm': parameter 'peephole': expected a boolean (true or false), "
                 "found the string 'yes'"));
  CHECK(contains(msg,
                 "cell 'lstm': parameter 'pooling': expected one of 'f', 'fo', 'ifo', "
                 "found 'ifoo' (did you mean 'ifo'?)"));
  CHECK(std::count(msg.begin(), msg.end(), '\n') == 5);  // six problems, one per line
}

TEST_CASE("schema: closest_name") {
  const std::vector<std::string> cells = {"elman", "gru", "lstm", "qrnn", "rwa"};
  CHECK(closest_name("lstn", cells) == "lstm");
  CHECK(closest_name("LSTM", cells) == "lstm");
  CHECK(closest_name("gur", cells) == "");  // distance 2 > max(1, 3/3)
  CHECK(closest_name("gu", cells) == "gru");
  CHECK(closest_name("elmann", cells) == "elman");
  CHECK(closest_name("transformer", cells) == "");
  CHECK(closest_name("", cells) == "");
  CHECK(closest_name("x", {}) == "");
}

// ------------------------------------------------------------------ registry

TEST_CASE("registry: add find get names and create") {
  CellRegistry r;
  r.add(fake_type("lstm"));
  r.add(fake_type("gru"));
  r.add(fake_type("elman"));
  CHECK(r.names() == std::vector<std::string>{"elman", "gru", "lstm"});
  REQUIRE(r.find("gru") != nullptr);
  CHECK(r.find("gru")->name == "gru");
  CHECK(r.find("qrnn") == nullptr);
  CHECK(&r.get("lstm") == r.find("lstm"));

  const std::string unknown = input_error([&] { r.get("lstn"); });
  CHECK(contains(unknown, "unknown cell 'lstn' (did you mean 'lstm'?)"));
  CHECK(contains(unknown, "known cells: elman, gru, lstm"));
  CHECK(contains(input_error([] { CellRegistry().get("lstm"); }), "no cells are loaded"));

  ParameterStore params;
  Rng rng(1);
  auto cell = r.create("lstm", {{"hidden", int64_t{7}}}, 3, params, "m/layer0/lstm", rng);
  REQUIRE(cell != nullptr);
  CHECK(cell->hidden_size() == 7);
  CHECK(cell->input_size() == 3);
  // The config is resolved before the factory runs: all problems, named by cell.
  const std::string bad = input_error([&] {
    r.create("lstm", {{"hidden", int64_t{0}}, {"hiden", int64_t{1}}}, 3, params, "p", rng);
  });
  CHECK(contains(bad,
                 "cell 'lstm': parameter 'hidden': expected an integer in [1, 65536], "
                 "found 0"));
  CHECK(contains(bad, "cell 'lstm': unknown parameter 'hiden' (did you mean 'hidden'?)"));
  CHECK(contains(input_error([&] { r.create("lsmt", {}, 3, params, "p", rng); }),
                 "unknown cell 'lsmt'"));
}

TEST_CASE("registry: duplicates and malformed types") {
  CellRegistry r;
  r.set_origin("first", "1.0", "/a/librnnlab_plugin_first.so");
  r.add(fake_type("lstm"));
  r.set_origin("second", "2.0", "/b/librnnlab_plugin_second.so");
  const std::string dup = input_error([&] { r.add(fake_type("lstm")); });
  CHECK(contains(dup, "cell 'lstm' is registered twice"));
  CHECK(contains(dup, "plugin 'first' 1.0 (/a/librnnlab_plugin_first.so)"));
  CHECK(contains(dup, "plugin 'second' 2.0 (/b/librnnlab_plugin_second.so)"));
  r.set_origin("", "", "");
  CHECK(r.get("lstm").plugin == "first");
  CHECK(r.get("lstm").file == "/a/librnnlab_plugin_first.so");

  CellType no_factory = fake_type("nf");
  no_factory.create = nullptr;
  CHECK(contains(input_error([&] { r.add(no_factory); }), "no create function"));
  CellType bad_default = fake_type("bd");
  bad_default.schema[1].default_value = 99.0;  // forget_bias in [0, 10]
  CHECK(contains(input_error([&] { r.add(bad_default); }),
                 "parameter 'forget_bias': bad default: expected a real in [0, 10], found 99.0"));
  CellType twice = fake_type("tw");
  twice.schema.push_back(twice.schema[0]);
  CHECK(contains(input_error([&] { r.add(twice); }), "parameter 'hidden': declared twice"));
  CHECK(contains(input_error([&] { r.add(fake_type("")); }), "empty name"));
  CHECK(r.names() == std::vector<std::string>{"lstm"});
}

// ------------------------------------------------------------------ loader

TEST_CASE("loader: a good plugin") {
  CellRegistry r;
  PluginLoader loader;
  const LoadedPlugin& p = loader.load(plugin_file("tp_good"), r);
  CHECK(p.name == "tp_good");
  CHECK(p.version == "1.2.3");
  CHECK(p.file == fs::canonical(plugin_file("tp_good")).string());
  CHECK(p.cells == std::vector<std::string>{"tp_cell", "tp_throwing"});
  CHECK(r.names() == std::vector<std::string>{"tp_cell", "tp_throwing"});
  const CellType& t = r.get("tp_cell");
  CHECK(t.plugin == "tp_good");
  CHECK(t.version == "1.2.3");
  CHECK(t.file == p.file);
  CHECK(t.schema.size() == 2);

  // Same file again, also spelled differently: a no-op.
  CHECK(&loader.load(plugin_file("tp_good"), r) == &p);
  const std::string other_spelling =
      std::string(RNNLAB_TEST_PLUGIN_DIR) + "/./librnnlab_plugin_tp_good.so";
  CHECK(&loader.load(other_spelling, r) == &p);
  CHECK(loader.plugins().size() == 1);

  // Factories run through the registry; errors cross the .so boundary as InputError.
  ParameterStore params;
  Rng rng(0);
  CHECK(contains(input_error([&] {
                   r.create("tp_cell", {{"hidden", int64_t{4}}}, 2, params, "p", rng);
                 }),
                 "returned no cell"));
  CHECK(contains(input_error([&] { r.create("tp_throwing", {}, 2, params, "p", rng); }),
                 "tp_throwing: this cell can never be built"));
  CHECK(contains(input_error([&] { r.create("tp_cell", {}, 2, params, "p", rng); }),
                 "cell 'tp_cell': missing required parameter 'hidden'"));
}

TEST_CASE("loader: each broken plugin is its own InputError naming the file") {
  struct Case {
    const char* target;
    std::vector<std::string> parts;
  };
  const std::vector<Case> cases = {
      {"tp_wrong_api", {"was built for plugin API version 999", "this rnnlab provides 2"}},
      {"tp_bad_size", {"RnnlabPluginInfo is 12 bytes", "expects"}},
      {"tp_no_entry", {"does not export 'rnnlab_plugin_entry'"}},
      {"tp_null_entry", {"rnnlab_plugin_entry() returned null"}},
      {"tp_null_name", {"RnnlabPluginInfo::name is null"}},
      {"tp_null_register", {"RnnlabPluginInfo::register_cells is null"}},
      {"tp_throw", {"registering its cells failed", "boom from register_cells"}},
      {"tp_old_core",
       {"was built with the headers of rnnlab 0.0.7", "this is rnnlab " RNNLAB_VERSION_STRING,
        "rebuild the plugin"}},
      // Checked loading: these would kill the test process if dlopen'ed here.
      {"tp_abort", {"loading it killed the process with signal 6 (SIGABRT", "static constructors"}},
      {"tp_exit", {"loading it ended the process with exit status 3"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.target);
    CellRegistry r;
    PluginLoader loader;
    const std::string file = fs::canonical(plugin_file(c.target)).string();
    const std::string msg = input_error([&] { loader.load(plugin_file(c.target), r); });
    CAPTURE(msg);
    CHECK(contains(msg, file));
    for (const auto& part : c.parts) CHECK(contains(msg, part));
    CHECK(r.names().empty());
    CHECK(loader.plugins().empty());
  }
  // api_version is exactly what plugin_api.h says
  CHECK(RNNLAB_PLUGIN_API_VERSION == 2u);
}

TEST_CASE("loader: missing files and non-plugins and duplicates") {
  CellRegistry r;
  PluginLoader loader;
  TempDir tmp;

  const std::string missing = tmp.str() + "/librnnlab_plugin_nothere.so";
  const std::string m = input_error([&] { loader.load(missing, r); });
  CHECK(contains(m, missing));
  CHECK(contains(m, "no such file"));

  const std::string text = tmp.str() + "/librnnlab_plugin_text.so";
  std::ofstream(text) << "this is not an ELF file\n";
  const std::string t = input_error([&] { loader.load(text, r); });
  CHECK(contains(t, text));
  CHECK(contains(t, "cannot load it as a shared object"));

  CHECK(contains(input_error([&] { loader.load(tmp.str(), r); }), "is a directory"));

  // tp_dup registers tp_cell, which tp_good already registered.
  loader.load(plugin_file("tp_good"), r);
  const std::string d = input_error([&] { loader.load(plugin_file("tp_dup"), r); });
  CHECK(contains(d, "cell 'tp_cell' is registered twice"));
  CHECK(contains(d, fs::canonical(plugin_file("tp_good")).string()));
  CHECK(contains(d, fs::canonical(plugin_file("tp_dup")).string()));
  CHECK(r.get("tp_cell").plugin == "tp_good");  // a failed load changes nothing
  CHECK(loader.plugins().size() == 1);

  // The same plugin name from another file is refused too.
  const std::string copy = tmp.add("tp_good");
  CHECK(contains(input_error([&] { loader.load(copy, r); }),
                 "a plugin named 'tp_good' is already loaded"));
}

TEST_CASE("loader: load_dir loads every plugin of a directory in sorted order") {
  TempDir tmp;
  tmp.add("tp_good");
  std::ofstream(tmp.path / "README.txt") << "not a plugin\n";
  std::ofstream(tmp.path / "libother.so") << "not named like a plugin\n";
  CellRegistry r;
  PluginLoader loader;
  const auto loaded = loader.load_dir(tmp.str(), r);
  REQUIRE(loaded.size() == 1);
  CHECK(loaded[0]->name == "tp_good");
  CHECK(r.names() == std::vector<std::string>{"tp_cell", "tp_throwing"});

  tmp.add("tp_dup");  // sorts before tp_good, clashes with it
  CellRegistry r2;
  PluginLoader loader2;
  const std::string msg = input_error([&] { loader2.load_dir(tmp.str(), r2); });
  CHECK(contains(msg, "cell 'tp_cell' is registered twice"));
  REQUIRE(loader2.plugins().size() == 1);
  CHECK(loader2.plugins()[0].name == "tp_dup");

  CHECK(
      contains(input_error([&] { loader.load_dir(tmp.str() + "/nope", r); }), "no such directory"));
  CHECK(PluginLoader::is_plugin_file_name("librnnlab_plugin_lstm.so"));
  CHECK_FALSE(PluginLoader::is_plugin_file_name("librnnlab_plugin_.so"));
  CHECK_FALSE(PluginLoader::is_plugin_file_name("librnnlab_plugin_lstm.so.1"));
  CHECK_FALSE(PluginLoader::is_plugin_file_name("liblstm.so"));
}

TEST_CASE("loader: every built-in plugin CMake registers loads from the build plugin folder") {
  const std::vector<std::string> names = test::builtin_plugin_names();
  REQUIRE(!names.empty());
  CellRegistry r;
  PluginLoader loader;
  loader.load_dir(RNNLAB_PLUGIN_DIR, r);
  std::set<std::string> loaded;
  for (const LoadedPlugin& p : loader.plugins()) loaded.insert(p.name);
  for (const std::string& name : names) {
    INFO(name);
    CHECK(loaded.count(name) == 1);
    CHECK(r.find(name) != nullptr);  // each registers the cell of its own name
  }
}

TEST_CASE("loader: search path order is cli dirs then RNNLAB_PLUGIN_PATH then built-in dirs") {
  TempDir a, b, c;
  EnvGuard env("RNNLAB_PLUGIN_PATH",
               a.str() + ":/nonexistent/rnnlab/dir::" + b.str() + ":" + c.str());
  const auto path = PluginLoader::search_path({c.str(), "/also/nonexistent"});
  REQUIRE(path.size() >= 3);
  CHECK(path[0] == c.str());  // cli first; c listed again in the env: kept once
  CHECK(path[1] == a.str());
  CHECK(path[2] == b.str());
  for (std::size_t i = 3; i < path.size(); ++i) {  // only the build/install dirs follow
    CHECK(path[i] != a.str());
    CHECK(path[i] != b.str());
    CHECK(fs::is_directory(path[i]));
  }
  EnvGuard unset("RNNLAB_PLUGIN_PATH", std::nullopt);
  const auto plain = PluginLoader::search_path({});
  CHECK(std::find(plain.begin(), plain.end(), a.str()) == plain.end());
}

TEST_CASE("loader: load_search_path: a cell of two plugins is ambiguous until picked") {
  ParameterStore params;
  Rng rng(0);
  SUBCASE("two directories: neither wins by order, both are listed, using it names both") {
    TempDir user, builtin;
    const std::string dup = user.add("tp_dup");
    const std::string good = builtin.add("tp_good");
    EnvGuard env("RNNLAB_PLUGIN_PATH", user.str() + ":" + builtin.str());
    CellRegistry r;
    PluginLoader loader;
    loader.load_search_path({}, r);
    REQUIRE(r.find("tp_cell") != nullptr);  // the name exists ...
    const auto cands = r.candidates("tp_cell");
    REQUIRE(cands.size() == 2);
    CHECK(cands[0]->file == dup);
    CHECK(cands[1]->file == good);
    // ... but get / schema_for / create refuse it, naming both files and the way out.
    for (const std::string& msg :
         {input_error([&] { r.get("tp_cell"); }), input_error([&] { r.schema_for("tp_cell"); }),
          input_error([&] { r.create("tp_cell", {{"hidden", int64_t{4}}}, 2, params, "p", rng); })}) {
      CAPTURE(msg);
      CHECK(contains(msg, "cell 'tp_cell' is ambiguous"));
      CHECK(contains(msg, dup));
      CHECK(contains(msg, good));
      CHECK(contains(msg, "--cell-from tp_cell="));
    }
    CHECK(r.get("tp_throwing").file == good);  // the plugin's other cells are unaffected
    // Both plugins list the cell; the loader notes the ambiguity.
    int listing = 0;
    for (const auto& p : loader.plugins())
      listing += std::find(p.cells.begin(), p.cells.end(), "tp_cell") != p.cells.end();
    CHECK(listing == 2);
    const auto& notes = loader.notes();
    CHECK(std::any_of(notes.begin(), notes.end(),
                      [](const std::string& n) { return contains(n, "'tp_cell' is ambiguous"); }));
    // The user picks: by plugin name ...
    CellRegistry r2;
    PluginLoader loader2;
    loader2.load_search_path({}, r2);
    r2.pick("tp_cell", "tp_good");
    CHECK(r2.get("tp_cell").file == good);
    CHECK(r2.candidates("tp_cell").size() == 1);
    CHECK(r2.ambiguity("tp_cell").empty());
    // ... or by file; a pick that matches nothing lists the candidates.
    r.pick("tp_cell", dup);
    CHECK(r.get("tp_cell").plugin == "tp_dup");
    const std::string none = input_error([&] { r2.pick("tp_cell", "tp_dup"); });
    CHECK(contains(none, "no plugin of that name or file provides cell 'tp_cell'"));
    CHECK(contains(none, good));
    CHECK(contains(input_error([&] { r2.pick("tp_cel", "tp_good"); }), "did you mean 'tp_cell'"));
  }
  SUBCASE("one directory: the same, no error at load time") {
    TempDir dir;
    dir.add("tp_good");
    dir.add("tp_dup");
    EnvGuard env("RNNLAB_PLUGIN_PATH", std::nullopt);
    CellRegistry r;
    PluginLoader loader;
    loader.load_search_path({dir.str()}, r);
    CHECK(r.candidates("tp_cell").size() == 2);
    CHECK(contains(input_error([&] { r.get("tp_cell"); }), "is ambiguous"));
  }
  SUBCASE("a byte-identical copy later in the path is loaded once") {
    TempDir first, second;
    const std::string f1 = first.add("tp_good");
    second.add("tp_good");
    EnvGuard env("RNNLAB_PLUGIN_PATH", second.str());
    CellRegistry r;
    PluginLoader loader;
    loader.load_search_path({first.str()}, r);  // the cli dir comes first
    CHECK(r.get("tp_cell").file == f1);
    CHECK(r.candidates("tp_cell").size() == 1);
    CHECK(std::count_if(loader.plugins().begin(), loader.plugins().end(),
                        [](const LoadedPlugin& p) { return p.name == "tp_good"; }) == 1);
    const auto& notes = loader.notes();
    CHECK(std::any_of(notes.begin(), notes.end(),
                      [](const std::string& n) { return contains(n, "an identical copy"); }));
  }
  SUBCASE("a nonexistent --plugin-path directory is an error") {
    CellRegistry r;
    PluginLoader loader;
    const std::string msg =
        input_error([&] { loader.load_search_path({"/nonexistent/rnnlab/plugins"}, r); });
    CHECK(contains(msg, "/nonexistent/rnnlab/plugins"));
    CHECK(contains(msg, "no such directory"));
  }
}

TEST_CASE("loader: apply_cell_picks takes RNNLAB_CELL_FROM and --cell-from and names bad picks") {
  TempDir dir;
  const std::string good = dir.add("tp_good");
  const std::string dup = dir.add("tp_dup");
  auto loaded = [&] {
    auto r = std::make_unique<CellRegistry>();
    PluginLoader loader;
    loader.load_search_path({dir.str()}, *r);
    return r;
  };
  {
    EnvGuard env("RNNLAB_CELL_FROM", std::nullopt);
    auto r = loaded();
    apply_cell_picks(*r, {});
    CHECK(contains(input_error([&] { r->get("tp_cell"); }), "is ambiguous"));
    apply_cell_picks(*r, {"tp_cell=tp_dup"});
    CHECK(r->get("tp_cell").file == dup);
  }
  {
    EnvGuard env("RNNLAB_CELL_FROM", ",tp_cell=tp_good,");  // empty entries are skipped
    auto r = loaded();
    apply_cell_picks(*r, {});
    CHECK(r->get("tp_cell").file == good);
  }
  {
    EnvGuard env("RNNLAB_CELL_FROM", "tp_cell");
    auto r = loaded();
    CHECK(contains(input_error([&] { apply_cell_picks(*r, {}); }),
                   "RNNLAB_CELL_FROM: expected CELL=PLUGIN (a plugin name or .so file), found 'tp_cell'"));
  }
  {
    EnvGuard env("RNNLAB_CELL_FROM", std::nullopt);
    auto r = loaded();
    CHECK(contains(input_error([&] { apply_cell_picks(*r, {"tp_cell="}); }),
                   "--cell-from: expected CELL=PLUGIN"));
  }
}

TEST_CASE("loader: load_search_path skips bad files with a warning naming each and keeps the good ones") {
  TempDir dir;
  const std::string good = dir.add("tp_good");
  const std::string aborts = dir.add("tp_abort");  // abort() in a static constructor
  const std::string exits = dir.add("tp_exit");    // exit(3) in register_cells
  const std::string old_api = dir.add("tp_wrong_api");
  const std::string throws = dir.add("tp_throw");
  const std::string text = dir.str() + "/librnnlab_plugin_text.so";
  std::ofstream(text) << "this is not an ELF file\n";
  EnvGuard env("RNNLAB_PLUGIN_PATH", std::nullopt);
  CellRegistry r;
  PluginLoader loader;
  loader.load_search_path({dir.str()}, r);  // neither throws nor kills this process
  CHECK(r.get("tp_cell").file == good);
  CHECK(r.find("lstm") != nullptr);  // the built-in cells (the core's own folder) load too
  const auto& w = loader.warnings();
  CAPTURE(w.size());
  REQUIRE(w.size() == 5);
  auto warned = [&](const std::string& file, const std::string& why) {
    return std::any_of(w.begin(), w.end(), [&](const std::string& l) {
      return contains(l, "skipped plugin file " + file) && contains(l, why);
    });
  };
  CHECK(warned(aborts, "SIGABRT"));
  CHECK(warned(exits, "exit status 3"));
  CHECK(warned(old_api, "plugin API version 999"));
  CHECK(warned(throws, "boom from register_cells"));
  CHECK(warned(text, "cannot load it as a shared object"));
  // Asking for the cell of a skipped file says why, naming the file; others are just unknown.
  const std::string a = input_error([&] { r.get("tp_abort"); });
  CHECK(contains(a, "cell 'tp_abort' is not available"));
  CHECK(contains(a, aborts));
  CHECK(contains(a, "SIGABRT"));
  CHECK(contains(input_error([&] { r.get("text"); }), "cannot load it as a shared object"));
  const std::string u = input_error([&] { r.get("nothing_like_it"); });
  CHECK(contains(u, "unknown cell 'nothing_like_it'"));
  CHECK(contains(u, "skipped because they could not be loaded"));
}

TEST_CASE("loader: the plugin folder is found relative to the loaded core library") {
  const std::string core = PluginLoader::core_library_file();
  CAPTURE(core);
  REQUIRE(!core.empty());
  CHECK(contains(fs::path(core).filename().string(), "librnnlab_core.so"));
  EnvGuard env("RNNLAB_PLUGIN_PATH", std::nullopt);
  const auto dirs = PluginLoader::search_dirs({"/nonexistent/cli/dir"});
  REQUIRE(dirs.size() == 2);
  CHECK(dirs[0].origin == "--plugin-path");
  CHECK_FALSE(dirs[0].exists);
  // This test links the build tree's core, whose plugins are the build tree's.
  CHECK(dirs[1].dir == fs::canonical(RNNLAB_PLUGIN_DIR).string());
  CHECK(contains(dirs[1].origin, core));
  CHECK(dirs[1].exists);
}

TEST_CASE("loader: file_sha256 equals sha256sum") {
  TempDir tmp;
  const std::string empty = tmp.str() + "/empty", abc = tmp.str() + "/abc";
  std::ofstream(empty).close();
  std::ofstream(abc) << "abc";
  CHECK(file_sha256(empty) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(file_sha256(abc) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  // Lengths around the padding boundaries and across read chunks, against coreutils.
  for (std::size_t n : {55u, 56u, 63u, 64u, 65u, 119u, 120u, 65536u + 7u, 300000u}) {
    CAPTURE(n);
    const std::string f = tmp.str() + "/f" + std::to_string(n);
    std::string data(n, '\0');
    for (std::size_t i = 0; i < n; ++i) data[i] = static_cast<char>((i * 7919u) >> 3);
    std::ofstream(f, std::ios::binary) << data;
    FILE* p = popen(("sha256sum '" + f + "'").c_str(), "r");
    REQUIRE(p != nullptr);
    char buf[65] = {};
    REQUIRE(std::fread(buf, 1, 64, p) == 64);
    pclose(p);
    CHECK(file_sha256(f) == std::string(buf, 64));
  }
  CHECK(contains(input_error([&] { file_sha256(tmp.str() + "/missing"); }), "cannot read"));
}

TEST_CASE("plugin exports only rnnlab_plugin_entry") {
  REQUIRE_MESSAGE(std::system("nm --version > /dev/null 2>&1") == 0,
                  "nm not found: install binutils (scripts/setup.sh does)");
  for (const char* target : {"tp_good", "tp_dup"}) {
    CAPTURE(target);
    const std::string cmd = "nm -D --defined-only '" + plugin_file(target) + "'";
    FILE* pipe = popen(cmd.c_str(), "r");
    REQUIRE(pipe != nullptr);
    std::set<std::string> rnnlab_symbols;
    char line[4096];
    while (std::fgets(line, sizeof line, pipe)) {
      std::string l(line);
      while (!l.empty() && (l.back() == '\n' || l.back() == '\r')) l.pop_back();
      const std::string sym = l.substr(l.rfind(' ') + 1);  // "ADDR TYPE NAME"
      if (contains(sym, "rnnlab")) rnnlab_symbols.insert(sym);
    }
    CHECK(pclose(pipe) == 0);
    CHECK(rnnlab_symbols == std::set<std::string>{"rnnlab_plugin_entry"});
  }
}

TEST_SUITE_END();
