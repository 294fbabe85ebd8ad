// .npy arrays and NpyDataset (data.h). The files are parsed by xtensor's own .npy reader
// (xt::detail::load_npy_file, what xt::load_npy uses), so the dtype can be inspected before
// the data is cast: a wrong dtype becomes an InputError naming the file instead of xtensor's
// "Cast error: formats not matching".
#include <cmath>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <xtensor/xadapt.hpp>
#include <xtensor/xarray.hpp>
#include <xtensor/xnpy.hpp>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

namespace {

// Typestring ("<f4", "|u1", ...) -> NumPy dtype name, or "" when unsupported.
std::string dtype_name_of(const std::string& ts) {
  if (ts.size() < 3) return "";
  const char order = ts[0], kind = ts[1];
  const std::string bytes = ts.substr(2);
  // '|' = byte order not applicable (1-byte types), '<' little-endian, '=' native (x86/arm64).
  const bool one_byte = bytes == "1";
  if (!(order == '<' || order == '=' || (order == '|' && one_byte))) return "";
  if (kind == 'f' && (bytes == "4" || bytes == "8")) return bytes == "4" ? "float32" : "float64";
  if ((kind == 'i' || kind == 'u') &&
      (bytes == "1" || bytes == "2" || bytes == "4" || bytes == "8"))
    return std::string(kind == 'i' ? "int" : "uint") + std::to_string(8 * std::stoi(bytes));
  return "";
}

// A readable name for an unsupported typestring.
std::string typestring_desc(const std::string& ts) {
  if (ts.size() >= 2 && ts[0] == '>') return "'" + ts + "' (big-endian)";
  if (ts.size() >= 2 && ts[1] == 'b') return "'" + ts + "' (bool)";
  if (ts.size() >= 2 && ts[1] == 'c') return "'" + ts + "' (complex)";
  if (ts.size() >= 2 && ts[1] == 'O') return "'" + ts + "' (object)";
  if (ts.size() >= 2 && (ts[1] == 'U' || ts[1] == 'S')) return "'" + ts + "' (string)";
  if (ts.size() >= 2 && ts[1] == 'f')
    return "'" + ts + "' (float" + std::to_string(8 * std::atoi(ts.c_str() + 2)) + ")";
  return "'" + ts + "'";
}

template <typename T>
void widen(xt::detail::npy_file& f, std::vector<double>& out) {
  // cast<T>(false) adapts the buffer with the file's own (C or Fortran) strides; assigning to a
  // row-major xarray gives C order.
  xt::xarray<T, xt::layout_type::row_major> a = f.cast<T, xt::layout_type::dynamic>(false);
  out.resize(a.size());
  std::size_t k = 0;
  for (const T& v : a) out[k++] = static_cast<double>(v);
}

// "[a,b,c]" (appended piecewise: GCC 12 warns falsely on `"," + std::to_string(...)`).
std::string index_str(const std::vector<std::size_t>& v) {
  std::string s = "[";
  for (std::size_t d = 0; d < v.size(); ++d) {
    if (d) s += ',';
    s += std::to_string(v[d]);
  }
  s += ']';
  return s;
}

std::string at_index(const std::vector<std::size_t>& shape, std::size_t flat) {
  std::vector<std::size_t> idx(shape.size());
  for (std::size_t d = shape.size(); d-- > 0;) {
    idx[d] = flat % shape[d];
    flat /= shape[d];
  }
  return index_str(idx);
}

void check_finite(const NpyArray& a, const std::string& role) {
  for (std::size_t k = 0; k < a.values.size(); ++k)
    RNNLAB_CHECK_INPUT(std::isfinite(a.values[k]), role, " '", a.path,
                       "': ", std::isnan(a.values[k]) ? "NaN" : "Inf", " at index ",
                       at_index(a.shape, k), " (every value must be finite)");
}

}  // namespace

std::string NpyArray::shape_str() const { return index_str(shape); }

NpyArray load_npy_array(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  RNNLAB_CHECK_INPUT(in.good(), "'", path, "': cannot open the file (missing or unreadable)");
  char magic[6] = {};
  in.read(magic, 6);
  RNNLAB_CHECK_INPUT(in.gcount() == 6 && std::memcmp(magic, "\x93NUMPY", 6) == 0, "'", path,
                     "' is not a NumPy .npy file (no \\x93NUMPY magic; save it with numpy.save)");
  in.seekg(0);
  NpyArray a;
  a.path = path;
  try {
    xt::detail::npy_file f = xt::detail::load_npy_file(in);
    a.shape = f.m_shape;
    RNNLAB_CHECK_INPUT(!in.fail(), "'", path, "' is truncated: the header promises ", f.m_n_bytes,
                       " bytes of data for shape ", a.shape_str());
    a.dtype = dtype_name_of(f.m_typestring);
    RNNLAB_CHECK_INPUT(!a.dtype.empty(), "'", path, "': unsupported dtype ",
                       typestring_desc(f.m_typestring),
                       "; expected float32/float64 (or integers for lengths and class labels)");
    const std::string& d = a.dtype;
    if (d == "float32")
      widen<float>(f, a.values);
    else if (d == "float64")
      widen<double>(f, a.values);
    else if (d == "int8")
      widen<int8_t>(f, a.values);
    else if (d == "int16")
      widen<int16_t>(f, a.values);
    else if (d == "int32")
      widen<int32_t>(f, a.values);
    else if (d == "int64")
      widen<int64_t>(f, a.values);
    else if (d == "uint8")
      widen<uint8_t>(f, a.values);
    else if (d == "uint16")
      widen<uint16_t>(f, a.values);
    else if (d == "uint32")
      widen<uint32_t>(f, a.values);
    else
      widen<uint64_t>(f, a.values);
  } catch (const InputError&) {
    throw;
  } catch (const std::exception& e) {
    throw InputError("'" + path + "': cannot read the .npy file (" + e.what() + ")");
  }
  return a;
}

NpyDataset::NpyDataset(const std::string& inputs, const std::string& targets,
                       const std::string& lengths, int64_t classes)
    : x_path_(inputs), y_path_(targets), len_path_(lengths) {
  // ---- inputs [N,T,I] float ----
  NpyArray x = load_npy_array(inputs);
  RNNLAB_CHECK_INPUT(x.is_float(), "inputs '", inputs, "': dtype ", x.dtype,
                     ", expected float32 or float64");
  RNNLAB_CHECK_INPUT(x.shape.size() == 3, "inputs '", inputs, "': shape ", x.shape_str(),
                     ", expected [N,T,I] (examples, steps, features)");
  RNNLAB_CHECK_INPUT(x.shape[0] > 0 && x.shape[1] > 0 && x.shape[2] > 0, "inputs '", inputs,
                     "': shape ", x.shape_str(), " has an empty axis");
  RNNLAB_CHECK_INPUT(x.shape[1] <= static_cast<std::size_t>(INT32_MAX), "inputs '", inputs,
                     "': too many steps");
  check_finite(x, "inputs");
  n_ = x.shape[0];
  steps_ = static_cast<int64_t>(x.shape[1]);
  inputs_ = static_cast<int64_t>(x.shape[2]);
  x_ = std::move(x.values);

  auto check_n = [&](const NpyArray& a, const char* role) {
    RNNLAB_CHECK_INPUT(a.shape.size() >= 1 && a.shape[0] == n_, role, " '", a.path, "': shape ",
                       a.shape_str(), " has ", a.shape.empty() ? 0 : a.shape[0],
                       " examples on its first axis, but inputs '", inputs, "' has N = ", n_);
  };

  // ---- lengths [N] integers in 1..T ----
  if (!lengths.empty()) {
    NpyArray l = load_npy_array(lengths);
    RNNLAB_CHECK_INPUT(!l.is_float(), "lengths '", lengths, "': dtype ", l.dtype,
                       ", expected integers (int32 or int64)");
    RNNLAB_CHECK_INPUT(l.shape.size() == 1, "lengths '", lengths, "': shape ", l.shape_str(),
                       ", expected [N]");
    check_n(l, "lengths");
    lengths_.resize(n_);
    for (std::size_t i = 0; i < n_; ++i) {
      const double v = l.values[i];
      RNNLAB_CHECK_INPUT(v >= 1 && v <= static_cast<double>(steps_), "lengths '", lengths,
                         "': value ", static_cast<int64_t>(v), " at index [", i,
                         "] is outside 1..T (T = ", steps_, ", the inputs' second axis)");
      lengths_[i] = static_cast<int32_t>(v);
    }
  } else {
    lengths_.assign(n_, static_cast<int32_t>(steps_));
  }

  // ---- targets ----
  NpyArray y = load_npy_array(targets);
  check_n(y, "targets");
  if (!y.is_float()) {
    RNNLAB_CHECK_INPUT(y.shape.size() == 1 || y.shape.size() == 2, "targets '", targets,
                       "': integer dtype ", y.dtype, " with shape ", y.shape_str(),
                       "; class labels must have shape [N] (one per sequence) or [N,T] (one per "
                       "step, -1 = not scored); regression targets must be float");
    per_step_ = y.shape.size() == 2;
    if (per_step_)
      RNNLAB_CHECK_INPUT(y.shape[1] == static_cast<std::size_t>(steps_), "targets '", targets,
                         "': shape ", y.shape_str(), " has ", y.shape[1], " steps, but inputs '",
                         inputs, "' has T = ", steps_);
    int64_t top = -1;
    labels_.resize(y.values.size());
    for (std::size_t i = 0; i < labels_.size(); ++i) {
      const double v = y.values[i];
      const bool skip = per_step_ && v == kNotScored;
      const std::string at =
          per_step_ ? detail::concat("[", i / static_cast<std::size_t>(steps_), ",",
                                     i % static_cast<std::size_t>(steps_), "]")
                    : detail::concat("[", i, "]");
      RNNLAB_CHECK_INPUT(skip || (v >= 0 && (classes <= 0 || v < static_cast<double>(classes)) &&
                                  v <= static_cast<double>(INT32_MAX)),
                         "targets '", targets, "': label ", static_cast<int64_t>(v), " at index ",
                         at, " is outside 0..",
                         classes > 0 ? std::to_string(classes - 1) : std::string("2^31"),
                         classes > 0 ? " (classes " + std::to_string(classes) + ")" : "",
                         per_step_ ? " (-1: a step that is not scored)" : "");
      labels_[i] = static_cast<int32_t>(v);
      top = std::max<int64_t>(top, labels_[i]);
    }
    if (per_step_)
      RNNLAB_CHECK_INPUT(top >= 0, "targets '", targets, "': every step is -1 (not scored)");
    classes_ = classes > 0 ? classes : top + 1;
    RNNLAB_CHECK_INPUT(classes_ >= 2, "targets '", targets, "': only one class (label ", top,
                       "); classification needs at least two");
  } else {
    RNNLAB_CHECK_INPUT(y.shape.size() == 2 || y.shape.size() == 3, "targets '", targets,
                       "': float shape ", y.shape_str(),
                       ", expected [N,O] or [N,T,O] for regression (class labels: integers [N])");
    if (y.shape.size() == 3)
      RNNLAB_CHECK_INPUT(y.shape[1] == static_cast<std::size_t>(steps_), "targets '", targets,
                         "': shape ", y.shape_str(), " has ", y.shape[1], " steps, but inputs '",
                         inputs, "' has T = ", steps_);
    RNNLAB_CHECK_INPUT(y.shape.back() > 0, "targets '", targets, "': shape ", y.shape_str(),
                       " has an empty last axis");
    check_finite(y, "targets");
    per_step_ = y.shape.size() == 3;
    outputs_ = static_cast<int64_t>(y.shape.back());
    if (per_step_)
      for (std::size_t i = 0; i < n_; ++i)
        RNNLAB_CHECK_INPUT(lengths_[i] == steps_, "targets '", targets,
                           "' are per step [N,T,O]: every sequence must have all T = ", steps_,
                           " steps, but lengths '", lengths, "' gives ", lengths_[i], " at index [",
                           i, "]");
    y_ = std::move(y.values);
  }
}

Batch NpyDataset::batch(const std::vector<std::size_t>& indices, DType dtype) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, "NpyDataset::batch: no indices");
  const int64_t T = steps_, I = inputs_, O = outputs_;
  std::vector<double> x(static_cast<std::size_t>(T * B * I));
  Batch out;
  out.lengths.resize(indices.size());
  for (int64_t b = 0; b < B; ++b) {
    const std::size_t i = indices[static_cast<std::size_t>(b)];
    RNNLAB_CHECK(i < n_, "NpyDataset::batch: index ", i, " out of range (", n_, " examples)");
    for (int64_t t = 0; t < T; ++t)
      std::copy_n(&x_[(i * T + t) * I], I, &x[static_cast<std::size_t>((t * B + b) * I)]);
    out.lengths[static_cast<std::size_t>(b)] = lengths_[i];
  }
  out.x = float_tensor(x, {T, B, I}, dtype);
  if (classes_ > 0 && per_step_) {
    std::vector<int32_t> y(static_cast<std::size_t>(T * B));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        y[static_cast<std::size_t>(t * B + b)] = labels_[indices[b] * T + t];
    out.y_class = from_vector(y, {T, B});
  } else if (classes_ > 0) {
    std::vector<int32_t> y(indices.size());
    for (int64_t b = 0; b < B; ++b) y[b] = labels_[indices[static_cast<std::size_t>(b)]];
    out.y_class = from_vector(y, {B});
  } else if (per_step_) {
    std::vector<double> y(static_cast<std::size_t>(T * B * O));
    for (int64_t b = 0; b < B; ++b)
      for (int64_t t = 0; t < T; ++t)
        std::copy_n(&y_[(indices[b] * T + t) * O], O,
                    &y[static_cast<std::size_t>((t * B + b) * O)]);
    out.y_value = float_tensor(y, {T, B, O}, dtype);
  } else {
    std::vector<double> y(static_cast<std::size_t>(B * O));
    for (int64_t b = 0; b < B; ++b)
      std::copy_n(&y_[indices[b] * O], O, &y[static_cast<std::size_t>(b * O)]);
    out.y_value = float_tensor(y, {B, O}, dtype);
  }
  return out;
}

std::string NpyDataset::describe() const {
  std::string s = detail::concat("npy ", x_path_, ": ", n_, " sequences of ", steps_, " steps x ",
                                 inputs_, " features");
  if (!len_path_.empty()) s += ", lengths from " + len_path_;
  if (classes_ > 0)
    return s + detail::concat(", ", classes_, " classes ", per_step_ ? "per step " : "", "from ",
                              y_path_);
  return s + detail::concat(", targets ", per_step_ ? "per step " : "", "of ", outputs_,
                            " values from ", y_path_);
}

}  // namespace rnnlab
