"""ganzoo: a pluggable GAN zoo for PyTorch.

The public API, for scripts, notebooks and plugins::

    import ganzoo
    result = ganzoo.train("gan", "mnist", data_root="../shared/datasets", epochs=5, progress=True)
    zoo = ganzoo.get_zoo()            # the registries: zoo.models, zoo.losses, ...

Plugins implement the hooks of :mod:`ganzoo.hookspecs`, marked with :data:`hookimpl`.
Heavy modules (torch, the engine) are imported on first use, so ``import ganzoo`` and
``ganzoo --help`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ganzoo.hookspecs import hookimpl
from ganzoo.options import Option
from ganzoo.plugins import get_zoo, register_plugin, unregister_plugin
from ganzoo.recipes import ModelRecipe

__version__ = "0.2.0"

if TYPE_CHECKING:
    from ganzoo.augmentations import Augmentation
    from ganzoo.conditioning import Conditioning, EmbeddingConcat, LinearHead, NoConditioning
    from ganzoo.config import TrainConfig
    from ganzoo.data import DatasetSpec
    from ganzoo.losses import GANLoss
    from ganzoo.models import ArchitectureSpec
    from ganzoo.objectives import Adversarial, Objective, ObjectiveSetup
    from ganzoo.regularizers import Regularizer
    from ganzoo.sampling import load_generator, sample
    from ganzoo.step import DiscriminatorOutput, Generated, MetricSpec, Step, StepOutput
    from ganzoo.training import Run, Trainer, TrainResult, train

_LAZY = {
    "Adversarial": "ganzoo.objectives",
    "ArchitectureSpec": "ganzoo.models",
    "Augmentation": "ganzoo.augmentations",
    "DiscriminatorOutput": "ganzoo.step",
    "Generated": "ganzoo.step",
    "MetricSpec": "ganzoo.step",
    "Objective": "ganzoo.objectives",
    "ObjectiveSetup": "ganzoo.objectives",
    "Regularizer": "ganzoo.regularizers",
    "Run": "ganzoo.training",
    "Step": "ganzoo.step",
    "StepOutput": "ganzoo.step",
    "Conditioning": "ganzoo.conditioning",
    "EmbeddingConcat": "ganzoo.conditioning",
    "LinearHead": "ganzoo.conditioning",
    "NoConditioning": "ganzoo.conditioning",
    "DatasetSpec": "ganzoo.data",
    "GANLoss": "ganzoo.losses",
    "TrainConfig": "ganzoo.config",
    "Trainer": "ganzoo.training",
    "TrainResult": "ganzoo.training",
    "train": "ganzoo.training",
    "load_generator": "ganzoo.sampling",
    "sample": "ganzoo.sampling",
}

__all__ = [
    "Adversarial", "ArchitectureSpec", "Augmentation", "Conditioning", "DatasetSpec", "DiscriminatorOutput",
    "EmbeddingConcat", "GANLoss", "Generated", "LinearHead", "MetricSpec", "ModelRecipe", "NoConditioning",
    "Objective", "ObjectiveSetup", "Option", "Regularizer", "Run", "Step", "StepOutput", "TrainConfig",
    "TrainResult", "Trainer", "__version__", "get_zoo", "hookimpl", "load_generator",
    "register_plugin", "sample", "train", "unregister_plugin",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'ganzoo' has no attribute {name!r}")
