"""What an evaluation builds for each run before drawing a sample: the feature extractors
(each built once, on the evaluation's device) and a :class:`Plan` per run, so that
everything a user can get wrong is refused before any work is done."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from ganzoo import plugins
from ganzoo.data import DatasetSpec
from ganzoo.errors import GanzooError
from ganzoo.evaluation.extractors import FeatureExtractor
from ganzoo.evaluation.results import comparability
from ganzoo.sampling import LoadedGenerator


class Extractors:
    """Builds each extractor once per evaluation, on the device, and checks its input shape."""

    def __init__(self, device: torch.device, inception_weights: Path | str | None) -> None:
        self.device = device
        self.inception_weights = inception_weights
        self.registry = plugins.get_zoo().feature_extractors
        self.built: dict[str, FeatureExtractor] = {}

    def get(self, name: str, image_shape: tuple[int, ...], why: str | None = None) -> FeatureExtractor:
        """The extractor ``name``, built once; ``why``: the reason it was chosen, added to
        any error building or checking it raises (the user did not ask for it)."""
        try:
            if name not in self.built:
                spec = self.registry.get(name)
                weights = self.inception_weights if name == "inception" else None
                self.built[name] = spec.build(weights=weights).to(self.device).eval()
            extractor = self.built[name]
            extractor.check_input(tuple(image_shape))
        except GanzooError as error:
            if why is None:
                raise
            raise type(error)(f"{error}; {why}") from error
        return extractor

    def batch_size(self, name: str) -> int:
        return self.registry.get(name).batch_size


@dataclass
class Plan:
    """One run, with everything that could be refused already checked and built."""

    path: Path
    loaded: LoadedGenerator
    dataset_name: str
    spec: DatasetSpec
    real_dataset: Any
    name: str  # the feature extractor's
    extractor: FeatureExtractor
    classifier_name: str | None  # the dataset's classifier, for the class metrics
    classifier: FeatureExtractor | None
    fingerprint: str  # of the test split's content
    train_dataset: Any = None  # the training split, opened only for memorization

    @property
    def comparability(self) -> tuple[str, str, str, str]:
        return comparability(self.dataset_name, self.fingerprint, self.name, self.extractor.weights_sha256)
