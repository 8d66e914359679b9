"""Memorization: how close the samples are to the training images, in the extractor's
features (the nearest training image of each, by Euclidean and by cosine distance), and
MiFID (Bai et al. 2021), which divides the FID of a generator that copies its training set."""

from __future__ import annotations

import torch

# MiFID's threshold on the memorization distance (torchmetrics' cosine_distance_eps default,
# Bai et al. 2021's Kaggle competition): a mean cosine distance at or above it is not penalised.
MIFID_EPS = 0.1

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

