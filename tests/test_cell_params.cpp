// cell_params.h: KEY=VALUE text typed by a cell's schema and checked against it (what
// `rnnlab gradcheck --set` takes), and the schema `rnnlab cells` lists, on the built-in cells.
#include <doctest/doctest.h>

#include <algorithm>

#include "rnnlab/cell_params.h"
#include "test_util.h"

using namespace rnnlab;

TEST_SUITE_BEGIN("unit");  // ctest label (tests/README.md: labels)

TEST_CASE("cell params: values typed by the schema") {
  const CellRegistry& cells = test::builtin_cells();
  const auto p = cell_params_from_text(cells, "qrnn",
                                       {"hidden=8", "window=1", "pooling=ifo", "zoneout=0"});
  CHECK(std::get<int64_t>(p.at("hidden")) == 8);
  CHECK(std::get<int64_t>(p.at("window")) == 1);
  CHECK(std::get<std::string>(p.at("pooling")) == "ifo");
  CHECK(std::get<double>(p.at("zoneout")) == 0.0);  // an integer given for a real
  CHECK(std::get<double>(cell_params_from_text(cells, "qrnn", {"zoneout=0.25"}).at("zoneout")) ==
        0.25);
  CHECK(cell_params_from_text(cells, "elman", {}).empty());
}

TEST_CASE("cell params: typos and bad values are input errors with the schema's words") {
  const CellRegistry& cells = test::builtin_cells();
  auto message = [&](const std::string& cell, const std::vector<std::string>& kv) {
    try {
      cell_params_from_text(cells, cell, kv);
    } catch (const InputError& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  CHECK(message("lstm", {"hiden=8"}).find(
            "cell 'lstm' has no parameter 'hiden' (did you mean 'hidden'?)") != std::string::npos);
  CHECK(message("lstm", {"hidden=0"}).find("expected an integer in [1, 65536], found 0") !=
        std::string::npos);
  CHECK(message("lstm", {"hidden=eight"}).find("parameter 'hidden' of cell 'lstm' takes an integer") !=
        std::string::npos);
  CHECK(message("qrnn", {"zoneout=lots"}).find("takes a real number") != std::string::npos);
  CHECK(message("elman", {"activation=sigmoid"}).find("activation") != std::string::npos);
  CHECK(message("elman", {"hidden"}).find("--set expects KEY=VALUE, found 'hidden'") !=
        std::string::npos);
  CHECK(message("elman", {"=3"}).find("--set expects KEY=VALUE") != std::string::npos);
  // An unknown key is typed by its spelling before it is reported.
  CHECK(message("elman", {"bogus=true"}).find("its parameters: hidden, activation") !=
        std::string::npos);
  CHECK(message("no_such_cell", {}) != "no error");
}

TEST_CASE("cell params: a listing shows a composite cell's own parameters as the registry fills them") {
  const CellRegistry& cells = test::builtin_cells();
  const CellType& nstep = cells.get("nstep");
  REQUIRE(nstep.expand_schema);
  const std::vector<ParamSpec> listed = listed_schema(cells, nstep);
  REQUIRE(listed.size() == nstep.schema.size());  // its own entries only, in its order
  for (std::size_t i = 0; i < listed.size(); ++i) CHECK(listed[i].name == nstep.schema[i].name);
  const auto cell = std::find_if(listed.begin(), listed.end(),
                                 [](const ParamSpec& s) { return s.name == "cell"; });
  REQUIRE(cell != listed.end());
  CHECK(std::find(cell->choices.begin(), cell->choices.end(), "qrnn") != cell->choices.end());
  // A plain cell: its schema as it is.
  const CellType& elman = cells.get("elman");
  const auto plain = listed_schema(cells, elman);
  REQUIRE(plain.size() == elman.schema.size());
  CHECK(plain[0].name == elman.schema[0].name);
}

TEST_SUITE_END();
