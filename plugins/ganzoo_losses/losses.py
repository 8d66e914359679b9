"""Hinge, least-squares and Wasserstein-GP losses, on D's raw outputs (logits / critic values)."""

from __future__ import annotations

import torch

import torch.nn.functional as F

from ganzoo import GANLoss, MetricSpec
from ganzoo.regularizers import gradient_penalty

WASSERSTEIN = MetricSpec(
    "wasserstein", "W", "the critic's estimate of the Wasserstein-1 distance, E[D(x)] - E[D(G(z))]", "lower"
)


class HingeLoss(GANLoss):
    """The hinge loss (Lim & Ye 2017; Miyato et al. 2018, eq. 16; used by SN-GAN, BigGAN)::

        D minimises E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))]
        G minimises -E[D(G(z))]

    D stops pushing a sample once its margin is 1, so well-classified samples give D no
    gradient; G's loss is linear in D's output and never saturates."""

    name = "hinge"
    probabilistic = False

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.relu(1 - real_logits).mean() + F.relu(1 + fake_logits).mean()

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()


class LeastSquaresLoss(GANLoss):
    """LSGAN with the 0-1 coding of Mao et al. (2017), eq. 9 (a=0, b=1, c=1)::

        D minimises 1/2 E[(D(x) - 1)^2] + 1/2 E[D(G(z))^2]
        G minimises 1/2 E[(D(G(z)) - 1)^2]

    D's output is used as is (no sigmoid): the quadratic penalises samples far on the
    right side of the boundary too, which gives G gradients where a sigmoid saturates."""

    name = "least-squares"
    probabilistic = False

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((real_logits - 1) ** 2).mean() + 0.5 * (fake_logits**2).mean()

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return 0.5 * ((fake_logits - 1) ** 2).mean()


class WassersteinLoss(GANLoss):
    """WGAN (Arjovsky et al. 2017): the critic maximises E[D(x)] - E[D(G(z))], an estimate of
    the Wasserstein-1 distance if D is 1-Lipschitz; G maximises E[D(G(z))]. The loss alone
    does not make D Lipschitz: pair it with ``--regularizer weight-clipping`` (the ``wgan``
    model does) or use ``wasserstein-gp``. Five critic steps per generator step."""

    name = "wasserstein"
    default_d_steps = 5
    probabilistic = False

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        return fake_logits.mean() - real_logits.mean()

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return -fake_logits.mean()

    def metric_specs(self):
        return super().metric_specs() + (WASSERSTEIN,)

    def output_metrics(self, real_logits, fake_logits):
        metrics = super().output_metrics(real_logits, fake_logits)
        metrics["wasserstein"] = metrics["score_real"] - metrics["score_fake"]
        return metrics


class WassersteinGPLoss(WassersteinLoss):
    """WGAN-GP (Gulrajani et al. 2017): the critic maximises E[D(x)] - E[D(G(z))] under a
    soft 1-Lipschitz constraint, the penalty lambda E[(||grad D(x_hat)||_2 - 1)^2] on random
    interpolates x_hat between real and generated samples; G maximises E[D(G(z))].
    Five critic steps per generator step by default, as in the paper."""

    name = "wasserstein-gp"
    # The penalty is on each sample's gradient; BatchNorm in the critic would make it a
    # gradient of the whole batch (the paper, section 4: "no critic batch normalization").
    needs_per_sample_discriminator = True
    penalty_weight = 10.0

    def penalty(self, discriminator, real, fake, real_labels, fake_labels):
        # The label of each interpolate: the real one (the usual choice in conditional training).
        return self.penalty_weight * gradient_penalty(discriminator, real, fake, real_labels)
