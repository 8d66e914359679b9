"""Feature matching (Salimans et al. 2016, section 3.1) as a ganzoo objective.

D trains as usual, with the run's loss. G no longer tries to fool D's last layer: it
matches the mean of D's intermediate features on real data,
``|| E_x f(x) - E_z f(G(z)) ||_2^2``, where ``f`` is D's body. The paper found it makes
training more stable when the usual objective makes G chase a D that moves too fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import ganzoo

FEATURE_GAP = ganzoo.MetricSpec(
    "feature_gap", "gap", "squared distance between the mean D features of real and generated images", "lower"
)


@dataclass
class FeatureMatching(ganzoo.Objective):
    """``--objective feature-matching[:weight=W]``: G minimises ``weight`` times the feature gap."""

    name: ClassVar[str] = "feature-matching"
    weight: float = 1.0

    def __post_init__(self) -> None:
        if not self.weight > 0:
            raise ValueError(f"weight must be > 0, got {self.weight}")

    def setup(self, setup: ganzoo.ObjectiveSetup) -> None:
        self.loss = setup.loss  # for metric_specs: what the loss logs about D's outputs

    def metric_specs(self) -> tuple[ganzoo.MetricSpec, ...]:
        return (*self.loss.metric_specs(), FEATURE_GAP)

    def discriminator_step(self, step: ganzoo.Step) -> ganzoo.StepOutput:
        """D's usual update, with the run's loss (``--loss``)."""
        fake = step.generate()
        real_out, fake_out = step.discriminate_pair(step.real, step.real_labels, fake.images, fake.labels)
        loss = step.loss.discriminator_loss(real_out.logits.float(), fake_out.logits.float())
        return ganzoo.StepOutput(loss, step.loss.output_metrics(real_out.logits.detach(), fake_out.logits.detach()))

    def generator_step(self, step: ganzoo.Step) -> ganzoo.StepOutput:
        fake = step.generate()
        real_features = step.features(step.real, step.real_labels).detach().float()
        fake_features = step.features(fake.images, fake.labels).float()
        gap = (real_features.mean(0) - fake_features.mean(0)).pow(2).sum()
        return ganzoo.StepOutput(self.weight * gap, {"feature_gap": gap.detach()})
