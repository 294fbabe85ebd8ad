# Learning curves written by `rnnlab report`; redraw with: gnuplot results/sentiment_rnn_gru_lstm/plots/curves.gp
# Lines: the mean over a group's runs; bands: mean ± std
set terminal pngcairo size 1400,520 font 'sans,10' noenhanced
set grid
set key top right
set style data lines
set output 'results/sentiment_rnn_gru_lstm/plots/curves_step.png'
set multiplot layout 1,2 title 'sentiment_rnn_gru_lstm — vs step'
set xlabel 'step'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/sentiment_rnn_gru_lstm/plots/data/group0_train.dat' using 1:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group1_train.dat' using 1:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group2_train.dat' using 1:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group0_train.dat' using 1:3 with lines lw 2 lc rgb '#1f77b4' title 'elman', 'results/sentiment_rnn_gru_lstm/plots/data/group1_train.dat' using 1:3 with lines lw 2 lc rgb '#d62728' title 'gru', 'results/sentiment_rnn_gru_lstm/plots/data/group2_train.dat' using 1:3 with lines lw 2 lc rgb '#2ca02c' title 'lstm'
unset logscale y
set key bottom right
set title 'eval accuracy (mean ± std over seeds)'
set ylabel 'eval accuracy'
plot 'results/sentiment_rnn_gru_lstm/plots/data/group0_eval.dat' using 1:($3-$4):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group1_eval.dat' using 1:($3-$4):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group2_eval.dat' using 1:($3-$4):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group0_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#1f77b4' title 'elman', 'results/sentiment_rnn_gru_lstm/plots/data/group1_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#d62728' title 'gru', 'results/sentiment_rnn_gru_lstm/plots/data/group2_eval.dat' using 1:3 with linespoints lw 2 lc rgb '#2ca02c' title 'lstm'
set key top right
unset multiplot
set output
set output 'results/sentiment_rnn_gru_lstm/plots/curves_time.png'
set multiplot layout 1,2 title 'sentiment_rnn_gru_lstm — vs wall time (s)'
set xlabel 'wall time (s)'
set title 'training loss (mean ± std over seeds)'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/sentiment_rnn_gru_lstm/plots/data/group0_train.dat' using 2:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group1_train.dat' using 2:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group2_train.dat' using 2:($3-$4>0?$3-$4:$3/10):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group0_train.dat' using 2:3 with lines lw 2 lc rgb '#1f77b4' title 'elman', 'results/sentiment_rnn_gru_lstm/plots/data/group1_train.dat' using 2:3 with lines lw 2 lc rgb '#d62728' title 'gru', 'results/sentiment_rnn_gru_lstm/plots/data/group2_train.dat' using 2:3 with lines lw 2 lc rgb '#2ca02c' title 'lstm'
unset logscale y
set key bottom right
set title 'eval accuracy (mean ± std over seeds)'
set ylabel 'eval accuracy'
plot 'results/sentiment_rnn_gru_lstm/plots/data/group0_eval.dat' using 2:($3-$4):($3+$4) with filledcurves lc rgb '#1f77b4' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group1_eval.dat' using 2:($3-$4):($3+$4) with filledcurves lc rgb '#d62728' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group2_eval.dat' using 2:($3-$4):($3+$4) with filledcurves lc rgb '#2ca02c' fs transparent solid 0.18 noborder notitle, 'results/sentiment_rnn_gru_lstm/plots/data/group0_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#1f77b4' title 'elman', 'results/sentiment_rnn_gru_lstm/plots/data/group1_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#d62728' title 'gru', 'results/sentiment_rnn_gru_lstm/plots/data/group2_eval.dat' using 2:3 with linespoints lw 2 lc rgb '#2ca02c' title 'lstm'
set key top right
unset multiplot
set output
