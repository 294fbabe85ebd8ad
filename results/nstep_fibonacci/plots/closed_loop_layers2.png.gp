# written by `rnnlab predict`; redraw with: gnuplot results/nstep_fibonacci/plots/closed_loop_layers2.png.gp
set terminal pngcairo size 1000,420 noenhanced
set output 'results/nstep_fibonacci/plots/closed_loop_layers2.png'
set datafile separator ','
set key outside top center horizontal
set title 'nstep_fibonacci / layers2: closed-loop forecast after 30 true values'
set xlabel 'step'
set ylabel 'value'
set arrow from 29.5, graph 0 to 29.5, graph 1 nohead dt 2
plot 'results/nstep_fibonacci/closed_loop_layers2-seed=1.csv' using 1:2 with linespoints pt 7 ps 0.5 title 'truth', 'results/nstep_fibonacci/closed_loop_layers2-seed=1.csv' using 1:3 with linespoints pt 6 ps 0.6 title 'closed-loop prediction'
