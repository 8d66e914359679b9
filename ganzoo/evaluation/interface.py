"""The feature-extractor interface: what a registered extractor's ``build`` returns
(:class:`FeatureExtractor`) and what is registered (:class:`FeatureExtractorSpec`).

The built-in extractors (:mod:`~ganzoo.evaluation.extractors`) and the Inception network
(:mod:`~ganzoo.evaluation.inception`) depend on this module, and it on neither of them.
Plugins import both names from :mod:`ganzoo.evaluation.extractors`, which re-exports them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import torch
from torch import nn


class FeatureExtractor(nn.Module):
    """What a registered ``build`` returns: a module in eval mode, mapping images in
    ``[-1, 1]`` of shape ``(N, C, H, W)`` (on its device) to ``(features (N, num_features),
    logits (N, num_classes) or None)``.

    ``weights_sha256`` identifies the weights: it keys the real-data cache and is written
    in every report, since a FID is only comparable with one computed with the same weights.
    """

    num_features: int
    num_classes: int | None
    weights_sha256: str

    def check_input(self, image_shape: tuple[int, ...]) -> None:
        """Raise :class:`ConfigError` if this extractor cannot take images of this shape."""

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:  # pragma: no cover
        raise NotImplementedError


@dataclass(frozen=True)
class FeatureExtractorSpec:
    """A feature extractor for ``ganzoo eval``, registered with ``register_feature_extractors``.

    Attributes:
        name: the extractor's name; register the spec under it.
        build: ``build(weights=None)`` returns a :class:`FeatureExtractor` on the CPU;
            ``weights`` is a local file replacing its default weights
            (``--inception-weights`` for ``inception``).
        classes_of: the dataset whose classes the logits are, if any: such an extractor,
            registered under that dataset's name, is the dataset's default extractor and its
            classifier for conditional accuracy and class coverage.
        batch_size: the default number of images per forward pass (small for big networks
            on a CPU).
        description: one line about the extractor.
    """

    name: str
    build: Callable[..., FeatureExtractor]
    classes_of: str | None = None
    batch_size: int = 500
    description: str = ""
