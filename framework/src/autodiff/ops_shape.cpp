// Shape ops: reshape (a view), slice / concat / select / stack (block copies).
// A tensor sliced along `axis` is viewed as [outer, dim(axis) * inner]; a slice is the block
// [start*inner, (start+len)*inner) of every row, and its gradient is the same block added back.
#include "rnnlab/ops.h"

namespace rnnlab {

namespace {

struct AxisView {
  int64_t outer = 1, dim = 1, inner = 1;
};

AxisView axis_view(const Shape& s, int axis) {
  AxisView v;
  for (int i = 0; i < axis; ++i) v.outer *= s[static_cast<std::size_t>(i)];
  v.dim = s[static_cast<std::size_t>(axis)];
  for (std::size_t i = static_cast<std::size_t>(axis) + 1; i < s.size(); ++i) v.inner *= s[i];
  return v;
}

int norm_axis(int axis, int rank, const char* op) {
  int a = axis < 0 ? axis + rank : axis;
  RNNLAB_CHECK(a >= 0 && a < rank, op, ": axis ", axis, " out of range for rank ", rank);
  return a;
}

// Block of slice [start, start+len) along the axis: src = full tensor, dst = slice.
Backend::Block slice_block(const AxisView& v, int64_t start, int64_t len) {
  return {v.outer, len * v.inner, v.dim * v.inner, start * v.inner, len * v.inner, 0};
}
Backend::Block reverse(const Backend::Block& b) {
  return {b.outer, b.len, b.dst_stride, b.dst_off, b.src_stride, b.src_off};
}

Var slice_to(const Var& x, int axis, int64_t start, int64_t len, Shape out_shape) {
  const Shape& s = x.shape();
  int a = norm_axis(axis, x.value().rank(), "slice");
  RNNLAB_CHECK(start >= 0 && len >= 0 && start + len <= s[static_cast<std::size_t>(a)],
               "slice [", start, ", ", start + len, ") of axis ", a, " of ", shape_str(s));
  AxisView v = axis_view(s, a);
  Backend::Block blk = slice_block(v, start, len);
  Tape& tape = x.tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(out_shape, x.dtype());
  be.block_copy(x.value(), out, blk, false);
  Var r = tape.record(out, {x}, [blk](BackwardContext& ctx) {
    ctx.backend().block_copy(ctx.grad_out(), ctx.grad_in(0), reverse(blk), true);
  });
  OpInfo info;
  info.kind = OpKind::slice;
  info.i0 = a;
  info.i1 = start;
  info.i2 = len;
  // select() drops the axis: the tracer sees a reshape it does not support
  if (out_shape.size() != static_cast<std::size_t>(x.value().rank())) info.kind = OpKind::none;
  return tape.traced(r, std::move(info));
}

}  // namespace

Var reshape(const Var& x, const Shape& shape) {
  Tensor y = x.value().reshape(shape);
  // The gradient passes through unchanged, so x's first gradient is this node's own tensor
  // (accumulate adopts it: no copy, no zero fill; a word LM's [T*B, V] logits are 45 MB) and
  // later ones are added. Nothing reads this node's gradient after its backward, except
  // Tape::grad of the reshape's output, which then also shows x's later contributions.
  Var r = x.tape().record(y, {x}, [](BackwardContext& ctx) {
    ctx.accumulate(0, ctx.grad_out());
  });
  OpInfo info;
  info.kind = OpKind::reshape;
  return x.tape().traced(r, std::move(info));
}

Var slice(const Var& x, int axis, int64_t start, int64_t len) {
  int a = norm_axis(axis, x.value().rank(), "slice");
  Shape out = x.shape();
  out[static_cast<std::size_t>(a)] = len;
  return slice_to(x, a, start, len, out);
}

Var select(const Var& x, int64_t t) {
  Shape out(x.shape().begin() + 1, x.shape().end());
  return slice_to(x, 0, t, 1, out);
}

Var concat(const std::vector<Var>& xs, int axis) {
  RNNLAB_CHECK(!xs.empty(), "concat of nothing");
  const Shape& s0 = xs[0].shape();
  int a = norm_axis(axis, static_cast<int>(s0.size()), "concat");
  Shape out_shape = s0;
  int64_t total = 0;
  for (const Var& x : xs) {
    const Shape& s = x.shape();
    RNNLAB_CHECK(s.size() == s0.size() && x.dtype() == xs[0].dtype(), "concat: ",
                 shape_str(s), " does not match ", shape_str(s0));
    for (std::size_t i = 0; i < s.size(); ++i)
      RNNLAB_CHECK(static_cast<int>(i) == a || s[i] == s0[i], "concat along axis ", a, ": ",
                   shape_str(s), " does not match ", shape_str(s0));
    total += s[static_cast<std::size_t>(a)];
  }
  out_shape[static_cast<std::size_t>(a)] = total;
  AxisView vo = axis_view(out_shape, a);
  Tape& tape = xs[0].tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(out_shape, xs[0].dtype());
  std::vector<Backend::Block> blocks;  // input k -> output block
  int64_t off = 0;
  for (const Var& x : xs) {
    int64_t len = x.shape()[static_cast<std::size_t>(a)];
    Backend::Block b{vo.outer, len * vo.inner, len * vo.inner, 0, vo.dim * vo.inner,
                     off * vo.inner};
    be.block_copy(x.value(), out, b, false);
    blocks.push_back(b);
    off += len;
  }
  Var r = tape.record(out, xs, [blocks](BackwardContext& ctx) {
    bool assign = false;  // each input's block is its whole gradient
    for (std::size_t k = 0; k < blocks.size(); ++k)
      if (ctx.needs(static_cast<int>(k))) {
        Tensor& dx = ctx.grad_in_whole(static_cast<int>(k), assign);
        ctx.backend().block_copy(ctx.grad_out(), dx, reverse(blocks[k]), !assign);
      }
  });
  OpInfo info;
  info.kind = OpKind::concat;
  info.i0 = a;
  return tape.traced(r, std::move(info));
}

Var stack(const std::vector<Var>& xs) {
  RNNLAB_CHECK(!xs.empty(), "stack of nothing");
  const Shape& s0 = xs[0].shape();
  int64_t n = shape_numel(s0);
  Shape out_shape{static_cast<int64_t>(xs.size())};
  out_shape.insert(out_shape.end(), s0.begin(), s0.end());
  Tape& tape = xs[0].tape();
  Backend& be = tape.backend();
  Tensor out = be.empty(out_shape, xs[0].dtype());
  for (std::size_t k = 0; k < xs.size(); ++k) {
    RNNLAB_CHECK(xs[k].shape() == s0, "stack: ", shape_str(xs[k].shape()), " does not match ",
                 shape_str(s0));
    be.block_copy(xs[k].value(), out, {1, n, n, 0, n, static_cast<int64_t>(k) * n}, false);
  }
  return tape.record(out, xs, [n](BackwardContext& ctx) {
    const auto count = static_cast<int>(ctx.grad_out().numel() / std::max<int64_t>(1, n));
    bool assign = false;  // each input's slice is its whole gradient
    for (int k = 0; k < count; ++k)
      if (ctx.needs(k)) {
        Tensor& dx = ctx.grad_in_whole(k, assign);
        ctx.backend().block_copy(ctx.grad_out(), dx, {1, n, n, k * n, n, 0}, !assign);
      }
  });
}

}  // namespace rnnlab
