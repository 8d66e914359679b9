"""R1, R2, LeCam and weight clipping, each the paper's formula on a :class:`ganzoo.Step`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import torch

from ganzoo import Regularizer


def _squared_gradient_norm(step, images: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
    """``E ||grad_x D(x)||^2`` at ``images``, D seen through the run's augmentations (as
    StyleGAN2-ADA does), kept in the graph so that D's update minimises it."""
    images = images.detach().requires_grad_(True)
    logits = step.discriminate(images, labels).logits.float()
    (gradients,) = torch.autograd.grad(logits.sum(), images, create_graph=True)
    return gradients.flatten(1).pow(2).sum(1).mean()


@dataclass
class R1(Regularizer):
    """``gamma / 2 * E_x ||grad D(x)||^2`` on real images (Mescheder et al. 2018, eq. 9):
    penalising D's gradient on the data makes the game converge locally where
    unregularized GANs oscillate. gamma = 10 is the paper's and StyleGAN's CIFAR value."""

    name: ClassVar[str] = "r1"
    meaning: ClassVar[str] = "R1: gamma/2 E||grad D(x)||^2 on real images"
    needs_per_sample_discriminator: ClassVar[bool] = True
    gamma: float = 10.0

    def __post_init__(self) -> None:
        if not self.gamma >= 0:
            raise ValueError(f"gamma must be >= 0, got {self.gamma}")

    def __call__(self, step):
        return self.gamma / 2 * _squared_gradient_norm(step, step.real, step.real_labels)


@dataclass
class R2(R1):
    """``gamma / 2 * E_z ||grad D(G(z))||^2`` on generated images (Mescheder et al. 2018, eq. 10)."""

    name: ClassVar[str] = "r2"
    meaning: ClassVar[str] = "R2: gamma/2 E||grad D(G(z))||^2 on generated images"

    def __call__(self, step):
        fake = step.generate(step.real.shape[0])
        return self.gamma / 2 * _squared_gradient_norm(step, fake.images, fake.labels)


@dataclass
class LeCam(Regularizer):
    """LeCam regularization (Tseng et al. 2021, eq. 3):
    ``weight * (E ||D(x) - alpha_F||^2 + E ||D(G(z)) - alpha_R||^2)``, where ``alpha_R`` and
    ``alpha_F`` are moving averages (``decay``) of D's mean output on real and generated
    images. It keeps D's predictions from drifting apart, which is what lets GANs train on
    limited data. Reuses D's outputs of this update when the objective computed them."""

    name: ClassVar[str] = "lecam"
    meaning: ClassVar[str] = "LeCam: weight (E(D(x) - avg D(G(z)))^2 + E(D(G(z)) - avg D(x))^2)"
    weight: float = 0.3
    decay: float = 0.99
    average_real: torch.Tensor = field(default_factory=lambda: torch.zeros(()), init=False, repr=False)
    average_fake: torch.Tensor = field(default_factory=lambda: torch.zeros(()), init=False, repr=False)

    def __post_init__(self) -> None:
        if not self.weight >= 0:
            raise ValueError(f"weight must be >= 0, got {self.weight}")
        if not 0 <= self.decay < 1:
            raise ValueError(f"decay must be in [0, 1), got {self.decay}")

    def __call__(self, step):
        if step.real_output is None or step.fake_output is None:  # the objective did not use discriminate_pair
            fake = step.generate(step.real.shape[0])
            step.discriminate_pair(step.real, step.real_labels, fake.images, fake.labels)
        real, fake = step.real_output.logits.float(), step.fake_output.logits.float()
        with torch.no_grad():
            self.average_real = self.decay * self.average_real.to(real.device) + (1 - self.decay) * real.mean()
            self.average_fake = self.decay * self.average_fake.to(fake.device) + (1 - self.decay) * fake.mean()
        return self.weight * ((real - self.average_fake).pow(2).mean() + (fake - self.average_real).pow(2).mean())

    def state_dict(self):
        return {"average_real": self.average_real.clone(), "average_fake": self.average_fake.clone()}

    def load_state_dict(self, state):
        if state:
            self.average_real, self.average_fake = state["average_real"].clone(), state["average_fake"].clone()


@dataclass
class WeightClipping(Regularizer):
    """WGAN's constraint (Arjovsky et al. 2017, Algorithm 1): after every update of D, each of
    its parameters is clipped to ``[-clip, clip]``, a crude way to keep the critic
    K-Lipschitz. Adds no term to the loss, so it logs nothing."""

    name: ClassVar[str] = "weight-clipping"
    clip: float = 0.01

    def __post_init__(self) -> None:
        if not self.clip > 0:
            raise ValueError(f"clip must be > 0, got {self.clip}")

    def __call__(self, step):
        return None

    def metric_spec(self, name):
        return None

    def after_update(self, module):
        for parameter in module.parameters():
            parameter.clamp_(-self.clip, self.clip)
