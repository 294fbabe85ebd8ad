# Learning curves written by `rnnlab report`; redraw with: gnuplot results/qrnn_vs_lstm_digits/plots/curves.gp
# Lines: the mean over a group's runs; bands: mean ± std
set terminal pngcairo size 1400,520 font 'sans,10' noenhanced
set grid
set key top right
set style data lines
set output 'results/qrnn_vs_lstm_digits/plots/curves_step.png'
set multiplot layout 1,2 title 'qrnn_vs_lstm_digits — vs step'
set xlabel 'step'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/qrnn_vs_lstm_digits/plots/data/group0_train.dat' using 1:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group1_train.dat' using 1:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group2_train.dat' using 1:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group3_train.dat' using 1:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#ff7f0e' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group0_train.dat' using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_vs_lstm_digits/plots/data/group1_train.dat' using 1:3 with lines lw 2 lc rgb '#d62728' title 'qrnn_f', 'results/qrnn_vs_lstm_digits/plots/data/group2_train.dat' using 1:3 with lines lw 2 lc rgb '#2ca02c' title 'qrnn_fo', 'results/qrnn_vs_lstm_digits/plots/data/group3_train.dat' using 1:3 with lines lw 2 lc rgb '#ff7f0e' title 'qrnn_ifo'
unset logscale y
set key bottom right
set title 'eval accuracy (mean ± std over seeds)'
set ylabel 'eval accuracy'
plot 'results/qrnn_vs_lstm_digits/plots/data/group0_eval.dat' using 1:($3-$4):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group1_eval.dat' using 1:($3-$4):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group2_eval.dat' using 1:($3-$4):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group3_eval.dat' using 1:($3-$4):($3+$4) with filledcurves lc rgb '#ff7f0e' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group0_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_vs_lstm_digits/plots/data/group1_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#d62728' title 'qrnn_f', 'results/qrnn_vs_lstm_digits/plots/data/group2_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#2ca02c' title 'qrnn_fo', 'results/qrnn_vs_lstm_digits/plots/data/group3_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#ff7f0e' title 'qrnn_ifo'
set key top right
unset multiplot
set output
set output 'results/qrnn_vs_lstm_digits/plots/curves_time.png'
set multiplot layout 1,2 title 'qrnn_vs_lstm_digits — vs wall time (s)'
set xlabel 'wall time (s)'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/qrnn_vs_lstm_digits/plots/data/group0_train.dat' using 2:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group1_train.dat' using 2:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group2_train.dat' using 2:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group3_train.dat' using 2:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#ff7f0e' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group0_train.dat' using 2:3 with lines lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_vs_lstm_digits/plots/data/group1_train.dat' using 2:3 with lines lw 2 lc rgb '#d62728' title 'qrnn_f', 'results/qrnn_vs_lstm_digits/plots/data/group2_train.dat' using 2:3 with lines lw 2 lc rgb '#2ca02c' title 'qrnn_fo', 'results/qrnn_vs_lstm_digits/plots/data/group3_train.dat' using 2:3 with lines lw 2 lc rgb '#ff7f0e' title 'qrnn_ifo'
unset logscale y
set key bottom right
set title 'eval accuracy (mean ± std over seeds)'
set ylabel 'eval accuracy'
plot 'results/qrnn_vs_lstm_digits/plots/data/group0_eval.dat' using 2:($3-$4):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group1_eval.dat' using 2:($3-$4):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group2_eval.dat' using 2:($3-$4):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group3_eval.dat' using 2:($3-$4):($3+$4) with filledcurves lc rgb '#ff7f0e' fs transparent solid 0.18 noborder notitle, 'results/qrnn_vs_lstm_digits/plots/data/group0_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#1f77b4' title 'lstm', 'results/qrnn_vs_lstm_digits/plots/data/group1_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#d62728' title 'qrnn_f', 'results/qrnn_vs_lstm_digits/plots/data/group2_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#2ca02c' title 'qrnn_fo', 'results/qrnn_vs_lstm_digits/plots/data/group3_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#ff7f0e' title 'qrnn_ifo'
set key top right
unset multiplot
set output
