// parse_timestamp: ISO-like date/time text -> seconds since 1970-01-01 (proleptic Gregorian,
// no time zone: the CSV's local clock is kept as is).
#include <cctype>

#include "rnnlab/data.h"

namespace rnnlab {

namespace {

// Days since 1970-01-01 of a civil date (H. Hinnant's days_from_civil).
int64_t days_from_civil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

bool leap(int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

// Exactly n digits at s[pos..], advancing pos.
bool digits(const std::string& s, std::size_t& pos, int n, int64_t* out) {
  if (pos + n > s.size()) return false;
  int64_t v = 0;
  for (int k = 0; k < n; ++k) {
    const char c = s[pos + k];
    if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    v = v * 10 + (c - '0');
  }
  pos += n;
  *out = v;
  return true;
}

bool expect(const std::string& s, std::size_t& pos, char c) {
  if (pos < s.size() && s[pos] == c) {
    ++pos;
    return true;
  }
  return false;
}

}  // namespace

bool parse_timestamp(const std::string& text, int64_t* seconds) {
  std::size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  const std::string s = text.substr(b, e - b);
  std::size_t pos = 0;
  int64_t y = 0, mo = 0, d = 0, h = 0, mi = 0, sec = 0;
  if (!digits(s, pos, 4, &y) || !expect(s, pos, '-') || !digits(s, pos, 2, &mo) ||
      !expect(s, pos, '-') || !digits(s, pos, 2, &d))
    return false;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != ' ') return false;
    ++pos;
    if (!digits(s, pos, 2, &h) || !expect(s, pos, ':') || !digits(s, pos, 2, &mi)) return false;
    if (expect(s, pos, ':') && !digits(s, pos, 2, &sec)) return false;
    expect(s, pos, 'Z');
    if (pos != s.size()) return false;
  }
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (mo < 1 || mo > 12 || d < 1) return false;
  if (d > kDays[mo - 1] + (mo == 2 && leap(y) ? 1 : 0)) return false;
  if (h > 23 || mi > 59 || sec > 59) return false;
  *seconds = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec;
  return true;
}

}  // namespace rnnlab
