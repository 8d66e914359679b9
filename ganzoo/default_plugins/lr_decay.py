"""``--lr-decay FRACTION``: G's and D's learning rates fall linearly to zero over the last
``FRACTION`` of training, as a plugin.

A GAN's last epochs at a constant learning rate keep G and D chasing each other; letting
the step size fall to zero at the end settles both (CycleGAN's schedule, Zhu et al. 2017:
constant for the first half, then linear to zero). The rate is a pure function of the
iteration count, so a resumed run follows exactly the schedule of an uninterrupted one; the
base rates are kept in each parameter group's ``initial_lr``, as PyTorch's own schedulers
keep them, and travel in the optimizers' state.

Built the way a third-party plugin would be: one declared option, one class-instance plugin
per run (``make_run_plugins``) with two lifecycle hooks.
"""

from __future__ import annotations

from ganzoo.hookspecs import hookimpl
from ganzoo.options import Option


@hookimpl
def register_options(register):
    register("lr_decay", Option(float, 0.0, "Decay G's and D's learning rates linearly to 0 over this last fraction "
                                            "of the iterations (0: constant; 0.5: CycleGAN's schedule).",
                                check=lambda v: 0 <= v <= 1, allowed="in [0, 1]"))


@hookimpl
def make_run_plugins(run):
    return LinearDecay(run.options["lr_decay"]) if run.options["lr_decay"] > 0 else None


def decay_factor(step: int, total: int, fraction: float) -> float:
    """The multiplier of the base learning rate for the iteration after ``step`` completed
    ones: 1 until the last ``fraction`` of ``total`` iterations, then linear towards 0 (the
    last iteration runs at ``1 / decay_iterations`` of the base rate)."""
    decaying = max(1, round(fraction * total))
    start = total - decaying
    return 1.0 if step < start else max(0.0, (total - step) / decaying)


class LinearDecay:
    """Sets every parameter group's ``lr`` from the iteration count, before each iteration."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    @staticmethod
    def _groups(run):
        return [group for optimizer in (run.optimizer_g, run.optimizer_d) for group in optimizer.param_groups]

    def _set(self, run) -> None:
        factor = decay_factor(run.step, run.config.epochs * run.iterations_per_epoch, self.fraction)
        for group in self._groups(run):
            group["lr"] = group["initial_lr"] * factor

    @hookimpl
    def on_train_start(self, run):
        for group in self._groups(run):
            group.setdefault("initial_lr", group["lr"])  # a resumed optimizer brings its own
        self._set(run)

    @hookimpl
    def on_step_end(self, run):
        self._set(run)
