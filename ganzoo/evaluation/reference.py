"""The real side of the feature metrics (:class:`RealReference`): computed once per
extractor and real split, and shared by every run of an evaluation."""

from __future__ import annotations

import torch

from ganzoo.evaluation.frechet import Moments
from ganzoo.evaluation.manifold import DC_K, PR_K, kth_neighbour_radii, subsample
from ganzoo.evaluation.memorization import nearest_training

# Fixed seed of the real subset the k-NN metrics use when the test split has more images
# than --n: every run and every --seed at one n meets the same real images.
REAL_SUBSET_SEED = 0


def metric_device(device: torch.device) -> torch.device:
    """FID accumulates in float64, which MPS lacks: use the CPU there, the device elsewhere."""
    return torch.device("cpu") if device.type == "mps" else device


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
