// Step compiler, stage 1 output: the traced graph of one recurrent step (internal).
//
// Node sources: p (P_t [B,G]), state k (s_{t-1,k} [B,S_k]), mask (m_t [B,1]), ext e (a
// parameter or a constant captured by the trace: weights, per-unit vectors, dropout masks) and
// op (an annotated autodiff op, see OpInfo in autodiff.h). A node is a "row" value when it
// depends on p, a state or the mask: then its shape is [B, w]. Nodes are in the tape's
// (topological) order and only those the outputs need are kept.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "rnnlab/autodiff.h"
#include "rnnlab/parameter.h"

namespace rnnlab::compiler {

enum class Src : uint8_t { p, state, mask, ext, op };

struct GNode {
  Src src = Src::op;
  int32_t index = -1;  // state k or ext e
  OpInfo op;           // src op: what the op was (autodiff.h; no aux)
  std::vector<int32_t> in;  // graph node ids
  Shape shape;
  bool row = false;
};

struct Graph {
  int64_t batch = 0;
  DType dtype = DType::f32;
  bool masked = false;
  std::vector<GNode> nodes;
  std::vector<int32_t> next_state;  // node of s_{t,k} (after the mask blend)
  int32_t y = -1;                   // node of output(s_t)
  // The step's inputs outside P and the state, in ext order: a parameter, a constant, or a
  // value the step computes from parameters alone (hoisted: replayed once per forward on the
  // caller's tape, from earlier externs, so its gradient reaches the parameters).
  struct Hoist {
    OpInfo op;  // kind none: not hoisted
    Shape shape;
    std::vector<int32_t> in;  // ext indices
  };
  std::vector<Parameter*> ext_param;  // nullptr for a constant or a hoisted value
  std::vector<Tensor> ext_const;      // the captured value (constants only)
  std::vector<Hoist> ext_hoist;
  bool ext_grad(std::size_t e) const { return ext_param[e] || ext_hoist[e].op.kind != OpKind::none; }
  // Structure only (no values): equal keys lower to the same program.
  std::string key() const;
};

}  // namespace rnnlab::compiler
