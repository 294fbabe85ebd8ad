// The per-element maths of the fused kernels (plugins/<cell>/<cell>_maths.h, the code both the
// CPU loops and the CUDA kernels run) and rnnlab/hd_math.h, compiled here as plain C++:
//   * hd_math on the host is exactly cpu_math (the functions the CPU kernels always used);
//   * each cell's per-element backward is the derivative of its per-element forward: f64
//     central differences of L = Σ w_k · state_k against the hand-written gradient, for every
//     input of one element (gates, the previous state), every mode (elman act, qrnn pooling,
//     rwa with either side of the running max winning);
//   * the other rules both devices share: float exp's range, argmax's order (NaN first), the
//     ordered scatter-add plan of an embedding's backward (id_segments.h).
#include <doctest/doctest.h>

#include <cmath>
#include <functional>
#include <limits>
#include <vector>

#include "../plugins/elman/elman_maths.h"
#include "../plugins/gru/gru_maths.h"
#include "../plugins/lstm/lstm_maths.h"
#include "../plugins/qrnn/qrnn_maths.h"
#include "../plugins/rwa/rwa_maths.h"
#include "rnnlab/cpu_math.h"
#include "backend/id_segments.h"
#include "rnnlab/backend.h"
#include "rnnlab/hd_math.h"

namespace rnnlab {

namespace {

using Fn = std::function<double(const std::vector<double>&)>;

// ∂f/∂x_k by central differences.
double numeric_partial(const Fn& f, std::vector<double> x, std::size_t k) {
  const double eps = 1e-6, x0 = x[k];
  x[k] = x0 + eps;
  const double up = f(x);
  x[k] = x0 - eps;
  const double down = f(x);
  return (up - down) / (2 * eps);
}

// Checks every analytic[k] against the numeric partial of f at x.
void check_gradient(const Fn& f, const std::vector<double>& x,
                    const std::vector<double>& analytic) {
  REQUIRE(analytic.size() == x.size());
  for (std::size_t k = 0; k < x.size(); ++k) {
    const double num = numeric_partial(f, x, k);
    INFO("input " << k << ": analytic " << analytic[k] << ", numeric " << num);
    CHECK(std::fabs(analytic[k] - num) <= 1e-7 * (1 + std::fabs(num)));
  }
}

}  // namespace

TEST_SUITE_BEGIN("gradcheck");  // ctest label (tests/README.md: labels)

TEST_CASE("hd_math on the host is cpu_math" * doctest::test_suite("unit")) {
  for (double x : {-90.0, -20.0, -3.5, -1.0, -1e-3, 0.0, 2e-4, 0.5, 1.0, 4.0, 17.0, 90.0}) {
    const float xf = static_cast<float>(x);
    CHECK(hd_math::exp(xf) == cpu_math::vexp(xf));
    CHECK(hd_math::sigmoid(xf) == cpu_math::sigmoid(xf));
    CHECK(hd_math::tanh(xf) == cpu_math::tanh(xf));
    CHECK(hd_math::exp(x) == cpu_math::vexp(x));
    CHECK(hd_math::sigmoid(x) == cpu_math::sigmoid(x));
    CHECK(hd_math::tanh(x) == cpu_math::tanh(x));
  }
}

TEST_CASE("hd_math: float exp's range rule (both devices): NaN stays, inf above, 0 below"
          * doctest::test_suite("unit")) {
  const float inf = std::numeric_limits<float>::infinity();
  CHECK(hd_math::exp(100.0f) == inf);  // CUDA's expf(100) is inf: the CPU used to give 2.4e38
  CHECK(hd_math::exp(cpu_math::kExpMaxF + 0.01f) == inf);
  CHECK(std::isfinite(hd_math::exp(cpu_math::kExpMaxF)));
  CHECK(hd_math::exp(-100.0f) == 0.0f);
  CHECK(hd_math::exp(cpu_math::kExpMinF) > 0.0f);
  CHECK(std::isnan(hd_math::exp(std::nanf(""))));  // the clamp used to turn NaN into 1e-38
  CHECK(std::isnan(hd_math::sigmoid(std::nanf(""))));
  CHECK(std::isnan(hd_math::tanh(std::nanf(""))));
  CHECK(hd_math::sigmoid(-100.0f) == 0.0f);
  CHECK(hd_math::sigmoid(100.0f) == 1.0f);
  for (float x = -87.0f; x < 88.0f; x += 0.37f)
    CHECK(hd_math::exp(x) == doctest::Approx(std::exp(double(x))).epsilon(4e-7));
}

TEST_CASE("argmax: the first largest value, NaN ranking above every number (both devices)"
          * doctest::test_suite("unit")) {
  const double nan = std::nan("");
  const std::vector<double> v{1, 3, 3, 0,  nan, 2, nan, 9,  5, 5, 5, 5,  -1, -2, 7, nan};
  for (DType dt : {DType::f32, DType::f64}) {
    Backend& be = backend_for(Device::cpu);
    Tensor x = to_dtype(from_vector(v, {4, 4}), dt), out = be.empty({4}, DType::i32);
    be.argmax_rows(x, out);
    CHECK(to_vector<int32_t>(out) == std::vector<int32_t>{1, 0, 0, 3});
  }
  CHECK(hd_math::argmax_beats(nan, 5, 1e30, 0));    // NaN beats a number
  CHECK(!hd_math::argmax_beats(1e30, 0, nan, 5));   // a number never beats NaN
  CHECK(!hd_math::argmax_beats(nan, 6, nan, 5));    // the first NaN stays
  CHECK(!hd_math::argmax_beats(2.0, 7, 2.0, 3));    // ties: the lower index
}

TEST_CASE("id_segments: positions grouped by id in order, the CUDA scatter-add's plan"
          * doctest::test_suite("unit")) {
  const IdSegments s = id_segments({3, 0, 3, 9, 1, 3, 0, 5, 12, -1}, 10);  // 12, -1: left out
  CHECK(s.id == std::vector<int32_t>{0, 1, 3, 5, 9});
  CHECK(s.start == std::vector<int32_t>{0, 2, 3, 6, 7, 8});
  CHECK(s.order == std::vector<int32_t>{1, 6, 4, 0, 2, 5, 7, 3});
  const IdSegments none = id_segments({}, 4);
  CHECK(none.id.empty());
  CHECK(none.start == std::vector<int32_t>{0});
}

TEST_CASE("lstm maths: per-element backward is the derivative of forward") {
  const double wh = 0.7, wc = -1.3;
  // x = pre-activations (i, f, g, o), c_{t-1}
  const std::vector<double> x{0.3, -0.8, 1.1, 0.4, -0.6};
  const Fn loss = [&](const std::vector<double>& v) {
    const lstm::Gates<double> a = lstm::activate(lstm::Gates<double>{v[0], v[1], v[2], v[3]});
    const double c = lstm::next_c(a, v[4]);
    return wh * lstm::next_h(a, c) + wc * c;
  };
  const lstm::Gates<double> a = lstm::activate(lstm::Gates<double>{x[0], x[1], x[2], x[3]});
  const double c = lstm::next_c(a, x[4]);
  double dc = wc;
  const lstm::Gates<double> dg = lstm::backward(a, c, x[4], wh, dc);
  check_gradient(loss, x, {dg.i, dg.f, dg.g, dg.o, dc});
}

TEST_CASE("gru maths: per-element backward is the derivative of forward") {
  const double wh = -0.9;
  // x = P (r, z, n), Q (r, z, n), h_{t-1}
  const std::vector<double> x{0.2, -0.5, 0.9, -0.3, 0.6, 0.8, 0.45};
  const Fn loss = [&](const std::vector<double>& v) {
    const gru::Gates<double> a =
        gru::activate(gru::Gates<double>{v[0], v[1], v[2]}, gru::Gates<double>{v[3], v[4], v[5]});
    return wh * gru::next_h(a, v[6]);
  };
  const gru::Gates<double> a =
      gru::activate(gru::Gates<double>{x[0], x[1], x[2]}, gru::Gates<double>{x[3], x[4], x[5]});
  double dh = wh;
  const gru::Gates<double> dp = gru::backward(a, x[5], x[6], dh);
  const gru::Gates<double> dq = gru::dq_of(dp, a);
  check_gradient(loss, x, {dp.r, dp.z, dp.n, dq.r, dq.z, dq.n, dh});
}

TEST_CASE("elman maths: act_grad is the derivative of activate") {
  const double w = 1.7;
  for (double pre : {-1.2, 0.35, 2.0}) {
    const Fn tanh_loss = [&](const std::vector<double>& v) {
      return w * elman::activate<elman::Act::tanh>(v[0]);
    };
    const Fn relu_loss = [&](const std::vector<double>& v) {
      return w * elman::activate<elman::Act::relu>(v[0]);
    };
    check_gradient(tanh_loss, {pre},
                   {elman::act_grad<elman::Act::tanh>(elman::activate<elman::Act::tanh>(pre), w)});
    check_gradient(relu_loss, {pre},
                   {elman::act_grad<elman::Act::relu>(elman::activate<elman::Act::relu>(pre), w)});
  }
}

namespace {

// x = gates (z, f, o, i), c_{t-1} (pooling f: h_{t-1}); L = wh h_t + wc c_t (pooling f: wh h_t).
template <qrnn::Pooling M>
void check_qrnn_pooling() {
  const double wh = 0.8, wc = M == qrnn::Pooling::f ? 0.0 : -0.5;
  const std::vector<double> x{0.4, 0.7, 0.3, 0.6, -0.9};
  const Fn loss = [&](const std::vector<double>& v) {
    const qrnn::Gates<double> g{v[0], v[1], v[2], v[3]};
    const double c = qrnn::next_c<M>(g, v[4]);
    return wh * qrnn::next_h<M>(g, c) + wc * c;
  };
  const qrnn::Gates<double> g{x[0], x[1], x[2], x[3]};
  const double c = qrnn::next_c<M>(g, x[4]);
  double dh = wh, dc = wc;
  const qrnn::Gates<double> d = qrnn::backward<M>(g, x[4], c, dh, dc);
  // pooling f: the previous state is h (dh on exit); fo/ifo: c (dc on exit), dh_{t-1} = 0.
  const double d_prev = M == qrnn::Pooling::f ? dh : dc;
  check_gradient(loss, x, {d.z, d.f, d.o, d.i, d_prev});
  if (M != qrnn::Pooling::f) CHECK(dh == 0.0);
}

}  // namespace

TEST_CASE("qrnn maths: per-element backward is the derivative of forward for every pooling") {
  SUBCASE("f") { check_qrnn_pooling<qrnn::Pooling::f>(); }
  SUBCASE("fo") { check_qrnn_pooling<qrnn::Pooling::fo>(); }
  SUBCASE("ifo") { check_qrnn_pooling<qrnn::Pooling::ifo>(); }
}

TEST_CASE("rwa maths: per-element backward is the derivative of forward") {
  const rwa::State<double> w{0.6, -0.4, 0.9, 0.3};  // L = w · (h, n, d, m)
  // x = P (u, g, a), Q (g, a), n_{t-1}, d_{t-1}, m_{t-1}; a = P_a + Q_a = 0.5
  for (double m_prev : {-0.7, 1.4}) {  // the new logit wins the max, then the previous max
    INFO("m_{t-1} = " << m_prev);
    const std::vector<double> x{0.8, -0.3, 0.2, 0.5, 0.3, 0.35, 1.2, m_prev};
    const auto step = [](const std::vector<double>& v, rwa::Saved<double>& sv) {
      const double p[3] = {v[0], v[1], v[2]}, q[2] = {v[3], v[4]};
      return rwa::forward(p, q, 1, 0, rwa::State<double>{0.0, v[5], v[6], v[7]}, sv);
    };
    const Fn loss = [&](const std::vector<double>& v) {
      rwa::Saved<double> sv;
      const rwa::State<double> s = step(v, sv);
      return w.h * s.h + w.n * s.n + w.d * s.d + w.m * s.m;
    };
    rwa::Saved<double> sv;
    const rwa::State<double> s = step(x, sv);
    rwa::State<double> g = w;
    const rwa::InputGrads<double> d =
        rwa::backward(sv, x[0], s, rwa::State<double>{0.0, x[5], x[6], x[7]}, g);
    check_gradient(loss, x, {d.du, d.dg, d.da, d.dg, d.da, g.n, g.d, g.m});
    CHECK(g.h == 0.0);  // h_{t-1} reaches step t only through Q: the caller's GEMM
  }
}

TEST_SUITE_END();

}  // namespace rnnlab
