// Recurrent layer: composed unroll or one fused node; masks; stateful carry.
#include "rnnlab/recurrent.h"

#include "rnnlab/step_compiler.h"

namespace rnnlab {

const char* path_name(RecurrentPath p) {
  switch (p) {
    case RecurrentPath::automatic: return "auto";
    case RecurrentPath::fused: return "fused";
    case RecurrentPath::compiled: return "compiled";
    case RecurrentPath::scan: return "scan";
    case RecurrentPath::composed: return "composed";
    case RecurrentPath::cell: return "cell";
  }
  return "?";
}

RecurrentPath parse_path(const std::string& s) {
  for (RecurrentPath p : {RecurrentPath::automatic, RecurrentPath::fused, RecurrentPath::compiled,
                          RecurrentPath::scan, RecurrentPath::composed})
    if (s == path_name(p)) return p;
  throw InputError("path must be auto, fused, compiled, scan or composed, found '" + s + "'");
}

Tensor sequence_mask(const std::vector<int32_t>& lengths, int64_t steps, DType dtype,
                     Device device) {
  int64_t b = static_cast<int64_t>(lengths.size());
  std::vector<double> m(static_cast<std::size_t>(steps * b), 0.0);
  for (int64_t j = 0; j < b; ++j) {
    int32_t len = lengths[static_cast<std::size_t>(j)];
    RNNLAB_CHECK_INPUT(len >= 1 && len <= steps, "sequence ", j, " has length ", len,
                       ", expected 1..", steps);
    for (int64_t t = 0; t < len; ++t) m[static_cast<std::size_t>(t * b + j)] = 1.0;
  }
  Tensor t64 = from_vector(m, {steps, b, 1}, device);
  return to_dtype(t64, dtype);
}

Recurrent::Recurrent(std::unique_ptr<Cell> cell, Options options)
    : cell_(std::move(cell)), options_(options) {
  RNNLAB_CHECK(cell_ != nullptr, "Recurrent needs a cell");
}

Recurrent::Output Recurrent::forward(Tape& tape, const Var& x, const std::vector<int32_t>& lengths,
                                     const CellContext& ctx) {
  RNNLAB_CHECK(x.shape().size() == 3, "recurrent input must be [T,B,I], found ",
               shape_str(x.shape()));
  const int64_t batch = x.dim(1);
  // Initial state: carried (detached) or the cell's own.
  std::vector<Var> state;
  if (options_.stateful && !carry_.empty() && carry_[0].dim(0) == batch) {
    for (const Tensor& c : carry_) state.push_back(tape.constant(c));
  } else {
    state = cell_->initial_state(tape, batch, x.dtype());
  }
  return forward(tape, x, lengths, ctx, std::move(state));
}

Recurrent::Output Recurrent::forward(Tape& tape, const Var& x, const std::vector<int32_t>& lengths,
                                     const CellContext& ctx, std::vector<Var> state) {
  const Shape& xs = x.shape();
  RNNLAB_CHECK(xs.size() == 3, "recurrent input must be [T,B,I], found ", shape_str(xs));
  const int64_t steps = xs[0], batch = xs[1];
  RNNLAB_CHECK(xs[2] == cell_->input_size(), "recurrent input has ", xs[2],
               " features, the cell expects ", cell_->input_size());
  RNNLAB_CHECK(lengths.empty() || static_cast<int64_t>(lengths.size()) == batch, "got ",
               lengths.size(), " sequence lengths for a batch of ", batch);
  const std::vector<StateSpec> specs = cell_->state_specs();
  RNNLAB_CHECK(state.size() == specs.size(), "initial state has ", state.size(),
               " tensors, the cell has ", specs.size());
  for (std::size_t k = 0; k < specs.size(); ++k)
    RNNLAB_CHECK(state[k].shape() == Shape({batch, specs[k].size}), "initial state '",
                 specs[k].name, "' must be ", shape_str({batch, specs[k].size}), ", found ",
                 shape_str(state[k].shape()));
  bool padded = false;
  for (int32_t len : lengths) padded = padded || len != steps;

  CellContext cctx = ctx;
  cctx.stateful = options_.stateful || ctx.stateful;  // a composite cell passes its own down
  if (cell_->runs_whole_sequence()) {
    path_ran_ = RecurrentPath::cell;
    path_note_.clear();
    SequenceResult r = cell_->run_sequence(tape, x, padded ? lengths : std::vector<int32_t>{},
                                           state, cctx);
    Output out{r.outputs, cell_->output(r.final_state), r.final_state};
    if (options_.stateful) {
      carry_.clear();
      for (const Var& s : out.final_state) carry_.push_back(clone(s.value()));
    }
    return out;
  }

  Var mask;
  if (padded) mask = tape.constant(sequence_mask(lengths, steps, x.dtype(), tape.device()));
  Var p = cell_->project_inputs(tape, x, cctx);

  Output out;
  Var fused;
  const RecurrentPath want = options_.use_fused ? options_.path : RecurrentPath::composed;
  const bool kernel = cell_->has_fused(tape.device());
  path_note_.clear();
  if ((want == RecurrentPath::automatic || want == RecurrentPath::fused) && kernel) {
    fused = cell_->fused_sequence(tape, p, state, mask, cctx);
    path_ran_ = RecurrentPath::fused;
  }
  if (want == RecurrentPath::fused && !kernel) path_note_ = "no fused kernel for this device";
  bool output_packed = false;
  if (!fused.valid() && want != RecurrentPath::composed) {
    if (!compiler_) compiler_ = std::make_shared<StepCompiler>();
    std::string why;
    compiler_->set_scan(want == RecurrentPath::scan       ? StepCompiler::Scan::always
                        : want == RecurrentPath::compiled ? StepCompiler::Scan::never
                                                          : StepCompiler::Scan::automatic);
    fused = compiler_->run(tape, *cell_, p, state, mask, cctx, &why);
    if (fused.valid()) {
      path_ran_ = compiler_->scanned() ? RecurrentPath::scan : RecurrentPath::compiled;
      output_packed = compiler_->output_in_packed();
      if (want == RecurrentPath::scan && !compiler_->scanned())
        path_note_ = "not scanned: " + compiler_->scan_note();
    } else {
      path_note_ = (path_note_.empty() ? "" : path_note_ + "; ") + "not compiled: " + why;
    }
  }
  if (fused.valid()) {
    // packed [T,B,ΣS (+H)]: states in state_specs() order; output = state[0] (or the last H
    // columns when the compiled step's output is not state[0]).
    Var last_row = select(fused, steps - 1);  // [B,ΣS]
    int64_t off = 0;
    for (const StateSpec& spec : cell_->state_specs()) {
      out.final_state.push_back(slice(last_row, 1, off, spec.size));
      off += spec.size;
    }
    const int64_t h = cell_->hidden_size();
    // One state of width H and no extra output: the packed value is the outputs (no copy).
    out.outputs = !output_packed && fused.dim(2) == h
                      ? fused
                      : slice(fused, 2, output_packed ? off : 0, h);
  } else {
    path_ran_ = RecurrentPath::composed;
    std::vector<Var> outs;
    outs.reserve(static_cast<std::size_t>(steps));
    for (int64_t t = 0; t < steps; ++t) {
      std::vector<Var> next = cell_->step(tape, select(p, t), state, cctx);
      RNNLAB_CHECK(next.size() == state.size(), "cell step returned ", next.size(),
                   " state tensors, expected ", state.size());
      if (padded) {
        Var m_t = select(mask, t);  // [B,1]
        for (std::size_t k = 0; k < state.size(); ++k) state[k] = mask_blend(m_t, next[k], state[k]);
      } else {
        state = std::move(next);
      }
      outs.push_back(cell_->output(state));
    }
    out.outputs = stack(outs);
    out.final_state = state;
  }
  if (padded) out.outputs = mul(out.outputs, mask);
  out.last = cell_->output(out.final_state);

  if (options_.stateful) {
    carry_.clear();
    for (const Var& s : out.final_state) carry_.push_back(clone(s.value()));
  }
  return out;
}

void Recurrent::save_carry(const std::string& prefix, NamedTensors& out) const {
  for (std::size_t k = 0; k < carry_.size(); ++k)
    out[prefix + "state/" + std::to_string(k)] = carry_[k];
  cell_->save_carry(prefix + "cell/", out);
}

void Recurrent::load_carry(const std::string& prefix, const NamedTensors& in) {
  carry_.clear();
  for (std::size_t k = 0;; ++k) {
    auto it = in.find(prefix + "state/" + std::to_string(k));
    if (it == in.end()) break;
    carry_.push_back(it->second);
  }
  cell_->load_carry(prefix + "cell/", in);
}

}  // namespace rnnlab
