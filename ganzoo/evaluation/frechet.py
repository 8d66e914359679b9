"""The spread of FID: the Fréchet distance of bootstrap resamples of the generated features.

The point value of FID stays torchmetrics' (:mod:`ganzoo.evaluation.metrics`). Its ``±``
is the standard deviation of the FID of ``B`` resamples of the generated features, drawn
with replacement, against the same real statistics (the real images are held fixed): how
much the number moves with the draw of the samples. The resampled FIDs themselves are
biased upwards (a resample repeats about a third of its samples), so only their spread is
reported, never their mean.

Each resample's covariance is one weighted ``X^T diag(w) X``; the matrix square root uses
the symmetric form ``tr sqrt(S Σ_g S)`` with ``S = sqrt(Σ_real)`` computed once, which
equals torchmetrics' ``tr sqrt(Σ_real Σ_g)`` for covariance matrices and needs only a
symmetric eigendecomposition per resample. No import of ganzoo.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch


@dataclass
class Moments:
    """Mean and covariance (float64) of a feature set, and the symmetric square root of the
    covariance (for the real set, against which every resample is compared)."""

    mean: torch.Tensor
    cov: torch.Tensor
    sqrt_cov: torch.Tensor | None = None

    @classmethod
    def of(cls, features: torch.Tensor, *, with_sqrt: bool = False) -> "Moments":
        x = features.double()
        mean = x.mean(0)
        centred = x - mean
        cov = centred.T @ centred / (len(x) - 1)
        return cls(mean, cov, _sqrt_psd(cov) if with_sqrt else None)


def _sqrt_psd(matrix: torch.Tensor) -> torch.Tensor:
    values, vectors = torch.linalg.eigh(matrix)
    return (vectors * values.clamp(min=0).sqrt()) @ vectors.T


def frechet_distance(real: Moments, mean: torch.Tensor, cov: torch.Tensor) -> float:
    """||mu_r - mu_g||^2 + tr(Σ_r) + tr(Σ_g) - 2 tr sqrt(Σ_r^1/2 Σ_g Σ_r^1/2)."""
    root = real.sqrt_cov if real.sqrt_cov is not None else _sqrt_psd(real.cov)
    product = root @ cov @ root
    trace_sqrt = torch.linalg.eigvalsh((product + product.T) / 2).clamp(min=0).sqrt().sum()
    return float((real.mean - mean).square().sum() + real.cov.trace() + cov.trace() - 2 * trace_sqrt)


def bootstrap_fid(real: Moments, fake: torch.Tensor, *, resamples: int, seed: int) -> list[float]:
    """The FID of ``resamples`` bootstrap resamples of ``fake`` (rows drawn with replacement,
    seeded by ``seed``) against ``real``'s moments."""
    x = fake.double()
    n = len(x)
    shift = x.mean(0)
    x = x - shift  # centred once: less cancellation in the weighted second moments
    generator = torch.Generator(device="cpu").manual_seed(seed)
    values = []
    for _ in range(resamples):
        counts = torch.bincount(torch.randint(n, (n,), generator=generator), minlength=n).to(x)
        mean = counts @ x / n
        cov = ((x * counts[:, None]).T @ x - n * torch.outer(mean, mean)) / (n - 1)
        values.append(frechet_distance(real, mean + shift, cov))
    return values
