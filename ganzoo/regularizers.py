"""Regularizers: terms added to D's (or G's) loss, chosen with ``--regularizer NAME[:KEY=VALUE]``.

A regularizer is called after the objective, in the same update, with the same
:class:`ganzoo.step.Step`: it sees the real batch, can draw samples and call D (with the
run's augmentations), and can reuse D's outputs of this update (``step.real_output``,
``step.fake_output``). It returns the term to add, already weighted; the engine adds it
to the update's loss and logs it under the regularizer's name. Regularizers run in full
precision, outside mixed precision, where double backward (gradient penalties) is reliable.

Several regularizers stack (``--regularizer r1 --regularizer lecam``). A regularizer with
state (moving averages) keeps it on ``self`` and returns it from :meth:`state_dict`, so
that exact resume holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import torch
from torch import nn

from ganzoo.step import MetricSpec, Step


class Regularizer:
    """Interface of a regularizer: a term added to D's (or G's) loss in every update of that
    network. Subclass it (a dataclass whose fields are its options) and register it with
    ``register_regularizers``.

    Attributes:
        name: a name for messages and code that reads it; what ``--regularizer`` chooses is
            the name given to ``register``, which is also the term's name in the log.
        network: whose loss the term joins: ``"discriminator"`` (the usual case) or ``"generator"``.
        meaning: what the logged term means, in one sentence, for report.html.
        needs_per_sample_discriminator: ``True`` for per-sample properties of D (gradient
            penalties): a D whose BatchNorm mixes the samples of a batch is then refused
            before training.
    """

    name: ClassVar[str] = ""
    network: ClassVar[str] = "discriminator"
    meaning: ClassVar[str] = ""
    needs_per_sample_discriminator: ClassVar[bool] = False

    def __call__(self, step: Step) -> torch.Tensor | None:
        """The scalar term, already weighted, to add to ``network``'s loss in this update
        (``step.network == network``). Called after the objective's step, in full
        precision; the engine logs it (detached) under the regularizer's name. A pure
        constraint (weight clipping) returns ``None`` and declares no metric; a lazy
        regularizer returns a zero tensor on the updates it skips."""
        raise NotImplementedError

    def metric_spec(self, name: str) -> MetricSpec | None:
        """How the term is logged (``name`` is the name it was chosen by): by default its
        name, with :attr:`meaning` as the meaning; ``None`` for a regularizer that adds no term."""
        return MetricSpec(name, name, self.meaning or f"the {name} term added to {self.network[0].upper()}'s loss", "neither")

    def after_update(self, module: nn.Module) -> None:
        """Called after each optimizer step of ``network`` with its module (D or G): the place
        for constraints such as WGAN's weight clipping. Runs without gradients."""

    def state_dict(self) -> dict[str, Any]:
        """State kept on ``self`` that changes during training (a moving average, say), as
        tensors and plain Python values, saved in every checkpoint."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, on ``--resume``."""


def gradient_penalty(
    discriminator: nn.Module,
    real: torch.Tensor,
    fake: torch.Tensor,
    labels: torch.Tensor | None,
    *,
    target: float = 1.0,
) -> torch.Tensor:
    """``E[(||grad_x D(x_hat)||_2 - target)^2]`` on random interpolates ``x_hat`` between real
    and generated samples (Gulrajani et al. 2017, eq. 3), without its weight. ``epsilon`` is
    drawn from the global RNG, as it always was (checkpoints save it)."""
    epsilon = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    interpolates = (epsilon * real + (1 - epsilon) * fake.detach()).requires_grad_(True)
    critic = discriminator(interpolates, labels)
    (gradients,) = torch.autograd.grad(critic.sum(), interpolates, create_graph=True)
    norms = gradients.flatten(1).norm(2, dim=1)
    return ((norms - target) ** 2).mean()


@dataclass
class GradientPenalty(Regularizer):
    """WGAN-GP's penalty as a regularizer, for any loss: ``weight * E[(||grad D(x_hat)|| - 1)^2]``
    on interpolates between the real batch and fresh samples (with the real labels)."""

    name: ClassVar[str] = "gradient-penalty"
    meaning: ClassVar[str] = "the gradient penalty weight * E[(||grad D(x_hat)|| - 1)^2] on real-fake interpolates"
    needs_per_sample_discriminator: ClassVar[bool] = True
    weight: float = 10.0

    def __post_init__(self) -> None:
        if not self.weight >= 0:
            raise ValueError(f"weight must be >= 0, got {self.weight}")

    def __call__(self, step: Step) -> torch.Tensor:
        fake = step.generate(step.real.shape[0])
        return self.weight * gradient_penalty(step.discriminator, step.real, fake.images, step.real_labels)
