"""Adversarial losses, computed from the discriminator's logits.

Working on logits instead of probabilities keeps every loss finite: ``log D(x)`` is
``-softplus(-l)`` and ``log(1 - D(x))`` is ``-softplus(l)`` for a logit ``l``, with no
sigmoid that rounds to exactly 0 or 1 first (which is what ``sigmoid`` followed by
``BCELoss`` does, clamping the log to -100 and killing the gradient).

Every loss is written as something to *minimise*. For the GAN value function of
Goodfellow et al. (2014), eq. 1::

    V(D, G) = E_x[log D(x)] + E_z[log(1 - D(G(z)))]

D maximises V, so its loss is ``-V``; the two losses differ only in what G minimises.
"""

from __future__ import annotations

from typing import ClassVar

import torch
import torch.nn.functional as F

from ganzoo.step import MetricSpec

D_REAL = MetricSpec("d_real", "D(x)", "D's mean probability that a real image is real (sigmoid of its logit)", "neither")
D_FAKE = MetricSpec("d_fake", "D(G(z))", "D's mean probability that a generated image is real", "higher")
SCORE_REAL = MetricSpec("score_real", "D(x)", "D's mean raw output on real images (no sigmoid: this loss has none)", "neither")
SCORE_FAKE = MetricSpec("score_fake", "D(G(z))", "D's mean raw output on generated images", "higher")


class GANLoss:
    """Interface of an adversarial loss. Subclass it and register it with
    ``register_losses`` to add one (hinge, least squares, Wasserstein...); it is built
    without arguments, once per run (``--loss NAME``).

    The default objective (``adversarial``) calls the loss; an objective of a plugin may
    use it too (``step.loss``), or ignore it.

    Attributes:
        name: a name for messages and code that reads it; what ``--loss`` chooses is the
            name given to ``register``, which is what counts.
        default_d_steps: discriminator updates per iteration that the loss asks for
            (WGAN-GP's critic wants 5); a recipe or ``--d-steps`` still overrides it.
        needs_per_sample_discriminator: ``True`` for losses whose terms are per-sample
            properties of D (a gradient penalty): a D with BatchNorm, whose output for one
            sample depends on the others, is refused before training.
        probabilistic: whether ``sigmoid(logit)`` is D's probability of "real" (the
            cross-entropy losses); if not, the log shows D's raw outputs instead
            (:meth:`metric_specs`, :meth:`output_metrics`).
    """

    name: ClassVar[str] = ""
    default_d_steps: ClassVar[int | None] = None
    needs_per_sample_discriminator: ClassVar[bool] = False
    probabilistic: ClassVar[bool] = True

    def metric_specs(self) -> tuple[MetricSpec, ...]:
        """What :meth:`output_metrics` returns, declared (the ``adversarial`` objective logs
        it): ``D(x)`` and ``D(G(z))`` as probabilities, or as raw scores if not
        :attr:`probabilistic`."""
        return (D_REAL, D_FAKE) if self.probabilistic else (SCORE_REAL, SCORE_FAKE)

    def output_metrics(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> dict[str, torch.Tensor]:
        """What to log about D's outputs on a real and a generated batch (detached)."""
        if self.probabilistic:
            return {"d_real": torch.sigmoid(real_logits).mean(), "d_fake": torch.sigmoid(fake_logits).mean()}
        return {"score_real": real_logits.mean(), "score_fake": fake_logits.mean()}

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        """Scalar loss for D, from its logits on a real and a generated batch."""
        raise NotImplementedError

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        """Scalar loss for G, from D's logits on a generated batch."""
        raise NotImplementedError

    def penalty(
        self,
        discriminator: torch.nn.Module,
        real: torch.Tensor,
        fake: torch.Tensor,
        real_labels: torch.Tensor | None,
        fake_labels: torch.Tensor | None,
    ) -> torch.Tensor | None:
        """An extra term added to D's loss (a gradient penalty, say), or ``None``: called by
        the ``adversarial`` objective once per discriminator update, in full precision,
        with the real and the generated batch (and their labels, ``None`` for
        unconditional models), after ``discriminator_loss``.

        ``discriminator`` is D without augmentation. A penalty that works with any loss is
        better written as a :class:`ganzoo.Regularizer` (``--regularizer``)."""
        return None


class _BinaryCrossEntropyDiscriminator(GANLoss):
    """D's side of eq. 1: minimise ``-log D(x) - log(1 - D(G(z)))``."""

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(-real_logits).mean() + F.softplus(fake_logits).mean()


class MinimaxLoss(_BinaryCrossEntropyDiscriminator):
    """The game as written in eq. 1: G minimises ``log(1 - D(G(z)))``.

    Its gradient ``-D(G(z))`` (with respect to the logit) vanishes when D confidently
    rejects the samples, which is the case early in training: G learns slowly or not at
    all. Kept for comparison and for the paper's theory.
    """

    name = "minimax"

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -F.softplus(fake_logits).mean()


class NonSaturatingLoss(_BinaryCrossEntropyDiscriminator):
    """The paper's practical choice: G maximises ``log D(G(z))``, i.e. minimises
    ``-log D(G(z))``. Same fixed point as the minimax game, but the gradient
    ``-(1 - D(G(z)))`` is largest exactly when D rejects the samples."""

    name = "non-saturating"

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_logits).mean()
