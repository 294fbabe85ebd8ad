// Learning-curve plots for `rnnlab report --plots DIR`, drawn by gnuplot (gnuplot-nox):
//   DIR/curves_step.png   training loss and eval metric vs step, one line per group
//   DIR/curves_time.png   the same vs wall time (seconds)
// A group's line is the mean over its runs (seeds), row by row, up to the shortest run, in a
// shaded band of ± one sample standard deviation (groups of two or more runs; on the log axis
// of the training loss the band's lower edge is clipped at mean/10 where mean - std <= 0).
// With seed_lines, every run is also drawn as a thin line of its group's colour.
// The data (DIR/data/*.dat) and the script (DIR/curves.gp) are kept so a figure can be
// restyled and redrawn with `gnuplot DIR/curves.gp`.
#pragma once

#include <string>
#include <vector>

#include "rnnlab/run_views.h"  // band_curve

namespace rnnlab::cli {

// Writes the data, the script and the two PNGs; returns the PNG paths. Error if gnuplot is
// missing or fails (its output is in the message).
std::vector<std::string> write_plots(const std::vector<GroupRow>& groups, const std::string& dir,
                                     bool seed_lines = false);

// A gnuplot single-quoted string ('' stands for a quote).
std::string gnuplot_quote(const std::string& s);
// Runs `gnuplot script`; Error naming `who` if gnuplot is missing or fails (with its output).
void run_gnuplot(const std::string& script, const std::string& who);

}  // namespace rnnlab::cli
