// RunIdentity (see run_identity.h).
#include "experiment/run_identity.h"

#include <algorithm>
#include <set>
#include <sstream>

#include "core/fnv1a.h"
#include "experiment/run_record.h"
#include "rnnlab/backend.h"
#include "rnnlab/plugin_loader.h"
#include "rnnlab/run_layout.h"

namespace rnnlab {
namespace {

// The digest of a vector (its length, then its bytes) and of a tensor (shape, then values).
template <typename T>
void add_vector(Fnv1a64& f, const std::vector<T>& v) {
  f.add_pod(static_cast<uint64_t>(v.size()));
  if (!v.empty()) f.add(v.data(), v.size() * sizeof(T));
}

void add_tensor(Fnv1a64& f, const Tensor& t) {
  if (!t.defined()) return add_vector(f, std::vector<int64_t>{-1});
  add_vector(f, std::vector<int64_t>(t.shape().begin(), t.shape().end()));
  switch (t.dtype()) {
    case DType::f32: return add_vector(f, to_vector<float>(t));
    case DType::f64: return add_vector(f, to_vector<double>(t));
    case DType::i32: return add_vector(f, to_vector<int32_t>(t));
  }
}

std::string data_hash(const DataSetup& d, DType dtype) {
  Fnv1a64 f;
  for (const auto* list : {&d.train, &d.eval}) {
    add_vector(f, std::vector<uint64_t>(list->begin(), list->end()));
    constexpr std::size_t kChunk = 256;
    for (std::size_t start = 0; start < list->size(); start += kChunk) {
      const auto from = list->begin() + static_cast<std::ptrdiff_t>(start);
      std::vector<std::size_t> idx(from, from + static_cast<std::ptrdiff_t>(
                                                    std::min(kChunk, list->size() - start)));
      const Batch b = d.dataset->batch(idx, dtype);
      add_tensor(f, b.x);
      add_vector(f, b.lengths);
      add_tensor(f, b.y_class);
      add_tensor(f, b.y_value);
    }
  }
  return f.hex();
}

// The cell plugins a run uses (cell_provenance: layer kinds and nstep's inner cell), each as
// "name=plugin@version sha256:<first 16 hex digits of the .so>", sorted, '; '-joined.
std::string cell_versions(const ExperimentSpec& spec, const Catalog& catalog) {
  std::set<std::string> out;
  for (const auto& m : spec.models)
    for (const auto& c : cell_provenance(catalog.cells(), m))
      out.insert(c.cell + "=" + c.plugin + "@" + c.version + " sha256:" + c.sha256.substr(0, 16));
  std::string joined;
  for (const auto& s : out) joined += (joined.empty() ? "" : "; ") + s;
  return joined;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream is(text);
  for (std::string line; std::getline(is, line);) out.push_back(line);
  return out;
}

std::string attr_or(const RunFile& f, const std::string& name) {
  return f.has_attr(name) ? f.attr_string(name) : std::string();
}

}  // namespace

RunIdentity identify_run(const ExperimentSpec& run_spec, const Catalog& catalog,
                         const DataSetup& data, DType dtype, std::string resolved) {
  return {std::move(resolved), data_hash(data, dtype), cell_versions(run_spec, catalog)};
}

void write_identity(RunFile& run, const RunIdentity& id) {
  run.write_text(layout::kConfigResolved, id.resolved);
  run.set_attr(layout::kConfigDataHash, id.data);
  run.set_attr(layout::kConfigCells, id.cells);
}

std::vector<std::string> identity_differences(const RunFile& old, const RunIdentity& now) {
  std::vector<std::string> out;
  const std::string resolved = old.exists(layout::kConfigResolved) ? old.read_text(layout::kConfigResolved) : "";
  if (resolved != now.resolved) {
    if (resolved.empty()) {
      out.push_back("it has no /config/resolved");
    } else {
      const auto a = lines_of(resolved), b = lines_of(now.resolved);
      const std::set<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
      std::vector<std::string> diff;
      for (const auto& l : a)
        if (!sb.count(l)) diff.push_back("  file: " + l);
      for (const auto& l : b)
        if (!sa.count(l)) diff.push_back("  now:  " + l);
      out.push_back("the resolved configuration differs:");
      const std::size_t shown = std::min<std::size_t>(diff.size(), 6);
      out.insert(out.end(), diff.begin(), diff.begin() + static_cast<std::ptrdiff_t>(shown));
      if (diff.size() > shown)
        out.push_back("  ... and " + std::to_string(diff.size() - shown) + " more lines");
      if (diff.empty()) out.push_back("  (the same lines in another order)");
    }
  }
  const std::string data = attr_or(old, layout::kConfigDataHash);
  if (data != now.data)
    out.push_back(data.empty() ? "it records no data fingerprint (written by an older rnnlab)"
                               : "the data differ (fingerprint " + data + " in the file, " +
                                     now.data + " now): same spec, other examples");
  const std::string cells = attr_or(old, layout::kConfigCells);
  if (!data.empty() && cells != now.cells)
    out.push_back("the cell plugins differ: file '" + cells + "', now '" + now.cells + "'");
  return out;
}

}  // namespace rnnlab
