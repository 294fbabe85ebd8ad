# Learning curves written by `rnnlab report`; redraw with: gnuplot results/qrnn_word_lm/plots/curves.gp
# Lines: the mean over a group's runs; bands: mean ± std
set terminal pngcairo size 1400,520 font 'sans,10' noenhanced
set grid
set key top right
set style data lines
set output 'results/qrnn_word_lm/plots/curves_step.png'
set multiplot layout 1,2 title 'qrnn_word_lm — vs step'
set xlabel 'step'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/qrnn_word_lm/plots/data/group0_train.dat' using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_word_lm/plots/data/group1_train.dat' using 1:3 with lines lw 2 lc rgb '#d62728' title 'qrnn'
unset logscale y
set key top right
set title 'eval perplexity (mean ± std over seeds)'
set ylabel 'eval perplexity'
plot 'results/qrnn_word_lm/plots/data/group0_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_word_lm/plots/data/group1_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#d62728' title 'qrnn'
set key top right
unset multiplot
set output
set output 'results/qrnn_word_lm/plots/curves_time.png'
set multiplot layout 1,2 title 'qrnn_word_lm — vs wall time (s)'
set xlabel 'wall time (s)'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/qrnn_word_lm/plots/data/group0_train.dat' using 2:3 with lines lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_word_lm/plots/data/group1_train.dat' using 2:3 with lines lw 2 lc rgb '#d62728' title 'qrnn'
unset logscale y
set key top right
set title 'eval perplexity (mean ± std over seeds)'
set ylabel 'eval perplexity'
plot 'results/qrnn_word_lm/plots/data/group0_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_word_lm/plots/data/group1_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#d62728' title 'qrnn'
set key top right
unset multiplot
set output
