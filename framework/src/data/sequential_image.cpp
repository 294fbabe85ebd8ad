// SequentialImage: how an R×C image (pixels p[0..R*C), row-major) becomes a sequence, shared by
// the digits and MNIST datasets (data.h):
//   row    x[t, b, j] = p[t*C + j]     T = R, I = C
//   pixel  x[t, b, 0] = p[π(t)]        T = R*C, I = 1; π = identity or, with permute, the
//                                      Fisher-Yates permutation of permute_seed (shuffle_indices)
// Both readings are one table: order()[t*I + j] is the pixel read at step t, input j.
#include <numeric>

#include "rnnlab/backend.h"
#include "rnnlab/data.h"

namespace rnnlab {

ImageReading parse_image_reading(const std::string& name) {
  if (name == "row") return ImageReading::row;
  if (name == "pixel") return ImageReading::pixel;
  throw InputError(detail::concat("image reading '", name,
                                  "': expected row (one row of pixels per step) or pixel (one "
                                  "pixel per step)"));
}

const char* image_reading_name(ImageReading reading) {
  return reading == ImageReading::row ? "row" : "pixel";
}

SequentialImage::SequentialImage(int64_t rows, int64_t cols, const ImageReadingOptions& options)
    : rows_(rows), cols_(cols), options_(options) {
  RNNLAB_CHECK(rows >= 1 && cols >= 1, "SequentialImage: image size ", rows, "x", cols,
               " must be at least 1x1");
  RNNLAB_CHECK_INPUT(!(options.permute && options.reading == ImageReading::row),
                     "permute needs reading pixel: the permutation reorders the ", rows * cols,
                     " pixels of a ", rows, "x", cols,
                     " image read one pixel per step (psMNIST); the row reading (", rows,
                     " steps of ", cols, " pixels) has no permuted form");
  const bool by_row = options.reading == ImageReading::row;
  steps_ = by_row ? rows : rows * cols;
  inputs_ = by_row ? cols : 1;
  order_.resize(static_cast<std::size_t>(rows * cols));
  std::iota(order_.begin(), order_.end(), std::size_t{0});
  if (options.permute) shuffle_indices(order_, options.permute_seed);
}

std::string SequentialImage::describe() const {
  std::string s = detail::concat(steps_, " steps of ", inputs_);
  if (options_.permute) s += detail::concat(", permuted (seed ", options_.permute_seed, ")");
  return s;
}

Batch SequentialImage::batch(const std::vector<float>& images, const std::vector<int32_t>& labels,
                             const std::vector<std::size_t>& indices, DType dtype,
                             const char* what) const {
  const auto B = static_cast<int64_t>(indices.size());
  RNNLAB_CHECK(B > 0, what, "::batch: no indices");
  const auto P = static_cast<std::size_t>(rows_ * cols_);
  const std::size_t n = labels.size();
  RNNLAB_CHECK(images.size() == n * P, what, "::batch: ", images.size(), " pixels for ", n,
               " images of ", P);
  std::vector<double> x(static_cast<std::size_t>(steps_ * B * inputs_));
  std::vector<int32_t> y(indices.size());
  for (int64_t b = 0; b < B; ++b) {
    const std::size_t i = indices[static_cast<std::size_t>(b)];
    RNNLAB_CHECK(i < n, what, "::batch: index ", i, " out of range (", n, " images)");
    const float* img = &images[i * P];
    for (int64_t t = 0; t < steps_; ++t) {
      const std::size_t* from = &order_[static_cast<std::size_t>(t * inputs_)];
      double* to = &x[static_cast<std::size_t>((t * B + b) * inputs_)];
      for (int64_t j = 0; j < inputs_; ++j) to[j] = img[from[j]];
    }
    y[static_cast<std::size_t>(b)] = labels[i];
  }
  Batch out;
  out.x = float_tensor(x, {steps_, B, inputs_}, dtype);
  out.lengths.assign(indices.size(), static_cast<int32_t>(steps_));
  out.y_class = from_vector(y, {B});
  return out;
}

}  // namespace rnnlab
