// Learning-curve plots for `rnnlab report --plots DIR`, drawn by gnuplot (gnuplot-nox):
//   DIR/curves_step.png   training loss and eval metric vs step, one line per group
//   DIR/curves_time.png   the same vs wall time (seconds)
// A group's line is the mean over its runs (seeds), row by row, up to the shortest run.
// The data (DIR/data/*.dat) and the script (DIR/curves.gp) are kept so a figure can be
// restyled and redrawn with `gnuplot DIR/curves.gp`.
#pragma once

#include <string>
#include <vector>

#include "report_data.h"

namespace rnnlab::cli {

// Writes the data, the script and the two PNGs; returns the PNG paths. Error if gnuplot is
// missing or fails (its output is in the message).
std::vector<std::string> write_plots(const std::vector<GroupRow>& groups, const std::string& dir);

// A gnuplot single-quoted string ('' stands for a quote).
std::string gnuplot_quote(const std::string& s);
// Runs `gnuplot script`; Error naming `who` if gnuplot is missing or fails (with its output).
void run_gnuplot(const std::string& script, const std::string& who);

}  // namespace rnnlab::cli
