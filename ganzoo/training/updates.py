"""Algorithm 1's mechanics, the same for every objective: one iteration is ``d_steps``
discriminator updates (each on the next real batch) then ``g_steps`` generator updates.

An update is: build a :class:`ganzoo.step.Step`; the objective's loss under mixed
precision; the regularizers' terms in full precision; backward (through the gradient
scaler for float16); gradients averaged over the processes when distributed; the
optimizer step; the regularizers' ``after_update`` constraints. D's parameters (and the
objective's modules trained with D) do not require gradients during G's updates: nothing
is accumulated that would be thrown away.

Gradients are averaged with one all-reduce per update rather than by wrapping G and D in
DistributedDataParallel: DDP allows one forward per backward and no ``autograd.grad`` with
``create_graph``, and objectives and regularizers need both (relativistic losses call D
in G's update on real images, R1 differentiates D's output with respect to its input).
"""

from __future__ import annotations

import contextlib
from typing import Any, Iterator

import torch

from ganzoo.augmentations import pipeline
from ganzoo.distributed import Distributed
from ganzoo.errors import PluginError
from ganzoo.step import Step
from ganzoo.training.components import Components

Batch = tuple[torch.Tensor, torch.Tensor]


class Updater:
    """Runs iterations of Algorithm 1 on a run's :class:`Components`."""

    def __init__(self, parts: Components, config: Any, device: torch.device, dist: Distributed,
                 rng: torch.Generator, amp_dtype: torch.dtype | None) -> None:
        self.parts = parts
        self.config = config
        self.device = device
        self.dist = dist
        self.rng = rng
        self.amp_dtype = amp_dtype
        self.scaler = torch.amp.GradScaler(device.type, enabled=amp_dtype == torch.float16)
        self.augment = pipeline(parts.augmentations, rng)
        self.objective_metrics = [s.name for s in parts.metric_specs[2:]]
        self.regularizer_metrics = {name for name, r in parts.regularizers if r.metric_spec(name) is not None}
        self._declared = set(self.objective_metrics)
        self._frozen_with_d = [parts.discriminator] + [m for m, owner in parts.objective_modules.values()
                                                        if owner == "discriminator"]

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Noise (and fake labels) for ``n`` samples: this rank's slice of the global batch."""
        world, rank = self.dist.world_size, self.dist.rank
        z = torch.randn(n * world, self.config.z_dim, device=self.device, generator=self.rng)[rank * n : (rank + 1) * n]
        if not self.parts.conditional:
            return z, None
        labels = torch.randint(0, self.parts.data.num_classes, (n * world,), device=self.device, generator=self.rng)
        return z, labels[rank * n : (rank + 1) * n]

    def _step(self, network: str, real: torch.Tensor, labels: torch.Tensor | None) -> Step:
        parts = self.parts
        return Step(
            network=network, real=real, real_labels=labels, generator=parts.generator,
            discriminator=parts.discriminator, loss=parts.loss, conditioning=parts.conditioning, noise=self.noise,
            augment=self.augment, joint_forward=parts.joint_forward, batch_size=self.config.batch_size,
            rng=self.rng, autocast=self.autocast,
        )

    def iteration(self, batches: Iterator[Batch]) -> dict[str, torch.Tensor]:
        """One iteration. Returns 0-d tensors still on the device: ``loss_d``, ``loss_g``,
        then the declared metrics in their declared order."""
        objective, parts = self.parts.objective, self.parts
        metrics: dict[str, torch.Tensor] = {}
        for _ in range(self.config.d_steps):
            real, real_labels = next(batches)
            step = self._step("discriminator", real, real_labels if parts.conditional else None)
            with self.autocast():
                out = objective.discriminator_step(step)
            loss_d = self._regularized(step, out.loss, metrics)
            metrics.update({name: value.detach() for name, value in out.metrics.items()})
            self._update(loss_d, parts.optimizer_d, parts.discriminator, "discriminator")

        for module in self._frozen_with_d:  # G's update needs gradients through D, not for D
            module.requires_grad_(False)
        try:
            for _ in range(self.config.g_steps):
                step = self._step("generator", step.real, step.real_labels)
                with self.autocast():
                    out = objective.generator_step(step)
                loss_g = self._regularized(step, out.loss, metrics)
                metrics.update({name: value.detach() for name, value in out.metrics.items()})
                self._update(loss_g, parts.optimizer_g, parts.generator, "generator")
        finally:
            for module in self._frozen_with_d:
                module.requires_grad_(True)
        if metrics.keys() != self._declared:  # a set comparison: cheap enough for every iteration
            self._check_metrics(metrics)
        return {"loss_d": loss_d.detach(), "loss_g": loss_g.detach(),
                **{name: metrics[name] for name in self.objective_metrics}}

    def _regularized(self, step: Step, loss: torch.Tensor, metrics: dict[str, torch.Tensor]) -> torch.Tensor:
        """The objective's loss plus the terms of the regularizers of this network."""
        for name, regularizer in self.parts.regularizers:
            if regularizer.network == step.network:
                term = regularizer(step)
                if term is None:  # a constraint only (weight clipping), or a step it skips
                    continue
                metrics[name] = term.detach().float()
                loss = loss + term
        return loss

    def _update(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer, module: torch.nn.Module,
                network: str) -> None:
        optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        if self.dist.enabled:
            self._average_gradients(optimizer)
        self.scaler.step(optimizer)
        self.scaler.update()
        for _, regularizer in self.parts.regularizers:
            if regularizer.network == network:
                with torch.no_grad():
                    regularizer.after_update(module)

    def _average_gradients(self, optimizer: torch.optim.Optimizer) -> None:
        """The gradient of the global batch's mean loss: every rank's gradients, averaged in
        one flat all-reduce."""
        grads = [p.grad for group in optimizer.param_groups for p in group["params"] if p.grad is not None]
        if not grads:
            return
        flat = torch.cat([g.reshape(-1) for g in grads])
        self.dist.all_reduce_mean(flat)
        offset = 0
        for g in grads:
            g.copy_(flat[offset : offset + g.numel()].view_as(g))
            offset += g.numel()

    def _check_metrics(self, metrics: dict[str, torch.Tensor]) -> None:
        """The metrics returned are not the ones declared: a plugin author's mistake, said plainly."""
        declared = set(self.objective_metrics)
        extra, missing = sorted(set(metrics) - declared), sorted(declared - set(metrics))
        if set(missing) & self.regularizer_metrics:
            raise PluginError(f"regularizer {sorted(set(missing) & self.regularizer_metrics)[0]!r} returned None "
                              "but declares a metric; return a (zero) tensor, or None from metric_spec()")
        if extra or missing:
            what = f"returned undeclared metric(s) {', '.join(extra)}" if extra else f"did not return {', '.join(missing)}"
            raise PluginError(
                f"objective {self.config.objective!r} {what}; an objective declares what its steps return "
                "in metric_specs() (and the loss in its own metric_specs()), and returns all of it every iteration"
            )
