"""The projection discriminator and the auxiliary classifier, on ganzoo's public
conditioning interface (:class:`ganzoo.Conditioning` and its adapters and heads)."""

from __future__ import annotations

import torch
from torch import nn

from ganzoo import EmbeddingConcat, LinearHead, NoConditioning


class ProjectionHead(nn.Module):
    """``logit = w . h + b + embed(y) . h``: the class enters as an inner product with D's
    features, instead of as an input (Miyato & Koyama 2018, eq. 3)."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(features, 1)
        self.class_embedding = nn.Embedding(num_classes, features)
        nn.init.zeros_(self.class_embedding.weight)  # starts as the unconditional D

    def forward(self, h: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("this discriminator is conditional: pass labels y")
        return self.linear(h).squeeze(1) + (self.class_embedding(y) * h).sum(dim=1)


class _LabelInHeadOnly(EmbeddingConcat):
    """G receives the label embedding concatenated to z, as in CGAN; D's body sees the
    image alone, and the label (or the class) is the business of ``head_class``."""

    head_class: type[nn.Module]

    def discriminator_adapter(self, image_shape, input_kind):
        return NoConditioning().discriminator_adapter(image_shape, input_kind)

    def discriminator_head(self, features: int) -> nn.Module:
        classes, _ = self._dims()
        return self.head_class(features, classes)


class Projection(_LabelInHeadOnly):
    """Projection discriminator (Miyato & Koyama 2018): the label is projected onto D's
    features in the head (the paper's conditional BatchNorm in G is not used)."""

    name = "projection"
    head_class = ProjectionHead


class AuxiliaryClassifierHead(LinearHead):
    """D's two outputs from one set of features: the real/fake logit (``forward``, which
    ignores the label) and class logits (``classify``), as in Odena et al. (2017)."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__(features)
        self.classifier = nn.Linear(features, num_classes)

    def classify(self, h: torch.Tensor) -> torch.Tensor:
        return self.classifier(h)


class AuxiliaryClassifier(_LabelInHeadOnly):
    """ACGAN (Odena et al. 2017): G receives the label (its embedding concatenated to z);
    D sees the image alone and predicts both "real?" and the class. D minimises the
    cross-entropy of its class prediction on real *and* generated images (L_C on both,
    the paper's eq. 2-3), G minimises it on its own samples, each on top of the
    adversarial loss. ``auxiliary_loss`` is that cross-entropy (the interface's default)."""

    name = "auxiliary-classifier"
    head_class = AuxiliaryClassifierHead


class ClassConditionalBatchNormProjection(Projection):
    """SNGAN-projection (Miyato & Koyama 2018) and BigGAN style: G receives the label only
    through class-conditional BatchNorm (a scale and shift per class in each of its
    BatchNorm layers), D through the projection head. Needs a generator architecture with
    class-conditional normalisation (``sngan-resnet``; others are refused)."""

    name = "cbn-projection"
    class_conditional_generator = True

    def generator_adapter(self, z_dim):
        return NoConditioning().generator_adapter(z_dim)
