"""The metrics: torchmetrics' FID, KID and IS on an extractor's outputs, and the class metrics.

torchmetrics' metrics take a ``feature=`` module and run it on what ``update`` receives.
ganzoo gives them :class:`PassThrough` and updates them with the extractor's outputs, so
the extractor runs once per batch for all of them (and the real images' features come
from the cache); the FID, KID and IS formulas, their float64 accumulation and their subset
sampling are torchmetrics' own. Everything accumulates on the evaluation device; the only
copies to the host are the final numbers.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, Callable, TypeVar

import torch
from torch import nn

T = TypeVar("T")

# What `--metrics` accepts, in report order.
METRICS = ("fid", "kid", "is", "coverage", "accuracy")
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
IS_SPLITS = 10
# A class is "covered" when it gets at least this fraction of its share of the real data.
COVERAGE_FRACTION = 0.25


@dataclass(frozen=True)
class MetricInfo:
    """How a value in ``metrics.json`` is labelled and read in the reports."""

    label: str
    higher_is_better: bool
    meaning: str


# key in metrics.json -> how to read it. Keys ending in _std are shown with their mean.
RESULTS: dict[str, MetricInfo] = {
    "fid": MetricInfo(
        "FID", False,
        "Fréchet distance between Gaussians fitted to the extractor's features of the generated and the "
        "held-out real images: image quality and diversity in one number; 0 for identical statistics.",
    ),
    "kid_mean": MetricInfo(
        "KID", False,
        f"squared MMD between the same features with a cubic polynomial kernel, mean ± std over {KID_SUBSETS} "
        f"subsets of up to {KID_SUBSET_SIZE}; unbiased, so about 0 (even slightly negative) for matching "
        "distributions, and fairer than FID for small n.",
    ),
    "is_mean": MetricInfo(
        "IS", True,
        f"Inception Score, exp(E[KL(p(y|x) || p(y))]) of the extractor's class probabilities, mean ± std over "
        f"{IS_SPLITS} splits: high when each sample is clearly one class and all classes appear; at most the "
        "number of classes (10 for the domain classifiers). Compare with the real test images' IS.",
    ),
    "classes_covered": MetricInfo(
        "classes covered", True,
        f"classes that receive at least {COVERAGE_FRACTION:g} of their share of the real test images among the "
        "samples, as predicted by the dataset's classifier: a low count is mode collapse.",
    ),
    "class_tv": MetricInfo(
        "class TV", False,
        "total-variation distance between the predicted-class histogram of the samples and that of the real "
        "test images (0 = same class balance, 1 = disjoint).",
    ),
    "conditional_accuracy": MetricInfo(
        "conditional accuracy", True,
        "conditional models only: how often the classifier sees the class that was asked for.",
    ),
}


class PassThrough(nn.Module):
    """The ``feature=`` module of torchmetrics' metrics when the features are computed already."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


def metric_device(device: torch.device) -> torch.device:
    """FID accumulates in float64, which MPS lacks: use the CPU there, the device elsewhere."""
    return torch.device("cpu") if device.type == "mps" else device


def _quiet(factory: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    # KID and IS warn, once per instance, that they keep every feature: known and intended.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*will save all extracted features.*")
        return factory(*args, **kwargs)


def _seeded(seed: int, compute: Callable[[], T]) -> T:
    """``compute()`` with the global RNG seeded (KID's subsets and IS's split shuffle draw
    from it), leaving the caller's RNG state untouched."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        return compute()


def inception_score(logits: torch.Tensor, *, seed: int) -> tuple[float, float]:
    """torchmetrics' Inception Score of ``logits`` (mean, std over the splits)."""
    from torchmetrics.image.inception import InceptionScore

    metric = _quiet(InceptionScore, feature=PassThrough(logits.shape[1]), splits=min(IS_SPLITS, len(logits)))
    metric.to(metric_device(logits.device)).update(logits.to(metric_device(logits.device)))
    mean, std = _seeded(seed, metric.compute)
    return float(mean), float(std)


def class_distance(fake_counts: torch.Tensor, real_counts: torch.Tensor) -> tuple[int, float]:
    """(classes covered, total-variation distance) between two predicted-class histograms."""
    fake = fake_counts.double() / fake_counts.sum().clamp(min=1)
    real = real_counts.double().to(fake.device) / real_counts.sum().clamp(min=1)
    covered = int(((fake >= COVERAGE_FRACTION * real) & (real > 0)).sum())
    return covered, float(0.5 * (fake - real).abs().sum())


class SampleMetrics:
    """The selected metrics of one run: fed batch by batch, computed once at the end.

    ``real`` holds the held-out split's features from the extractor, ``real_classes`` the
    classifier's predicted-class counts on it (``None`` without a classifier).
    """

    def __init__(
        self,
        selected: set[str],
        *,
        real_features: torch.Tensor,
        real_classes: torch.Tensor | None,
        n: int,
        device: torch.device,
        seed: int,
    ) -> None:
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.kid import KernelInceptionDistance

        self.selected = selected
        self.seed = seed
        self.device = metric_device(device)
        num_features = real_features.shape[1]
        real = real_features.to(self.device)
        self.fid = self.kid = None
        self.logits: list[torch.Tensor] = []
        if "fid" in selected:
            self.fid = FrechetInceptionDistance(feature=PassThrough(num_features), reset_real_features=False)
            self.fid.to(self.device).update(real, real=True)
        if "kid" in selected:
            size = min(KID_SUBSET_SIZE, n, len(real))
            self.kid = _quiet(KernelInceptionDistance, feature=PassThrough(num_features), subsets=KID_SUBSETS,
                              subset_size=size, reset_real_features=False)
            self.kid.to(self.device).update(real, real=True)
        self.real_classes = real_classes
        self.class_counts = None if real_classes is None else torch.zeros(len(real_classes), dtype=torch.long, device=device)
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.labelled = 0

    def update(
        self,
        features: torch.Tensor,
        logits: torch.Tensor | None,
        class_logits: torch.Tensor | None = None,
        labels: torch.Tensor | None = None,
    ) -> None:
        """One batch of generated images: the extractor's outputs, the classifier's logits
        (for the class metrics) and the labels asked for (conditional models)."""
        features = features.to(self.device)
        if self.fid is not None:
            self.fid.update(features, real=False)
        if self.kid is not None:
            self.kid.update(features, real=False)
        if "is" in self.selected and logits is not None:
            self.logits.append(logits.to(self.device))
        if class_logits is not None and self.class_counts is not None:
            predicted = class_logits.argmax(1)
            self.class_counts += torch.bincount(predicted, minlength=len(self.class_counts))
            if labels is not None:
                self.correct += (predicted == labels).sum()
                self.labelled += len(labels)

    def compute(self) -> tuple[dict[str, float], dict[str, list[float]]]:
        """The values for ``metrics.json`` and the class histograms (shares of generated
        and real images per class; empty without a classifier)."""
        values: dict[str, float] = {}
        histograms: dict[str, list[float]] = {}
        if self.fid is not None:
            values["fid"] = float(self.fid.compute())
        if self.kid is not None:
            mean, std = _seeded(self.seed, self.kid.compute)
            values["kid_mean"], values["kid_std"] = float(mean), float(std)
        if self.logits:
            values["is_mean"], values["is_std"] = inception_score(torch.cat(self.logits), seed=self.seed)
        if self.class_counts is not None and self.real_classes is not None:
            if "coverage" in self.selected:
                values["classes_covered"], values["class_tv"] = class_distance(self.class_counts, self.real_classes)
            if "accuracy" in self.selected and self.labelled:
                values["conditional_accuracy"] = float(self.correct) / self.labelled
            fake = self.class_counts.double() / max(1, int(self.class_counts.sum()))
            real = self.real_classes.double() / max(1, int(self.real_classes.sum()))
            histograms = {"generated": [round(v, 5) for v in fake.tolist()], "real": [round(v, 5) for v in real.tolist()]}
        return values, histograms
