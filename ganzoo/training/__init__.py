"""The training engine, split by concern:

* :mod:`~ganzoo.training.components`: data, G and D, objective, regularizers,
  augmentations and optimizers, put together and checked before anything is written;
* :mod:`~ganzoo.training.updates`: Algorithm 1's mechanics (autocast, backward, scaler,
  gradient averaging, optimizer steps, ``d_steps``/``g_steps``, freezing D);
* :mod:`~ganzoo.training.trainer`: the loop: epochs, the log, grids, checkpoints, hooks;
* :mod:`~ganzoo.training.checkpointing` and :mod:`~ganzoo.training.rng`: what a
  checkpoint holds, seeding, and exact resume;
* :mod:`~ganzoo.training.stopping`: signals and divergence;
* :mod:`~ganzoo.training.run`: :class:`Run`, what lifecycle hooks see, and per-run plugins;
* :mod:`~ganzoo.training.api`: :func:`train`, the Python twin of ``ganzoo run``.

The engine names no model, loss, objective or conditioning strategy: they come from the
registries.
"""

from ganzoo.training.api import train
from ganzoo.training.run import Run
from ganzoo.training.stopping import NonFiniteLossError, TrainingInterrupted
from ganzoo.training.trainer import Trainer, TrainResult

__all__ = ["NonFiniteLossError", "Run", "TrainResult", "Trainer", "TrainingInterrupted", "train"]
