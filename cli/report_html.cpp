// `rnnlab report --html` (see report_html.h).
#include "report_html.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "html_page.h"  // esc, raw_element, write_page
#include "report_assets.h"  // kUPlotJs, kUPlotCss, kUPlotLicense, kReportPageJs (cmake/RnnlabEmbed.cmake)
#include "report_format.h"
#include "report_plots.h"
#include "rnnlab/error.h"
#include "rnnlab/run_file.h"
#include "rnnlab/run_layout.h"

namespace rnnlab::cli {

namespace {



// A number cell: the table's digits shown, the CSV's full-precision text in data-value.
std::string td_num(double x, const char* fmt = "%.4f") {
  return "<td class=\"num\" data-value=\"" + full(x) + "\">" + num(x, fmt) + "</td>";
}

std::string td_pm(const Stat& s, std::size_t n) {
  return "<td class=\"num\" data-mean=\"" + full(s.mean) + "\" data-std=\"" + full(s.std) + "\">" +
         esc(pm(s, n)) + "</td>";
}

std::string json_band(const BandCurve& c) {
  return "{\"step\":" + json_curve(c.step) + ",\"wall\":" + json_curve(c.wall_time) +
         ",\"mean\":" + json_curve(c.mean) + ",\"std\":" + json_curve(c.std) + "}";
}

std::string json_series(const Series& s) {
  return "{\"step\":" + json_curve(s.step) + ",\"wall\":" + json_curve(s.wall_time) +
         ",\"value\":" + json_curve(s.value) + "}";
}

std::string attr_of(const RunRecord& r, const std::string& name) {
  for (const auto& [k, v] : r.attrs)
    if (k == name) return v;
  return "";
}

std::string groups_table(const std::vector<GroupRow>& groups, bool several) {
  std::ostringstream h;
  h << "<table class=\"groups\" id=\"groups\">\n<thead><tr><th>model</th><th>runs</th>"
       "<th>seeds</th><th>metric</th><th>final eval</th><th>best eval</th><th>train loss</th>"
       "<th>wall s</th><th>ms/step</th><th>time x</th></tr></thead>\n<tbody>\n";
  for (const auto& g : groups) {
    const std::size_t n = g.runs.size();
    std::string runs = std::to_string(n);
    if (g.finished != static_cast<int64_t>(n))
      runs += " (" + std::to_string(n - static_cast<std::size_t>(g.finished)) + " unfinished)";
    h << "<tr data-group=\"" << esc(g.experiment + "/" + g.group) << "\" data-final-mean=\""
      << full(g.final_metric.mean) << "\" data-final-std=\"" << full(g.final_metric.std)
      << "\" data-best-mean=\"" << full(g.best_metric.mean) << "\" data-train-loss=\""
      << full(g.final_train_loss.mean) << "\" data-ms-per-step=\"" << full(g.ms_per_step.mean)
      << "\"><td>" << esc(group_label(g, several)) << "</td><td>" << runs << "</td><td>"
      << seeds_str(g, ",") << "</td><td>" << (g.metric.empty() ? "-" : g.metric) << "</td>"
      << td_pm(g.final_metric, n) << td_pm(g.best_metric, n)
      << td_num(g.final_train_loss.mean, "%.4g") << td_num(g.wall_time.mean, "%.1f")
      << td_num(g.ms_per_step.mean, "%.3f") << td_num(g.time_ratio, "%.2f") << "</tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

std::string pivot_table(const Pivot& p) {
  std::ostringstream h;
  std::string by;
  for (const auto& k : p.keys) by += (by.empty() ? "" : ", ") + k;
  h << "<h2>By " << esc(by) << "</h2>\n<p class=\"note\">"
    << (p.metric.empty() ? std::string("no eval metric") : "final eval " + p.metric)
    << ", mean ± std over the runs with those values (number of runs); "
    << (p.keys.size() == 1 ? "rows: " + esc(p.keys[0])
                           : "columns: " + esc(p.keys.back()))
    << ". The same numbers as <code>rnnlab report --by " << esc(by) << " --csv</code>.</p>\n"
    << "<table class=\"pivot\" id=\"pivot\">\n<thead><tr>";
  const std::size_t nrow_keys = p.keys.size() == 1 ? 1 : p.keys.size() - 1;
  for (std::size_t k = 0; k < nrow_keys; ++k)
    h << "<th>" << esc(p.keys[k]) << (k + 1 == nrow_keys && p.keys.size() > 1 ? " \\ " + esc(p.keys.back()) : "")
      << "</th>";
  for (const auto& c : p.cols) h << "<th>" << (p.keys.size() == 1 ? "final eval (runs)" : esc(c)) << "</th>";
  h << "</tr></thead>\n<tbody>\n";
  for (std::size_t r = 0; r < p.rows.size(); ++r) {
    h << "<tr>";
    for (const auto& v : p.rows[r]) h << "<th>" << esc(v) << "</th>";
    for (std::size_t c = 0; c < p.cols.size(); ++c) {
      auto it = p.cells.find({r, c});
      if (it == p.cells.end()) {
        h << "<td></td>";
        continue;
      }
      std::string keys;
      for (const auto& v : p.rows[r]) keys += (keys.empty() ? "" : ",") + v;
      if (p.keys.size() > 1) keys += "," + p.cols[c];
      h << "<td class=\"num\" data-keys=\"" << esc(keys) << "\" data-runs=\""
        << it->second.runs.size() << "\" data-final-mean=\"" << full(it->second.final_metric.mean)
        << "\" data-final-std=\"" << full(it->second.final_metric.std) << "\">"
        << esc(pivot_cell_text(it->second)) << "</td>";
    }
    h << "</tr>\n";
  }
  h << "</tbody></table>\n";
  return h.str();
}

std::string runs_table(const std::vector<RunRecord>& runs, const std::vector<GroupRow>& groups,
                       bool several) {
  std::ostringstream h;
  h << "<table class=\"runs\" id=\"runs\">\n<thead><tr><th>run file</th><th>model</th>"
       "<th>seed</th><th>status</th><th>steps</th><th>final eval</th><th>git sha</th>"
       "<th>host</th><th>started</th><th>wall s</th><th>config and attrs</th></tr></thead>\n"
       "<tbody>\n";
  for (const auto& g : groups)
    for (const auto* r : g.runs) {
      std::string attrs;
      for (const auto& [k, v] : r->attrs) attrs += k + " = " + v + "\n";
      const std::string error = attr_of(*r, layout::kError);
      h << "<tr data-path=\"" << esc(r->path) << "\" class=\"status-" << esc(r->status)
        << "\"><td><code>" << esc(r->path) << "</code></td><td>" << esc(group_label(g, several))
        << "</td><td>" << r->seed << "</td><td>" << esc(r->status)
        << (error.empty() ? "" : "<br><span class=\"error\">" + esc(error) + "</span>")
        << "</td><td class=\"num\">" << r->steps << "</td>"
        << (r->has_eval ? td_num(r->final_metric) : "<td>-</td>") << "<td><code>"
        << esc(attr_of(*r, layout::kGitSha)) << "</code></td><td>" << esc(attr_of(*r, layout::kHost))
        << "</td><td>" << esc(attr_of(*r, layout::kStartedAt)) << "</td>"
        << td_num(r->wall_time, "%.1f") << "<td><details><summary>resolved config</summary><pre>"
        << esc(r->resolved.empty() ? "(no /config/resolved)" : r->resolved)
        << "</pre></details><details><summary>root attrs</summary><pre>" << esc(attrs)
        << "</pre></details></td></tr>\n";
    }
  h << "</tbody></table>\n";
  return h.str();
}

// The curves' data: per group its label, band curves and runs; per run its raw series.
std::string curve_data(const std::vector<GroupRow>& groups, bool several) {
  std::set<std::string> metrics;
  for (const auto& g : groups)
    if (!g.metric.empty()) metrics.insert(g.metric);
  std::ostringstream j;
  j << "{\"eval_label\":"
    << json_str(metrics.size() == 1 ? "eval " + *metrics.begin() : "eval metric")
    << ",\n\"groups\":[";
  std::vector<const RunRecord*> runs;
  for (std::size_t i = 0; i < groups.size(); ++i) {
    const GroupRow& g = groups[i];
    std::vector<const Series*> tr, ev;
    std::string run_ids;
    for (const auto* r : g.runs) {
      if (!r->train_loss.step.empty()) tr.push_back(&r->train_loss);
      if (!r->eval_metric.step.empty()) ev.push_back(&r->eval_metric);
      if (!run_ids.empty()) run_ids += ',';
      run_ids += std::to_string(runs.size());
      runs.push_back(r);
    }
    j << (i ? ",\n" : "\n") << "{\"id\":" << json_str(g.experiment + "/" + g.group)
      << ",\"label\":" << json_str(group_label(g, several)) << ",\"runs\":[" << run_ids
      << "],\"train\":" << json_band(band_curve(tr)) << ",\"eval\":" << json_band(band_curve(ev))
      << "}";
  }
  j << "],\n\"runs\":[";
  for (std::size_t i = 0; i < runs.size(); ++i)
    j << (i ? ",\n" : "\n") << "{\"seed\":" << runs[i]->seed
      << ",\"path\":" << json_str(runs[i]->path) << ",\"train\":" << json_series(runs[i]->train_loss)
      << ",\"eval\":" << json_series(runs[i]->eval_metric) << "}";
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
tr.status-failed, tr.status-interrupted, tr.status-running { background: #fff3f0; }
.error { color: #b00; } pre { margin: 0.3em 0; font-size: 12px; white-space: pre-wrap; }
details summary { cursor: pointer; color: #246; }
.controls { margin: 0.5em 0; } .controls label { margin-right: 1.5em; }
.plot { margin: 0.5em 0 1.5em 0; } #plot-error { color: #b00; font-weight: bold; }
)CSS";

}  // namespace

void write_html(const std::string& path, const std::vector<RunRecord>& runs,
                const std::vector<GroupRow>& groups, const Pivot* pivot) {
  std::set<std::string> experiments;
  for (const auto& g : groups) experiments.insert(g.experiment);
  const bool several = experiments.size() > 1;
  std::string names;
  for (const auto& e : experiments) names += (names.empty() ? "" : ", ") + e;

  std::ostringstream h;
  h << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
    << "<meta name=\"generator\" content=\"rnnlab " << RNNLAB_VERSION << "\">\n"
    << "<title>rnnlab report: " << esc(names) << "</title>\n"
    << raw_element("style", std::string(kUPlotCss) + kCss) << "</head>\n<body>\n"
    << "<h1>rnnlab report: " << esc(names) << "</h1>\n<p class=\"meta\">" << runs.size()
    << " run" << (runs.size() == 1 ? "" : "s") << " in " << groups.size() << " group"
    << (groups.size() == 1 ? "" : "s") << " (runs that differ only in the seed); written "
    << RunFile::now_iso8601() << " by rnnlab " << RNNLAB_VERSION << ".</p>\n"
    << "<h2>Models</h2>\n<p class=\"note\">Final and best eval metric as mean ± std over the "
       "seeds (accuracy for classification, else the eval loss); the same numbers as "
       "<code>rnnlab report --csv</code>.</p>\n"
    << groups_table(groups, several);
  if (pivot) h << pivot_table(*pivot);
  h << "<h2>Learning curves</h2>\n<p class=\"note\">Lines: the mean over a group's seeds, "
       "shaded: ± one standard deviation. Hover for the values; click a legend entry to hide "
       "or show its curve; drag to zoom, double-click to reset.</p>\n"
    << "<div class=\"controls\"><label>x axis <select id=\"xaxis\"><option value=\"step\">"
       "step</option><option value=\"wall\">wall time (s)</option></select></label>"
       "<label><input type=\"checkbox\" id=\"logy\"> log y axis</label>"
       "<label><input type=\"checkbox\" id=\"seeds\"> per-seed lines</label></div>\n"
    << "<div id=\"plot-error\"></div>\n<div class=\"plot\" id=\"plot-train\"></div>\n"
    << "<div class=\"plot\" id=\"plot-eval\"></div>\n"
    << "<h2>Runs</h2>\n" << runs_table(runs, groups, several)
    << "<table id=\"rnnlab-curve-check\" hidden><thead><tr><th>plot</th><th>group</th>"
       "<th>points</th><th>last mean</th></tr></thead><tbody></tbody></table>\n"
    << "<p class=\"note\">Charts: uPlot (MIT licence, below; version in the script header), embedded in this page.</p>\n"
    << "<details><summary>uPlot licence</summary><pre>" << esc(kUPlotLicense)
    << "</pre></details>\n"
    << raw_element("script", curve_data(groups, several), " type=\"application/json\" id=\"rnnlab-data\"")
    << raw_element("script", kUPlotJs) << raw_element("script", kReportPageJs) << "</body>\n</html>\n";

  write_page(path, h.str(), "report --html");
}

}  // namespace rnnlab::cli
