// `rnnlab report` on a real sweep (tests/cli/sweep_tiny.rnn, local executor, then collect):
// summary.h5 and other non-run HDF5 files are not read as runs; --by pivot tables equal the
// run files' numbers; --plots --seed-lines draws bands and per-run lines; --html renders in a
// real headless Chromium (the page's script ran, uPlot drew both charts, the tables and the
// drawn curves show the numbers of `report --csv`, the page loads nothing from outside).
// Chromium is required (Debian: chromium, in scripts/setup.sh): without it the test fails.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>

#include "cli/cli_util.h"
#include "rnnlab/run_file.h"

using namespace rnnlab;
using namespace rnnlab::test;
namespace fs = std::filesystem;

namespace {

// A finished local sweep of sweep_tiny (6 runs: lstm hidden 4/8 x seeds 1/2, gru x seeds 1/2)
// with summary.h5 from `collect`, in a folder of its own.
std::string tiny_sweep(const std::string& name) {
  const std::string dir = temp_dir(name) + "/sweep";
  fs::remove_all(dir);
  CliResult s = run_cli({"sweep", kCliFixtures + "/sweep_tiny.rnn", "--executor", "local",
                         "--out", dir}, name);
  REQUIRE_MESSAGE(s.code == 0, s.err);
  CliResult c = run_cli({"collect", dir}, name);
  REQUIRE_MESSAGE(c.code == 0, c.err);
  REQUIRE(fs::exists(dir + "/summary.h5"));
  return dir;
}

// CSV text -> one map per data line, by header name.
std::vector<std::map<std::string, std::string>> csv_rows(const std::string& text) {
  auto lines = lines_of(text);
  std::vector<std::map<std::string, std::string>> out;
  if (lines.empty()) return out;
  const auto head = csv_fields(lines[0]);
  for (std::size_t i = 1; i < lines.size(); ++i) {
    const auto f = csv_fields(lines[i]);
    REQUIRE(f.size() == head.size());
    std::map<std::string, std::string> row;
    for (std::size_t k = 0; k < f.size(); ++k) row[head[k]] = f[k];
    out.push_back(row);
  }
  return out;
}

// `rnnlab report args...` that must succeed, its CSV output as rows.
std::vector<std::map<std::string, std::string>> report_csv(const std::vector<std::string>& args,
                                                           const std::string& name) {
  std::vector<std::string> all = {"report"};
  all.insert(all.end(), args.begin(), args.end());
  CliResult r = run_cli(all, name);
  REQUIRE_MESSAGE(r.code == 0, r.err);
  return csv_rows(r.out);
}

// The value of attribute `attr` in the first tag that contains `anchor` ("" if none).
std::string attr_of_tag(const std::string& dom, const std::string& anchor, const std::string& attr) {
  const std::size_t at = dom.find(anchor);
  if (at == std::string::npos) return "";
  const std::size_t open = dom.rfind('<', at), close = dom.find('>', at);
  const std::string tag = dom.substr(open, close - open);
  const std::size_t a = tag.find(" " + attr + "=\"");
  if (a == std::string::npos) return "";
  const std::size_t v = a + attr.size() + 3;
  return tag.substr(v, tag.find('"', v) - v);
}

// The text of the element that starts with the tag containing `anchor`, up to `end_tag`.
std::string element_text(const std::string& dom, const std::string& anchor, const std::string& end_tag) {
  const std::size_t at = dom.find(anchor);
  if (at == std::string::npos) return "";
  return dom.substr(at, dom.find(end_tag, at) - at);
}

std::size_t count_of(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (std::size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

double to_double(const std::string& s) { return std::strtod(s.c_str(), nullptr); }

std::string fixed4(const std::string& s) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.4f", to_double(s));
  return buf;
}

// Headless Chromium on this machine, or "".
std::string find_chromium() {
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    const std::string cmd = std::string("command -v ") + name + " 2>/dev/null";
    FILE* p = ::popen(cmd.c_str(), "r");
    if (!p) continue;
    char buf[4096] = {};
    const bool got = std::fgets(buf, sizeof buf, p) != nullptr;
    ::pclose(p);
    std::string path = got ? buf : "";
    while (!path.empty() && (path.back() == '\n' || path.back() == '\r')) path.pop_back();
    if (!path.empty()) return path;
  }
  return "";
}

}  // namespace

TEST_SUITE_BEGIN("integration");  // ctest label (tests/README.md: labels)

TEST_CASE("report: a sweep's summary.h5 is no run and other non-run HDF5 files are skipped with a warning") {
  const std::string dir = tiny_sweep("report_summary");
  CliResult csv = run_cli({"report", dir, "--csv"}, "report_summary");
  REQUIRE_MESSAGE(csv.code == 0, csv.err);
  const auto rows = csv_rows(csv.out);
  REQUIRE(rows.size() == 3);  // gru, lstm-hidden=4, lstm-hidden=8: no ?/summary
  for (const auto& r : rows) {
    CHECK(r.at("experiment") == "sweep_tiny");
    CHECK(r.at("runs") == "2");
  }
  CHECK(csv.err.empty());  // summary.h5 skipped without a word

  fs::copy_file(dir + "/summary.h5", dir + "/other.h5");
  CliResult again = run_cli({"report", dir, "--csv"}, "report_summary");
  REQUIRE_MESSAGE(again.code == 0, again.err);
  CHECK(again.out == csv.out);
  CHECK(again.err.find("skipped an unreadable run file: " + dir +
                       "/other.h5: an HDF5 file, but not an rnnlab run file") != std::string::npos);
  CHECK(again.err.find("summary.h5") == std::string::npos);
}

TEST_CASE("report --by: pivot tables over resolved keys equal the run files and unknown keys exit 2") {
  const std::string dir = tiny_sweep("report_pivot");
  // The final eval accuracy of every run, by (hidden, cell), straight from the files.
  std::map<std::pair<std::string, std::string>, std::vector<double>> acc;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.path().filename() != "run.h5") continue;
    RunFile f = RunFile::open(e.path().string());
    const std::string model = f.attr_string("model");
    const std::string run = f.attr_string("run");
    const std::string hidden = run.find("hidden=8") != std::string::npos ? "8" : "4";
    acc[{hidden, model}].push_back(f.read_series("eval", "accuracy").back());
  }
  REQUIRE(acc.size() == 3);

  const auto rows = report_csv({dir, "--by", "hidden,cell", "--csv"}, "report_pivot");
  REQUIRE(rows.size() == 3);  // (4, gru) (4, lstm) (8, lstm): gru's hidden is resolved, 4
  for (const auto& r : rows) {
    const auto& v = acc.at({r.at("hidden"), r.at("cell")});
    REQUIRE(v.size() == 2);
    CHECK(r.at("runs") == "2");
    CHECK(r.at("metric") == "accuracy");
    CHECK(to_double(r.at("final_mean")) == doctest::Approx((v[0] + v[1]) / 2).epsilon(1e-12));
    CHECK(to_double(r.at("final_std")) ==
          doctest::Approx(std::fabs(v[0] - v[1]) / std::sqrt(2.0)).epsilon(1e-9));
  }
  CliResult table = run_cli({"report", dir, "--by", "hidden,cell"}, "report_pivot");
  REQUIRE_MESSAGE(table.code == 0, table.err);
  CHECK(table.out.find("hidden \\ cell") != std::string::npos);
  CHECK(table.out.find(fixed4(rows[0].at("final_mean")) + " ± ") != std::string::npos);

  // Files without the typed /config/values (written before it existed): the same table from
  // the /config/resolved text.
  const std::string old_dir = temp_dir("report_pivot") + "/without_values";
  fs::remove_all(old_dir);
  fs::copy(dir, old_dir, fs::copy_options::recursive);
  int stripped = 0;
  for (const auto& e : fs::recursive_directory_iterator(old_dir)) {
    if (e.path().filename() != "run.h5") continue;
    RunFile f = RunFile::open(e.path().string(), true);
    REQUIRE(f.exists("config/values"));
    f.remove("config/values");
    ++stripped;
  }
  CHECK(stripped == 6);
  CHECK(report_csv({old_dir, "--by", "hidden,cell", "--csv"}, "report_pivot") == rows);
  CHECK(report_csv({old_dir, "--by", "lr,batch", "--csv"}, "report_pivot") ==
        report_csv({dir, "--by", "lr,batch", "--csv"}, "report_pivot"));

  // One key: rows by cell, 4 lstm runs pooled over both hidden sizes.
  const auto cells = report_csv({dir, "--by", "cell", "--csv"}, "report_pivot");
  REQUIRE(cells.size() == 2);
  CHECK(cells[1].at("cell") == "lstm");
  CHECK(cells[1].at("runs") == "4");

  CliResult bad = run_cli({"report", dir, "--by", "hiden,cell"}, "report_pivot");
  CHECK(bad.code == 2);
  CHECK(bad.err.find("unknown key 'hiden'") != std::string::npos);
  CHECK(bad.err.find("cell, ") != std::string::npos);    // says which keys exist
  CHECK(bad.err.find("hidden, ") != std::string::npos);
  CHECK(run_cli({"report", dir, "--by", "cell", "--json"}, "report_pivot").code == 2);

  // gnuplot is a dependency (scripts/setup.sh installs it): without it this fails, never skips.
  REQUIRE_MESSAGE(std::system("gnuplot --version > /dev/null 2>&1") == 0,
                  "gnuplot is not installed (scripts/setup.sh installs it): --plots --seed-lines cannot be tested");
  const std::string plots = temp_dir("report_pivot") + "/plots";
  CliResult p = run_cli({"report", dir, "--plots", plots, "--seed-lines"}, "report_pivot");
  REQUIRE_MESSAGE(p.code == 0, p.err);
  CHECK(is_png(plots + "/curves_step.png"));
  const std::string gp = slurp(plots + "/curves.gp");
  // 3 groups of 2 runs x 2 panels (loss, eval) x 2 figures (vs step, vs time): 12 bands;
  // 6 runs x 2 panels x 2 figures: 24 per-run lines.
  CHECK(count_of(gp, "with filledcurves") == 12);
  CHECK(count_of(gp, "dt 2") == 24);
  CHECK(fs::exists(plots + "/data/group0_run1_eval.dat"));
}

TEST_CASE("report --html: headless Chromium renders the tables and curves with the CSV's numbers") {
  const std::string chromium = find_chromium();
  REQUIRE_MESSAGE(!chromium.empty(),
                  "headless Chromium is needed for this test (Debian: apt-get install chromium)");
  const std::string dir = tiny_sweep("report_html");
  const std::string work = temp_dir("report_html");
  const std::string html = fs::absolute(work + "/report.html").string();
  CliResult w = run_cli({"report", dir, "--by", "hidden,cell", "--html", html}, "report_html");
  REQUIRE_MESSAGE(w.code == 0, w.err);
  const std::string page = slurp(html);
  // Self-contained: no script, style or image is fetched.
  CHECK(page.find("<script src") == std::string::npos);
  CHECK(page.find("<link") == std::string::npos);
  CHECK(page.find("src=\"http") == std::string::npos);
  CHECK(page.find("var uPlot=") != std::string::npos);

  const std::string flags = " --headless --no-sandbox --disable-gpu --user-data-dir=" + work +
                            "/profile --hide-scrollbars --window-size=1280,1800 ";
  const std::string dom_path = work + "/dom.html";
  const std::string cmd = "timeout 120 " + chromium + flags + "--dump-dom file://" + html + " > " +
                          dom_path + " 2> " + work + "/chromium.log";
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, slurp(work + "/chromium.log"));
  const std::string dom = slurp(dom_path);
  REQUIRE_MESSAGE(dom.find("data-rendered=\"ok\"") != std::string::npos,
                  "the page's script did not finish: " << element_text(dom, "<body", ">"));
  CHECK(count_of(dom, "class=\"uplot") == 2);  // training loss and eval accuracy charts
  CHECK(count_of(dom, "<canvas") >= 2);
  CHECK(dom.find("lstm-hidden=8 (mean of 2)") != std::string::npos);  // a legend entry

  const auto groups = report_csv({dir, "--csv"}, "report_html");
  REQUIRE(groups.size() == 3);
  for (const auto& g : groups) {
    const std::string anchor = "data-group=\"" + g.at("experiment") + "/" + g.at("model") + "\"";
    CAPTURE(anchor);
    // The model table: full-precision numbers as the CSV, the shown digits as the text table.
    CHECK(attr_of_tag(dom, "<tr " + anchor, "data-final-mean") == g.at("final_mean"));
    CHECK(attr_of_tag(dom, "<tr " + anchor, "data-final-std") == g.at("final_std"));
    CHECK(attr_of_tag(dom, "<tr " + anchor, "data-train-loss") == g.at("train_loss_mean"));
    CHECK(attr_of_tag(dom, "<tr " + anchor, "data-ms-per-step") == g.at("ms_per_step_mean"));
    const std::string row = element_text(dom, "<tr " + anchor, "</tr>");
    CHECK(row.find(std::string(">") + fixed4(g.at("final_mean")) + " ± " + fixed4(g.at("final_std")) + "<") !=
          std::string::npos);
    // The drawn curves: the last point of the eval mean curve is the final eval mean, that of
    // the training loss the final training loss (read back from the chart's data by the page;
    // curve points are embedded with 10 significant digits).
    const std::string eval_anchor = "data-plot=\"eval\" " + anchor;
    CHECK(attr_of_tag(dom, eval_anchor, "data-points") == "2");  // eval at steps 3 and 6
    CHECK(to_double(attr_of_tag(dom, eval_anchor, "data-last")) ==
          doctest::Approx(to_double(g.at("final_mean"))).epsilon(1e-9));
    CHECK(to_double(attr_of_tag(dom, "data-plot=\"train\" " + anchor, "data-last")) ==
          doctest::Approx(to_double(g.at("train_loss_mean"))).epsilon(1e-9));
  }
  // The pivot table: the numbers of `report --by hidden,cell --csv`.
  const auto cells = report_csv({dir, "--by", "hidden,cell", "--csv"}, "report_html");
  REQUIRE(cells.size() == 3);
  for (const auto& c : cells) {
    const std::string anchor = "data-keys=\"" + c.at("hidden") + "," + c.at("cell") + "\"";
    CAPTURE(anchor);
    CHECK(attr_of_tag(dom, anchor, "data-runs") == c.at("runs"));
    CHECK(attr_of_tag(dom, anchor, "data-final-mean") == c.at("final_mean"));
  }
  // Run metadata: every run with its git sha, host, seed, status and resolved config.
  CHECK(count_of(dom, "<tr data-path=") == 6);
  RunFile f = RunFile::open(dir + "/sweep_tiny/gru-seed=2/run.h5");
  const std::string run_row = element_text(dom, "<tr data-path=\"" + f.path() + "\"", "</tr>");
  CHECK(run_row.find("<code>" + f.attr_string("git_sha") + "</code>") != std::string::npos);
  CHECK(run_row.find(std::string(">") + f.attr_string("host") + "<") != std::string::npos);
  CHECK(run_row.find("<td>2</td><td>finished</td>") != std::string::npos);
  CHECK(run_row.find("model gru = gru(") != std::string::npos);

  // The other views (wall-time x axis, log y axis, per-seed lines), preset by the address.
  const std::string cmd2 = "timeout 120 " + chromium + flags + "--dump-dom 'file://" + html +
                           "#x=wall&log=1&seeds=1' > " + dom_path + " 2> " + work + "/chromium.log";
  REQUIRE_MESSAGE(std::system(cmd2.c_str()) == 0, slurp(work + "/chromium.log"));
  const std::string dom2 = slurp(dom_path);
  CHECK(dom2.find("data-rendered=\"ok\"") != std::string::npos);
  CHECK(dom2.find("data-view=\"x=wall&amp;log=1&amp;seeds=1\"") != std::string::npos);
  CHECK(count_of(dom2, "training loss (log scale)") == 1);
  CHECK(count_of(dom2, "lstm-hidden=4 seed 2") == 2);  // a run's own line in both legends
  CHECK(count_of(dom2, "wall time (s)") >= 2);

  // A screenshot of the rendered page is a real image (the committed reports' figure).
  const std::string png = work + "/report.png";
  fs::remove(png);
  const std::string shot = "timeout 120 " + chromium + flags + "--screenshot=" + png + " file://" +
                           html + " > " + work + "/chromium.log 2>&1";
  REQUIRE_MESSAGE(std::system(shot.c_str()) == 0, slurp(work + "/chromium.log"));
  CHECK(is_png(png));
  CHECK(fs::file_size(png) > 50000);  // tables and two charts, not a blank page
}

TEST_SUITE_END();
