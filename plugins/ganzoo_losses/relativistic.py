"""Relativistic average GANs (Jolicoeur-Martineau 2018): D estimates whether real data is
*more realistic than* generated data on average, not whether one sample is real. G's step
uses D's fresh logits on the real batch, computed by D as it is after its update: the
paper's loss, which a loss of fake logits alone cannot express."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F

from ganzoo import MetricSpec, Objective, StepOutput

RA_REAL = MetricSpec("ra_real", "Ra(x)", "sigmoid(C(x) - E C(G(z))): how much more real D finds the real batch", "neither")
RA_FAKE = MetricSpec("ra_fake", "Ra(G(z))", "sigmoid(C(G(z)) - E C(x)): how much more real D finds G's samples", "higher")
GAP = MetricSpec("critic_gap", "C(x)-C(G(z))", "E C(x) - E C(G(z)): D's mean raw output, real minus generated", "lower")


class _RelativisticAverage(Objective):
    """The shared shape: ``loss(a, b)`` is the loss of relativistic logits ``a`` pushed to
    "real" and ``b`` pushed to "fake"; D pushes real over fake, G the other way."""

    def setup(self, setup):
        if getattr(setup.discriminator, "classifies", False):
            raise ValueError("its loss has no auxiliary-classifier terms; use --conditioning projection or none")

    def pair_loss(self, up: torch.Tensor, down: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def discriminator_step(self, step):
        fake = step.generate(step.real.shape[0])
        real_out, fake_out = step.discriminate_pair(step.real, step.real_labels, fake.images, fake.labels)
        real, fake_logits = real_out.logits.float(), fake_out.logits.float()
        loss = self.pair_loss(real - fake_logits.mean(), fake_logits - real.mean())
        return StepOutput(loss, self.diagnostics(real.detach(), fake_logits.detach()))

    def generator_step(self, step):
        fake = step.generate()
        fake_logits = step.discriminate(fake.images, fake.labels).logits.float()
        real = step.discriminate(step.real, step.real_labels).logits.float()  # fresh: D after its update
        return StepOutput(self.pair_loss(fake_logits - real.mean(), real - fake_logits.mean()), {})

    def diagnostics(self, real, fake):
        return {}


@dataclass
class RelativisticAverageGAN(_RelativisticAverage):
    """RaSGAN, eq. 7-8 of the paper with the cross-entropy:
    D minimises ``-E log sigmoid(C(x) - E C(G(z))) - E log(1 - sigmoid(C(G(z)) - E C(x)))``,
    G the same with real and generated swapped."""

    name: ClassVar[str] = "rasgan"

    def metric_specs(self):
        return (RA_REAL, RA_FAKE)

    def pair_loss(self, up, down):
        return (F.binary_cross_entropy_with_logits(up, torch.ones_like(up))
                + F.binary_cross_entropy_with_logits(down, torch.zeros_like(down)))

    def diagnostics(self, real, fake):
        return {"ra_real": torch.sigmoid(real - fake.mean()).mean(), "ra_fake": torch.sigmoid(fake - real.mean()).mean()}


@dataclass
class RelativisticAverageLSGAN(_RelativisticAverage):
    """RaLSGAN (the paper's eq. 18-19 with a=-1, b=1): D minimises
    ``E (C(x) - E C(G(z)) - 1)^2 + E (C(G(z)) - E C(x) + 1)^2``, G the same swapped."""

    name: ClassVar[str] = "ralsgan"

    def metric_specs(self):
        return (GAP,)

    def pair_loss(self, up, down):
        return (up - 1).pow(2).mean() + (down + 1).pow(2).mean()

    def diagnostics(self, real, fake):
        return {"critic_gap": real.mean() - fake.mean()}
