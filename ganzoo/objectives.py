"""Objectives: what one discriminator update and one generator update compute.

The engine knows Algorithm 1's mechanics (``d_steps`` D updates then ``g_steps`` G
updates, each a forward, a backward and an optimizer step, under mixed precision and
across processes) and nothing about any model. An :class:`Objective` fills in the
*what*: given a :class:`ganzoo.step.Step`, it returns the loss to minimise and named
metrics. The default, ``adversarial``, is Algorithm 1 with the run's :class:`GANLoss`
(``--loss``), plus the conditioning strategy's classification terms when D classifies
(ACGAN) and the loss's own penalty (WGAN-GP). A paper whose method is a different step
(relativistic losses, InfoGAN's mutual information) is one ``Objective`` subclass in a
plugin, registered with ``register_objectives`` and chosen with ``--objective NAME``.

An objective's options are its dataclass fields (``--objective infogan:continuous=2``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import torch
from torch import nn

from ganzoo.step import MetricSpec, Step, StepOutput

NETWORKS = ("discriminator", "generator")

CLASS_ACCURACY_REAL = MetricSpec(
    "d_class_acc_real", "acc(x)", "D's class accuracy on real images (its auxiliary classifier)", "neither"
)
CLASS_ACCURACY_FAKE = MetricSpec(
    "d_class_acc_fake", "acc(G(z))", "D's class accuracy on G's samples, for the labels G was given", "higher"
)


@dataclass
class ObjectiveSetup:
    """What an objective is told once, before training (:meth:`Objective.setup`): the models,
    the data's shape, and a way to add trainable modules.

    Modules the objective adds with :meth:`add_module` are moved to the device, trained by
    D's or G's optimizer, saved in checkpoints and restored on ``--resume`` by the engine.

    Attributes:
        generator: the run's G, an ``nn.Module`` called as ``G(z, labels)``.
        discriminator: the run's D *without* augmentation (``D(x, y)`` gives logits ``(N,)``;
            it has ``features``, ``heads`` and ``classifies``, as :class:`Step` describes).
        loss: the run's :class:`ganzoo.GANLoss` instance (``--loss``).
        conditioning: the run's :class:`ganzoo.Conditioning` instance (``--conditioning``).
        num_classes: the number of classes when G and D take labels, else ``None``.
        image_shape: the training images' ``(C, H, W)``.
        z_dim: the width of G's noise input.
        batch_size: the run's batch size on this process.
        device: the training device.
        modules: what :meth:`add_module` added, ``name -> (module, network)``; the engine
            reads it after :meth:`Objective.setup` (add modules with :meth:`add_module`).
    """

    generator: nn.Module
    discriminator: nn.Module
    loss: Any
    conditioning: Any
    num_classes: int | None
    image_shape: tuple[int, int, int]
    z_dim: int
    batch_size: int
    device: torch.device
    modules: dict[str, tuple[nn.Module, str]] = field(default_factory=dict)

    def add_module(self, name: str, module: nn.Module, *, optimized_with: str) -> nn.Module:
        """Train ``module`` (an InfoGAN Q head, say) with the ``"discriminator"``'s or the
        ``"generator"``'s optimizer: its parameters join that optimizer's, its state joins
        checkpoints under ``name``. Returns the module, moved to the training device."""
        if optimized_with not in NETWORKS:
            raise ValueError(f"optimized_with must be one of {', '.join(NETWORKS)}, got {optimized_with!r}")
        if name in self.modules:
            raise ValueError(f"the objective already added a module named {name!r}")
        module = module.to(self.device)
        self.modules[name] = (module, optimized_with)
        return module


class Objective:
    """Interface of an objective: what one D update and one G update compute. Subclass it (a
    dataclass whose fields are its options) and register it with ``register_objectives``.

    The engine calls, per run: :meth:`setup` once, then per iteration ``d_steps`` times
    :meth:`discriminator_step` (each followed by D's optimizer step) and ``g_steps`` times
    :meth:`generator_step` (each followed by G's; D's parameters are frozen meanwhile).
    Both run under the run's mixed precision. The metrics they return are the ones
    :meth:`metric_specs` declares, as 0-d tensors (left on the device: the engine copies
    them to the host every ``log_every`` iterations). An objective keeps per-run state on
    ``self``: one instance serves one run, and :meth:`state_dict` goes into checkpoints.

    Attributes:
        name: a name for messages and code that reads it; what ``--objective`` chooses is
            the name given to ``register``, which is what counts.
    """

    name: ClassVar[str] = ""

    def setup(self, setup: ObjectiveSetup) -> None:
        """Called once before training, after G, D, the loss and the regularizers are built and
        before the optimizers are: keep what the steps need on ``self`` and add trainable
        modules with :meth:`ObjectiveSetup.add_module`. Raise ``ValueError`` if the objective
        cannot work with this model or data: the run is refused with the message."""

    def metric_specs(self) -> tuple[MetricSpec, ...]:
        """The metrics the two steps return besides the loss, as :class:`ganzoo.MetricSpec`
        (called once, after :meth:`setup`). Include the loss's ``metric_specs()`` if the
        steps return what the loss's ``output_metrics`` computes."""
        return ()

    def discriminator_step(self, step: Step) -> StepOutput:
        """D's loss for one update (``step.network == "discriminator"``), and metrics. G's
        samples drawn here (``step.generate()``) carry no gradients."""
        raise NotImplementedError

    def generator_step(self, step: Step) -> StepOutput:
        """G's loss for one update (``step.network == "generator"``), and metrics. D (and the
        modules added for D's optimizer) take no gradients here, but pass them through to
        G; ``step.real`` is the real batch of the iteration's last D update."""
        raise NotImplementedError

    def prior(self, z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """G's input for standard normal noise ``z`` ``(N, z_dim)``: what the epoch grids,
        ``ganzoo sample`` and ``ganzoo eval`` feed G. ``z`` itself by default; an objective
        that puts codes into G's input (InfoGAN) draws them here, from ``generator``, so that
        samples come from the distribution G was trained on. Must not need :meth:`setup`."""
        return z

    def state_dict(self) -> dict[str, Any]:
        """State kept on ``self`` that changes during training (tensors and plain Python
        values: checkpoints load with ``weights_only=True``), saved in every checkpoint.
        The modules added in :meth:`setup` are saved anyway."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, on ``--resume``."""


@dataclass
class Adversarial(Objective):
    """Algorithm 1 of Goodfellow et al. (2014) with the run's loss (``--loss``).

    D's update: ``loss.discriminator_loss`` on D's logits for a real batch and for G's
    samples of fresh noise, plus the loss's ``penalty`` (WGAN-GP's gradient penalty) and,
    when D's head classifies, the conditioning strategy's ``auxiliary_loss`` on both
    batches (ACGAN). G's update: ``loss.generator_loss`` on D's logits for fresh samples,
    plus the auxiliary term on them. Logs what the loss declares (D(x) and D(G(z)) for
    the cross-entropy losses) and D's class accuracies when it classifies.
    """

    name: ClassVar[str] = "adversarial"

    def setup(self, setup: ObjectiveSetup) -> None:
        self.loss = setup.loss
        self.conditioning = setup.conditioning
        self.classifies = bool(getattr(setup.discriminator, "classifies", False))

    def metric_specs(self) -> tuple[MetricSpec, ...]:
        specs = tuple(self.loss.metric_specs())
        return specs + ((CLASS_ACCURACY_REAL, CLASS_ACCURACY_FAKE) if self.classifies else ())

    def discriminator_step(self, step: Step) -> StepOutput:
        fake = step.generate(step.real.shape[0])
        real_out, fake_out = step.discriminate_pair(step.real, step.real_labels, fake.images, fake.labels)
        loss = self.loss.discriminator_loss(real_out.logits.float(), fake_out.logits.float())
        metrics = dict(self.loss.output_metrics(real_out.logits.detach().float(), fake_out.logits.detach().float()))
        if real_out.classes is not None:  # ACGAN: D also learns to classify, real and generated
            loss = (loss + self.conditioning.auxiliary_loss(real_out.classes, step.real_labels)
                    + self.conditioning.auxiliary_loss(fake_out.classes, fake.labels))
            metrics[CLASS_ACCURACY_REAL.name] = _accuracy(real_out.classes, step.real_labels)
        with step.full_precision():
            penalty = self.loss.penalty(step.discriminator, step.real, fake.images, step.real_labels, fake.labels)
        if penalty is not None:
            loss = loss + penalty
        return StepOutput(loss, metrics)

    def generator_step(self, step: Step) -> StepOutput:
        fake = step.generate()
        out = step.discriminate(fake.images, fake.labels)
        loss = self.loss.generator_loss(out.logits.float())
        metrics = {}
        if out.classes is not None:  # ACGAN: G wants its samples classified as their labels
            loss = loss + self.conditioning.auxiliary_loss(out.classes, fake.labels)
            metrics[CLASS_ACCURACY_FAKE.name] = _accuracy(out.classes, fake.labels)
        return StepOutput(loss, metrics)


def _accuracy(class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    return (class_logits.detach().argmax(1) == labels).float().mean()
