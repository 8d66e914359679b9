"""Real-data statistics, cached on disk: the held-out split goes through an extractor once.

An entry holds the extractor's features of every held-out image (what FID's mean and
covariance and KID's kernel need), the images' true labels (intra-class FID; entries
written before them are recomputed when they are needed), the predicted-class counts when
the extractor is the dataset's classifier, and the Inception Score of the real images (a
reference for the generated ones). It lives in ``$GANZOO_CACHE_DIR/stats`` (default ``~/.cache/ganzoo/stats``)
under a name made of the dataset, the split, the extractor, its weights' sha256 and a hash
of the split's content, so new weights or other data never reuse a stale entry. Entries
are plain tensors, written atomically and read with ``weights_only=True``; an unreadable
one is recomputed.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import torch

from ganzoo.checkpoint import UnreadableTorchFile, atomic_write_bytes, read_torch_file
from ganzoo.paths import CACHE_ENV, cache_root  # noqa: F401  (CACHE_ENV: also imported from here)

FORMAT_VERSION = 1


@dataclass
class RealStats:
    """What the metrics need from the held-out split, for one extractor."""

    features: torch.Tensor  # (N, D) float32, on the CPU
    class_counts: torch.Tensor | None  # (K,) int64 predicted-class counts, if the extractor classifies the dataset
    inception_score: tuple[float, float] | None  # (mean, std) over 10 splits, if the extractor has logits
    labels: torch.Tensor | None = None  # (N,) int64 true classes, row by row (intra-class FID); None in older entries
    cached: bool = False  # read from disk (True) or computed now (False)
    path: Path | None = None

    @property
    def n(self) -> int:
        return int(self.features.shape[0])


def entry_path(dataset: str, split: str, extractor: str, weights_sha256: str, data_fingerprint: str) -> Path:
    """The cache file of one (dataset, split, extractor, weights, content) combination."""
    name = f"{dataset}-{split}-{extractor}-{weights_sha256[:16]}-{data_fingerprint[:16]}.pt"
    return cache_root() / "stats" / name


def load(path: Path) -> RealStats | None:
    """The entry at ``path``, or ``None`` if there is none or it cannot be read."""
    if not path.is_file():
        return None
    try:
        state = read_torch_file(path)
    except (UnreadableTorchFile, OSError):
        return None
    if not isinstance(state, dict) or state.get("format_version") != FORMAT_VERSION:
        return None
    score = state.get("inception_score")
    return RealStats(
        features=state["features"],
        class_counts=state.get("class_counts"),
        inception_score=None if score is None else (float(score[0]), float(score[1])),
        labels=state.get("labels"),
        cached=True,
        path=path,
    )


def save(path: Path, stats: RealStats) -> None:
    """Write ``stats`` to ``path`` atomically (a crash never leaves half an entry)."""
    state = {
        "format_version": FORMAT_VERSION,
        "features": stats.features.contiguous(),
        "class_counts": stats.class_counts,
        "inception_score": None if stats.inception_score is None else list(stats.inception_score),
        "labels": stats.labels,
    }
    buffer = io.BytesIO()
    torch.save(state, buffer)
    atomic_write_bytes(path, buffer.getvalue())
    stats.path = path
