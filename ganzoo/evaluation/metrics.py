"""The metrics: torchmetrics' FID, KID and IS on an extractor's outputs, the k-NN metrics
(precision, recall, density, coverage: :mod:`~ganzoo.evaluation.manifold`), the class
metrics, and the bootstrap spreads (``±``) of FID and the k-NN metrics.

torchmetrics' metrics take a ``feature=`` module and run it on what ``update`` receives.
ganzoo gives them :class:`PassThrough` and updates them with the extractor's outputs, so
the extractor runs once per batch for all of them (and the real images' features come
from the cache); the FID, KID and IS formulas, their float64 accumulation and their subset
sampling are torchmetrics' own. Everything accumulates on the evaluation device; the only
copies to the host are the final numbers.

What the real side of the metrics needs (the features, FID's moments for the bootstrap,
the k-NN radii of the real subset) is a :class:`~ganzoo.evaluation.reference.RealReference`, built once per extractor and
shared by every run of an evaluation.
"""

from __future__ import annotations

import time
import warnings
from typing import Any, Callable, TypeVar

import torch
from torch import nn

from ganzoo.evaluation.frechet import Moments, bootstrap_fid, frechet_distance
from ganzoo.evaluation.manifold import (
    manifold_metrics,
    subsample,
)
from ganzoo.evaluation.memorization import mifid, nearest_training
from ganzoo.evaluation.reference import RealReference, metric_device

T = TypeVar("T")

# What `--metrics` accepts, in report order: pr = precision and recall, dc = density and
# (k-NN) coverage, icfid = intra-class FID (conditional models), coverage = the class
# coverage (histogram of predicted classes).
METRICS = ("fid", "kid", "is", "pr", "dc", "icfid", "coverage", "accuracy", "memorization", "cas")
# What an evaluation computes when --metrics is not given: all but the opt-in ones
# (memorization compares every sample with the whole training split: ~5 s per 10k samples
# against 60k training images on one CPU core, and the training split through the extractor once).
# cas trains two classifiers per run (Classification Accuracy Score).
OPT_IN = ("memorization", "cas")
DEFAULT_METRICS = tuple(m for m in METRICS if m not in OPT_IN)
# Names that --metrics also accepts, for the metric that computes them (coverage alone is
# the class coverage, as it always was).
METRIC_ALIASES = {"precision": "pr", "recall": "pr", "density": "dc", "knn-coverage": "dc", "knn_coverage": "dc",
                  "intra-class-fid": "icfid", "mifid": "memorization"}
# Samples shown beside their nearest training images in report.html.
MEMORIZATION_PANEL = 8
# Bootstrap resamples of the generated set behind the ± of FID and the k-NN metrics.
BOOTSTRAP = 20
KID_SUBSETS = 100
KID_SUBSET_SIZE = 1000
IS_SPLITS = 10
# A class is "covered" when it gets at least this fraction of its share of the real data.
COVERAGE_FRACTION = 0.25


class PassThrough(nn.Module):
    """The ``feature=`` module of torchmetrics' metrics when the features are computed already."""

    def __init__(self, num_features: int) -> None:
        super().__init__()
        self.num_features = num_features

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        return features


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


def _std(values: list[float]) -> float:
    return float(torch.tensor(values, dtype=torch.float64).std())


class SampleMetrics:
    """The selected metrics of one run: fed batch by batch, computed once at the end.

    ``real`` holds the held-out split's features from the extractor (:class:`RealReference`),
    ``real_classes`` the classifier's predicted-class counts on it (``None`` without a
    classifier). ``bootstrap``: resamples of the generated set behind the ``±`` of FID and
    the k-NN metrics (0 or 1: none).
    """

    def __init__(
        self,
        selected: set[str],
        *,
        real: RealReference,
        real_classes: torch.Tensor | None,
        n: int,
        device: torch.device,
        seed: int,
        bootstrap: int = BOOTSTRAP,
    ) -> None:
        from torchmetrics.image.fid import FrechetInceptionDistance
        from torchmetrics.image.kid import KernelInceptionDistance

        self.selected = selected
        self.seed = seed
        self.n = n
        self.bootstrap = bootstrap if bootstrap >= 2 else 0
        self.device = metric_device(device)
        self.real = real
        num_features = real.features.shape[1]
        self.fid = self.kid = None
        self.logits: list[torch.Tensor] = []
        # the generated features, kept where FID's bootstrap, the k-NN metrics or intra-class FID need them
        self.keep_features = bool({"pr", "dc", "icfid", "memorization"} & selected) or ("fid" in selected and self.bootstrap > 0)
        self.features: list[torch.Tensor] = []
        self.labels: list[torch.Tensor] = []  # the classes asked for (intra-class FID)
        self.class_fids: list[float | None] | None = None  # per class, after compute() (None: too few samples)
        self.nearest: tuple[torch.Tensor, torch.Tensor] | None = None  # (training index, distance) per sample
        if "fid" in selected:
            self.fid = FrechetInceptionDistance(feature=PassThrough(num_features), reset_real_features=False)
            self.fid.to(self.device).update(real.features, real=True)
        if "kid" in selected:
            size = min(KID_SUBSET_SIZE, n, real.n)
            self.kid = _quiet(KernelInceptionDistance, feature=PassThrough(num_features), subsets=KID_SUBSETS,
                              subset_size=size, reset_real_features=False)
            self.kid.to(self.device).update(real.features, real=True)
        self.real_classes = real_classes
        self.class_counts = None if real_classes is None else torch.zeros(len(real_classes), dtype=torch.long, device=device)
        self.correct = torch.zeros((), dtype=torch.long, device=device)
        self.labelled = 0
        self.seconds: dict[str, float] = {}  # what each metric's final computation cost

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
        if self.keep_features:
            self.features.append(features.float())
        if "icfid" in self.selected and labels is not None:
            self.labels.append(labels.to(self.device))
        if "is" in self.selected and logits is not None:
            self.logits.append(logits.to(self.device))
        if class_logits is not None and self.class_counts is not None:
            predicted = class_logits.argmax(1)
            self.class_counts += torch.bincount(predicted, minlength=len(self.class_counts))
            if labels is not None:
                self.correct += (predicted == labels).sum()
                self.labelled += len(labels)

    def _timed(self, name: str, compute: Callable[[], T]) -> T:
        start = time.perf_counter()
        try:
            return compute()
        finally:
            self.seconds[name] = round(time.perf_counter() - start, 3)

    def compute(self) -> tuple[dict[str, float], dict[str, list[float]]]:
        """The values for ``metrics.json`` and the class histograms (shares of generated
        and real images per class; empty without a classifier)."""
        values: dict[str, float] = {}
        histograms: dict[str, list[float]] = {}
        fake = torch.cat(self.features) if self.features else None
        if self.fid is not None:
            values["fid"] = self._timed("fid", lambda: float(self.fid.compute()))
            if self.bootstrap and fake is not None:
                spread = self._timed("fid_bootstrap", lambda: bootstrap_fid(
                    self.real.moments(), fake, resamples=self.bootstrap, seed=self.seed))
                values["fid_std"] = _std(spread)
        if self.kid is not None:
            mean, std = self._timed("kid", lambda: _seeded(self.seed, self.kid.compute))
            values["kid_mean"], values["kid_std"] = float(mean), float(std)
        if self.logits:
            values["is_mean"], values["is_std"] = self._timed(
                "is", lambda: inception_score(torch.cat(self.logits), seed=self.seed))
        if {"pr", "dc"} & self.selected and fake is not None:
            values.update(self._timed("pr_dc", lambda: self._knn(fake)))
        if "icfid" in self.selected and fake is not None and self.labels:
            values.update(self._timed("icfid", lambda: self._intra_class(fake, torch.cat(self.labels))))
        if "memorization" in self.selected and fake is not None and self.real.train is not None:
            values.update(self._timed("memorization", lambda: self._memorization(fake, values.get("fid"))))
        if self.class_counts is not None and self.real_classes is not None:
            if "coverage" in self.selected:
                values["classes_covered"], values["class_tv"] = class_distance(self.class_counts, self.real_classes)
            if "accuracy" in self.selected and self.labelled:
                values["conditional_accuracy"] = float(self.correct) / self.labelled
            fake_shares = self.class_counts.double() / max(1, int(self.class_counts.sum()))
            real = self.real_classes.double() / max(1, int(self.real_classes.sum()))
            histograms = {"generated": [round(v, 5) for v in fake_shares.tolist()],
                          "real": [round(v, 5) for v in real.tolist()]}
        return values, histograms

    def _intra_class(self, fake: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
        """FID per class (samples asked for class k against the real images of class k):
        ``icfid`` is their mean, ``icfid_worst`` the highest; ``class_fids`` keeps them all."""
        classes = int(max(labels.max(), self.real.labels.max() if self.real.labels is not None else 0)) + 1
        fids: list[float | None] = []
        for label in range(classes):
            real = self.real.class_moments(label)
            mine = fake[labels == label]
            if real is None or len(mine) < 2:
                fids.append(None)
                continue
            moments = Moments.of(mine)
            fids.append(frechet_distance(real, moments.mean, moments.cov))
        self.class_fids = fids
        known = [value for value in fids if value is not None]
        if not known:
            return {}
        return {"icfid": sum(known) / len(known), "icfid_worst": max(known)}

    def _memorization(self, fake: torch.Tensor, fid: float | None) -> dict[str, float]:
        """Each sample's nearest training image: the ratio of the mean distances (samples /
        real test images), MiFID's memorization distance and MiFID (with the FID computed
        here when ``fid`` was not asked for)."""
        distance, index, cosine = nearest_training(fake, self.real.train)
        self.nearest = (index.cpu(), distance.cpu())
        test = self.real.test_nearest()[0]
        ratio = float(distance.double().mean()) / test if test > 0 else float("nan")
        memorization = float(cosine[~cosine.isnan()].double().mean())
        if fid is None:
            moments = Moments.of(fake)
            fid = frechet_distance(self.real.moments(), moments.mean, moments.cov)
        return {"memorization_ratio": ratio, "memorization_distance": memorization,
                "mifid": mifid(fid, memorization)}

    def knn_n(self) -> int:
        """Samples on each side of the k-NN metrics: ``n``, or the real split's size if smaller."""
        return min(self.n, self.real.n)

    def _knn(self, fake: torch.Tensor) -> dict[str, float]:
        """Precision and recall and/or density and coverage, on ``knn_n`` samples of each side."""
        size = self.knn_n()
        real, radii = self.real.knn_subset(size)
        index = subsample(len(fake), size, seed=self.seed)  # conditional samples come sorted by class
        if index is not None:
            fake = fake[index.to(fake.device)]
        result = manifold_metrics(real, fake, real_radii=radii, resamples=self.bootstrap, seed=self.seed)
        values: dict[str, float] = {}
        names = (["precision", "recall"] if "pr" in self.selected else []) + (
            ["density", "coverage"] if "dc" in self.selected else [])
        for name in names:
            key = "knn_coverage" if name == "coverage" else name
            values[key] = getattr(result, name)
            std = result.std(name)
            if std is not None:
                values[f"{key}_std"] = std
        return values
