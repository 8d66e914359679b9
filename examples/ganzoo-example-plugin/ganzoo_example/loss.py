"""One-sided label smoothing (Salimans et al. 2016, section 3.4), from D's logits."""

import torch
import torch.nn.functional as F

import ganzoo


class LabelSmoothingLoss(ganzoo.GANLoss):
    """D's target for real images is ``smoothing`` (0.9) instead of 1, for fakes still 0:
    D minimises ``E[BCE(D(x), 0.9)] + E[BCE(D(G(z)), 0)]``, which keeps it from growing
    over-confident on real data. G minimises the non-saturating ``-E[log D(G(z))]``.
    Smoothing the fake side too would move the optimal D and is not done."""

    name = "label-smoothing"
    smoothing = 0.9

    def discriminator_loss(self, real_logits: torch.Tensor, fake_logits: torch.Tensor) -> torch.Tensor:
        targets = torch.full_like(real_logits, self.smoothing)
        return F.binary_cross_entropy_with_logits(real_logits, targets) + F.softplus(fake_logits).mean()

    def generator_loss(self, fake_logits: torch.Tensor) -> torch.Tensor:
        return F.softplus(-fake_logits).mean()
