// `rnnlab report --html OUT.html`: one self-contained page (no network, no other files) with
//   - the model table (the numbers of `rnnlab report` / `--csv`; every number cell carries its
//     full-precision CSV text in data-* attributes),
//   - the pivot table of --by, when given,
//   - interactive learning curves drawn by uPlot (vendored, vendor/uplot, compiled into the
//     binary): training loss and eval metric per group as mean with a ± std band, optional
//     per-seed lines, x = step or wall time, log y axis, values on hover, a click on a legend
//     entry hides or shows that curve,
//   - the metadata of every run: path, group, seed, status, steps, git sha, host, times, its
//     root attrs and its resolved config.
// Table numbers are those of the text table (digits) and --csv (data-* attributes, full
// precision); curve points are embedded with 10 significant digits.
// The address may preset the curve controls: OUT.html#x=wall&log=1&seeds=1.
// The page's script marks <body data-rendered="ok"> when the curves are drawn (else
// data-rendered="error: ..." and the message on the page), and fills the hidden table
// #rnnlab-curve-check with the last point of every drawn mean curve, for tests.
#pragma once

#include <string>
#include <vector>

#include "rnnlab/run_reader.h"
#include "report_pivot.h"

namespace rnnlab::cli {

void write_html(const std::string& path, const std::vector<RunRecord>& runs,
                const std::vector<GroupRow>& groups, const Pivot* pivot);

}  // namespace rnnlab::cli
