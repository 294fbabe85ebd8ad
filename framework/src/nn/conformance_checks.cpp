// Conformance: fused == composed, masking, stateful carry and determinism (see conformance.h).
#include <algorithm>
#include <memory>

#include "conformance_harness.h"

namespace rnnlab::conformance {

namespace {

constexpr double kTol = 1e-10;

Recurrent::Output eval_run(Tape& t, Net& net, const Tensor& x, const std::vector<int32_t>& len) {
  return net.rnn->forward(t, t.constant(x), len, {});
}

}  // namespace

ConformanceCheck check_fused_equals_composed(const Harness& h) {
  ConformanceCheck c{"fused == composed", true, ""};
  if (!h.has_fused) {
    c.detail = "skipped: no fused CPU kernel";
    return c;
  }
  std::unique_ptr<Net> composed = h.make(false), fused = h.make(true);
  const Pass a = run_pass(h, *composed, h.train_ctx());
  const Pass b = run_pass(h, *fused, h.train_ctx());
  const double dv = max_diff(a.values, b.values), dg = max_diff(a.grads, b.grads);
  c.passed = dv <= kTol && dg <= kTol;
  c.detail = "max |Δ| values " + sci(dv) + ", gradients " + sci(dg) + "; tape " +
             std::to_string(b.tape_size) + " vs " + std::to_string(a.tape_size) + " nodes";
  if (!h.whole_sequence && b.tape_size >= a.tape_size) {
    c.passed = false;
    c.detail += " (the fused tape is not shorter: is the kernel used?)";
  }
  return c;
}

ConformanceCheck check_masking(const Harness& h) {
  ConformanceCheck c{"masking", false, ""};
  const int64_t T = h.opt.steps, B = h.opt.batch, I = h.opt.input;
  double worst_alone = 0;
  std::vector<RecurrentPath> paths{RecurrentPath::composed};
  if (h.has_fused) paths.push_back(RecurrentPath::fused);
  if (!h.whole_sequence) paths.push_back(RecurrentPath::compiled);
  for (RecurrentPath rp : paths) {
    const std::string path = std::string(path_name(rp)) + ": ";
    std::unique_ptr<Net> net = h.make_path(rp);
    Tape t;
    Recurrent::Output o = eval_run(t, *net, h.x, h.lengths);
    const int64_t H = o.outputs.dim(2);
    const std::vector<double> out = to_vector<double>(o.outputs.value());
    // 1. padded steps output exactly zero
    for (int64_t b = 0; b < B; ++b)
      for (int64_t s = h.lengths[static_cast<std::size_t>(b)]; s < T; ++s)
        for (int64_t j = 0; j < H; ++j)
          if (out[static_cast<std::size_t>((s * B + b) * H + j)] != 0.0) {
            c.detail = path + "output at padded step t=" + std::to_string(s) +
                       ", b=" + std::to_string(b) + " is not zero";
            return c;
          }
    // 2. padding content changes nothing (bitwise)
    std::vector<double> xv = to_vector<double>(h.x);
    for (int64_t s = 0; s < T; ++s)
      for (int64_t b = 0; b < B; ++b)
        if (s >= h.lengths[static_cast<std::size_t>(b)])
          for (int64_t i = 0; i < I; ++i) xv[static_cast<std::size_t>((s * B + b) * I + i)] = 1e3;
    Tape t2;
    Recurrent::Output o2 = eval_run(t2, *net, from_vector(xv, {T, B, I}), h.lengths);
    std::vector<Tensor> va{o.outputs.value(), o.last.value()},
        vb{o2.outputs.value(), o2.last.value()};
    for (std::size_t k = 0; k < o.final_state.size(); ++k) {
      va.push_back(o.final_state[k].value());
      vb.push_back(o2.final_state[k].value());
    }
    if (const double d = max_diff(va, vb); d != 0.0) {
      c.detail = path + "padding content changes the result by " + sci(d);
      return c;
    }
    // 3. each sequence alone, cut to its length: same outputs and final state
    for (int64_t b = 0; b < B; ++b) {
      const int64_t len = h.lengths[static_cast<std::size_t>(b)];
      const Tensor xb = slice_tensor(slice_tensor(h.x, 0, 0, len), 1, b, 1);
      Tape t1;
      Recurrent::Output o1 = eval_run(t1, *net, xb, {});
      std::vector<Tensor> mine{slice_tensor(slice_tensor(o.outputs.value(), 0, 0, len), 1, b, 1),
                               slice_tensor(o.last.value(), 0, b, 1)};
      std::vector<Tensor> alone{o1.outputs.value(), o1.last.value()};
      for (std::size_t k = 0; k < o.final_state.size(); ++k) {
        mine.push_back(slice_tensor(o.final_state[k].value(), 0, b, 1));
        alone.push_back(o1.final_state[k].value());
      }
      worst_alone = std::max(worst_alone, max_diff(mine, alone));
    }
  }
  c.passed = worst_alone <= kTol;
  c.detail = "padding ignored; vs each sequence alone max |Δ| " + sci(worst_alone);
  return c;
}

ConformanceCheck check_stateful(const Harness& h) {
  ConformanceCheck c{"stateful", false, ""};
  const int64_t T = h.opt.steps;
  if (T < 2) {
    c.passed = true;
    c.detail = "skipped: needs steps >= 2";
    return c;
  }
  const int64_t t1 = T / 2, t2 = T - t1;
  const Tensor x1 = slice_tensor(h.x, 0, 0, t1), x2 = slice_tensor(h.x, 0, t1, t2);
  std::unique_ptr<Net> whole = h.make(true), st = h.make(true, true);
  Tape tw, tf;
  Recurrent::Output ow = eval_run(tw, *whole, h.x, {});
  Recurrent::Output of = eval_run(tf, *whole, x1, {});
  const bool causal =
      max_abs_diff(slice_tensor(ow.outputs.value(), 0, 0, t1), of.outputs.value()) <= kTol;

  Tape t;
  Var v1 = t.leaf(x1), v2 = t.leaf(x2);
  st->rnn->forward(t, v1, {}, {});
  if (!st->rnn->has_carry()) {
    c.detail = "a stateful layer kept no carry";
    return c;
  }
  Recurrent::Output o2 = st->rnn->forward(t, v2, {}, {});
  std::string detail;
  if (causal) {
    std::vector<Tensor> a{o2.outputs.value()}, b{slice_tensor(ow.outputs.value(), 0, t1, t2)};
    for (std::size_t k = 0; k < o2.final_state.size(); ++k) {
      a.push_back(o2.final_state[k].value());
      b.push_back(ow.final_state[k].value());
    }
    const double d = max_diff(a, b);
    if (!(d <= kTol)) {
      c.detail = "two halves != whole: max |Δ| " + sci(d);
      return c;
    }
    detail = "halves == whole (max |Δ| " + sci(d) + ")";
  } else if (whole->rnn->cell().causal()) {
    c.detail = "the outputs of the first half depend on the second (halves != whole), but the "
               "cell does not declare itself non-causal (Cell::causal())";
    return c;
  } else {
    detail = "non-causal by declaration (e.g. bidirectional): halves != whole by design";
  }
  t.backward(weighted_loss(t, o2));
  if (t.grad(v1).defined() && max_abs_diff(t.grad(v1), zeros(x1.shape(), DType::f64)) > 0) {
    c.detail = "the carry is not detached: gradient reaches the previous batch";
    return c;
  }
  if (!t.grad(v2).defined()) {
    c.detail = "no gradient reaches the second batch's input";
    return c;
  }
  st->params.zero_grad();
  st->rnn->reset_state();
  Tape t3;
  Recurrent::Output o3 = eval_run(t3, *st, x1, {});
  if (const double d = max_abs_diff(o3.outputs.value(), of.outputs.value()); !(d <= kTol)) {
    c.detail = "after reset_state() the first batch differs by " + sci(d);
    return c;
  }
  c.passed = true;
  c.detail = detail + "; carry detached; reset ok";
  return c;
}

ConformanceCheck check_determinism(const Harness& h) {
  ConformanceCheck c{"determinism", false, ""};
  std::unique_ptr<Net> a = h.make(true, false, false), b = h.make(true, false, false);
  std::vector<Tensor> pa, pb;
  for (const auto& p : a->params.all()) pa.push_back(p->value);
  for (const auto& p : b->params.all()) pb.push_back(p->value);
  if (const double d = max_diff(pa, pb); d != 0.0) {
    c.detail = "two builds with one seed differ in their parameters by " + sci(d);
    return c;
  }
  std::unique_ptr<Net> ra = h.make(true), rb = h.make(true);
  const Pass x = run_pass(h, *ra, h.train_ctx());
  const Pass y = run_pass(h, *rb, h.train_ctx());
  const Pass z = run_pass(h, *ra, h.train_ctx());  // the same layer again: no hidden state
  const double d = std::max(max_diff(x.values, y.values), max_diff(x.grads, y.grads));
  const double e = std::max(max_diff(x.values, z.values), max_diff(x.grads, z.grads));
  if (d != 0.0 || e != 0.0) {
    c.detail =
        "training runs differ: " + sci(std::max(d, e)) + (e != 0 ? " (same layer twice)" : "");
    return c;
  }
  c.passed = true;
  c.detail = std::to_string(pa.size()) + " parameters; 3 training runs bitwise identical";
  return c;
}

}  // namespace rnnlab::conformance
