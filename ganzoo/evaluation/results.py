"""What an evaluation produces: one :class:`RunEvaluation` per run, gathered in an
:class:`EvalReport`. Plain data, with no behaviour beyond its ``metrics.json`` form.

Its own module so that the code that computes results (:mod:`~ganzoo.evaluation.pipeline`)
and the code that shows them (:mod:`~ganzoo.evaluation.table`,
:mod:`~ganzoo.evaluation.report`, :mod:`~ganzoo.evaluation.html`) both depend on it and
not on each other.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ganzoo import __version__
from ganzoo.evaluation.groups import Comparison, Group

# The dataset split the generated images are compared with.
REAL_SPLIT = "test"


def comparability(dataset: str, fingerprint: str, features: str, features_sha256: str) -> tuple[str, str, str, str]:
    """What two runs' numbers must share to be compared: the dataset, its test split's
    content, and the feature extractor with its weights (the class metrics' classifier is
    the dataset's, so the dataset fixes it)."""
    return (dataset, fingerprint, features, features_sha256)


@dataclass
class RunEvaluation:
    """One run's results: what ``metrics.json`` holds for it."""

    run: str
    checkpoint: str
    checkpoint_sha256: str
    model: str
    dataset: str
    epoch: int
    conditional: bool
    ema: bool
    features: str
    features_sha256: str
    classifier: str | None
    classifier_sha256: str | None
    real_n: int
    real_fingerprint: str
    knn_n: int | None  # samples on each side of precision/recall/density/coverage
    real_cached: bool
    real_inception_score: tuple[float, float] | None
    metrics: dict[str, float]
    not_computed: dict[str, str]
    class_histograms: dict[str, list[float]]
    seconds: float
    real_seconds: float
    metric_seconds: dict[str, float] = field(default_factory=dict)  # final computation of each metric
    config: dict[str, Any] = field(default_factory=dict)  # the run's config.json (TrainConfig.to_dict())
    class_fids: dict[str, Any] = field(default_factory=dict)  # intra-class FID: classes, fid per class, weakest
    memorization: dict[str, Any] = field(default_factory=dict)  # the panel's samples, nearest training images

    @property
    def comparability(self) -> tuple[str, str, str, str]:
        return comparability(self.dataset, self.real_fingerprint, self.features, self.features_sha256)

    def to_dict(self) -> dict[str, Any]:
        return {
            "run": self.run,
            "checkpoint": self.checkpoint,
            "checkpoint_sha256": self.checkpoint_sha256,
            "model": self.model,
            "dataset": self.dataset,
            "epoch": self.epoch,
            "conditional": self.conditional,
            "ema": self.ema,
            "features": {"name": self.features, "weights_sha256": self.features_sha256},
            "classifier": None if self.classifier is None
            else {"name": self.classifier, "weights_sha256": self.classifier_sha256},
            "real": {"split": REAL_SPLIT, "n": self.real_n, "fingerprint": self.real_fingerprint,
                     "cached": self.real_cached,
                     "inception_score": None if self.real_inception_score is None else list(self.real_inception_score)},
            "knn_n": self.knn_n,
            "metrics": self.metrics,
            "not_computed": self.not_computed,
            "class_histograms": self.class_histograms,
            "seconds": round(self.seconds, 3),
            "real_seconds": round(self.real_seconds, 3),
            "metric_seconds": self.metric_seconds,
            "intra_class_fid": self.class_fids or None,
            "memorization": self.memorization or None,
            "config": self.config,
        }


@dataclass
class EvalReport:
    """Every run's results and the settings they share."""

    runs: list[RunEvaluation]
    n: int
    seed: int
    metrics: list[str]
    device: str
    out: Path | None = None
    bootstrap: int = 0  # resamples behind the ± of FID and the k-NN metrics
    groups: list[Group] = field(default_factory=list)  # --group: runs summarised together
    comparisons: list[Comparison] = field(default_factory=list)  # every pair of groups, every metric
    warnings: list[str] = field(default_factory=list)  # what the reports say above the tables

    def tables(self) -> list[list[int]]:
        """The runs that can share a table (same dataset, test data and extractor), as
        lists of run indices, in order of first appearance: one list when all can."""
        keys = [run.comparability for run in self.runs]
        return [[i for i, k in enumerate(keys) if k == key] for key in dict.fromkeys(keys)]
    ganzoo_version: str = __version__
    created: str = field(default_factory=lambda: datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"))

    def to_dict(self) -> dict[str, Any]:
        return {
            "ganzoo_version": self.ganzoo_version,
            "created": self.created,
            "n": self.n,
            "seed": self.seed,
            "bootstrap": self.bootstrap,
            "metrics": self.metrics,
            "device": self.device,
            "runs": [run.to_dict() for run in self.runs],
            "tables": [{"dataset": self.runs[t[0]].dataset, "features": self.runs[t[0]].features,
                        "features_sha256": self.runs[t[0]].features_sha256,
                        "test_data_fingerprint": self.runs[t[0]].real_fingerprint,
                        "runs": [self.runs[i].run for i in t]} for t in self.tables()],
            "warnings": self.warnings,
            "groups": [group.to_dict([run.run for run in self.runs]) for group in self.groups],
            "comparisons": [comparison.to_dict() for comparison in self.comparisons],
        }
