// CPU <-> CUDA parity of every Backend kernel (backend.h), f32 and f64 (i32 where the CPU
// takes it), random inputs, every broadcast kind. Error measure: cuda_test::rel_err, at most
// 1e-5 in f32 and 1e-12 in f64; dropout masks and pure copies bit-identical.
#include <doctest/doctest.h>

#include <cmath>
#include <limits>

#include "cuda_test_util.h"
#include "rnnlab/optim.h"

using namespace rnnlab;
using namespace rnnlab::cuda_test;

namespace {

const DType kFloat[] = {DType::f32, DType::f64};

// Runs `kernel(backend, tensors...)` on CPU copies and GPU copies of `inputs`, where the last
// `n_out` inputs are outputs (their initial values matter for *_acc kernels), and compares the
// outputs.
template <typename F>
void parity(const char* what, std::vector<Tensor> inputs, std::size_t n_out, F kernel,
            double tolerance) {
  std::vector<Tensor> g;
  for (auto& t : inputs) g.push_back(t.defined() ? on_gpu(t) : Tensor());
  kernel(cpu(), inputs);
  kernel(gpu(), g);
  for (std::size_t k = inputs.size() - n_out; k < inputs.size(); ++k) {
    double e = rel_err(g[k], inputs[k]);
    INFO(what << ": output " << k << " rel err " << e);
    CHECK(e <= tolerance);
  }
}

}  // namespace

TEST_CASE("cuda kernels: memory (fill, copy, upload/download, cast, block_copy)") {
  for (DType dt : {DType::f32, DType::f64, DType::i32}) {
    INFO(dtype_name(dt));
    for (double v : {0.0, -2.5, 7.0}) {
      Tensor c = cpu().empty({37, 3}, dt), g = gpu().empty({37, 3}, dt);
      cpu().fill(c, v);
      gpu().fill(g, v);
      CHECK(bits_equal(c, g));
    }
    Tensor x = to_dtype(rand_t({1000}, 1, DType::f64, -50, 50), dt);
    Tensor gx = on_gpu(x);
    CHECK(bits_equal(x, gx));  // upload + download round trip
    Tensor gy = gpu().empty({1000}, dt);
    gpu().copy(gx, gy);
    CHECK(bits_equal(x, gy));
    for (DType to : {DType::f32, DType::f64, DType::i32}) {
      Tensor c = cpu().empty({1000}, to), g = gpu().empty({1000}, to);
      cpu().cast(x, c);
      gpu().cast(gx, g);
      INFO("cast to " << dtype_name(to));
      CHECK(bits_equal(c, g));
    }
    // block_copy: columns [2, 2+4) of a [5, 9] source into columns [1, 5) of a [5, 7] target
    Backend::Block b{5, 4, 9, 2, 7, 1};
    Tensor src = to_dtype(rand_t({5, 9}, 2, DType::f64, -9, 9), dt);
    Tensor dst = to_dtype(rand_t({5, 7}, 3, DType::f64, -9, 9), dt);
    Tensor gsrc = on_gpu(src), gdst = on_gpu(dst);
    cpu().block_copy(src, dst, b, false);
    gpu().block_copy(gsrc, gdst, b, false);
    CHECK(bits_equal(dst, gdst));
    Backend::Block contiguous{1, 20, 0, 3, 0, 7};
    Tensor d2 = to_dtype(rand_t({40}, 4, DType::f64), dt), gd2 = on_gpu(d2);
    cpu().block_copy(src, d2, contiguous, false);
    gpu().block_copy(gsrc, gd2, contiguous, false);
    CHECK(bits_equal(d2, gd2));
    if (dt != DType::i32) {
      cpu().block_copy(src, dst, b, true);
      gpu().block_copy(gsrc, gdst, b, true);
      CHECK(rel_err(gdst, dst) <= tol(dt));
    }
  }
}

TEST_CASE("cuda kernels: gemm, every transpose combination, alpha and beta") {
  for (DType dt : kFloat)
    for (bool ta : {false, true})
      for (bool tb : {false, true})
        for (auto [m, n, k] : {std::tuple<int64_t, int64_t, int64_t>{7, 5, 3}, {67, 129, 33},
                               {1, 300, 257}}) {
          Tensor a = rand_t(ta ? Shape{k, m} : Shape{m, k}, 10 + m, dt);
          Tensor b = rand_t(tb ? Shape{n, k} : Shape{k, n}, 20 + n, dt);
          Tensor c = rand_t({m, n}, 30 + k, dt);
          INFO(dtype_name(dt) << " ta " << ta << " tb " << tb << " m " << m << " n " << n
                              << " k " << k);
          parity("gemm", {a, b, c}, 1,
                 [&](Backend& be, std::vector<Tensor>& t) { be.gemm(ta, tb, 0.7, t[0], t[1], -0.3, t[2]); },
                 tol(dt));
        }
  // A of rank 3 is viewed as 2-D by its last dim ([T,B,I] x [I,G] -> [T*B, G])
  for (DType dt : kFloat) {
    Tensor a = rand_t({4, 3, 6}, 40, dt), w = rand_t({6, 8}, 41, dt), c = rand_t({4, 3, 8}, 42, dt);
    parity("gemm rank 3", {a, w, c}, 1,
           [](Backend& be, std::vector<Tensor>& t) { be.gemm(false, false, 1.0, t[0], t[1], 0.0, t[2]); },
           tol(dt));
  }
}

// Every op of op_table.h, forward and both adjoints (accumulated and assigned), on inputs
// over the whole line and over positive numbers only (the domain of log, sqrt, ...: NaN on
// both devices elsewhere), with every broadcast kind of b; ties for the ops that compare.
TEST_CASE("cuda kernels: elementwise and elementwise_grad, every op of op_table.h and broadcast "
          "kind") {
  const Shape a_shape{6, 50, 7};
  const std::vector<Shape> b_shapes{{6, 50, 7}, {7}, {50, 7}, {1}, {6, 1, 1}, {6, 50, 1}};
  for (DType dt : kFloat)
    for (int k = 0; k < op_table::kElemCount; ++k) {
      const ElemOp op = static_cast<ElemOp>(k);
      const bool binary = op_table::info(op).arity() == 2;
      for (const Shape& bs : binary ? b_shapes : std::vector<Shape>{{}})
        for (double lo : {-6.0, 0.1}) {
          const ElemCall c{op, -0.5, 0.75, binary ? Broadcast::infer(a_shape, bs) : Broadcast{}};
          Tensor a = rand_t(a_shape, 60, dt, lo, 6.0);
          Tensor b = binary ? rand_t(bs, 61, dt, 0.2, 1.5) : Tensor{};
          if (binary && bs == a_shape) cpu().copy(a, b);  // exact ties
          INFO(dtype_name(dt) << " " << op_table::info(op).name << " b "
                              << (binary ? shape_str(bs) : "-") << " inputs from " << lo);
          Tensor y = cpu().empty(a_shape, dt);
          parity("elementwise", {a, b, y}, 1,
                 [&](Backend& be, std::vector<Tensor>& t) { be.elementwise(c, t[0], t[1], t[2]); },
                 tol(dt));
          cpu().elementwise(c, a, b, y);
          Tensor g = rand_t(a_shape, 62, dt);
          for (int input = 0; input < op_table::info(op).arity(); ++input)
            for (bool accumulate : {true, false}) {
              Tensor d = rand_t(a_shape, 63, dt);
              INFO("input " << input << " accumulate " << accumulate);
              parity("elementwise_grad", {g, a, b, y, d}, 1,
                     [&](Backend& be, std::vector<Tensor>& t) {
                       be.elementwise_grad(c, input, t[0], t[1], t[2], t[3], accumulate, t[4]);
                     },
                     tol(dt));
            }
        }
    }
}

// Every row reduction of op_table.h and its adjoint, rows with ties and a NaN (the pick rule).
TEST_CASE("cuda kernels: reduce_last and reduce_last_grad_acc, every reduction of op_table.h") {
  for (DType dt : kFloat)
    for (int k = 0; k < op_table::kReduceCount; ++k) {
      const ReduceOp op = static_cast<ReduceOp>(k);
      INFO(dtype_name(dt) << " " << op_table::info(op).name);
      std::vector<double> v = to_vector<double>(rand_t({700, 37}, 64, DType::f64, -3, 3));
      for (int64_t j = 0; j < 37; ++j) v[static_cast<std::size_t>(37 + j)] = 1.0;  // all tied
      v[2 * 37 + 5] = v[2 * 37 + 9] = 9.0;                                      // a tied max
      v[3 * 37 + 11] = std::nan("");
      const Tensor x = to_dtype(from_vector(v, {7, 100, 37}), dt);
      Tensor y = cpu().empty({7, 100, 1}, dt);
      parity("reduce_last", {x, y}, 1,
             [&](Backend& be, std::vector<Tensor>& t) { be.reduce_last(op, t[0], t[1]); }, tol(dt));
      cpu().reduce_last(op, x, y);
      Tensor g = rand_t({7, 100, 1}, 65, dt), dx = rand_t(x.shape(), 66, dt);
      parity("reduce_last_grad_acc", {g, x, y, dx}, 1,
             [&](Backend& be, std::vector<Tensor>& t) {
               be.reduce_last_grad_acc(op, t[0], t[1], t[2], t[3]);
             },
             tol(dt));
    }
}

// layer_norm and its gradient (cpu_layer_norm.cpp's maths), with and without bias, dx
// assigned and accumulated; 700 rows cross the CPU's 32-row blocks, 37 columns the 8 lanes.
TEST_CASE("cuda kernels: layer_norm and layer_norm_grad") {
  for (DType dt : kFloat)
    for (bool with_bias : {true, false}) {
      INFO(dtype_name(dt) << (with_bias ? " with bias" : " without bias"));
      const Tensor x = rand_t({7, 100, 37}, 67, dt, -3, 3), gain = rand_t({37}, 68, dt),
                   bias = with_bias ? rand_t({37}, 69, dt) : Tensor();
      Tensor y = cpu().empty(x.shape(), dt), mean = cpu().empty({7, 100, 1}, dt),
             rstd = cpu().empty({7, 100, 1}, dt);
      parity("layer_norm", {x, gain, bias, y, mean, rstd}, 3,
             [&](Backend& be, std::vector<Tensor>& t) {
               be.layer_norm(t[0], t[1], t[2], 1e-5, t[3], t[4], t[5]);
             },
             tol(dt));
      cpu().layer_norm(x, gain, bias, 1e-5, y, mean, rstd);
      const Tensor dy = rand_t(x.shape(), 70, dt);
      for (bool assign : {true, false}) {
        INFO((assign ? "dx assigned" : "dx accumulated"));
        Tensor dx = rand_t(x.shape(), 71, dt), dgain = rand_t({37}, 72, dt),
               dbias = rand_t({37}, 73, dt);
        parity("layer_norm_grad", {dy, x, gain, mean, rstd, dx, dgain, dbias}, 3,
               [&](Backend& be, std::vector<Tensor>& t) {
                 be.layer_norm_grad(t[0], t[1], t[2], t[3], t[4], &t[5], assign, &t[6],
                                    with_bias ? &t[7] : nullptr);
               },
               tol(dt));
      }
    }
}

TEST_CASE("cuda kernels: mul_acc, every broadcast kind") {
  const Shape a_shape{6, 50, 7};
  const std::vector<Shape> b_shapes{{6, 50, 7}, {7}, {50, 7}, {1}, {6, 1, 1}, {6, 50, 1}};
  for (DType dt : kFloat)
    for (const Shape& bs : b_shapes) {
      Broadcast bc = Broadcast::infer(a_shape, bs);
      Tensor b = rand_t(bs, 61, dt, 0.2, 1.5);
      for (bool one_minus : {false, true}) {
        Tensor dy = rand_t(a_shape, 62, dt), da = rand_t(a_shape, 63, dt);
        INFO(dtype_name(dt) << " b " << shape_str(bs) << " one_minus " << one_minus);
        parity("mul_acc", {dy, b, da}, 1,
               [&](Backend& be, std::vector<Tensor>& t) { be.mul_acc(t[0], t[1], bc, one_minus, t[2]); },
               tol(dt));
      }
    }
}

TEST_CASE("cuda kernels: reduce_acc (elementwise, total, column and row sums), axpby, mask_blend") {
  struct Case {
    Shape x, db;
  };
  // totals and column sums big enough to take the chunked two-pass paths
  const std::vector<Case> cases{{{6, 50, 7}, {6, 50, 7}}, {{6, 50, 7}, {7}},     {{6, 50, 7}, {1}},
                                {{100000}, {1}},          {{4000, 37}, {37}},    {{9000, 300}, {300}},
                                {{6, 50, 7}, {6, 1, 1}},  {{6, 50, 7}, {6, 50, 1}}, {{3, 70000}, {3, 1}}};
  for (DType dt : kFloat)
    for (const Case& c : cases)
      for (bool with_other : {false, true}) {
        Broadcast bc = Broadcast::infer(c.x, c.db);
        Tensor x = rand_t(c.x, 70, dt), o = with_other ? rand_t(c.x, 71, dt) : Tensor();
        Tensor db = rand_t(c.db, 72, dt);
        INFO(dtype_name(dt) << " x " << shape_str(c.x) << " db " << shape_str(c.db) << " other "
                            << with_other);
        parity("reduce_acc", {x, o, db}, 1,
               [&](Backend& be, std::vector<Tensor>& t) { be.reduce_acc(t[0], t[1], bc, 0.5, t[2]); },
               tol(dt) * 10);  // long sums in another order
      }
  for (DType dt : kFloat)
    for (double beta : {0.0, -0.25}) {
      Tensor x = rand_t({5000}, 73, dt), y = rand_t({5000}, 74, dt);
      parity("axpby", {x, y}, 1, [&](Backend& be, std::vector<Tensor>& t) { be.axpby(1.5, t[0], beta, t[1]); },
             tol(dt));
    }
  for (DType dt : kFloat) {
    Tensor m = from_vector(std::vector<double>{1, 0, 0, 1, 1}, {5, 1});
    m = to_dtype(m, dt);
    Tensor a = rand_t({5, 9}, 75, dt), b = rand_t({5, 9}, 76, dt), out = cpu().empty({5, 9}, dt);
    parity("mask_blend", {m, a, b, out}, 1,
           [](Backend& be, std::vector<Tensor>& t) { be.mask_blend(t[0], t[1], t[2], t[3]); }, 0.0);
  }
}

TEST_CASE("cuda kernels: sum_squares and all_finite") {
  for (DType dt : kFloat)
    for (int64_t n : {int64_t{1}, int64_t{1000}, int64_t{300001}}) {
      Tensor x = rand_t({n}, 80, dt);
      double c = cpu().sum_squares(x), g = gpu().sum_squares(on_gpu(x));
      INFO(dtype_name(dt) << " n " << n << " cpu " << c << " gpu " << g);
      CHECK(std::fabs(c - g) <= tol(dt) * std::fabs(c));
      CHECK(gpu().all_finite(on_gpu(x)));
      for (double bad : {std::numeric_limits<double>::quiet_NaN(),
                         std::numeric_limits<double>::infinity(),
                         -std::numeric_limits<double>::infinity()}) {
        auto v = to_vector<double>(x);
        v[static_cast<std::size_t>(n / 2)] = bad;
        Tensor gb = to_dtype(from_vector(v, {n}, Device::cuda), dt);
        CHECK_FALSE(gpu().all_finite(gb));
      }
    }
}

TEST_CASE("cuda kernels: gather_rows, scatter_add_rows (repeated ids), argmax_rows (ties, NaN)") {
  const std::vector<int32_t> id_values{3, 0, 3, 9, 1, 3, 0, 5};
  Tensor ids = from_vector(id_values, {8});
  for (DType dt : {DType::f32, DType::f64, DType::i32}) {
    Tensor table = to_dtype(rand_t({10, 6}, 90, DType::f64, -20, 20), dt);
    Tensor c = cpu().empty({8, 6}, dt), g = gpu().empty({8, 6}, dt);
    cpu().gather_rows(table, ids, c);
    gpu().gather_rows(on_gpu(table), on_gpu(ids), g);
    INFO(dtype_name(dt));
    CHECK(bits_equal(c, g));
  }
  Tensor bad_ids = from_vector(std::vector<int32_t>{1, 2, 10}, {3});
  Tensor out = gpu().empty({3, 6}, DType::f32);
  const DebugSync debug;  // the id check reads back from the device in debug mode only
  CHECK_THROWS_WITH_AS(gpu().gather_rows(on_gpu(rand_t({10, 6}, 91, DType::f32)), on_gpu(bad_ids), out),
                       doctest::Contains("embedding id 10 at position 2"), Error);
  for (DType dt : kFloat) {
    Tensor dout = rand_t({8, 6}, 92, dt), dtable = rand_t({10, 6}, 93, dt);
    // Ordered, not atomic: the same bits as the CPU, and the same on every repetition.
    parity("scatter_add_rows", {dout, ids, dtable}, 1,
           [](Backend& be, std::vector<Tensor>& t) { be.scatter_add_rows(t[0], t[1], t[2]); }, 0.0);
    Tensor once = on_gpu(dtable), twice = on_gpu(dtable);
    gpu().scatter_add_rows(on_gpu(dout), on_gpu(ids), once);
    gpu().scatter_add_rows(on_gpu(dout), on_gpu(ids), twice);
    CHECK(bits_equal(once, twice));
    // argmax: rows with ties (first index wins), NaN (the first NaN wins), a wide row
    const double nan = std::nan("");
    std::vector<double> v{1, 3, 3, 0, 5, 5, 5, 5, -1, -2, -3, -1, 2, nan, 7, nan, nan, 0};
    for (const Shape& s : {Shape{6, 3}, Shape{3, 6}}) {
      Tensor x = to_dtype(from_vector(v, s), dt);
      Tensor c = cpu().empty({s[0]}, DType::i32), g = gpu().empty({s[0]}, DType::i32);
      cpu().argmax_rows(x, c);
      gpu().argmax_rows(on_gpu(x), g);
      CHECK(bits_equal(c, g));
    }
    Tensor wide = rand_t({7, 5000}, 94, dt);
    auto w = to_vector<double>(wide);
    w[3 * 5000 + 4321] = nan;  // row 3: a NaN far from the start
    wide = to_dtype(from_vector(w, {7, 5000}), dt);
    Tensor c = cpu().empty({7}, DType::i32), g = gpu().empty({7}, DType::i32);
    cpu().argmax_rows(wide, c);
    gpu().argmax_rows(on_gpu(wide), g);
    CHECK(bits_equal(c, g));
  }
}

TEST_CASE("cuda kernels: softmax_xent, bce_logits, their gradients, scalar_broadcast_acc") {
  for (DType dt : kFloat)
    for (int64_t classes : {int64_t{3}, int64_t{10}, int64_t{1000}}) {
      const int64_t n = 33;
      Tensor logits = rand_t({n, classes}, 100, dt, -8, 8);
      std::vector<int32_t> lv(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i) lv[static_cast<std::size_t>(i)] = static_cast<int32_t>((i * 7) % classes);
      Tensor labels = from_vector(lv, {n});
      Tensor probs = cpu().empty({n, classes}, dt), loss = cpu().empty({n}, dt);
      INFO(dtype_name(dt) << " classes " << classes);
      parity("softmax_xent", {logits, labels, probs, loss}, 2,
             [](Backend& be, std::vector<Tensor>& t) { be.softmax_xent(t[0], t[1], t[2], t[3]); }, tol(dt));
      cpu().softmax_xent(logits, labels, probs, loss);
      Tensor dloss = to_dtype(from_vector(std::vector<double>{0.75}, {}), dt);
      Tensor dlogits = rand_t({n, classes}, 101, dt);
      parity("softmax_xent_grad_acc", {probs, labels, dloss, dlogits}, 1,
             [](Backend& be, std::vector<Tensor>& t) { be.softmax_xent_grad_acc(t[0], t[1], t[2], 1.0 / 33, t[3]); },
             tol(dt));
    }
  {
    Tensor logits = on_gpu(rand_t({2, 4}, 102, DType::f32));
    Tensor labels = on_gpu(from_vector(std::vector<int32_t>{1, 4}, {2}));
    Tensor p = gpu().empty({2, 4}, DType::f32), l = gpu().empty({2}, DType::f32);
    CHECK_NOTHROW(gpu().softmax_xent(logits, labels, p, l));  // no read-back by default
    const DebugSync debug;
    CHECK_THROWS_WITH_AS(gpu().softmax_xent(logits, labels, p, l),
                         doctest::Contains("label 4 of row 1 is outside [0, 4)"), Error);
  }
  for (DType dt : kFloat) {
    Tensor x = rand_t({3000}, 103, dt, -30, 30), t = rand_t({3000}, 104, dt, 0, 1);
    Tensor loss = cpu().empty({3000}, dt);
    parity("bce_logits", {x, t, loss}, 1,
           [](Backend& be, std::vector<Tensor>& v) { be.bce_logits(v[0], v[1], v[2]); }, tol(dt));
    Tensor dloss = to_dtype(from_vector(std::vector<double>{-1.25}, {}), dt);
    Tensor dx = rand_t({3000}, 105, dt);
    parity("bce_logits_grad_acc", {x, t, dloss, dx}, 1,
           [](Backend& be, std::vector<Tensor>& v) { be.bce_logits_grad_acc(v[0], v[1], v[2], 0.5, v[3]); },
           tol(dt));
    parity("scalar_broadcast_acc", {dloss, dx}, 1,
           [](Backend& be, std::vector<Tensor>& v) { be.scalar_broadcast_acc(v[0], 0.25, v[1]); }, tol(dt));
  }
}

TEST_CASE("cuda kernels: dropout masks are bit-identical to the CPU's for the same seed") {
  for (DType dt : kFloat)
    for (double p : {0.0, 0.3, 0.9})
      for (uint64_t seed : {uint64_t{0}, uint64_t{12345}, ~uint64_t{0}}) {
        Tensor c = cpu().empty({70001}, dt), g = gpu().empty({70001}, dt);
        cpu().dropout_mask(p, seed, c);
        gpu().dropout_mask(p, seed, g);
        INFO(dtype_name(dt) << " p " << p << " seed " << seed);
        CHECK(bits_equal(c, g));
      }
  Tensor g = gpu().empty({4}, DType::f32);
  CHECK_THROWS_AS(gpu().dropout_mask(1.0, 1, g), InputError);
}

TEST_CASE("cuda kernels: optimizer updates (sgd, momentum, adam, rmsprop) over several steps") {
  using K = UpdateRule::Kind;
  for (DType dt : kFloat)
    for (K kind : {K::sgd, K::momentum, K::adam, K::rmsprop})
    for (double max_abs : {0.0, 0.3}) {  // unbounded, and clamped to [-0.3, 0.3]
      UpdateRule r;
      r.kind = kind;
      r.max_abs = max_abs;
      r.lr = 0.01;
      r.weight_decay = 0.001;
      r.grad_scale = 0.8;
      Tensor w = rand_t({1000}, 110, dt), s1 = cpu().empty({1000}, dt), s2 = cpu().empty({1000}, dt);
      cpu().fill(s1, 0.0);
      cpu().fill(s2, 0.0);
      Tensor gw = on_gpu(w), gs1 = on_gpu(s1), gs2 = on_gpu(s2);
      for (int64_t step = 1; step <= 3; ++step) {
        r.step = step;
        Tensor grad = rand_t({1000}, 111 + static_cast<uint64_t>(step), dt);
        Tensor ggrad = on_gpu(grad);
        Tensor n1 = kind == K::sgd ? Tensor() : s1, n2 = kind == K::adam ? s2 : Tensor();
        Tensor g1 = kind == K::sgd ? Tensor() : gs1, g2 = kind == K::adam ? gs2 : Tensor();
        cpu().apply_update(r, w, grad, n1, n2);
        gpu().apply_update(r, gw, ggrad, g1, g2);
      }
      INFO(dtype_name(dt) << " rule " << static_cast<int>(kind) << " max_abs " << max_abs);
      CHECK(rel_err(gw, w) <= tol(dt));
      if (kind != K::sgd) CHECK(rel_err(gs1, s1) <= tol(dt));
      if (kind == K::adam) CHECK(rel_err(gs2, s2) <= tol(dt));
    }
}

TEST_CASE("cuda kernels: the fused losses, scale_by and the group optimizer update") {
  for (DType dt : kFloat) {
    INFO(dtype_name(dt));
    // mse_with_grad over several reduction blocks, with and without the gradient
    Tensor p = rand_t({70, 300}, 130, dt), t = rand_t({70, 300}, 131, dt);
    parity("mse_with_grad", {p, t, zeros({}, dt), zeros({70, 300}, dt)}, 2,
           [](Backend& be, std::vector<Tensor>& x) {
             be.mse_with_grad(x[0], x[1], 1.0 / 21000, x[2], x[3]);
           }, tol(dt));
    parity("mse_with_grad, loss only", {p, t, zeros({}, dt)}, 1,
           [](Backend& be, std::vector<Tensor>& x) {
             Tensor none;
             be.mse_with_grad(x[0], x[1], 0.5, x[2], none);
           }, tol(dt));
    // softmax_xent_with_grad: unscored rows (-1) get a zero row
    for (int64_t classes : {int64_t{3}, int64_t{1000}}) {
      const int64_t n = 33;
      std::vector<int32_t> lv(static_cast<std::size_t>(n));
      for (int64_t i = 0; i < n; ++i)
        lv[static_cast<std::size_t>(i)] =
            i % 5 == 0 ? -1 : static_cast<int32_t>((i * 7) % classes);
      Tensor labels = from_vector(lv, {n});
      parity("softmax_xent_with_grad",
             {rand_t({n, classes}, 132, dt, -8, 8), labels, zeros({n}, dt),
              zeros({n, classes}, dt)},
             2,
             [](Backend& be, std::vector<Tensor>& x) {
               be.softmax_xent_with_grad(x[0], x[1], 1.0 / 26, x[2], x[3]);
             }, tol(dt));
    }
    parity("scale_by", {full({}, dt, -1.5), rand_t({1000}, 133, dt)}, 1,
           [](Backend& be, std::vector<Tensor>& x) { be.scale_by(x[0], x[1]); }, tol(dt));
    // apply_updates: 20 parameters (two launches), each against apply_update + zeroed grad
    using K = UpdateRule::Kind;
    for (K kind : {K::sgd, K::momentum, K::adam, K::rmsprop}) {
      UpdateRule r;
      r.kind = kind;
      r.lr = 0.01;
      r.weight_decay = 0.01;
      r.step = 3;
      std::vector<Tensor> w, g, s1, s2, gw, gg, gs1, gs2;
      std::vector<Backend::UpdateTarget> cg, gpu_group;
      for (int k = 0; k < 20; ++k) {
        const Shape sh{1 + 37 * k};
        w.push_back(rand_t(sh, 140 + k, dt));
        g.push_back(rand_t(sh, 170 + k, dt));
        s1.push_back(kind == K::sgd ? Tensor() : rand_t(sh, 200 + k, dt, 0, 1));
        s2.push_back(kind == K::adam ? rand_t(sh, 230 + k, dt, 0, 1) : Tensor());
      }
      for (int k = 0; k < 20; ++k) {
        gw.push_back(on_gpu(w[k]));
        gg.push_back(on_gpu(g[k]));
        gs1.push_back(s1[k].defined() ? on_gpu(s1[k]) : Tensor());
        gs2.push_back(s2[k].defined() ? on_gpu(s2[k]) : Tensor());
      }
      for (int k = 0; k < 20; ++k) {
        const double max_abs = k % 3 == 0 ? 0.5 : 0.0;
        cg.push_back({&w[k], &g[k], &s1[k], &s2[k], max_abs});
        gpu_group.push_back({&gw[k], &gg[k], &gs1[k], &gs2[k], max_abs});
      }
      cpu().apply_updates(r, cg);
      gpu().apply_updates(r, gpu_group);
      INFO("rule " << update_kind_name(kind));
      for (int k = 0; k < 20; ++k) {
        CHECK(rel_err(gw[k], w[k]) <= tol(dt));
        CHECK(bits_equal(gg[k], g[k]));  // both zeroed
        if (kind != K::sgd) CHECK(rel_err(gs1[k], s1[k]) <= tol(dt));
        if (kind == K::adam) CHECK(rel_err(gs2[k], s2[k]) <= tol(dt));
      }
    }
  }
}

TEST_CASE("cuda kernels: a cpu tensor handed to the cuda backend is a clear error, not a crash") {
  Tensor c = rand_t({4}, 1, DType::f32);
  Tensor g = gpu().empty({4}, DType::f32);
  CHECK_THROWS_WITH_AS(gpu().elementwise({ElemOp::tanh, 0.0, 0.0, {}}, c, Tensor{}, g),
                       doctest::Contains("not a cuda tensor"),
                       Error);
}
