// nstep: building the inner (layer, direction) cells and running the stack (maths in
// nstep_cell.h). A plain loop over layers and directions: no recursion, any depth.
#include "nstep_cell.h"

#include <string>

#include "rnnlab/error.h"

namespace rnnlab::nstep {

namespace {
std::string unit_name(int64_t layer, int64_t dir) {
  std::string name("l");  // built with += : GCC 12 warns falsely (-Wrestrict) on "l" + string
  name += std::to_string(layer);
  if (dir == 1) name += "_reverse";
  return name;
}
}  // namespace

NStepCell::NStepCell(const CellArgs& a, const std::string& inner,
                     const std::map<std::string, ParamValue>& inner_params)
    : input_(a.input_size),
      hidden_(0),
      layers_(a.config.integer("layers")),
      dirs_(a.config.boolean("bidirectional") ? 2 : 1),
      dropout_(a.config.real("dropout")) {
  if (a.registry == nullptr)
    throw InputError("cell 'nstep': needs the cell registry to build its inner '" + inner +
                     "' cells (create it through CellRegistry::create)");
  const Recurrent::Options opts{false, a.config.boolean("fused")};
  int64_t in = input_, inner_hidden = 0;
  for (int64_t k = 0; k < layers_; ++k) {
    for (int64_t d = 0; d < dirs_; ++d) {
      const std::string name = unit_name(k, d);
      std::unique_ptr<Cell> cell =
          a.registry->create(inner, inner_params, in, a.params, a.prefix + "/" + name, a.rng);
      if (cell->runs_whole_sequence())
        throw InputError("cell 'nstep': the inner cell '" + inner +
                         "' runs whole sequences itself and cannot be stacked by nstep");
      inner_hidden = cell->hidden_size();
      Unit u;
      u.offset = specs_.size();
      for (const StateSpec& s : cell->state_specs())
        specs_.push_back({name + "/" + s.name, s.size});
      u.count = specs_.size() - u.offset;
      u.rnn = std::make_unique<Recurrent>(std::move(cell), opts);
      units_.push_back(std::move(u));
    }
    in = dirs_ * inner_hidden;
  }
  hidden_ = dirs_ * inner_hidden;
}

Var NStepCell::project_inputs(Tape&, const Var&, const CellContext&) {
  throw Error("nstep runs whole sequences (run_sequence); project_inputs is not used");
}

std::vector<Var> NStepCell::step(Tape&, const Var&, const std::vector<Var>&, const CellContext&) {
  throw Error("nstep runs whole sequences (run_sequence); step is not used");
}

std::vector<Var> NStepCell::unit_state(const Unit& u, const std::vector<Var>& state) const {
  RNNLAB_CHECK(state.size() == specs_.size(), "nstep: got ", state.size(),
               " state tensors, expected ", specs_.size());
  const auto first = state.begin() + static_cast<std::ptrdiff_t>(u.offset);
  return {first, first + static_cast<std::ptrdiff_t>(u.count)};
}

Var NStepCell::output(const std::vector<Var>& state) const {
  std::vector<Var> parts;
  for (int64_t d = 0; d < dirs_; ++d) {
    const Unit& u = units_[static_cast<std::size_t>((layers_ - 1) * dirs_ + d)];
    parts.push_back(u.rnn->cell().output(unit_state(u, state)));
  }
  return parts.size() == 1 ? parts[0] : concat(parts, 1);
}

std::vector<Var> NStepCell::initial_state(Tape& tape, int64_t batch, DType dtype) {
  std::vector<Var> s;
  for (Unit& u : units_)
    for (Var& v : u.rnn->cell().initial_state(tape, batch, dtype)) s.push_back(v);
  return s;
}

SequenceResult NStepCell::run_sequence(Tape& tape, const Var& x,
                                       const std::vector<int32_t>& lengths,
                                       const std::vector<Var>& state0, const CellContext& ctx) {
  const int64_t steps = x.dim(0), batch = x.dim(1);
  Var ids;  // the reversal permutation, built once for every layer
  if (dirs_ == 2) ids = tape.constant(reverse_index(lengths, steps, batch, tape.device()));
  SequenceResult r;
  Var in = x;
  for (int64_t k = 0; k < layers_; ++k) {
    if (k > 0 && dropout_ > 0 && ctx.training)
      in = dropout(in, dropout_, mix64(ctx.seed ^ mix64(static_cast<uint64_t>(k))), true);
    std::vector<Var> outs;
    for (int64_t d = 0; d < dirs_; ++d) {
      const std::size_t idx = static_cast<std::size_t>(k * dirs_ + d);
      Unit& u = units_[idx];
      CellContext c = ctx;
      c.seed = mix64(ctx.seed ^ mix64(0x9e37 + idx));  // own stream for stochastic inner cells
      if (d == 1) c.stateful = false;  // a cell-side carry (QRNN's window) is forward-only
      const Var xin = d == 0 ? in : reverse_by_length(in, ids);
      Recurrent::Output o = u.rnn->forward(tape, xin, lengths, c, unit_state(u, state0));
      outs.push_back(d == 0 ? o.outputs : reverse_by_length(o.outputs, ids));
      for (const Var& s : o.final_state) r.final_state.push_back(s);
    }
    in = outs.size() == 1 ? outs[0] : concat(outs, 2);
  }
  r.outputs = in;
  return r;
}

void NStepCell::save_carry(const std::string& prefix, NamedTensors& out) const {
  for (std::size_t u = 0; u < units_.size(); ++u)
    units_[u].rnn->save_carry(prefix + "unit" + std::to_string(u) + "/", out);
}

void NStepCell::load_carry(const std::string& prefix, const NamedTensors& in) {
  for (std::size_t u = 0; u < units_.size(); ++u)
    units_[u].rnn->load_carry(prefix + "unit" + std::to_string(u) + "/", in);
}

void NStepCell::reset_state() {
  for (Unit& u : units_) u.rnn->reset_state();
}

}  // namespace rnnlab::nstep
