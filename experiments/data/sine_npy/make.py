#!/usr/bin/python3
"""Writes the example dataset of experiments/npy_sine.rnn (the `npy` data source) as .npy files.

    /usr/bin/python3 experiments/data/sine_npy/make.py     # rewrites x.npy, y.npy, len.npy here

Task: name the frequency of a noisy sine wave seen for a variable number of steps.
  N = 600 sequences, T = 16 steps, I = 1 feature; class c in {0, 1, 2} (200 each, shuffled)
  frequency w_c = (0.35, 0.7, 1.4)[c] radians per step, phase ~ U[0, 2π), length L ~ U{6..16}
  x[n, t, 0] = sin(w_c t + phase) + 0.3 ε (ε ~ N(0,1)) for t < L, 0 after (padding)
  x.npy float32 [600,16,1], y.npy int64 [600], len.npy int64 [600]
Deterministic (numpy.random.default_rng(13)); the files are shipped, this script documents them.
"""
import os

import numpy as np

N, T = 600, 16
FREQ = (0.35, 0.7, 1.4)


def main():
    rng = np.random.default_rng(13)
    y = rng.permutation(np.repeat(np.arange(3), N // 3)).astype(np.int64)
    lengths = rng.integers(6, T + 1, size=N).astype(np.int64)
    phase = rng.uniform(0, 2 * np.pi, size=N)
    t = np.arange(T)
    x = np.sin(np.asarray(FREQ)[y][:, None] * t[None, :] + phase[:, None])
    x += 0.3 * rng.normal(size=(N, T))
    x[t[None, :] >= lengths[:, None]] = 0.0
    here = os.path.dirname(os.path.abspath(__file__))
    np.save(os.path.join(here, "x.npy"), x[:, :, None].astype(np.float32))
    np.save(os.path.join(here, "y.npy"), y)
    np.save(os.path.join(here, "len.npy"), lengths)


if __name__ == "__main__":
    main()
