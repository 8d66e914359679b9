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
the k-NN radii of the real subset) is a :class:`RealReference`, built once per extractor and
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
    DC_K,
    PR_K,
    kth_neighbour_radii,
    manifold_metrics,
    subsample,
)

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
# MiFID's threshold on the memorization distance (torchmetrics' cosine_distance_eps default,
# Bai et al. 2021's Kaggle competition): a mean cosine distance at or above it is not penalised.
MIFID_EPS = 0.1
# Samples shown beside their nearest training images in report.html.
MEMORIZATION_PANEL = 8
# Bootstrap resamples of the generated set behind the ± of FID and the k-NN metrics.
BOOTSTRAP = 20
# Fixed seed of the real subset the k-NN metrics use when the test split has more images
# than --n: every run and every --seed at one n meets the same real images.
REAL_SUBSET_SEED = 0
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


# Generated (or test) features compared with the training features per block: a block's
# distance matrix is block x training images floats (256 x 60k: 61 MB).
NEAREST_BLOCK = 256


@torch.no_grad()
def nearest_training(features: torch.Tensor, train: torch.Tensor, *, block: int = NEAREST_BLOCK
                     ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Each row of ``features`` against every row of ``train``, two matrix products per block:
    ``(Euclidean distance to the nearest training row, that row's index, the smallest cosine
    distance 1 - |cos| to a training row)``. The cosine distance is torchmetrics' MiFID one:
    rows summing to zero are left out (a sample's distance is NaN; a training row's cosine is
    taken as 0, distance 1, the largest there is); clamped at 0 against rounding (an exact
    copy's |cos| can exceed 1, and a negative distance would flip MiFID's sign)."""
    features, train = features.float(), train.float().to(features.device)
    train_sq = (train * train).sum(1)
    unit_train = train / train_sq.sqrt().clamp_min(1e-12).unsqueeze(1)
    unit_train[train.sum(1) == 0] = 0
    distances, indices, cosines = [], [], []
    for start in range(0, len(features), block):
        chunk = features[start : start + block]
        # |f - t|^2 = |f|^2 + |t|^2 - 2 f.t: |f|^2 is the row's constant, added after the minimum
        nearest, index = torch.addmm(train_sq, chunk, train.T, alpha=-2).min(1)
        distances.append((nearest + (chunk * chunk).sum(1)).clamp_min(0).sqrt())
        indices.append(index)
        unit = chunk / chunk.norm(dim=1, keepdim=True).clamp_min(1e-12)
        cosine = unit @ unit_train.T
        largest = torch.maximum(cosine.max(1).values, -cosine.min(1).values)
        smallest = (1 - largest).clamp_min(0)
        smallest[chunk.sum(1) == 0] = float("nan")
        cosines.append(smallest)
    return torch.cat(distances), torch.cat(indices), torch.cat(cosines)


def mifid(fid: float, distance: float, *, eps: float = MIFID_EPS) -> float:
    """torchmetrics' ``_mifid_compute`` on a FID and a memorization distance: the distance
    counts only below ``eps`` (else 1), and a FID of (nearly) 0 stays 0."""
    penalty = distance if distance < eps else 1.0
    return fid / (penalty + 10e-15) if fid > 1e-8 else 0.0


class RealReference:
    """The real side of the feature metrics for one extractor, shared by every run of an
    evaluation: the held-out split's features, FID's moments (for the bootstrap) and, per
    sample count, the k-NN metrics' real subset and its radii, each computed once."""

    def __init__(self, features: torch.Tensor, device: torch.device, labels: torch.Tensor | None = None) -> None:
        self.device = metric_device(device)
        self.features = features.to(self.device)
        self.labels = None if labels is None else labels.to(self.device)
        self._moments: Moments | None = None
        self._class_moments: dict[int, Moments] = {}
        self._subsets: dict[int, tuple[torch.Tensor, dict[int, torch.Tensor]]] = {}
        self.train: torch.Tensor | None = None  # the training split's features (memorization), set by the caller
        self._test_nearest: tuple[float, float] | None = None
        self.cas_real: dict[tuple[str, int], float] = {}  # (training split, n) -> CAS of n real images

    def test_nearest(self) -> tuple[float, float]:
        """The real test images against the training split: the mean Euclidean distance to
        their nearest training image, and their MiFID memorization distance (a reference)."""
        if self._test_nearest is None:
            assert self.train is not None
            distance, _, cosine = nearest_training(self.features, self.train)
            self._test_nearest = (float(distance.double().mean()), float(cosine[~cosine.isnan()].double().mean()))
        return self._test_nearest

    @property
    def n(self) -> int:
        return int(self.features.shape[0])

    def moments(self) -> Moments:
        """Mean, covariance and its square root of the real features (float64), for FID's bootstrap."""
        if self._moments is None:
            self._moments = Moments.of(self.features, with_sqrt=True)
        return self._moments

    def class_moments(self, label: int) -> Moments | None:
        """FID's moments (with the square root) of the real images of class ``label``;
        ``None`` when the split has fewer than two of them."""
        if label not in self._class_moments:
            chosen = self.features[self.labels == label] if self.labels is not None else self.features[:0]
            if len(chosen) < 2:
                return None
            self._class_moments[label] = Moments.of(chosen, with_sqrt=True)
        return self._class_moments[label]

    def knn_subset(self, n: int) -> tuple[torch.Tensor, dict[int, torch.Tensor]]:
        """``n`` real features (all when the split has no more; else a subset fixed by
        ``REAL_SUBSET_SEED``) and their squared k-NN radii for PR_K and DC_K."""
        n = min(n, self.n)
        if n not in self._subsets:
            index = subsample(self.n, n, seed=REAL_SUBSET_SEED)
            real = self.features if index is None else self.features[index.to(self.device)]
            radii = kth_neighbour_radii((real - real.mean(0, keepdim=True)).float(), (PR_K, DC_K))
            self._subsets[n] = (real, radii)
        return self._subsets[n]


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
