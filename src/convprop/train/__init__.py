"""Training as a library: the loops (loop.py), a run's saved and restored state (state.py)
and the run itself (run.py), which the CLI drives and prints."""

from .loop import EpochResult, _progress_bar, evaluate, fit, model_inputs, predict, train_epoch
from .run import Trainer, build_optimizer, check_inputs, load_data
from .state import Progress, Resumed, build_model, restore

__all__ = [
    "EpochResult",
    "Progress",
    "Resumed",
    "Trainer",
    "_progress_bar",
    "build_model",
    "build_optimizer",
    "check_inputs",
    "evaluate",
    "fit",
    "load_data",
    "model_inputs",
    "predict",
    "restore",
    "train_epoch",
]
