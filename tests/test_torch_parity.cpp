// Parity with PyTorch: the built-in elman (tanh, relu), lstm and gru cells, fused and composed,
// against nn.RNN / nn.LSTM / nn.GRU on a variable-length batch (pack_padded_sequence).
//
// The test dumps x, the weights and the loss weights R into a case directory (raw float64 .bin
// files + case.json), runs `/usr/bin/python3 tests/torch_parity.py DIR` (Debian's PyTorch), and
// compares outputs, final states and the gradients w.r.t. x and every weight in f32 with
// |ours - torch| <= 1e-5 + 1e-5 |torch|. The weight layouts are mapped by the script (see the
// cell headers: weight_ih_l0 = W_xᵀ, weight_hh_l0 = W_hᵀ, bias_ih = b, bias_hh = 0 / b_x, b_h).
// A machine without /usr/bin/python3 + torch FAILS these tests (install python3-torch).
#include <doctest/doctest.h>
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "rnnlab/recurrent.h"
#include "test_util.h"

using namespace rnnlab;
using rnnlab::test::builtin_cells;
using rnnlab::test::rand_tensor;

namespace {

namespace fs = std::filesystem;

const std::string kPython = "/usr/bin/python3";
constexpr int64_t kT = 7, kB = 4, kI = 5, kH = 6;
const std::vector<int32_t> kLengths{7, 3, 5, 1};
constexpr double kAtol = 1e-5, kRtol = 1e-5;

struct ParityCase {
  const char* cell;
  const char* activation;  // elman only ("" otherwise)
  uint64_t seed;
};

std::string read_text(const fs::path& p) {
  std::ifstream f(p);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

void write_bin(const fs::path& dir, const std::string& name, const Tensor& t) {
  std::vector<double> v = to_vector<double>(t);
  std::ofstream f(dir / (name + ".bin"), std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "cannot write " << (dir / (name + ".bin")).string());
  // x86/arm64 hosts are little-endian, the format the script reads.
  f.write(reinterpret_cast<const char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(double)));
  REQUIRE(f.good());
}

std::vector<double> read_bin(const fs::path& dir, const std::string& name, int64_t numel) {
  fs::path p = dir / (name + ".bin");
  std::ifstream f(p, std::ios::binary);
  REQUIRE_MESSAGE(f.good(), "torch_parity.py wrote no " << p.string());
  std::vector<double> v(static_cast<std::size_t>(numel));
  f.read(reinterpret_cast<char*>(v.data()), static_cast<std::streamsize>(v.size() * sizeof(double)));
  REQUIRE_MESSAGE(f.gcount() == static_cast<std::streamsize>(v.size() * sizeof(double)),
                  p.string() << " is too short");
  char extra;
  REQUIRE_MESSAGE(!f.read(&extra, 1), p.string() << " is too long");
  return v;
}

// Runs the PyTorch side; FAILS (never skips) when python3 or torch is missing.
void run_torch(const fs::path& dir) {
  REQUIRE_MESSAGE(fs::exists(kPython),
                  kPython << " not found: the PyTorch parity tests need Debian's python3 with "
                             "torch (apt-get install python3-torch python3-numpy)");
  fs::path script = fs::path(RNNLAB_SOURCE_DIR) / "tests" / "torch_parity.py";
  REQUIRE_MESSAGE(fs::exists(script), script.string() << " not found");
  fs::path log = dir / "python.log";
  std::string cmd = "\"" + kPython + "\" \"" + script.string() + "\" \"" +
                    dir.string() + "\" > \"" + log.string() + "\" 2>&1";
  int rc = std::system(cmd.c_str());
  int status = rc == -1 ? -1 : (WIFEXITED(rc) ? WEXITSTATUS(rc) : 128 + WTERMSIG(rc));
  std::string out = read_text(log);
  REQUIRE_MESSAGE(status != 2, "PyTorch is not usable from " << kPython
                  << " — install python3-torch (apt-get install python3-torch python3-numpy):\n"
                  << out);
  REQUIRE_MESSAGE(status == 0, "torch_parity.py failed (exit " << status << "):\n" << out);
  REQUIRE_MESSAGE(fs::exists(dir / "result.json"), "torch_parity.py wrote no result.json:\n" << out);
}

struct Diff {
  double max_abs = 0;       // max |a - b|
  double worst_ratio = 0;   // max |a - b| / (atol + rtol |b|); <= 1 passes
  std::string where;
};

Diff compare(const std::vector<double>& ours, const std::vector<double>& ref) {
  Diff d;
  REQUIRE(ours.size() == ref.size());
  for (std::size_t i = 0; i < ours.size(); ++i) {
    double e = std::fabs(ours[i] - ref[i]);
    double ratio = e / (kAtol + kRtol * std::fabs(ref[i]));
    if (!std::isfinite(ours[i])) ratio = INFINITY;
    d.max_abs = std::max(d.max_abs, e);
    if (ratio > d.worst_ratio) {
      d.worst_ratio = ratio;
      std::ostringstream w;
      w << "[" << i << "] ours " << ours[i] << " torch " << ref[i];
      d.where = w.str();
    }
  }
  return d;
}

void parity(const ParityCase& pc, bool fused) {
  const std::string cell = pc.cell;
  const std::string label = cell + (pc.activation[0] ? std::string("_") + pc.activation : "") +
                            (fused ? "_fused" : "_composed");
  fs::path dir = rnnlab::test::temp_dir("torch_parity/" + label);
  for (const auto& e : fs::directory_iterator(dir)) fs::remove_all(e.path());  // no stale results

  // ---- our side, f32
  ParameterStore store(Device::cpu, DType::f32);
  Rng rng(pc.seed);
  std::map<std::string, ParamValue> given{{"hidden", int64_t{kH}}};
  if (pc.activation[0]) given["activation"] = std::string(pc.activation);
  auto c = builtin_cells().create(cell, given, kI, store, "m/layer0/" + cell, rng);
  Recurrent rnn(std::move(c), Recurrent::Options{false, true});
  rnn.set_use_fused(fused);
  REQUIRE(rnn.cell().has_fused(Device::cpu));  // else "fused" would silently be composed

  // Random values for every parameter (biases non-zero), keyed by the short name.
  std::map<std::string, Parameter*> by_name;
  uint64_t s = pc.seed * 1000;
  for (auto& p : store.all()) {
    p->value = rand_tensor(p->value.shape(), ++s, -0.5, 0.5, DType::f32);
    by_name[p->name.substr(p->name.rfind('/') + 1)] = p.get();
  }
  const std::vector<std::string> names =
      cell == "gru" ? std::vector<std::string>{"W_x", "W_h", "b_x", "b_h"}
                    : std::vector<std::string>{"W_x", "W_h", "b"};
  REQUIRE(by_name.size() == names.size());
  for (const auto& n : names) REQUIRE_MESSAGE(by_name.count(n), cell << " has no parameter " << n);

  const Tensor x_t = rand_tensor({kT, kB, kI}, pc.seed + 1, -1, 1, DType::f32);
  const Tensor r_out = rand_tensor({kT, kB, kH}, pc.seed + 2, -1, 1, DType::f32);
  const Tensor r_h = rand_tensor({kB, kH}, pc.seed + 3, -1, 1, DType::f32);
  const Tensor r_c = rand_tensor({kB, kH}, pc.seed + 4, -1, 1, DType::f32);

  Tape tape(Device::cpu);
  Var x = tape.leaf(x_t, true);
  Recurrent::Output out = rnn.forward(tape, x, kLengths, CellContext{});
  const bool lstm = cell == "lstm";
  REQUIRE(out.final_state.size() == (lstm ? 2u : 1u));
  Var loss = sum(mul(out.outputs, tape.constant(r_out)));
  loss = add(loss, sum(mul(out.final_state[0], tape.constant(r_h))));
  if (lstm) loss = add(loss, sum(mul(out.final_state[1], tape.constant(r_c))));
  store.zero_grad();
  tape.backward(loss);

  // ---- dump the case
  write_bin(dir, "x", x_t);
  for (const auto& n : names) write_bin(dir, n, by_name[n]->value);
  write_bin(dir, "R_out", r_out);
  write_bin(dir, "R_h", r_h);
  if (lstm) write_bin(dir, "R_c", r_c);
  {
    std::ofstream j(dir / "case.json");
    j << "{\"cell\": \"" << cell << "\", \"activation\": \""
      << (pc.activation[0] ? pc.activation : "tanh") << "\", \"T\": " << kT << ", \"B\": " << kB
      << ", \"I\": " << kI << ", \"H\": " << kH << ", \"lengths\": [";
    for (std::size_t k = 0; k < kLengths.size(); ++k) j << (k ? ", " : "") << kLengths[k];
    j << "], \"dtypes\": [\"float32\", \"float64\"]}\n";
    REQUIRE(j.good());
  }
  run_torch(dir);

  // ---- compare with torch float32 (the check) and float64 (reported only)
  struct Item {
    std::string name;
    Tensor ours;
  };
  std::vector<Item> items{{"outputs", out.outputs.value()}, {"h_n", out.final_state[0].value()}};
  if (lstm) items.push_back({"c_n", out.final_state[1].value()});
  items.push_back({"loss", loss.value()});
  REQUIRE(tape.grad(x).defined());
  items.push_back({"grad_x", tape.grad(x)});
  for (const auto& n : names) {
    REQUIRE_MESSAGE(by_name[n]->grad.defined(), n << " got no gradient");
    items.push_back({"grad_" + n, by_name[n]->grad});
  }

  for (const Item& it : items) {
    std::vector<double> ours = to_vector<double>(it.ours);
    Diff d32 = compare(ours, read_bin(dir, "float32_" + it.name, it.ours.numel()));
    Diff d64 = compare(ours, read_bin(dir, "float64_" + it.name, it.ours.numel()));
    INFO(label << " " << it.name << ": max |ours - torch f32| = " << d32.max_abs
               << " (vs torch f64: " << d64.max_abs << "), worst " << d32.where
               << " at " << d32.worst_ratio << "x the tolerance");
    CHECK(d32.worst_ratio <= 1.0);
  }
}

const ParityCase kElmanTanh{"elman", "tanh", 11};
const ParityCase kElmanRelu{"elman", "relu", 22};
const ParityCase kLstm{"lstm", "", 33};
const ParityCase kGru{"gru", "", 44};

}  // namespace

TEST_SUITE_BEGIN("parity");  // ctest label (tests/README.md: labels)

TEST_CASE("parity with PyTorch: elman tanh fused") { parity(kElmanTanh, true); }
TEST_CASE("parity with PyTorch: elman tanh composed") { parity(kElmanTanh, false); }
TEST_CASE("parity with PyTorch: elman relu fused") { parity(kElmanRelu, true); }
TEST_CASE("parity with PyTorch: elman relu composed") { parity(kElmanRelu, false); }
TEST_CASE("parity with PyTorch: lstm fused") { parity(kLstm, true); }
TEST_CASE("parity with PyTorch: lstm composed") { parity(kLstm, false); }
TEST_CASE("parity with PyTorch: gru fused") { parity(kGru, true); }
TEST_CASE("parity with PyTorch: gru composed") { parity(kGru, false); }

TEST_SUITE_END();
