// TensorBoard event files (see tensorboard.h).
#include "train/tensorboard.h"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "rnnlab/error.h"

namespace rnnlab::tensorboard {

namespace {

namespace fs = std::filesystem;

// ---- CRC32C: reflected polynomial 0x82F63B78, one table row per byte value ----

constexpr std::array<uint32_t, 256> make_crc_table() {
  std::array<uint32_t, 256> t{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? (c >> 1) ^ 0x82F63B78u : c >> 1;
    t[i] = c;
  }
  return t;
}

constexpr std::array<uint32_t, 256> kCrcTable = make_crc_table();

// ---- protobuf wire format: key = field << 3 | wire type (0 varint, 1 fixed64, 2 bytes,
// 5 fixed32), little-endian fixed widths ----

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7F) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

void put_key(std::string& out, int field, int wire) {
  put_varint(out, (static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(wire));
}

template <typename T>
void put_le(std::string& out, T bits) {
  for (std::size_t i = 0; i < sizeof(T); ++i) out += static_cast<char>((bits >> (8 * i)) & 0xFF);
}

void put_double(std::string& out, int field, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_key(out, field, 1);
  put_le(out, bits);
}

void put_float(std::string& out, int field, float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  put_key(out, field, 5);
  put_le(out, bits);
}

void put_bytes(std::string& out, int field, std::string_view bytes) {
  put_key(out, field, 2);
  put_varint(out, bytes.size());
  out.append(bytes);
}

void put_int(std::string& out, int field, int64_t v) {
  put_key(out, field, 0);
  put_varint(out, static_cast<uint64_t>(v));
}

// An Event with wall_time and step, then `rest` (already encoded fields).
std::string event(double wall_time, int64_t step, std::string_view rest) {
  std::string e;
  put_double(e, 1, wall_time);
  if (step != 0) put_int(e, 2, step);
  e.append(rest);
  return e;
}

// Summary { value { tag, metadata { plugin_data { "hparams", content } } } } as Event field 5.
std::string hparams_summary(const std::string& tag, std::string_view plugin_content) {
  std::string plugin_data, metadata, value, summary, field;
  put_bytes(plugin_data, 1, "hparams");
  put_bytes(plugin_data, 2, plugin_content);
  put_bytes(metadata, 1, plugin_data);
  put_bytes(value, 1, tag);
  put_bytes(value, 9, metadata);
  put_bytes(summary, 1, value);
  put_bytes(field, 5, summary);
  return field;
}

// ---- a minimal reader of the same wire format ----

struct Field {
  int number = 0, wire = 0;
  uint64_t value = 0;      // varint, fixed32, fixed64
  std::string_view bytes;  // wire type 2
};

class WireReader {
 public:
  explicit WireReader(std::string_view data) : d_(data) {}
  bool done() const { return pos_ >= d_.size(); }
  // The next field; false at a malformed one.
  bool next(Field& f) {
    uint64_t key;
    if (!varint(key)) return false;
    f.number = static_cast<int>(key >> 3);
    f.wire = static_cast<int>(key & 7);
    switch (f.wire) {
      case 0:
        return varint(f.value);
      case 1:
        return fixed(8, f.value);
      case 5:
        return fixed(4, f.value);
      case 2: {
        uint64_t n;
        if (!varint(n) || n > d_.size() - pos_) return false;
        f.bytes = d_.substr(pos_, n);
        pos_ += n;
        return true;
      }
      default:
        return false;
    }
  }

 private:
  bool varint(uint64_t& v) {
    v = 0;
    for (int shift = 0; shift < 64 && pos_ < d_.size(); shift += 7) {
      const auto b = static_cast<unsigned char>(d_[pos_++]);
      v |= static_cast<uint64_t>(b & 0x7F) << shift;
      if (!(b & 0x80)) return true;
    }
    return false;
  }
  bool fixed(std::size_t n, uint64_t& v) {
    if (d_.size() - pos_ < n) return false;
    v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<uint64_t>(static_cast<unsigned char>(d_[pos_ + i])) << (8 * i);
    pos_ += n;
    return true;
  }
  std::string_view d_;
  std::size_t pos_ = 0;
};

uint64_t read_le(const char* p, int bytes) {
  uint64_t v = 0;
  for (int i = 0; i < bytes; ++i)
    v |= static_cast<uint64_t>(static_cast<unsigned char>(p[i])) << (8 * i);
  return v;
}

double unix_now() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::string host_name() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "localhost";
  return buf;
}

}  // namespace

uint32_t crc32c(const void* data, std::size_t n, uint32_t crc) {
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (std::size_t i = 0; i < n; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xFF] ^ (crc >> 8);
  return ~crc;
}

uint32_t masked_crc32c(const void* data, std::size_t n) {
  const uint32_t c = crc32c(data, n);
  return ((c >> 15) | (c << 17)) + 0xa282ead8u;
}

std::string frame_record(std::string_view data) {
  std::string out, len;
  put_le(len, static_cast<uint64_t>(data.size()));
  out.reserve(data.size() + 16);
  out += len;
  put_le(out, masked_crc32c(len.data(), len.size()));
  out.append(data);
  put_le(out, masked_crc32c(data.data(), data.size()));
  return out;
}

std::vector<std::string> read_event_records(const std::string& path, bool* whole) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> out;
  std::size_t pos = 0;
  bool ok = true;
  while (pos < bytes.size()) {
    ok = false;
    if (bytes.size() - pos < 12) break;
    const char* p = bytes.data() + pos;
    if (read_le(p + 8, 4) != masked_crc32c(p, 8)) break;
    const uint64_t n = read_le(p, 8);
    if (n > bytes.size() - pos - 16) break;
    if (read_le(p + 12 + n, 4) != masked_crc32c(p + 12, n)) break;
    out.emplace_back(p + 12, n);
    pos += 16 + n;
    ok = true;
  }
  if (whole) *whole = ok;
  return out;
}

std::string file_version_event(double wall_time) {
  std::string rest;
  put_bytes(rest, 3, "brain.Event:2");
  return event(wall_time, 0, rest);
}

std::string scalars_event(double wall_time, int64_t step,
                          const std::vector<std::pair<std::string, double>>& values) {
  std::string summary;
  for (const auto& [tag, v] : values) {
    std::string value;
    put_bytes(value, 1, tag);
    put_float(value, 2, static_cast<float>(v));
    put_bytes(summary, 1, value);
  }
  std::string rest;
  put_bytes(rest, 5, summary);
  return event(wall_time, step, rest);
}

std::string session_start_event(double wall_time,
                                const std::vector<std::pair<std::string, ParamValue>>& hparams) {
  std::string info;
  for (const auto& [name, v] : hparams) {
    std::string value, entry;
    if (const auto* i = std::get_if<int64_t>(&v)) put_double(value, 2, static_cast<double>(*i));
    if (const auto* d = std::get_if<double>(&v)) put_double(value, 2, *d);
    if (const auto* s = std::get_if<std::string>(&v)) put_bytes(value, 3, *s);
    if (const auto* b = std::get_if<bool>(&v)) put_int(value, 4, *b ? 1 : 0);
    put_bytes(entry, 1, name);
    put_bytes(entry, 2, value);
    put_bytes(info, 1, entry);
  }
  put_double(info, 5, wall_time);
  std::string content;
  put_bytes(content, 3, info);
  return event(wall_time, 0, hparams_summary("_hparams_/session_start_info", content));
}

std::string session_end_event(double wall_time, int64_t step, int status) {
  std::string info, content;
  put_int(info, 1, status);
  put_double(info, 2, wall_time);
  put_bytes(content, 4, info);
  return event(wall_time, step, hparams_summary("_hparams_/session_end_info", content));
}

bool merge_last_steps(std::string_view data, std::map<std::string, int64_t>& last) {
  WireReader ev(data);
  int64_t step = 0;
  std::vector<std::string_view> summaries;
  Field f;
  while (!ev.done()) {
    if (!ev.next(f)) return false;
    if (f.number == 2 && f.wire == 0) step = static_cast<int64_t>(f.value);
    if (f.number == 5 && f.wire == 2) summaries.push_back(f.bytes);
  }
  for (std::string_view s : summaries) {
    WireReader sum(s);
    while (!sum.done()) {
      if (!sum.next(f)) return false;
      if (f.number != 1 || f.wire != 2) continue;
      WireReader value(f.bytes);
      Field g;
      while (!value.done()) {
        if (!value.next(g)) return false;
        if (g.number != 1 || g.wire != 2) continue;
        const std::string tag(g.bytes);
        auto [it, added] = last.emplace(tag, step);
        if (!added) it->second = std::max(it->second, step);
      }
    }
  }
  return true;
}

bool is_event_file(const std::string& name) { return name.starts_with("events.out.tfevents."); }

// ---- EventFile ----

EventFile::EventFile(const std::string& folder) {
  std::error_code ec;
  fs::create_directories(folder, ec);
  RNNLAB_CHECK_INPUT(!ec, "tensorboard: cannot create the folder ", folder, ": ", ec.message());
  const double now = unix_now();
  const std::string base = (fs::path(folder) / "events.out.tfevents.").string() +
                           std::to_string(static_cast<int64_t>(now)) + "." + host_name() + "." +
                           std::to_string(getpid());
  // A second file of this process in the same second (a resume in-process): .1, .2, ...
  for (int n = 0; fd_ < 0; ++n) {
    path_ = n == 0 ? base : base + "." + std::to_string(n);
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0644);
    RNNLAB_CHECK_INPUT(fd_ >= 0 || (errno == EEXIST && n < 1000), "tensorboard: cannot create ",
                       path_, ": ", std::strerror(errno));
  }
  write(file_version_event(now));
}

EventFile::~EventFile() {
  if (fd_ >= 0) ::close(fd_);
}

void EventFile::write(std::string_view event) {
  if (fd_ < 0) return;
  const std::string rec = frame_record(event);
  std::size_t off = 0;
  while (off < rec.size()) {
    const ssize_t n = ::write(fd_, rec.data() + off, rec.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      std::cerr << "rnnlab: tensorboard: cannot write " << path_ << ": " << std::strerror(errno)
                << "; no more events for this run" << std::endl;
      ::close(fd_);
      fd_ = -1;
      return;
    }
    off += static_cast<std::size_t>(n);
  }
}

// ---- RunEvents ----

namespace {

// The largest step per tag over the folder's event files (with resume), or removes them.
std::map<std::string, int64_t> prepare_folder(const std::string& folder, bool resume) {
  std::map<std::string, int64_t> last;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return last;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(folder, ec))
    if (e.is_regular_file() && is_event_file(e.path().filename().string()))
      files.push_back(e.path());
  for (const auto& p : files) {
    if (!resume) {
      fs::remove(p, ec);
      continue;
    }
    for (const auto& rec : read_event_records(p.string())) merge_last_steps(rec, last);
  }
  return last;
}

}  // namespace

RunEvents::RunEvents(const std::string& folder, bool resume)
    : last_(prepare_folder(folder, resume)), file_(folder) {}

bool RunEvents::fresh(const std::string& tag, int64_t step) const {
  const auto it = last_.find(tag);
  return it == last_.end() || step > it->second;
}

void RunEvents::scalars(int64_t step, std::vector<std::pair<std::string, double>> values) {
  std::erase_if(values, [&](const auto& v) { return !fresh(v.first, step); });
  if (!values.empty()) file_.write(scalars_event(unix_now(), step, values));
}

void RunEvents::start_session(const std::vector<std::pair<std::string, ParamValue>>& hparams) {
  if (fresh("_hparams_/session_start_info", 0))
    file_.write(session_start_event(unix_now(), hparams));
}

void RunEvents::end_session(RunState status) {
  if (status == RunState::finished || status == RunState::failed)
    file_.write(session_end_event(unix_now(), step_, status == RunState::finished ? 1 : 2));
}

void RunEvents::train_row(int64_t step, int64_t, double, double loss, double grad_norm,
                          double sequences_per_second, double accuracy) {
  step_ = std::max(step_, step);
  std::vector<std::pair<std::string, double>> v{{"train/loss", loss}};
  if (accuracy >= 0) v.emplace_back("train/accuracy", accuracy);
  v.emplace_back("train/grad_norm", grad_norm);
  v.emplace_back("train/sequences_per_second", sequences_per_second);
  scalars(step, std::move(v));
}

void RunEvents::eval_row(int64_t step, int64_t, double, const EvalResult& e) {
  step_ = std::max(step_, step);
  std::vector<std::pair<std::string, double>> v{{"eval/loss", e.loss}};
  if (e.accuracy >= 0) v.emplace_back("eval/accuracy", e.accuracy);
  if (e.bits_per_char >= 0) v.emplace_back("eval/bpc", e.bits_per_char);
  if (e.perplexity >= 0) v.emplace_back("eval/perplexity", e.perplexity);
  scalars(step, std::move(v));
}

void RunEvents::epoch_row(int64_t epoch, double loss, double train_time) {
  scalars(epoch, {{"epoch/loss", loss}, {"epoch/train_time", train_time}});
}

}  // namespace rnnlab::tensorboard
