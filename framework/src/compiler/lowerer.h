// Step compiler, stage 2 (internal): the Lowerer that turns a Graph into a Program. Its
// forward half (values, uses, homes, forward instructions) is in lower.cpp, the derived
// backward program in lower_backward.cpp; the stages are described in lower.cpp.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "compiler/stages.h"

namespace rnnlab::compiler::detail {

struct Val {
  int32_t base = -1;
  int64_t off = 0, w = 0;
  int level = 0;
};

struct Base {
  Slot home = Slot::scratch;
  int32_t home_id = 0;
  int64_t w = 0;
  int level = 0;
  int max_use = -1;      // highest level that reads it
  bool needed = false;   // the backward reads its value
  bool out = false;      // a next state or y lives here
  int slot = -1, adj = -1;
  bool adj_external = false, adj_scratch = false;
  bool remat = false;    // recomputed at the start of the backward instead of saved
};

struct Item {  // one forward unit of work, for the backward
  int32_t node = -1;               // graph op node, or -1 for a copy
  int32_t src = -1, dst = -1;      // copy: value ids
};

// An operand as the program reads it: where, and whether it is one value per row (a row
// scalar broadcast over the instruction's columns).
struct Operand {
  Ref ref;
  bool scalar = false;
};

// d = a (Code::copy) over w columns.
inline Instr copy_instr(int64_t w, Ref a, Ref d = {}) {
  Instr in;
  in.code = Code::copy;
  in.w = w;
  in.a = a;
  in.d = d;
  return in;
}

// Every method refuses a graph it cannot lower by throwing Unsupported (stages.h).
class Lowerer {
 public:
  explicit Lowerer(const Graph& g) : g_(g) {}
  std::shared_ptr<const Program> run();

 private:
  const GNode& node(int32_t i) const { return g_.nodes[static_cast<std::size_t>(i)]; }
  Val& val(int32_t i) { return vals_[static_cast<std::size_t>(i)]; }
  Base& base_of(int32_t i) { return bases_[static_cast<std::size_t>(val(i).base)]; }
  int32_t new_base(int32_t v, int64_t w, int level) {
    bases_.push_back({});
    bases_.back().w = w;
    bases_.back().level = level;
    val(v) = {static_cast<int32_t>(bases_.size() - 1), 0, w, level};
    return val(v).base;
  }
  int32_t new_value() {
    vals_.push_back({});
    return static_cast<int32_t>(vals_.size() - 1);
  }
  int slot(Slot kind, int32_t id, int64_t width) {
    auto key = std::make_pair(static_cast<int>(kind), id);
    if (kind != Slot::scratch && kind != Slot::dscratch) {
      auto it = slot_ids_.find(key);
      if (it != slot_ids_.end()) return it->second;
    }
    SlotDesc d;
    d.kind = kind;
    d.id = id;
    d.width = width;
    if (kind == Slot::scratch) d.offset = std::exchange(prog_.scratch, prog_.scratch + width);
    if (kind == Slot::dscratch) d.offset = std::exchange(prog_.dscratch, prog_.dscratch + width);
    prog_.slots.push_back(d);
    const int s = static_cast<int>(prog_.slots.size() - 1);
    slot_ids_[key] = s;
    return s;
  }
  bool is_ext(int32_t i) const { return node(i).src == Src::ext; }
  int64_t numel(int32_t i) const { return shape_numel(node(i).shape); }
  // A region op: an op node of the step that is an instruction of an elementwise region.
  bool region_op(const GNode& n) const;

  // lower.cpp: the forward half.
  void header();
  void values();
  void uses();
  bool recomputable(int32_t base);
  void homes();
  // The value (row node) or an extern used with broadcast `bc`, read over w columns.
  Operand operand(int32_t i, Broadcast::Kind bc, int64_t w);
  void forward();
  Instr own_instr(int32_t node, Code code, int64_t w);
  Instr op_instr(int32_t node);
  Instr reduce_instr(int32_t node);
  void gemm(int level, int32_t node);
  void gemm_da_targets();
  void assign_dp();
  void count_work();

  // lower_backward.cpp: the derived reverse program.
  void backward();
  void seed_outputs();
  std::vector<Instr> step_zeros();
  void adjoint(const Item& it, std::vector<Instr>& bwd);
  Operand adj_ref(int32_t i, Broadcast::Kind bc, int64_t w, bool* has);
  // Adds `in` (code, operands, width, scalars) to the adjoint of node `target` (read with
  // broadcast bc): sets its destination and store; nothing when the target gets no gradient.
  void contrib(std::vector<Instr>& out, int32_t target, Broadcast::Kind bc, Instr in);
  void mark_written(int32_t node);
  void fix_scratch_stores(std::vector<Instr>& bwd);

  const Graph& g_;
  Program prog_;
  std::vector<Val> vals_;
  std::vector<Base> bases_;
  std::vector<std::vector<Item>> items_;  // per level
  std::map<std::pair<int, int32_t>, int> slot_ids_;
  std::vector<int32_t> producer_;         // per base: the op node that writes all of it, or -1
  std::vector<signed char> recomp_;       // per base: recomputable() memo (-1: not yet known)
  std::vector<std::vector<Instr>> remat_; // per level: forward instructions replayed by bwd
  std::vector<int32_t> out_state_val_;    // value holding s_t,k (a copy or the node)
  int32_t y_val_ = -1;
  int levels_ = 1;
  // backward(): seeds per level, the top level's accumulating seeds, and the scratch adjoints
  // that have received a contribution (per base)
  std::vector<std::vector<Instr>> seeds_;
  std::vector<Instr> top_seeds_;
  std::vector<char> written_;
};

}  // namespace rnnlab::compiler::detail
