# Learning curves written by `rnnlab report`; redraw with: gnuplot results/indrnn_adding/plots/curves.gp
# Lines: the mean over a group's runs; bands: mean ± std
set terminal pngcairo size 1400,520 font 'sans,10' noenhanced
set grid
set key top right
set style data lines
set output 'results/indrnn_adding/plots/curves_step.png'
set multiplot layout 1,2 title 'indrnn_adding — vs step'
set xlabel 'step'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/indrnn_adding/plots/data/group0_train.dat' using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'indrnn', 'results/indrnn_adding/plots/data/group1_train.dat' using 1:3 with lines lw 2 lc rgb '#d62728' title 'lstm'
unset logscale y
set key top right
set title 'eval loss (mean ± std over seeds)'
set ylabel 'eval loss'
plot 'results/indrnn_adding/plots/data/group0_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#1f77b4' title 'indrnn', 'results/indrnn_adding/plots/data/group1_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#d62728' title 'lstm'
set key top right
unset multiplot
set output
set output 'results/indrnn_adding/plots/curves_time.png'
set multiplot layout 1,2 title 'indrnn_adding — vs wall time (s)'
set xlabel 'wall time (s)'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/indrnn_adding/plots/data/group0_train.dat' using 2:3 with lines lw 2 lc rgb '#1f77b4' title 'indrnn', 'results/indrnn_adding/plots/data/group1_train.dat' using 2:3 with lines lw 2 lc rgb '#d62728' title 'lstm'
unset logscale y
set key top right
set title 'eval loss (mean ± std over seeds)'
set ylabel 'eval loss'
plot 'results/indrnn_adding/plots/data/group0_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#1f77b4' title 'indrnn', 'results/indrnn_adding/plots/data/group1_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#d62728' title 'lstm'
set key top right
unset multiplot
set output
