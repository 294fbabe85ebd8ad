// `rnnlab suite`'s leaderboard: text, CSV, HTML (see suite_output.h).
#include "suite_output.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "html_page.h"  // esc, raw_element, write_page
#include "report_assets.h"  // kUPlotJs, kUPlotCss, kUPlotLicense, kSuitePageJs (cmake/RnnlabEmbed.cmake)
#include "report_format.h"
#include "rnnlab/error.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_state_type.h"
#include "rnnlab/run_views.h"

namespace rnnlab::cli {

namespace {

// The digits of a metric: bpc and losses 4, accuracy 4, perplexity 1.
const char* metric_format(const std::string& metric) {
  return metric == "perplexity" ? "%.1f" : "%.4f";
}

std::string value_text(const SuiteEntry& e, const std::string& metric) {
  if (e.finished == 0) {
    for (const auto& r : e.runs)
      if (parse_run_state(r.state) != RunState::finished) return r.state;
    return e.runs.empty() ? "-" : "no metric";
  }
  std::string s = pm(e.value, e.finished, metric_format(metric));
  if (e.finished < e.runs.size())
    s += " (" + std::to_string(e.finished) + "/" + std::to_string(e.runs.size()) + ")";
  return s;
}

std::string params_text(int64_t n) {
  if (n < 0) return "-";
  std::string digits = std::to_string(n), out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

// "seed 2: failed: <error>" for every run of the entry that did not finish.
std::vector<std::string> problems(const SuiteEntry& e) {
  std::vector<std::string> out;
  for (const auto& r : e.runs)
    if (const bool finished = parse_run_state(r.state) == RunState::finished;
        !finished || !r.run || !std::isfinite(r.run->final_metric)) {
      std::string p = "seed " + std::to_string(r.seed) + ": " +
                      (finished ? std::string("finished without a metric") : r.state);
      if (!r.error.empty()) p += ": " + r.error;
      out.push_back(p);
    }
  return out;
}

std::string joined(const std::vector<std::string>& v, const std::string& sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : sep) + s;
  return out;
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string out = "\"";
  for (char c : s) out += c == '"' ? std::string("\"\"") : std::string(1, c);
  return out + "\"";
}

std::string header_line(const Leaderboard& lb, const SuiteInfo& info) {
  std::string s = "rnnlab suite leaderboard";
  if (!info.dir.empty()) s += ": " + info.dir;
  s += " (";
  if (!info.budget.empty()) s += "budget " + info.budget + ", ";
  if (!info.seeds.empty()) s += "seeds " + info.seeds + ", ";
  s += std::to_string(lb.cells.size()) + (lb.cells.size() == 1 ? " cell, " : " cells, ") +
       std::to_string(lb.tasks.size()) + (lb.tasks.size() == 1 ? " task)" : " tasks)");
  return s;
}

// Left-aligned columns separated by two spaces (print_rows of report_format.h, as text; ±
// and the arrows count as one column).
std::string columns(const std::vector<std::vector<std::string>>& rows) {
  auto width_of = [](const std::string& s) {
    std::size_t n = 0;
    for (unsigned char c : s) n += (c & 0xC0) != 0x80;
    return n;
  };
  std::vector<std::size_t> width;
  for (const auto& r : rows) {
    width.resize(std::max(width.size(), r.size()), 0);
    for (std::size_t c = 0; c < r.size(); ++c) width[c] = std::max(width[c], width_of(r[c]));
  }
  std::string out;
  for (const auto& r : rows) {
    std::string line;
    for (std::size_t c = 0; c < r.size(); ++c)
      line += r[c] + std::string(width[c] + 2 - width_of(r[c]), ' ');
    while (!line.empty() && line.back() == ' ') line.pop_back();
    out += line + "\n";
  }
  return out;
}



std::string curve_data(const Leaderboard& lb) {
  std::ostringstream j;
  j << "{\"cells\":[";
  for (std::size_t c = 0; c < lb.cells.size(); ++c) j << (c ? "," : "") << json_str(lb.cells[c]);
  j << "],\"tasks\":[";
  for (std::size_t t = 0; t < lb.tasks.size(); ++t) {
    const SuiteTaskBoard& task = lb.tasks[t];
    j << (t ? ",\n" : "\n") << "{\"task\":" << json_str(task.task)
      << ",\"metric\":" << json_str(task.metric.empty() ? "eval" : task.metric) << ",\"curves\":[";
    bool first = true;
    for (std::size_t c = 0; c < task.entries.size(); ++c) {
      const SuiteEntry& e = task.entries[c];
      std::vector<const Series*> series;
      for (const auto& r : e.runs)
        if (parse_run_state(r.state) == RunState::finished && r.run &&
            !r.run->eval_metric.step.empty() &&
            r.run->metric == task.metric)
          series.push_back(&r.run->eval_metric);
      if (series.empty()) continue;
      const BandCurve b = band_curve(series);
      j << (first ? "" : ",") << "{\"cell\":" << c << ",\"runs\":" << series.size()
        << ",\"step\":" << json_curve(b.step) << ",\"mean\":" << json_curve(b.mean)
        << ",\"std\":" << json_curve(b.std) << "}";
      first = false;
    }
    j << "]}";
  }
  j << "]}";
  return j.str();
}

const char* kCss = R"CSS(
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em 2em; color: #222; }
h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.2em; margin-top: 1.6em; }
.meta, .note { color: #555; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ccc; padding: 3px 8px; text-align: left; vertical-align: top; }
thead th { background: #f0f0f0; } td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.best { background: #e6f4e6; font-weight: bold; } td.bad { background: #fff3f0; color: #b00; }
.error { color: #b00; font-size: 12px; }
.plots { display: flex; flex-wrap: wrap; gap: 1em; align-items: flex-start; } .plot { margin: 0.3em 0 1em 0; }
#plot-error { color: #b00; font-weight: bold; }
)CSS";

}  // namespace

std::string leaderboard_text(const Leaderboard& lb, const SuiteInfo& info) {
  std::ostringstream out;
  auto table = [&](const std::vector<std::vector<std::string>>& rows) { out << columns(rows); };
  out << header_line(lb, info) << "\n\n";
  std::vector<std::vector<std::string>> rows;
  std::vector<std::string> head = {"task", "metric"};
  for (const auto& c : lb.cells) head.push_back(c);
  rows.push_back(head);
  for (const auto& t : lb.tasks) {
    std::vector<std::string> row = {
        t.task,
        t.metric.empty() ? "-" : t.metric + (t.higher_is_better ? " (higher)" : " (lower)")};
    for (const auto& e : t.entries) row.push_back(value_text(e, t.metric) + (e.best ? " *" : ""));
    rows.push_back(row);
  }
  std::vector<std::string> ranks = {"mean rank", "(1 = best)"};
  for (std::size_t c = 0; c < lb.cells.size(); ++c)
    for (const auto& o : lb.overall)
      if (o.cell == lb.cells[c]) ranks.push_back(num(o.mean_rank, "%.2f"));
  rows.push_back(ranks);
  table(rows);
  out << "(mean ± std over the finished seeds; * best of the task; (k/n): k of n seeds "
         "finished)\n\n";

  rows = {{"task", "cell", "params", "ms/step", "wall s", "finished", "rank"}};
  for (const auto& t : lb.tasks)
    for (const auto& e : t.entries)
      rows.push_back({t.task, e.cell, params_text(e.parameters), num(e.ms_per_step.mean, "%.2f"),
                      num(e.wall_time.mean, "%.1f"),
                      std::to_string(e.finished) + "/" + std::to_string(e.runs.size()),
                      num(e.rank, "%.1f")});
  table(rows);

  std::vector<std::string> bad;
  for (const auto& t : lb.tasks)
    for (const auto& e : t.entries)
      for (const auto& p : problems(e)) bad.push_back(t.task + "/" + e.cell + " " + p);
  if (!bad.empty()) {
    out << "\nruns that did not finish:\n";
    for (const auto& b : bad) out << "  " << b << "\n";
  }

  out << "\noverall (mean rank over " << lb.tasks.size() << " tasks):";
  for (std::size_t i = 0; i < lb.overall.size(); ++i) {
    const SuiteOverall& o = lb.overall[i];
    out << (i ? "," : "") << " " << i + 1 << ". " << o.cell << " " << num(o.mean_rank, "%.2f")
        << " (best on " << o.wins << ", finished " << o.tasks_finished << ")";
  }
  out << "\n";
  return out.str();
}

std::string leaderboard_csv(const Leaderboard& lb) {
  std::ostringstream out;
  out << "task,metric,direction,cell,seeds,finished,mean,std,rank,best,parameters,ms_per_step,"
         "wall_s,errors\n";
  for (const auto& t : lb.tasks)
    for (const auto& e : t.entries)
      out << csv_field(t.task) << "," << t.metric << ","
          << (t.metric.empty()     ? ""
              : t.higher_is_better ? "higher"
                                   : "lower")
          << "," << csv_field(e.cell) << "," << e.runs.size() << "," << e.finished << ","
          << full(e.value.mean) << "," << (e.finished > 1 ? full(e.value.std) : "") << ","
          << full(e.rank) << "," << (e.best ? 1 : 0) << ","
          << (e.parameters >= 0 ? std::to_string(e.parameters) : "") << ","
          << full(e.ms_per_step.mean) << "," << full(e.wall_time.mean) << ","
          << csv_field(joined(problems(e), "; ")) << "\n";
  for (std::size_t i = 0; i < lb.overall.size(); ++i) {
    const SuiteOverall& o = lb.overall[i];
    out << "overall,mean_rank,lower," << csv_field(o.cell) << "," << lb.tasks.size() << ","
        << o.tasks_finished << "," << full(o.mean_rank) << ",," << i + 1 << "," << (i == 0 ? 1 : 0)
        << ",,,,\n";
  }
  return out.str();
}

void write_leaderboard_html(const std::string& path, const Leaderboard& lb, const SuiteInfo& info) {
  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"generator\" content=\"rnnlab " << RNNLAB_VERSION << "\">\n"
    << "<title>rnnlab suite leaderboard</title>\n"
    << raw_element("style", std::string(kUPlotCss) + kCss) << "</head>\n<body>\n"
    << "<h1>rnnlab suite leaderboard</h1>\n<p class=\"meta\">" << esc(header_line(lb, info))
    << "; written " << RunFile::now_iso8601() << " from the run files by rnnlab " << RNNLAB_VERSION
    << ".";
  if (!info.command.empty()) h << " Command: <code>" << esc(info.command) << "</code>.";
  h << "</p>\n";

  // Tasks x cells.
  h << "<table id=\"leaderboard\">\n<thead><tr><th>task</th><th>metric</th>";
  for (const auto& c : lb.cells) h << "<th>" << esc(c) << "</th>";
  h << "</tr></thead>\n<tbody>\n";
  for (const auto& t : lb.tasks) {
    h << "<tr><th>" << esc(t.task) << "</th><td>" << esc(t.metric.empty() ? "-" : t.metric)
      << (t.metric.empty()     ? ""
          : t.higher_is_better ? " ↑"
                               : " ↓")
      << "</td>";
    for (const auto& e : t.entries) {
      const std::string cls = e.best ? "num best" : e.finished < e.runs.size() ? "num bad" : "num";
      h << "<td class=\"" << cls << "\" data-task=\"" << esc(t.task) << "\" data-cell=\""
        << esc(e.cell) << "\" data-mean=\"" << full(e.value.mean) << "\" data-rank=\""
        << full(e.rank) << "\">" << esc(value_text(e, t.metric)) << "</td>";
    }
    h << "</tr>\n";
  }
  h << "<tr><th>mean rank</th><td>1 = best</td>";
  for (const auto& c : lb.cells)
    for (const auto& o : lb.overall)
      if (o.cell == c) h << "<td class=\"num\">" << num(o.mean_rank, "%.2f") << "</td>";
  h << "</tr>\n</tbody></table>\n<p class=\"note\">Final eval metric, mean ± std over the "
       "finished seeds (↑ higher is better, ↓ lower); green: the best cell of the task; red: a "
       "run did not finish (k/n: k of n seeds finished). The rank of a cell without a finished "
       "run is the mean of the places after the others.</p>\n";

  // Overall.
  h << "<h2>Overall</h2>\n<table id=\"overall\"><thead><tr><th>place</th><th>cell</th>"
       "<th>mean rank</th><th>best on</th><th>tasks finished</th></tr></thead><tbody>\n";
  for (std::size_t i = 0; i < lb.overall.size(); ++i) {
    const SuiteOverall& o = lb.overall[i];
    h << "<tr><td class=\"num\">" << i + 1 << "</td><td>" << esc(o.cell)
      << "</td><td class=\"num\">" << num(o.mean_rank, "%.2f") << "</td><td class=\"num\">"
      << o.wins << "</td><td class=\"num\">" << o.tasks_finished << "/" << lb.tasks.size()
      << "</td></tr>\n";
  }
  h << "</tbody></table>\n<div id=\"plot-error\"></div>\n";

  // Per task: the details and the curves.
  for (std::size_t ti = 0; ti < lb.tasks.size(); ++ti) {
    const SuiteTaskBoard& t = lb.tasks[ti];
    h << "<h2 id=\"task-" << esc(t.task) << "\">" << esc(t.task) << "</h2>\n<p class=\"note\">"
      << (t.metric.empty() ? std::string("no finished run")
                           : "eval " + t.metric + ", " + metric_direction(t))
      << "</p>\n<div class=\"plots\"><table class=\"task\"><thead><tr><th>cell</th><th>"
      << esc(t.metric.empty() ? "metric" : t.metric)
      << "</th><th>params</th><th>ms/step</th><th>wall s</th><th>seeds</th></tr></thead>"
         "<tbody>\n";
    for (const auto& e : t.entries) {
      const auto bad = problems(e);
      h << "<tr><td>" << esc(e.cell) << "</td><td class=\"" << (e.best ? "num best" : "num")
        << "\">" << esc(value_text(e, t.metric)) << "</td><td class=\"num\">"
        << params_text(e.parameters) << "</td><td class=\"num\">" << num(e.ms_per_step.mean, "%.2f")
        << "</td><td class=\"num\">" << num(e.wall_time.mean, "%.1f") << "</td><td>" << e.finished
        << "/" << e.runs.size();
      for (const auto& p : bad) h << "<br><span class=\"error\">" << esc(p) << "</span>";
      h << "</td></tr>\n";
    }
    h << "</tbody></table>\n<div class=\"plot\" id=\"plot-" << ti << "\"></div></div>\n";
  }
  h << "<p class=\"note\">Charts: uPlot (MIT licence, below), embedded in this page. Lines: the "
       "mean over a cell's finished seeds; shaded: ± one standard deviation.</p>\n"
    << "<details><summary>uPlot licence</summary><pre>" << esc(kUPlotLicense)
    << "</pre></details>\n"
    << raw_element("script", curve_data(lb), " type=\"application/json\" id=\"rnnlab-data\"")
    << raw_element("script", kUPlotJs) << raw_element("script", kSuitePageJs) << "</body>\n</html>\n";

  write_page(path, h.str(), "suite");
}

}  // namespace rnnlab::cli
