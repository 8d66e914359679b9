"""The InfoGAN objective (Chen et al. 2016, eq. 5-6).

G's input is ``[one-hot c_cat, c_cont, noise]``: a categorical code of ``categorical``
values, ``continuous`` codes drawn from U(-1, 1), and the rest of the run's ``z_dim`` as
Gaussian noise. A Q head on D's body features predicts the codes of a generated image;
``L_I`` is the cross-entropy of the categorical prediction plus, for the continuous codes,
the negative log-likelihood of a unit-variance Gaussian around Q's mean (half the squared
error, up to a constant: the paper's "factored Gaussian" with its variance fixed, as in
most reimplementations). D's update minimises its adversarial loss plus
``lambda * L_I`` on its own fakes, which trains Q (and D's body); G's update minimises its
adversarial loss plus ``lambda * L_I``, which pushes G to make its codes recoverable.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn

from ganzoo import MetricSpec, Objective, StepOutput

INFO_CAT = MetricSpec("info_cat", "I(cat)", "Q's cross-entropy on the categorical code of G's samples (log 10 = chance)",
                      "lower")
INFO_CONT = MetricSpec("info_cont", "I(cont)", "Q's mean squared error on the continuous codes, halved", "lower")


@dataclass
class InfoGAN(Objective):
    """``--objective infogan[:categorical=10,continuous=2,weight=1.0,continuous_weight=0.1]``."""

    name: ClassVar[str] = "infogan"
    categorical: int = 10
    continuous: int = 2
    weight: float = 1.0
    continuous_weight: float = 0.1
    hidden: int = 128

    def __post_init__(self) -> None:
        if self.categorical < 0 or self.continuous < 0 or self.categorical + self.continuous == 0:
            raise ValueError("categorical and continuous must be >= 0, and not both 0")
        if self.categorical == 1:
            raise ValueError("a categorical code needs at least 2 values")
        if not self.weight >= 0 or not self.continuous_weight >= 0:
            raise ValueError("weight and continuous_weight must be >= 0")

    @property
    def code_width(self) -> int:
        return self.categorical + self.continuous

    def setup(self, setup):
        if setup.z_dim <= self.code_width:
            raise ValueError(f"z-dim {setup.z_dim} leaves no noise beside {self.code_width} code dimensions; "
                             f"use --z-dim {self.code_width + 62}")
        self.loss = setup.loss
        features = setup.discriminator.body.out_features
        head = nn.Sequential(nn.Linear(features, self.hidden), nn.LeakyReLU(0.2), nn.Linear(self.hidden, self.code_width))
        self.q = setup.add_module("q_head", head, optimized_with="discriminator")

    def metric_specs(self):
        specs = tuple(self.loss.metric_specs())
        if self.categorical:
            specs += (INFO_CAT,)
        if self.continuous:
            specs += (INFO_CONT,)
        return specs

    # --- codes ---------------------------------------------------------------------------

    def codes(self, n: int, generator: torch.Generator, device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
        """Random codes: categorical indices ``(n,)`` and continuous values ``(n, continuous)``."""
        categories = (torch.randint(0, self.categorical, (n,), generator=generator, device=device)
                      if self.categorical else torch.zeros(n, dtype=torch.long, device=device))
        continuous = torch.rand(n, self.continuous, generator=generator, device=device) * 2 - 1
        return categories, continuous

    def with_codes(self, z: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor) -> torch.Tensor:
        """``z`` with its first ``categorical + continuous`` entries replaced by the codes."""
        parts = [F.one_hot(categories, self.categorical).to(z.dtype)] if self.categorical else []
        return torch.cat([*parts, continuous.to(z.dtype), z[:, self.code_width:]], dim=1)

    def prior(self, z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """G's input as in training, from standard normal ``z``: what sampling and evaluation use."""
        categories, continuous = self.codes(z.shape[0], generator, z.device)
        return self.with_codes(z, categories, continuous)

    def traversal(self, z: torch.Tensor, code: int, steps: int, low: float = -2.0, high: float = 2.0) -> torch.Tensor:
        """The paper's figure 2: one row per categorical value, columns sweeping continuous code
        ``code`` from ``low`` to ``high``; the other codes 0 and the noise ``z[0]`` shared."""
        if not 0 <= code < self.continuous:
            raise ValueError(f"this run has {self.continuous} continuous code(s): choose 0..{self.continuous - 1}")
        rows = max(self.categorical, 1)
        categories = torch.arange(rows, device=z.device).repeat_interleave(steps)
        continuous = torch.zeros(rows * steps, self.continuous, device=z.device)
        continuous[:, code] = torch.linspace(low, high, steps, device=z.device).repeat(rows)
        return self.with_codes(z[:1].expand(rows * steps, -1), categories, continuous)

    # --- the steps -----------------------------------------------------------------------

    def _information(self, step, images: torch.Tensor, categories: torch.Tensor, continuous: torch.Tensor):
        predicted = self.q(step.features(images, None)).float()
        terms = {}
        if self.categorical:
            terms["info_cat"] = F.cross_entropy(predicted[:, : self.categorical], categories)
        if self.continuous:
            terms["info_cont"] = 0.5 * (predicted[:, self.categorical:] - continuous).pow(2).sum(1).mean()
        total = self.weight * terms.get("info_cat", 0.0) + self.continuous_weight * terms.get("info_cont", 0.0)
        return total, terms

    def _fake(self, step, n: int):
        z, labels = step.noise(n)
        categories, continuous = self.codes(n, step.rng, z.device)
        return step.generate(z=self.with_codes(z, categories, continuous), labels=labels), categories, continuous

    def discriminator_step(self, step):
        fake, categories, continuous = self._fake(step, step.real.shape[0])
        real_out, fake_out = step.discriminate_pair(step.real, step.real_labels, fake.images, fake.labels)
        loss = self.loss.discriminator_loss(real_out.logits.float(), fake_out.logits.float())
        information, terms = self._information(step, fake.images, categories, continuous)
        metrics = dict(self.loss.output_metrics(real_out.logits.detach().float(), fake_out.logits.detach().float()))
        metrics.update({name: value.detach() for name, value in terms.items()})
        return StepOutput(loss + information, metrics)

    def generator_step(self, step):
        fake, categories, continuous = self._fake(step, step.batch_size)
        loss = self.loss.generator_loss(step.discriminate(fake.images, fake.labels).logits.float())
        information, _ = self._information(step, fake.images, categories, continuous)
        return StepOutput(loss + information, {})
