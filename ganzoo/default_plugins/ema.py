"""``--ema``: an exponential moving average of the generator's weights, as a plugin.

Averaging G's weights over the last few thousand steps (Yazici et al. 2019, "The Unusual
Effectiveness of Averaging in GAN Training") removes much of the step-to-step jitter that
shows as noise in samples. The average is kept beside G, updated after every iteration on
the training device without any host synchronisation, saved in checkpoints as
``generator_ema``, used for the epoch grids, and preferred by ``ganzoo sample`` (and
evaluation) when present. It changes nothing in what G and D learn.
"""

from __future__ import annotations

import copy
import weakref
from typing import Any

from ganzoo.hookspecs import hookimpl

# torch is imported inside the hooks: registering this plugin must stay cheap, so that
# `ganzoo list` and `--help` do not import torch.
_averages: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


@hookimpl
def on_train_start(trainer, checkpoint):
    if not trainer.config.ema:
        return
    average = copy.deepcopy(trainer.generator).requires_grad_(False)
    if checkpoint is not None and "generator_ema" in checkpoint:
        average.load_state_dict(checkpoint["generator_ema"])
    _averages[trainer] = average
    trainer.sampling_generator = average


@hookimpl
def on_step_end(trainer):
    average = _averages.get(trainer)
    if average is None:
        return
    import torch

    with torch.no_grad():
        _update(average, trainer)


def _update(average: Any, trainer: Any) -> None:
    import torch

    # average <- d * average + (1 - d) * current, i.e. a lerp towards current. The decay
    # warms up as in TensorFlow's ExponentialMovingAverage(num_updates): early on the
    # average follows G closely instead of dragging its random initialisation along.
    decay = min(trainer.config.ema_decay, (1 + trainer.step) / (10 + trainer.step))
    weight = 1.0 - decay
    torch._foreach_lerp_(list(average.parameters()), list(trainer.generator.parameters()), weight)
    for mine, theirs in zip(average.buffers(), trainer.generator.buffers()):
        mine.copy_(theirs)  # BatchNorm statistics follow the live generator


@hookimpl
def on_checkpoint(trainer, checkpoint):
    average = _averages.get(trainer)
    if average is not None:
        checkpoint["generator_ema"] = average.state_dict()


@hookimpl
def on_train_end(trainer):
    _averages.pop(trainer, None)
