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

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "rnnlab/tensor.h"

namespace rnnlab {

// One mini-batch, on the CPU (the trainer moves it to the device).
struct Batch {
  Tensor x;                      // [T,B,I] f32|f64
  std::vector<int32_t> lengths;  // [B], each in 1..T; all T when sequences have fixed length
  Tensor y_class;                // i32 [B] class labels, or undefined
  Tensor y_value;                // f32|f64 [B,O] or [T,B,O] regression targets, or undefined
  int64_t steps() const { return x.defined() ? x.dim(0) : 0; }
  int64_t batch_size() const { return x.defined() ? x.dim(1) : 0; }
};

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
// 8×8 digits (experiments/data/digits.csv.gz): 64 pixels 0..16 then the label 0..9 per line.
// Image i is read row by row: x[t, b, j] = pixel(8t + j) / 16, t, j < 8 -> x [8,B,8];
// y_class [B] the labels; lengths all 8.
class DigitsDataset : public Dataset {
 public:
  static constexpr int64_t kSide = 8;
  static constexpr int64_t kClasses = 10;
  explicit DigitsDataset(const std::string& path);

  std::size_t size() const override { return labels_.size(); }
  Batch batch(const std::vector<std::size_t>& indices, DType dtype) const override;
  int64_t input_size() const override { return kSide; }
  int64_t max_steps() const override { return kSide; }
  int64_t num_classes() const override { return kClasses; }
  std::string describe() const override;

  int32_t label(std::size_t i) const { return labels_.at(i); }
  // Pixel (row, col) of image i, scaled to [0,1].
  double pixel(std::size_t i, int64_t row, int64_t col) const;

 private:
  std::string path_;
  std::vector<float> pixels_;  // [N,64], already /16
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
  bool per_step_ = false;          // targets [N,T,O]
  std::vector<double> x_;          // [N,T,I]
  std::vector<int32_t> lengths_;   // [N]
  std::vector<int32_t> labels_;    // [N] (classification)
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

}  // namespace rnnlab
