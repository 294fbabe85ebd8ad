// QRNN cell: parameters, the composed pooling step, and plugin registration (maths in
// qrnn_cell.h; the convolution and gates are in qrnn_inputs.cpp).
#include "qrnn_cell.h"

#include "rnnlab/error.h"
#include "rnnlab/plugin_api.h"

namespace rnnlab::qrnn {

Pooling parse_pooling(const std::string& name) {
  if (name == "f") return Pooling::f;
  if (name == "fo") return Pooling::fo;
  if (name == "ifo") return Pooling::ifo;
  throw InputError("qrnn: pooling must be one of 'f', 'fo', 'ifo', found '" + name + "'");
}

int64_t gate_count(Pooling p) {
  switch (p) {
    case Pooling::f:
      return 2;
    case Pooling::fo:
      return 3;
    case Pooling::ifo:
      return 4;
  }
  return 0;
}

PoolingDims pooling_dims(Pooling m, const Var& p, const Var& h0, const char* kernel) {
  const Shape& ps = p.shape();
  const int64_t h = h0.dim(1);
  const PoolingDims d{ps[0], ps[1], h, ps[2], m == Pooling::f ? h : 2 * h};
  RNNLAB_CHECK(d.gates == gate_count(m) * h, kernel, ": P has ", d.gates, " columns, expected ",
               gate_count(m) * h);
  return d;
}

QrnnCell::QrnnCell(const CellArgs& a)
    : input_(a.input_size),
      hidden_(a.config.integer("hidden")),
      window_(a.config.integer("window")),
      pooling_(parse_pooling(a.config.choice("pooling"))),
      zoneout_(a.config.real("zoneout")) {
  const int64_t gates = gate_count(pooling_) * hidden_;
  w_ = &a.params.create(a.prefix + "/W", {window_ * input_, gates});
  b_ = &a.params.create(a.prefix + "/b", {gates});
  init::glorot(*w_, a.rng);
}

std::vector<StateSpec> QrnnCell::state_specs() const {
  if (pooling_ == Pooling::f) return {{"h", hidden_}};
  return {{"h", hidden_}, {"c", hidden_}};
}

std::vector<Var> QrnnCell::step(Tape&, const Var& p_t, const std::vector<Var>& state,
                                const CellContext&) {
  const int64_t h = hidden_;
  Var z = slice(p_t, 1, 0, h);
  Var f = slice(p_t, 1, h, h);
  if (pooling_ == Pooling::f) return {add(z, mul(f, sub(state[0], z)))};  // f h + (1-f) z
  Var o = slice(p_t, 1, 2 * h, h);
  Var c = pooling_ == Pooling::fo ? add(z, mul(f, sub(state[1], z)))
                                  : add(mul(f, state[1]), mul(slice(p_t, 1, 3 * h, h), z));
  return {mul(o, c), c};
}

Var QrnnCell::fused_sequence(Tape& tape, const Var& p, const std::vector<Var>& state0,
                             const Var& mask, const CellContext&) {
  Var c0 = pooling_ == Pooling::f ? Var{} : state0[1];
  RNNLAB_CHECK(pooling_ == Pooling::f || c0.valid(), "qrnn fused kernel: pooling fo/ifo needs c0");
  const QrnnKernels* cuda = RNNLAB_CUDA_KERNEL(qrnn_fused_cuda);
  QrnnKernel* kernel = fused_kernel_for(tape, p.dtype(), "qrnn", qrnn_fused_cpu.of(pooling_),
                                        cuda ? &cuda->of(pooling_) : nullptr);
  return kernel ? kernel(tape, p, state0[0], c0, mask) : Var{};
}

namespace {
void register_cells(CellRegistry& r) {
  CellType t;
  t.name = "qrnn";
  t.doc = "Quasi-recurrent network (Bradbury et al. 2017): causal convolution gates + pooling";
  t.schema = {
      {"hidden", ParamType::integer, int64_t{128}, false, 1, 65536, {}, "hidden units H"},
      {"window",
       ParamType::integer,
       int64_t{2},
       false,
       1,
       16,
       {},
       "convolution width k over time (1 = plain projection; 2 uses x_{t-1} and x_t)"},
      {"pooling",
       ParamType::choice,
       std::string("fo"),
       false,
       0,
       0,
       {"f", "fo", "ifo"},
       "pooling: f (h only), fo (output gate), ifo (output and input gates)"},
      {"zoneout",
       ParamType::real,
       0.0,
       false,
       0,
       0.99,
       {},
       "forget-gate zoneout in training: f = 1 - dropout(1 - f)"},
  };
  t.create = [](const CellArgs& a) { return std::make_unique<QrnnCell>(a); };
  r.add(std::move(t));
}
}  // namespace

}  // namespace rnnlab::qrnn

RNNLAB_PLUGIN("qrnn", "1.0.0", rnnlab::qrnn::register_cells)
