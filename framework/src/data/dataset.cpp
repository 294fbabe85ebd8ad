// Helpers shared by every Dataset: building float tensors in the requested dtype.
#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

Tensor float_tensor(const std::vector<double>& values, const Shape& shape, DType dtype) {
  RNNLAB_CHECK(shape_numel(shape) == static_cast<int64_t>(values.size()),
               "float_tensor: ", values.size(), " values for shape ", shape_str(shape));
  switch (dtype) {
    case DType::f64:
      return from_vector(values, shape);
    case DType::f32:
      return from_vector(std::vector<float>(values.begin(), values.end()), shape);
    default:
      break;
  }
  RNNLAB_CHECK(false, "dataset batches are f32 or f64, not ", dtype_name(dtype));
  return {};
}

}  // namespace rnnlab
