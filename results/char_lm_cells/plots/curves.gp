# Learning curves written by `rnnlab report`; redraw with: gnuplot results/char_lm_cells/plots/curves.gp
# Lines: the mean over a group's runs; bands: mean ± std
set terminal pngcairo size 1400,520 font 'sans,10' noenhanced
set grid
set key top right
set style data lines
set output 'results/char_lm_cells/plots/curves_step.png'
set multiplot layout 1,2 title 'char_lm_cells — vs step'
set xlabel 'step'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/char_lm_cells/plots/data/group0_train.dat' using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'lstm', 'results/char_lm_cells/plots/data/group1_train.dat' using 1:3 with lines lw 2 lc rgb '#d62728' title 'mingru', 'results/char_lm_cells/plots/data/group2_train.dat' using 1:3 with lines lw 2 lc rgb '#2ca02c' title 'minlstm', 'results/char_lm_cells/plots/data/group3_train.dat' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title 'sru'
unset logscale y
set key top right
set title 'eval bpc (mean ± std over seeds)'
set ylabel 'eval bpc'
plot 'results/char_lm_cells/plots/data/group0_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#1f77b4' title 'lstm', 'results/char_lm_cells/plots/data/group1_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#d62728' title 'mingru', 'results/char_lm_cells/plots/data/group2_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#2ca02c' title 'minlstm', 'results/char_lm_cells/plots/data/group3_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#ff7f0e' title 'sru'
set key top right
unset multiplot
set output
set output 'results/char_lm_cells/plots/curves_time.png'
set multiplot layout 1,2 title 'char_lm_cells — vs wall time (s)'
set xlabel 'wall time (s)'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/char_lm_cells/plots/data/group0_train.dat' using 2:3 with lines lw 2 lc rgb '#1f77b4' title 'lstm', 'results/char_lm_cells/plots/data/group1_train.dat' using 2:3 with lines lw 2 lc rgb '#d62728' title 'mingru', 'results/char_lm_cells/plots/data/group2_train.dat' using 2:3 with lines lw 2 lc rgb '#2ca02c' title 'minlstm', 'results/char_lm_cells/plots/data/group3_train.dat' using 2:3 with lines lw 2 lc rgb '#ff7f0e' title 'sru'
unset logscale y
set key top right
set title 'eval bpc (mean ± std over seeds)'
set ylabel 'eval bpc'
plot 'results/char_lm_cells/plots/data/group0_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#1f77b4' title 'lstm', 'results/char_lm_cells/plots/data/group1_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#d62728' title 'mingru', 'results/char_lm_cells/plots/data/group2_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#2ca02c' title 'minlstm', 'results/char_lm_cells/plots/data/group3_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#ff7f0e' title 'sru'
set key top right
unset multiplot
set output
