"""rnnlab run files in Python: pandas tables of runs, learning curves, PyTorch models.

    import rnnlab                                  # PYTHONPATH=python (the repository's folder)
    runs = rnnlab.load_runs("results/runs/sweep")  # one row per run (pandas.DataFrame)
    train, ev = rnnlab.curves(runs.path[0])        # /metrics and /eval as DataFrames
    model = rnnlab.to_torch(runs.path[0])          # elman/lstm/gru (+ dense) as torch.nn.Module

Needs h5py, numpy and pandas (Debian: python3-h5py python3-numpy python3-pandas); to_torch
also needs torch (python3-torch), imported only when to_torch is called. See python/README.md.
"""
from .runs import Curves, curves, is_run_file, load_runs, run_files, split, values

__all__ = ["Curves", "curves", "is_run_file", "load_runs", "run_files", "split", "to_torch",
           "values"]


def to_torch(run, **kwargs):
    """The run's model as a torch.nn.Module with its trained weights (rnnlab.torch_models)."""
    from .torch_models import to_torch as _to_torch
    return _to_torch(run, **kwargs)
