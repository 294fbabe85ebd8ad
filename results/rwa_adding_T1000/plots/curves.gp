# Learning curves written by `rnnlab report`; redraw with: gnuplot results/rwa_adding_T1000/plots/curves.gp
set terminal pngcairo size 1400,520 font 'sans,10' noenhanced
set grid
set key top right
set style data lines
set output 'results/rwa_adding_T1000/plots/curves_step.png'
set multiplot layout 1,2 title 'rwa_adding — vs step'
set xlabel 'step'
set title 'training loss'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/rwa_adding_T1000/plots/data/group0_train.dat' using 1:3 with lines lw 2 title 'lstm', 'results/rwa_adding_T1000/plots/data/group1_train.dat' using 1:3 with lines lw 2 title 'rwa'
unset logscale y
set key top right
set title 'eval loss'
set ylabel 'eval loss'
plot 'results/rwa_adding_T1000/plots/data/group0_eval.dat' using 1:3 with linespoints lw 2 title 'lstm', 'results/rwa_adding_T1000/plots/data/group1_eval.dat' using 1:3 with linespoints lw 2 title 'rwa'
set key top right
unset multiplot
set output
set output 'results/rwa_adding_T1000/plots/curves_time.png'
set multiplot layout 1,2 title 'rwa_adding — vs wall time (s)'
set xlabel 'wall time (s)'
set title 'training loss'
set ylabel 'loss (mean over the log window)'
set logscale y
plot 'results/rwa_adding_T1000/plots/data/group0_train.dat' using 2:3 with lines lw 2 title 'lstm', 'results/rwa_adding_T1000/plots/data/group1_train.dat' using 2:3 with lines lw 2 title 'rwa'
unset logscale y
set key top right
set title 'eval loss'
set ylabel 'eval loss'
plot 'results/rwa_adding_T1000/plots/data/group0_eval.dat' using 2:3 with linespoints lw 2 title 'lstm', 'results/rwa_adding_T1000/plots/data/group1_eval.dat' using 2:3 with linespoints lw 2 title 'rwa'
set key top right
unset multiplot
set output
