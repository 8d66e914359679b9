"""The run as lifecycle hooks see it: :class:`Run`, a small, stable facade, and the
per-run hook relay that gives class-instance plugins (``make_run_plugins``) this run's
hooks and no other's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pluggy
from torch import nn

from ganzoo import hookspecs, plugins


class Run:
    """One training run, for plugins. Every attribute is documented and stable; the
    engine's own objects stay behind it.

    Attributes:
        run_dir: the run directory (``config.json``, ``metrics.jsonl``, ``samples/``...).
        config: the :class:`ganzoo.TrainConfig`.
        options: the plugin options' values, by name (``run.options["ema_decay"]``).
        epoch: epochs completed (0 before the first ends; ``on_epoch_end`` gets 1 after it).
        step: iterations completed over the whole run (``on_step_end`` gets 1 after the first).
        iteration_in_epoch: iterations completed in the epoch in progress.
        iterations_per_epoch: iterations in one epoch (``config.epochs`` times this is the run's).
        generator, discriminator: G and D (``nn.Module``).
        optimizer_g, optimizer_d: their optimizers (also ``opt_g``, ``opt_d``).
        objective: the objective instance (``--objective``).
        device: the training device; rank, world_size: this process among ``world_size``.
        image_shape, num_classes, class_names: the training data's; conditional: whether G
            and D take labels (``G(z, y)`` with ``y`` in ``range(num_classes)``).
        metric_specs: what each logged metric means (:class:`ganzoo.MetricSpec`).
        checkpoint_path: the last checkpoint written or resumed from (``None`` before).
        sampling_generator: what grids and ``ganzoo sample`` draw from: ``None`` for G
            itself; a plugin may set a module with G's interface (an average of G's weights).
    """

    def __init__(self, trainer: Any) -> None:
        self._trainer = trainer

    run_dir = property(lambda self: self._trainer.run_dir)
    config = property(lambda self: self._trainer.config)
    options = property(lambda self: self._trainer.config.options)
    epoch = property(lambda self: self._trainer.epoch)
    step = property(lambda self: self._trainer.step)
    iteration_in_epoch = property(lambda self: self._trainer.iteration_in_epoch)
    iterations_per_epoch = property(lambda self: self._trainer.iterations_per_epoch())
    generator = property(lambda self: self._trainer.parts.generator)
    discriminator = property(lambda self: self._trainer.parts.discriminator)
    optimizer_g = opt_g = property(lambda self: self._trainer.parts.optimizer_g)
    optimizer_d = opt_d = property(lambda self: self._trainer.parts.optimizer_d)
    objective = property(lambda self: self._trainer.parts.objective)
    device = property(lambda self: self._trainer.device)
    rank = property(lambda self: self._trainer.dist.rank)
    world_size = property(lambda self: self._trainer.dist.world_size)
    conditional = property(lambda self: self._trainer.parts.conditional)
    image_shape = property(lambda self: tuple(self._trainer.parts.data.image_shape))
    num_classes = property(lambda self: self._trainer.parts.data.num_classes)
    class_names = property(lambda self: list(self._trainer.parts.data.class_names))
    metric_specs = property(lambda self: self._trainer.parts.metric_specs)
    checkpoint_path = property(lambda self: self._trainer.checkpoint_path)

    def request_stop(self, reason: str = "a plugin's request") -> None:
        """Stop after the current iteration, with a checkpoint to resume from (what Ctrl-C
        does; ``reason`` is said in the message, a signal name gives its exit code)."""
        self._trainer.stop_requested = reason

    @property
    def sampling_generator(self) -> nn.Module | None:
        return self._trainer.sampling_generator

    @sampling_generator.setter
    def sampling_generator(self, module: nn.Module | None) -> None:
        self._trainer.sampling_generator = module

    def __repr__(self) -> str:
        return f"<ganzoo.Run {self.config.model} on {self.config.dataset} in {Path(self.run_dir)}, step {self.step}>"


class RunHooks:
    """Calls the lifecycle hooks of every loaded plugin, and of this run's class-instance
    plugins, with ``run`` (also passed as ``trainer``, its older name). On processes other
    than rank 0 it calls nothing: one grid, one log, one checkpoint per run."""

    def __init__(self, run: Run, enabled: bool) -> None:
        self.run = run
        self.enabled = enabled
        self.manager = pluggy.PluginManager("ganzoo")
        if not enabled:
            return
        self.manager.add_hookspecs(hookspecs)
        plugins.load_plugins()
        for name, plugin in plugins.pm.list_name_plugin():
            if plugin is not None:  # None: blocked
                self.manager.register(plugin, name=name)
        for result in self.manager.hook.make_run_plugins(run=run):
            for instance in result if isinstance(result, (list, tuple)) else [result]:
                if instance is not None:
                    self.manager.register(instance)

    def __call__(self, name: str, **kwargs: Any) -> None:
        if self.enabled:
            getattr(self.manager.hook, name)(run=self.run, trainer=self.run, **kwargs)
