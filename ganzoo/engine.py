"""Where the engine used to live (ganzoo < 0.2): its names, re-exported from
:mod:`ganzoo.training`, so that code importing them from here keeps working."""

from ganzoo.training import NonFiniteLossError, TrainingInterrupted, Trainer, TrainResult, train

__all__ = ["NonFiniteLossError", "TrainResult", "Trainer", "TrainingInterrupted", "train"]
