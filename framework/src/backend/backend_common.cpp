// Device-independent backend helpers: broadcast rules, backend lookup, host conversions.
#include <cstring>

#include "backend/cpu/cpu_backend.h"
#include "rnnlab/backend.h"

namespace rnnlab {

// suffix: b's shape is a's trailing dims (leading 1s allowed), e.g. [H] or [1,H] on [B,H];
// prefix: b has a's rank with trailing dims 1, e.g. [B,1] on [B,H] or [T,B,1] on [T,B,H].
Broadcast Broadcast::infer(const Shape& a, const Shape& b) {
  Broadcast r;
  if (a == b) return r;
  if (shape_numel(b) == 1) {
    r.kind = Kind::suffix;
    return r;
  }
  // strip leading ones of b
  std::size_t lead = 0;
  while (lead < b.size() && b[lead] == 1) ++lead;
  Shape bs(b.begin() + lead, b.end());
  if (bs.size() <= a.size() && std::equal(bs.rbegin(), bs.rend(), a.rbegin())) {
    r.kind = Kind::suffix;
    return r;
  }
  if (b.size() == a.size()) {
    std::size_t k = 0;
    while (k < a.size() && a[k] == b[k]) ++k;
    bool rest_ones = true;
    for (std::size_t j = k; j < b.size(); ++j) rest_ones = rest_ones && b[j] == 1;
    if (rest_ones) {
      r.kind = Kind::prefix;
      return r;
    }
  }
  throw Error("cannot broadcast shape " + shape_str(b) + " against " + shape_str(a) +
              ": expected the same shape, a trailing block (like [H] on [B,H]) or a leading "
              "block with trailing 1s (like [B,1] on [B,H])");
}

void check_elem_grad_operands(const ElemCall& c, int input, const Tensor& a, const Tensor& b,
                              const Tensor& y) {
  const op_table::ElemInfo& e = op_table::info(c.op);
  RNNLAB_CHECK(input == 0 || (input == 1 && e.arity() == 2), "elementwise_grad: ", e.name,
               " has no input ", input);
  RNNLAB_CHECK(!(e.reads & op_table::kA) || a.defined(), "elementwise_grad: ", e.name,
               "'s adjoint reads its input a");
  RNNLAB_CHECK(!(e.reads & op_table::kB) || b.defined(),
               "elementwise_grad: ", e.name, "'s adjoint reads its input b");
  RNNLAB_CHECK(!(e.reads & op_table::kY) || y.defined(), "elementwise_grad: ", e.name,
               "'s adjoint reads its output y");
}

void Backend::apply_updates(const UpdateRule& rule, const std::vector<UpdateTarget>& group) {
  UpdateRule r = rule;
  for (const UpdateTarget& u : group) {
    r.max_abs = u.max_abs;
    apply_update(r, *u.param, *u.grad, *u.slot1, *u.slot2);
    fill(*u.grad, 0.0);
  }
}

namespace {
std::string& cuda_unavailable_reason() {
  static std::string why;
  return why;
}
}  // namespace

#ifdef RNNLAB_HAVE_CUDA
Backend& cuda_backend_instance();  // cuda/cuda_memory.cu
#endif

Backend& backend_for(Device device) {
  if (device == Device::cpu) return cpu_backend();
  // Asked once per process: a device cannot appear later, and backend_for is called per op.
  static const bool available = [] {
    std::string why;
    bool ok = backend_available(Device::cuda, &why);
    if (!ok) cuda_unavailable_reason() = why;
    return ok;
  }();
  if (!available)
    throw InputError("backend 'cuda' is not available: " + cuda_unavailable_reason());
#ifdef RNNLAB_HAVE_CUDA
  return cuda_backend_instance();
#else
  throw InputError("backend 'cuda' is not available: " + cuda_unavailable_reason());
#endif
}

template <typename T>
std::vector<T> to_vector(const Tensor& t) {
  RNNLAB_CHECK(t.defined(), "to_vector of an undefined tensor");
  std::vector<T> out(static_cast<std::size_t>(t.numel()));
  if (t.dtype() == dtype_of<T>()) {
    backend_for(t.device()).download(t, out.data());
    return out;
  }
  Tensor host = to_dtype(t, dtype_of<T>());
  backend_for(host.device()).download(host, out.data());
  return out;
}
template std::vector<float> to_vector<float>(const Tensor&);
template std::vector<double> to_vector<double>(const Tensor&);
template std::vector<int32_t> to_vector<int32_t>(const Tensor&);

namespace {
template <typename T>
Tensor upload_vector(const std::vector<T>& v, const Shape& shape, Device d) {
  RNNLAB_CHECK(static_cast<int64_t>(v.size()) == shape_numel(shape), "from_vector: ", v.size(),
               " values for shape ", shape_str(shape));
  Backend& be = backend_for(d);
  Tensor t = be.empty(shape, dtype_of<T>());
  be.upload(v.data(), t);
  return t;
}
}  // namespace

Tensor from_vector(const std::vector<float>& v, const Shape& s, Device d) {
  return upload_vector(v, s, d);
}
Tensor from_vector(const std::vector<double>& v, const Shape& s, Device d) {
  return upload_vector(v, s, d);
}
Tensor from_vector(const std::vector<int32_t>& v, const Shape& s, Device d) {
  return upload_vector(v, s, d);
}

Tensor zeros(const Shape& shape, DType dtype, Device d) { return full(shape, dtype, 0.0, d); }

Tensor full(const Shape& shape, DType dtype, double value, Device d) {
  Backend& be = backend_for(d);
  Tensor t = be.empty(shape, dtype);
  be.fill(t, value);
  return t;
}

Tensor clone(const Tensor& t) {
  Backend& be = backend_for(t.device());
  Tensor c = be.empty(t.shape(), t.dtype());
  be.copy(t, c);
  return c;
}

Tensor to_dtype(const Tensor& t, DType dtype) {
  if (t.dtype() == dtype) return t;
  Backend& be = backend_for(t.device());
  Tensor c = be.empty(t.shape(), dtype);
  be.cast(t, c);
  return c;
}

double item(const Tensor& t) {
  RNNLAB_CHECK(t.numel() == 1, "item() of a tensor with ", t.numel(), " elements ",
               shape_str(t.shape()));
  return to_vector<double>(t)[0];
}

}  // namespace rnnlab
