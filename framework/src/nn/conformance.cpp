// Conformance suite driver (see conformance.h): builds the harness, runs every check, turns an
// exception into a failed check, and formats the report. The schema and shape checks live here;
// the numerical ones in conformance_gradient.cpp and conformance_checks.cpp.
#include "rnnlab/conformance.h"

#include <algorithm>
#include <functional>
#include <memory>

#include "conformance_harness.h"

namespace rnnlab {

using conformance::Harness;
using conformance::Net;

bool ConformanceReport::passed() const {
  return !checks.empty() && std::all_of(checks.begin(), checks.end(),
                                        [](const ConformanceCheck& c) { return c.passed; });
}

namespace {

std::string first_line(const std::string& s, std::size_t max = 160) {
  std::string l = s.substr(0, s.find('\n'));
  if (l.size() > max) l = l.substr(0, max - 3) + "...";
  if (s.find('\n') != std::string::npos) l += " (+ more)";
  return l;
}

ConformanceCheck check_schema(const CellRegistry& r, const std::string& cell,
                              const std::map<std::string, ParamValue>& params) {
  ConformanceCheck c{"schema", true, ""};
  std::vector<std::string> problems;
  const CellType& type = r.get(cell);
  if (type.doc.empty()) problems.push_back("the cell has no doc");
  const std::vector<ParamSpec> schema = r.schema_for(cell, params);
  for (const ParamSpec& s : schema) {
    if (s.doc.empty()) problems.push_back("'" + s.name + "' has no doc");
    if (!s.required) {
      const std::string err = check_param_value(s, s.default_value);
      if (!err.empty()) problems.push_back("default of '" + s.name + "': " + err);
    }
  }
  if (problems.empty()) {
    CellConfig::resolve(cell, schema, params);  // throws on a bad given parameter
    c.detail = std::to_string(schema.size()) + " parameters, documented, defaults valid";
    return c;
  }
  c.passed = false;
  for (std::size_t i = 0; i < problems.size(); ++i) c.detail += (i ? "; " : "") + problems[i];
  return c;
}

ConformanceCheck check_shapes(const Harness& h) {
  ConformanceCheck c{"shapes", false, ""};
  std::unique_ptr<Net> net = h.make(true);
  Cell& cell = net->rnn->cell();
  const int64_t T = h.opt.steps, B = h.opt.batch, H = cell.hidden_size();
  const std::vector<StateSpec> specs = cell.state_specs();
  auto fail = [&](const std::string& why) {
    c.detail = why;
    return c;
  };
  if (cell.input_size() != h.opt.input)
    return fail("input_size() " + std::to_string(cell.input_size()) + ", built for " +
                std::to_string(h.opt.input));
  if (H < 1) return fail("hidden_size() " + std::to_string(H));
  if (specs.empty()) return fail("state_specs() is empty");
  for (const StateSpec& s : specs)
    if (s.name.empty() || s.size < 1) return fail("a state spec without a name or size");
  Tape tape;
  const std::vector<Var> init = cell.initial_state(tape, B, DType::f64);
  if (init.size() != specs.size()) return fail("initial_state() size differs from state_specs()");
  // One step by hand, before the layer runs it: a state of the wrong shape is named here rather
  // than surfacing as a shape error somewhere inside the recurrence.
  if (!cell.runs_whole_sequence()) {
    const Var p = cell.project_inputs(tape, tape.constant(h.x), CellContext{});
    if (!p.valid() || p.shape().size() != 3 || p.dim(0) != T || p.dim(1) != B)
      return fail("project_inputs returned " + (p.valid() ? shape_str(p.shape()) : "nothing") +
                  ", expected [T,B,G] = [" + std::to_string(T) + "," + std::to_string(B) + ",G]");
    const std::vector<Var> next = cell.step(tape, select(p, 0), init, CellContext{});
    std::string declared;
    for (const StateSpec& s : specs) declared += (declared.empty() ? "" : ", ") + s.name;
    if (next.size() != specs.size())
      return fail("step returned " + std::to_string(next.size()) + " state tensors, state_specs() declares " +
                  std::to_string(specs.size()) + " (" + declared + ")");
    for (std::size_t k = 0; k < specs.size(); ++k) {
      const Shape want{B, specs[k].size};
      if (!next[k].valid() || next[k].shape() != want)
        return fail("state '" + specs[k].name + "': step returned " +
                    (next[k].valid() ? shape_str(next[k].shape()) : "nothing") +
                    ", state_specs() declares " + shape_str(want));
    }
  }
  Recurrent::Output o = net->rnn->forward(tape, tape.constant(h.x), h.lengths, {});
  auto shape_is = [](const Var& v, const Shape& s) { return v.valid() && v.shape() == s; };
  if (!shape_is(o.outputs, {T, B, H}))
    return fail("outputs " + (o.outputs.valid() ? shape_str(o.outputs.shape()) : "missing") +
                ", expected " + shape_str({T, B, H}));
  if (!shape_is(o.last, {B, H})) return fail("last is not " + shape_str({B, H}));
  if (o.final_state.size() != specs.size()) return fail("final state count != state_specs()");
  std::string states;
  for (std::size_t k = 0; k < specs.size(); ++k) {
    const Shape want{B, specs[k].size};
    if (!shape_is(o.final_state[k], want) || !shape_is(init[k], want))
      return fail("state '" + specs[k].name + "' is not " + shape_str(want));
    if (!conformance::all_finite(o.final_state[k].value()))
      return fail("state '" + specs[k].name + "' is not finite");
    if (k < 3) states += " " + specs[k].name + shape_str(want);
  }
  if (specs.size() > 3) states += " +" + std::to_string(specs.size() - 3);
  if (!conformance::all_finite(o.outputs.value())) return fail("outputs are not finite");
  c.passed = true;
  c.detail = "outputs " + shape_str({T, B, H}) + ", state" + states;
  return c;
}

ConformanceCheck guarded(const std::string& name, const std::function<ConformanceCheck()>& f) {
  try {
    return f();
  } catch (const std::exception& e) {
    return {name, false, "threw: " + first_line(e.what())};
  }
}

}  // namespace

ConformanceReport run_conformance(const CellRegistry& registry, const std::string& cell,
                                  const std::map<std::string, ParamValue>& params,
                                  const ConformanceOptions& options) {
  ConformanceReport report;
  report.cell = cell;
  registry.get(cell);  // an unknown cell is an InputError for the caller, not a failed check
  std::unique_ptr<Harness> h;
  report.checks.push_back(guarded("schema", [&] { return check_schema(registry, cell, params); }));
  if (!report.checks.back().passed) return report;
  // Building the cell is its own check: a throwing constructor is not a schema problem.
  report.checks.push_back(guarded("construction", [&] {
    h = std::make_unique<Harness>(registry, cell, params, options);
    return ConformanceCheck{"construction", true, "built with the schema's defaults"};
  }));
  if (!h) return report;  // nothing else can run without a buildable cell
  auto run = [&](const std::string& name, const std::function<ConformanceCheck()>& f) {
    report.checks.push_back(guarded(name, f));
  };
  run("shapes", [&] { return check_shapes(*h); });
  run("gradient (composed)",
      [&] { return conformance::check_gradient(*h, RecurrentPath::composed); });
  if (h->has_fused)
    run("gradient (fused)", [&] { return conformance::check_gradient(*h, RecurrentPath::fused); });
  if (!h->whole_sequence)
    run("gradient (compiled)",
        [&] { return conformance::check_gradient(*h, RecurrentPath::compiled); });
  run("fused == composed", [&] { return conformance::check_fused_equals_composed(*h); });
  run("compiled == composed",
      [&] { return conformance::check_path_equals_composed(*h, RecurrentPath::compiled); });
  run("scan == composed",
      [&] { return conformance::check_path_equals_composed(*h, RecurrentPath::scan); });
  run("masking", [&] { return conformance::check_masking(*h); });
  run("stateful", [&] { return conformance::check_stateful(*h); });
  run("determinism", [&] { return conformance::check_determinism(*h); });
  return report;
}

std::string conformance_table(const ConformanceReport& report) {
  std::size_t w = 5;
  for (const ConformanceCheck& c : report.checks) w = std::max(w, c.name.size());
  std::string out;
  for (const ConformanceCheck& c : report.checks) {
    out += c.name + std::string(w + 2 - c.name.size(), ' ');
    out += c.passed ? "ok    " : "FAIL  ";
    out += c.detail + "\n";
  }
  out += report.cell + ": " + (report.passed() ? "conforms" : "DOES NOT CONFORM") + "\n";
  return out;
}

}  // namespace rnnlab
