// TensorBoard event files (train/tensorboard.h) without the binary: CRC32C against published
// vectors, the TFRecord framing and its reader (whole records only), the Event encoding read
// back, and RunEvents' folder rules (a new run deletes old event files, a resume skips the
// steps already written). The files against an independent reader (Python protobuf +
// python3-crc32c) and the run file: test_tensorboard.py.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include "test_util.h"
#include "train/tensorboard.h"

using namespace rnnlab;
using rnnlab::test::unique_dir;
namespace tb = rnnlab::tensorboard;
namespace fs = std::filesystem;

TEST_SUITE_BEGIN("unit");

namespace {

uint32_t crc_of(const std::string& s) { return tb::crc32c(s.data(), s.size()); }

std::vector<std::string> event_files(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(dir))
    if (tb::is_event_file(e.path().filename().string())) out.push_back(e.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::map<std::string, int64_t> last_steps(const std::string& file) {
  std::map<std::string, int64_t> last;
  for (const auto& r : tb::read_event_records(file)) CHECK(tb::merge_last_steps(r, last));
  return last;
}

}  // namespace

TEST_CASE("tensorboard: CRC32C of the published test vectors") {
  CHECK(crc_of("123456789") == 0xE3069283u);
  CHECK(crc_of(std::string(32, '\0')) == 0x8A9136AAu);    // RFC 3720 B.4: 32 zero bytes
  CHECK(crc_of(std::string(32, '\xff')) == 0x62A8AB43u);  // 32 bytes of 0xFF
  std::string inc;
  for (int i = 0; i < 32; ++i) inc += static_cast<char>(i);
  CHECK(crc_of(inc) == 0x46DD794Eu);  // 0x00, 0x01, ..., 0x1F
  CHECK(crc_of("") == 0u);
  // Continuing a CRC over a split buffer equals the CRC of the whole.
  CHECK(tb::crc32c("6789", 4, tb::crc32c("12345", 5)) == 0xE3069283u);
  // The mask: rotate right by 15, add 0xa282ead8.
  const uint32_t c = 0xE3069283u;
  CHECK(tb::masked_crc32c("123456789", 9) == ((c >> 15) | (c << 17)) + 0xa282ead8u);
}

TEST_CASE("tensorboard: TFRecord framing, read back up to the last whole record") {
  const std::string a = "first", b(300, 'x'), c = "";
  const std::string rec = tb::frame_record(a);
  REQUIRE(rec.size() == 16 + a.size());
  CHECK(static_cast<unsigned char>(rec[0]) == a.size());
  for (int i = 1; i < 8; ++i) CHECK(rec[static_cast<std::size_t>(i)] == '\0');
  const std::string bytes = rec + tb::frame_record(b) + tb::frame_record(c);
  const std::string dir = unique_dir("tensorboard_unit");
  const std::string path = dir + "/f";
  std::ofstream(path, std::ios::binary) << bytes;
  bool whole = false;
  CHECK(tb::read_event_records(path, &whole) == std::vector<std::string>{a, b, c});
  CHECK(whole);
  // Every truncation reads the records that are whole in it, and says the rest is not.
  const std::size_t ends[] = {rec.size(), rec.size() + 16 + b.size(), bytes.size()};
  for (std::size_t n = 0; n < bytes.size(); n += 7) {
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes.substr(0, n);
    std::size_t expect = 0;
    for (std::size_t e : ends) expect += e <= n;
    const auto got = tb::read_event_records(path, &whole);
    CHECK(got.size() == expect);
    CHECK(whole == (n == 0 || n == ends[0] || n == ends[1]));
  }
  // A flipped data byte ends the reading at that record.
  std::string bad = bytes;
  bad[rec.size() + 12 + 5] ^= 1;
  std::ofstream(path, std::ios::binary | std::ios::trunc) << bad;
  CHECK(tb::read_event_records(path, &whole) == std::vector<std::string>{a});
  CHECK_FALSE(whole);
}

TEST_CASE("tensorboard: events encode steps and tags that read back") {
  std::map<std::string, int64_t> last;
  CHECK(tb::merge_last_steps(tb::file_version_event(1.5), last));
  CHECK(last.empty());
  CHECK(tb::merge_last_steps(tb::scalars_event(2.0, 300, {{"train/loss", 0.5}, {"eval/x", 1}}),
                             last));
  CHECK(tb::merge_last_steps(tb::scalars_event(2.0, 7, {{"train/loss", 0.1}}), last));
  CHECK(tb::merge_last_steps(
      tb::session_start_event(
          3.0,
          {{"seed", int64_t{1}}, {"lr", 1e-3}, {"cell", std::string("lstm")}, {"stateful", false}}),
      last));
  CHECK(tb::merge_last_steps(tb::session_end_event(4.0, 9, 1), last));
  CHECK(last == std::map<std::string, int64_t>{{"train/loss", 300},
                                               {"eval/x", 300},
                                               {"_hparams_/session_start_info", 0},
                                               {"_hparams_/session_end_info", 9}});
  CHECK_FALSE(tb::merge_last_steps(std::string{'\x0a', '\x05', 'a', 'b'}, last));  // past the end
}

TEST_CASE("tensorboard: RunEvents writes rows, restarts clean, resumes without repeats") {
  const std::string dir = unique_dir("tensorboard_unit") + "/exp/run";
  EvalResult e;
  e.loss = 0.4;
  e.accuracy = 0.9;
  {
    tb::RunEvents ev(dir, false);
    ev.start_session({{"seed", int64_t{1}}});
    ev.train_row(10, 1, 0.1, 1.0, 2.0, 100.0, 0.5);
    ev.train_row(20, 1, 0.2, 0.8, 2.0, 100.0, 0.6);
    ev.eval_row(20, 1, 0.3, e);
    ev.epoch_row(1, 0.9, 0.5);
    ev.end_session(RunState::interrupted);  // nothing: the resumed run ends the session
  }
  REQUIRE(event_files(dir).size() == 1);
  const auto first = last_steps(event_files(dir)[0]);
  CHECK(first.at("train/loss") == 20);
  CHECK(first.at("train/accuracy") == 20);
  CHECK(first.at("eval/accuracy") == 20);
  CHECK(first.at("epoch/loss") == 1);
  CHECK(first.count("eval/bpc") == 0);
  CHECK(first.count("_hparams_/session_end_info") == 0);
  {  // resumed: rows at or below the steps already there are skipped, per tag
    tb::RunEvents ev(dir, true);
    ev.start_session({{"seed", int64_t{1}}});  // already in the folder: not again
    ev.train_row(20, 1, 0.2, 0.8, 2.0, 100.0, 0.6);
    ev.train_row(30, 2, 0.3, 0.7, 2.0, 100.0, 0.7);
    ev.eval_row(30, 2, 0.3, e);
    ev.epoch_row(1, 0.9, 0.5);
    ev.epoch_row(2, 0.7, 0.5);
    ev.end_session(RunState::finished);
  }
  const auto files = event_files(dir);
  REQUIRE(files.size() == 2);
  const auto second = last_steps(files[1]);  // names sort by time (then .1, .2: same second)
  CHECK(second.at("train/loss") == 30);
  CHECK(second.at("epoch/loss") == 2);
  CHECK(second.at("_hparams_/session_end_info") == 30);
  CHECK(second.count("_hparams_/session_start_info") == 0);
  // Each record of the resumed file holds only new steps: count the values per tag.
  int train_records = 0;
  for (const auto& f : files)
    for (const auto& r : tb::read_event_records(f)) {
      std::map<std::string, int64_t> one;
      tb::merge_last_steps(r, one);
      train_records += one.count("train/loss") > 0;
    }
  CHECK(train_records == 3);  // 10, 20, 30: step 20 once
  {                           // a new run (not resumed) starts the folder over
    tb::RunEvents ev(dir, false);
    ev.train_row(5, 1, 0.1, 1.0, 2.0, 100.0, -1);
  }
  REQUIRE(event_files(dir).size() == 1);
  const auto fresh = last_steps(event_files(dir)[0]);
  CHECK(fresh.at("train/loss") == 5);
  CHECK(fresh.count("train/accuracy") == 0);  // accuracy < 0: not a classification
}

TEST_CASE("tensorboard: a folder that cannot be made is an input error") {
  const std::string dir = unique_dir("tensorboard_unit");
  std::ofstream(dir + "/file") << "x";
  CHECK_THROWS_AS(tb::RunEvents(dir + "/file/run", false), InputError);
}

TEST_SUITE_END();
