// read_text_file: a whole file as bytes, gunzipped (zlib, every gzip member, CRC checked) when
// it starts with the gzip magic.
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>

#include "rnnlab/data.h"

namespace rnnlab {

namespace {

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

std::string gunzip(const std::string& in, const std::string& path) {
  z_stream zs{};
  // 16 + MAX_WBITS: gzip wrapper only (header and CRC-32 checked).
  RNNLAB_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, "zlib: inflateInit2 failed");
  std::string out;
  out.reserve(in.size() * 4);
  char buf[1 << 16];
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  int ret = Z_OK;
  for (;;) {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    ret = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
    if (ret == Z_STREAM_END) {
      if (zs.avail_in == 0) break;
      // Another gzip member follows (concatenated .gz files are valid gzip).
      if (inflateReset(&zs) != Z_OK) break;
      continue;
    }
    if (ret == Z_OK) continue;
    if (ret == Z_BUF_ERROR && zs.avail_in == 0) {
      inflateEnd(&zs);
      throw InputError(detail::concat(path, ": truncated gzip data (the file ends after ",
                                      in.size(), " bytes, inside a compressed stream)"));
    }
    const std::string msg = zs.msg ? zs.msg : "unknown error";
    inflateEnd(&zs);
    throw InputError(
        detail::concat(path, ": corrupt gzip data at byte ", in.size() - zs.avail_in, ": ", msg));
  }
  inflateEnd(&zs);
  return out;
}

}  // namespace

std::string read_text_file(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) {
    throw InputError(detail::concat(path, ": cannot open file (", std::strerror(errno), ")"));
  }
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  RNNLAB_CHECK_INPUT(!f.bad(), path, ": read error");
  const bool magic = bytes.size() >= 2 && static_cast<unsigned char>(bytes[0]) == 0x1f &&
                     static_cast<unsigned char>(bytes[1]) == 0x8b;
  if (magic) return gunzip(bytes, path);
  RNNLAB_CHECK_INPUT(!ends_with(path, ".gz"), path,
                     ": not gzip data (expected the gzip magic bytes 1f 8b at the start of a "
                     ".gz file)");
  return bytes;
}

}  // namespace rnnlab
