"""``--ema``: an exponential moving average of the generator's weights, as a plugin.

Averaging G's weights over the last few thousand steps (Yazici et al. 2019, "The Unusual
Effectiveness of Averaging in GAN Training") removes much of the step-to-step jitter that
shows as noise in samples. The average is kept beside G, updated after every iteration on
the training device without any host synchronisation, saved in checkpoints as
``generator_ema``, used for the epoch grids, and preferred by ``ganzoo sample`` (and
evaluation) when present. It changes nothing in what G and D learn.

It is built the way a third-party plugin would be: two declared options, and a
class-instance plugin per run (``make_run_plugins``) that holds the average on ``self``.
"""

from __future__ import annotations

import copy
from typing import Any

from ganzoo.hookspecs import hookimpl
from ganzoo.options import Option

# torch is imported inside the hooks: registering this plugin must stay cheap, so that
# `ganzoo list` and `--help` do not import torch.


@hookimpl
def register_options(register):
    register("ema", Option(bool, False, "Keep an exponential moving average of G's weights for grids and sampling (the built-in recipes do)."))
    register("ema_decay", Option(float, 0.999, "Decay of --ema per iteration.", check=lambda v: 0 < v < 1,
                                 allowed="in (0, 1)"))


@hookimpl
def make_run_plugins(run):
    return ExponentialMovingAverage(run.options["ema_decay"]) if run.options["ema"] else None


class ExponentialMovingAverage:
    """The average of one run's G, on the training device."""

    def __init__(self, decay: float) -> None:
        self.decay = decay
        self.average: Any = None

    @hookimpl
    def on_train_start(self, run, checkpoint):
        self.average = copy.deepcopy(run.generator).requires_grad_(False)
        if checkpoint is not None and "generator_ema" in checkpoint:
            self.average.load_state_dict(checkpoint["generator_ema"])
        run.sampling_generator = self.average

    @hookimpl
    def on_step_end(self, run):
        import torch

        # average <- d * average + (1 - d) * current, i.e. a lerp towards current. The decay
        # warms up as in TensorFlow's ExponentialMovingAverage(num_updates): early on the
        # average follows G closely instead of dragging its random initialisation along.
        decay = min(self.decay, (1 + run.step) / (10 + run.step))
        with torch.no_grad():
            torch._foreach_lerp_(list(self.average.parameters()), list(run.generator.parameters()), 1.0 - decay)
            for mine, theirs in zip(self.average.buffers(), run.generator.buffers()):
                mine.copy_(theirs)  # BatchNorm statistics follow the live generator

    @hookimpl
    def on_checkpoint(self, checkpoint):
        checkpoint["generator_ema"] = self.average.state_dict()
