// load_csv_series: one numeric column of a CSV file (header row, column chosen by name) as a
// time series, with optional timestamps, gap filling and standardization.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "rnnlab/data.h"

namespace rnnlab {

namespace {

constexpr double kMissing = std::numeric_limits<double>::quiet_NaN();

std::string trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// One CSV record (no embedded newlines): comma-separated, fields may be "quoted" with ""
// as an escaped quote. Fields are trimmed.
std::vector<std::string> split_record(std::string_view line) {
  std::vector<std::string> out;
  std::string cur;
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        cur += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        cur += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.push_back(trim(cur));
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(trim(cur));
  return out;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t diag = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t up = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diag + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diag = up;
    }
  }
  return row[b.size()];
}

std::size_t find_column(const std::vector<std::string>& header, const std::string& name,
                        const std::string& path, const char* what) {
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == name) return i;
  std::string list, best;
  std::size_t best_d = std::numeric_limits<std::size_t>::max();
  for (const auto& h : header) {
    list += (list.empty() ? "" : ", ") + ("'" + h + "'");
    const std::size_t d = edit_distance(lower(h), lower(name));
    if (d < best_d) best_d = d, best = h;
  }
  std::string hint;
  if (!best.empty() && best_d <= std::max<std::size_t>(2, name.size() / 3))
    hint = "; did you mean '" + best + "'?";
  throw InputError(
      detail::concat(path, ":1: no ", what, " column '", name, "'; the columns are ", list, hint));
}

bool is_missing_marker(const std::string& s) {
  if (s.empty()) return true;
  const std::string l = lower(s);
  return l == "nan" || l == "-nan" || l == "na" || l == "n/a" || l == "null" || l == "none";
}

// A finite number, or NaN for a missing marker; InputError otherwise.
double parse_value(const std::string& s, const std::string& where, const std::string& column) {
  if (is_missing_marker(s)) return kMissing;
  double v = 0.0;
  const char* b = s.data();
  const char* e = s.data() + s.size();
  if (b != e && *b == '+') ++b;
  const auto [p, ec] = std::from_chars(b, e, v);
  RNNLAB_CHECK_INPUT(ec == std::errc() && p == e, where, ": column '", column, "': cannot read '",
                     s, "' as a number");
  RNNLAB_CHECK_INPUT(std::isfinite(v), where, ": column '", column, "': value '", s,
                     "' is not finite");
  return v;
}

}  // namespace

std::string CsvSeries::warning() const {
  if (problems.empty()) return "";
  std::size_t missing = 0;
  for (const auto& p : problems) missing += p.missing;
  std::string list;
  constexpr std::size_t kShown = 5;
  for (std::size_t i = 0; i < problems.size() && i < kShown; ++i)
    list += detail::concat(i ? ", " : "", "line ", problems[i].line, ": ", problems[i].what);
  if (problems.size() > kShown) list += detail::concat(", and ", problems.size() - kShown, " more");
  return detail::concat(path, ":", problems.front().line, ": column '", column, "': ", missing,
                        " missing value", missing == 1 ? "" : "s", " interpolated",
                        problems.size() > missing ? " and a truncated last row" : "", " (", list,
                        "); `strict true` in the data block makes this an error");
}

namespace {

// The problem of a data row read as `value` from fields `f` (`header_size` columns, the value
// in column `col`; `cut`: a short last row without a newline), if it has one: a missing value,
// or a cut-off row whose value is kept.
std::optional<CsvProblem> row_problem(const std::vector<std::string>& f, std::size_t header_size,
                                      std::size_t col, double value, bool cut,
                                      std::size_t line_no) {
  const std::string fields =
      detail::concat(f.size(), " of ", header_size, " field", header_size == 1 ? "" : "s");
  if (std::isnan(value)) {
    std::string what = col >= f.size() ? (cut ? "truncated last row" : "short row")
                       : f[col].empty() ? "empty cell"
                                        : "'" + f[col] + "'";
    if (col >= f.size())
      what += " (" + fields + (cut ? ", no newline at the end)" : ")");
    else if (cut)
      what += " in a truncated last row (" + fields + ", no newline at the end)";
    return CsvProblem{line_no, what, true};
  }
  if (cut)
    return CsvProblem{
        line_no, "truncated last row (" + fields + ", no newline at the end; value kept)", false};
  return std::nullopt;
}

// The timestamp of a dated row (column `date_col` of `f`), checked to be after `previous` (the
// last row's, on line `previous_line`) when there is one.
int64_t row_time(const std::vector<std::string>& f, std::size_t date_col,
                 const std::vector<int64_t>& previous, std::size_t previous_line,
                 const std::string& where, const std::string& date_column) {
  int64_t t = 0;
  RNNLAB_CHECK_INPUT(date_col < f.size() && parse_timestamp(f[date_col], &t), where,
                     ": column '", date_column, "': cannot read '",
                     date_col < f.size() ? f[date_col] : std::string(),
                     "' as a date (expected YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS] or "
                     "YYYY-MM-DD HH:MM[:SS])");
  if (!previous.empty()) {
    RNNLAB_CHECK_INPUT(t > previous.back(), where, ": date '", f[date_col],
                       "' is not after the previous row's (line ", previous_line,
                       "); rows must be in increasing time order");
  }
  return t;
}

// Inserts a missing value for every time step of `step_seconds` absent between two rows
// (`lines`: each row's source line, for messages); returns how many.
std::size_t insert_missing_steps(std::vector<double>& raw, std::vector<int64_t>& times,
                                 const std::vector<std::size_t>& lines, int64_t step_seconds,
                                 const std::string& path) {
  std::size_t inserted = 0;
  std::vector<double> v;
  std::vector<int64_t> t;
  v.reserve(raw.size());
  t.reserve(raw.size());
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (i > 0) {
      const int64_t gap = times[i] - times[i - 1];
      RNNLAB_CHECK_INPUT(gap % step_seconds == 0, path, ":", lines[i], ": timestamp is ", gap,
                         " s after the previous row's, not a multiple of the step (",
                         step_seconds, " s)");
      for (int64_t k = 1; k < gap / step_seconds; ++k) {
        v.push_back(kMissing);
        t.push_back(times[i - 1] + k * step_seconds);
        ++inserted;
      }
    }
    v.push_back(raw[i]);
    t.push_back(times[i]);
  }
  raw = std::move(v);
  times = std::move(t);
  return inserted;
}

// out.mean and out.stddev (population, ddof 0) of the first `fit_count` values (0: all);
// returns how many values that is.
std::size_t set_fit_statistics(CsvSeries& out, const std::vector<double>& raw,
                               std::size_t fit_count) {
  const std::size_t fit = fit_count == 0 ? raw.size() : std::min(fit_count, raw.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < fit; ++i) sum += raw[i];
  out.mean = sum / static_cast<double>(fit);
  double ss = 0.0;
  for (std::size_t i = 0; i < fit; ++i) ss += (raw[i] - out.mean) * (raw[i] - out.mean);
  out.stddev = std::sqrt(ss / static_cast<double>(fit));  // population std (ddof 0)
  return fit;
}

}  // namespace

CsvSeries load_csv_series(const std::string& path, const CsvSeriesOptions& opt) {
  RNNLAB_CHECK_INPUT(opt.step_seconds >= 0, "CSV series: step must be >= 0 seconds, got ",
                     opt.step_seconds);
  RNNLAB_CHECK_INPUT(opt.step_seconds == 0 || !opt.date_column.empty(), path, ": a time step of ",
                     opt.step_seconds, " s needs a date column to find the missing timestamps");
  const std::string text = read_text_file(path);
  CsvSeries out;
  out.path = path;
  out.column = opt.column;
  const bool dated = !opt.date_column.empty();

  std::size_t pos = 0, line_no = 0;
  std::vector<std::string> header;
  std::size_t col = 0, date_col = 0;
  std::vector<double> raw;
  std::vector<int64_t> times;
  std::vector<std::size_t> lines;  // source line of each row (for messages)
  std::vector<std::size_t> blank_lines;  // blank lines since the last row
  if (text.size() >= 3 && text.compare(0, 3, "\xEF\xBB\xBF") == 0) pos = 3;  // UTF-8 BOM
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string_view line(text.data() + pos, end - pos);
    pos = end + 1;
    ++line_no;
    if (trim(line).empty()) {
      // In a one-column file a blank line between rows is an empty cell; blank lines after the
      // last row are not rows.
      if (!header.empty() && header.size() == 1) blank_lines.push_back(line_no);
      continue;
    }
    for (const std::size_t blank : blank_lines) {
      if (opt.strict)
        throw InputError(detail::concat(path, ":", blank, ": column '", opt.column,
                                        "': empty cell (a blank line; strict: missing or cut-off "
                                        "values are errors)"));
      raw.push_back(kMissing);
      lines.push_back(blank);
      out.problems.push_back({blank, "empty cell (a blank line)", true});
    }
    blank_lines.clear();
    std::vector<std::string> f = split_record(line);
    if (header.empty()) {
      header = std::move(f);
      col = find_column(header, opt.column, path, "value");
      if (dated) date_col = find_column(header, opt.date_column, path, "date");
      continue;
    }
    const std::string where = detail::concat(path, ":", line_no);
    RNNLAB_CHECK_INPUT(f.size() <= header.size(), where, ": ", f.size(),
                       " fields, but the header has ", header.size(), " columns");
    raw.push_back(col < f.size() ? parse_value(f[col], where, opt.column) : kMissing);
    lines.push_back(line_no);
    // Problems: a missing value, and a last row cut off (short, no newline at the end).
    const bool cut = f.size() < header.size() && end == text.size();
    if (std::optional<CsvProblem> p = row_problem(f, header.size(), col, raw.back(), cut, line_no))
      out.problems.push_back(std::move(*p));
    if (opt.strict && !out.problems.empty())
      throw InputError(detail::concat(where, ": column '", opt.column, "': ",
                                      out.problems.back().what,
                                      " (strict: missing or cut-off values are errors)"));
    if (dated) {
      const std::size_t previous_line = lines.size() >= 2 ? lines[lines.size() - 2] : 0;
      times.push_back(row_time(f, date_col, times, previous_line, where, opt.date_column));
    }
  }
  RNNLAB_CHECK_INPUT(!header.empty(), path, ": empty file (expected a header row)");
  out.rows = raw.size();
  RNNLAB_CHECK_INPUT(out.rows > 0, path, ": no data rows after the header");

  if (opt.step_seconds > 0)
    out.inserted_steps += insert_missing_steps(raw, times, lines, opt.step_seconds, path);

  const bool any_known =
      std::any_of(raw.begin(), raw.end(), [](double x) { return !std::isnan(x); });
  RNNLAB_CHECK_INPUT(any_known, path, ": column '", opt.column,
                     "' has no values (every row is empty or NaN)");
  out.interpolated = interpolate_missing(raw, times);

  const std::size_t fit = set_fit_statistics(out, raw, opt.fit_count);
  if (opt.standardize) {
    RNNLAB_CHECK_INPUT(out.stddev > 0.0, path, ": column '", opt.column,
                       "' is constant over the first ", fit,
                       " values, so it cannot be standardized");
    for (double& x : raw) x = (x - out.mean) / out.stddev;
    out.standardized = true;
  }
  out.values = std::move(raw);
  out.times = std::move(times);
  return out;
}

}  // namespace rnnlab
