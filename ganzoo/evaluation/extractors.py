"""Feature extractors: the networks whose view of an image the metrics compare.

FID and KID compare the distributions of *features* of generated and real images, IS the
class probabilities (*logits*) of generated images; which network gives those features
decides what the numbers mean, so it is a registry that plugins extend
(``register_feature_extractors``), and every report names the extractor and its weights.

An extractor runs once per batch, and its outputs feed every metric, the class metrics
and the real-data cache: torchmetrics' FID, KID and IS are given a pass-through
``feature=`` module instead of the network (see :mod:`ganzoo.evaluation.metrics`), so a
network is never run three times on the same images.

The interface, :class:`FeatureExtractor` and :class:`FeatureExtractorSpec`, is defined in
:mod:`ganzoo.evaluation.interface` (so that :mod:`~ganzoo.evaluation.inception` implements
it without importing this module back) and imported from here by plugins.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

import torch

from ganzoo.errors import ConfigError
from ganzoo.evaluation.interface import FeatureExtractor, FeatureExtractorSpec
from ganzoo.registry import Registry


class ClassifierExtractor(FeatureExtractor):
    """A shipped :class:`~ganzoo.evaluation.classifier.DomainClassifier`: 128-d penultimate
    features and the dataset's class logits."""

    def __init__(self, dataset: str, weights: Path | str | None = None, sha256: str | None = None) -> None:
        super().__init__()
        from ganzoo.evaluation.classifier import load_classifier

        self.dataset = dataset
        self.net, self.weights_sha256 = load_classifier(dataset, weights, sha256)
        self.num_features = self.net.num_features
        self.num_classes = self.net.num_classes

    def check_input(self, image_shape: tuple[int, ...]) -> None:
        expected = (self.net.in_channels, self.net.image_size, self.net.image_size)
        if tuple(image_shape) != expected:
            shape = "x".join(map(str, image_shape))
            raise ConfigError(
                f"feature extractor {self.dataset!r} takes {'x'.join(map(str, expected))} images, "
                f"the generator makes {shape}; use --features inception"
            )

    def forward(self, images: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.net(images)


def _classifier(dataset: str) -> Callable[..., FeatureExtractor]:
    def build(weights: Path | str | None = None) -> FeatureExtractor:
        return ClassifierExtractor(dataset, weights)

    return build


def _inception(weights: Path | str | None = None) -> FeatureExtractor:
    from ganzoo.evaluation.inception import InceptionExtractor

    return InceptionExtractor(weights)


MNIST = FeatureExtractorSpec("mnist", _classifier("mnist"), classes_of="mnist", batch_size=1000,
                             description="CNN classifier trained on MNIST")
FASHION_MNIST = FeatureExtractorSpec("fashion-mnist", _classifier("fashion-mnist"), classes_of="fashion-mnist",
                                     batch_size=1000, description="CNN classifier trained on Fashion-MNIST")
INCEPTION = FeatureExtractorSpec("inception", _inception, batch_size=50,
                                 description="Inception-v3 (torch-fidelity's port of the TF FID network)")

DEFAULT_EXTRACTOR = "inception"


def default_extractor(dataset: str, names: Iterable[str]) -> str:
    """The extractor registered under the dataset's own name (its domain classifier), else
    ``inception``: on 28x28 data a domain classifier is both meaningful and fast."""
    return dataset if dataset in set(names) else DEFAULT_EXTRACTOR


def why_default(dataset: str, names: Iterable[str]) -> str:
    """Why ``inception`` measures ``dataset`` and what else can: appended to the one-line
    error when it cannot be built or used and ``--features`` was not given."""
    others = sorted(set(names) - {DEFAULT_EXTRACTOR})
    return (f"{DEFAULT_EXTRACTOR} is used for dataset {dataset!r} because no feature extractor is registered under "
            f"that name: pass --features NAME (installed: {', '.join(others) or 'none but inception'}) or register "
            f"an extractor named {dataset!r} (register_feature_extractors hook)")


def domain_classifier(dataset: str, registry: Registry) -> FeatureExtractorSpec | None:
    """The spec of the classifier of ``dataset`` for the class metrics, or ``None``."""
    if dataset not in registry:
        return None
    spec = registry.get(dataset)
    return spec if spec.classes_of == dataset else None
