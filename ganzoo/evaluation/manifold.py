"""k-nearest-neighbour metrics on the extractor's features: improved precision and recall
(Kynkäänniemi et al. 2019) and density and coverage (Naeem et al. 2020).

Each set of features spans a "manifold": the union of balls around its points, each ball
reaching to the point's k-th nearest neighbour in the same set (itself excluded).

* **precision** (k = 3): the share of generated samples inside the real manifold (are
  the samples realistic?);
* **recall** (k = 3): the share of real samples inside the generated manifold (is the
  real variety reproduced?);
* **density** (k = 5): how many real balls contain a generated sample, on average,
  divided by k: about 1 when the distributions match, above 1 when samples crowd where
  the real data is dense, unlike precision it is not fooled by real outliers;
* **coverage** (k = 5): the share of real samples whose ball contains at least one
  generated sample.

"Inside" is ``distance <= radius`` (the papers' closed balls), up to rounding: the squared
radii get a relative slack of ``RADIUS_SLACK``, so that a point on a ball's surface (the
k-th neighbour itself, when both sets hold it) counts as inside whatever order the
floating-point sums took. Everything is computed in
blocks of rows of the pairwise-distance matrices (``torch.cdist`` on features centred on the
real mean, squared distances compared with squared radii), so memory stays at one block
and the three n x n matrices (real-real, generated-generated, real-generated) are each
computed once. One pass over the real-generated block also gives the values of ``B``
bootstrap resamples of the generated set: every generated sample keeps the radius it
has in the full set, and the resamples' multiplicities weight its contributions (a
matrix product per block), which costs little next to the distances.

No import of ganzoo: plain torch on two feature tensors.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

PR_K = 3  # Kynkäänniemi et al. 2019
DC_K = 5  # Naeem et al. 2020
# Rows of a distance block: 128 x 10,000 float32 is 5 MB, small enough for the CPU's cache
# (measured on 10k x 10k, 128-d, one thread: 1.5 s at 128 rows, 2.6 s at 1024).
BLOCK = 128
# Relative slack on the squared radii: float32 rounding of a squared distance is about
# 1e-7 of the squared norms; 1e-5 of a radius is far below any difference the metrics resolve.
RADIUS_SLACK = 1e-5


def _squared_norms(x: torch.Tensor) -> torch.Tensor:
    return x.square().sum(1)


def _squared_distances(x: torch.Tensor, x2: torch.Tensor, y: torch.Tensor, y2: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """``out`` = ||x_i||^2 + ||y_j||^2 - 2 x_i.y_j, one ``addmm`` and one add, no sqrt."""
    torch.addmm(y2[None], x, y.T, beta=1, alpha=-2, out=out)
    return out.add_(x2[:, None])


def kth_neighbour_radii(features: torch.Tensor, ks: tuple[int, ...], *, block: int = BLOCK) -> dict[int, torch.Tensor]:
    """Squared distance of every row of ``features`` to its k-th nearest other row, for
    each k in ``ks`` (one pass: the k_max + 1 smallest of each row, the first being the
    row itself at distance 0)."""
    n = features.shape[0]
    k_max = max(ks)
    if n <= k_max:
        raise ValueError(f"{n} samples: the {k_max}-th nearest neighbour needs at least {k_max + 1}")
    norms = _squared_norms(features)
    buffer = features.new_empty(min(block, n), n)
    smallest = features.new_empty(n, k_max + 1)
    for start in range(0, n, block):
        stop = min(start + block, n)
        distances = _squared_distances(features[start:stop], norms[start:stop], features, norms, buffer[: stop - start])
        smallest[start:stop] = distances.topk(k_max + 1, dim=1, largest=False).values  # sorted ascending
    return {k: smallest[:, k].clone() for k in ks}


@dataclass
class ManifoldMetrics:
    """The four values, and each one's values over the bootstrap resamples (empty when none)."""

    precision: float
    recall: float
    density: float
    coverage: float
    boot_precision: list[float]
    boot_recall: list[float]
    boot_density: list[float]
    boot_coverage: list[float]

    def std(self, name: str) -> float | None:
        """The standard deviation of ``name`` over the bootstrap resamples (``None``: fewer than 2)."""
        values = getattr(self, f"boot_{name}")
        return float(torch.tensor(values, dtype=torch.float64).std()) if len(values) > 1 else None


def bootstrap_counts(n: int, resamples: int, *, seed: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(resamples, n) float multiplicities of ``resamples`` draws of n out of n with
    replacement (row b: how often each sample is in resample b)."""
    generator = torch.Generator(device="cpu").manual_seed(seed)
    counts = torch.zeros(resamples, n, dtype=torch.float32)
    for row in range(resamples):
        counts[row] = torch.bincount(torch.randint(n, (n,), generator=generator), minlength=n).float()
    return counts.to(device)


def _any_in_resample(weights: torch.Tensor, inside: torch.Tensor, hits: torch.Tensor) -> None:
    """``hits[b, j] |= any i in resample b with inside[i, j]``, on the columns with any hit."""
    columns = inside.any(0).nonzero().squeeze(1)
    if len(columns):
        hits[:, columns] |= (weights @ inside[:, columns].to(weights.dtype)) > 0


@torch.no_grad()
def manifold_metrics(
    real: torch.Tensor,
    fake: torch.Tensor,
    *,
    pr_k: int = PR_K,
    dc_k: int = DC_K,
    real_radii: dict[int, torch.Tensor] | None = None,
    resamples: int = 0,
    seed: int = 0,
    block: int = BLOCK,
) -> ManifoldMetrics:
    """Precision and recall (``pr_k``) and density and coverage (``dc_k``) of ``fake``
    against ``real`` (``(n, d)`` features each; float32, or float64 if ``real`` is).

    ``real_radii``: :func:`kth_neighbour_radii` of ``centred(real)`` for ``pr_k`` and
    ``dc_k``, if known already (they depend on the real set only: several runs share them;
    distances do not change with the centring). ``resamples``: bootstrap resamples of the
    generated set (seeded by ``seed``), whose values come back in the ``boot_*`` lists.
    """
    dtype = torch.float64 if real.dtype == torch.float64 else torch.float32  # float64 in, float64 throughout
    center = real.mean(0, keepdim=True)  # smaller norms: less cancellation in the matmul path
    real = (real - center).to(dtype)
    fake = (fake - center).to(dtype)
    device = real.device
    n_real, n_fake = real.shape[0], fake.shape[0]
    if real_radii is None:
        real_radii = kth_neighbour_radii(real, (pr_k, dc_k), block=block)
    slack = 1 + RADIUS_SLACK
    real_pr, real_dc = real_radii[pr_k].to(device, dtype) * slack, real_radii[dc_k].to(device, dtype) * slack
    fake_pr = kth_neighbour_radii(fake, (pr_k,), block=block)[pr_k] * slack
    real_norms, fake_norms = _squared_norms(real), _squared_norms(fake)

    in_real = torch.empty(n_fake, dtype=torch.bool, device=device)  # precision, per generated sample
    density_count = torch.empty(n_fake, dtype=dtype, device=device)  # real dc balls holding it
    recalled = torch.zeros(n_real, dtype=torch.bool, device=device)
    covered = torch.zeros(n_real, dtype=torch.bool, device=device)
    weights = bootstrap_counts(n_fake, resamples, seed=seed, device=device).to(dtype) if resamples else None
    boot_recalled = torch.zeros(resamples, n_real, dtype=torch.bool, device=device)
    boot_covered = torch.zeros(resamples, n_real, dtype=torch.bool, device=device)
    rows = min(block, n_fake)
    distances_buffer = real.new_empty(rows, n_real)
    slack_buffer = real.new_empty(rows, n_real)
    inside_buffer = torch.empty(rows, n_real, dtype=torch.bool, device=device)
    for start in range(0, n_fake, block):  # preallocated buffers, in-place ops: one pass over memory each
        stop = min(start + block, n_fake)
        b = stop - start
        distances = _squared_distances(fake[start:stop], fake_norms[start:stop], real, real_norms, distances_buffer[:b])
        slack, inside = slack_buffer[:b], inside_buffer[:b]
        torch.sub(distances, real_pr, out=slack)  # <= 0: generated i in real j's pr ball
        in_real[start:stop] = slack.amin(1) <= 0
        torch.sub(distances, real_dc, out=slack)
        torch.le(slack, 0, out=inside)  # generated i in real j's dc ball
        density_count[start:stop] = inside.sum(1)
        covered |= inside.any(0)
        if weights is not None:
            _any_in_resample(weights[:, start:stop], inside, boot_covered)
        torch.sub(distances, fake_pr[start:stop, None], out=slack)
        torch.le(slack, 0, out=inside)  # real j in generated i's pr ball
        recalled |= inside.any(0)
        if weights is not None:
            _any_in_resample(weights[:, start:stop], inside, boot_recalled)

    boot: dict[str, list[float]] = {"precision": [], "recall": [], "density": [], "coverage": []}
    if weights is not None:
        boot["precision"] = (weights @ in_real.to(dtype) / n_fake).tolist()
        boot["density"] = (weights @ density_count / (dc_k * n_fake)).tolist()
        boot["recall"] = boot_recalled.to(dtype).mean(1).tolist()
        boot["coverage"] = boot_covered.to(dtype).mean(1).tolist()
    return ManifoldMetrics(
        precision=float(in_real.to(dtype).mean()),
        recall=float(recalled.to(dtype).mean()),
        density=float(density_count.sum() / (dc_k * n_fake)),
        coverage=float(covered.to(dtype).mean()),
        boot_precision=boot["precision"],
        boot_recall=boot["recall"],
        boot_density=boot["density"],
        boot_coverage=boot["coverage"],
    )


def subsample(n_total: int, n: int, *, seed: int) -> torch.Tensor | None:
    """Sorted indices of a deterministic random subset of ``n`` of ``n_total`` rows
    (``None``: ``n >= n_total``, all of them)."""
    if n >= n_total:
        return None
    generator = torch.Generator(device="cpu").manual_seed(seed)
    return torch.randperm(n_total, generator=generator)[:n].sort().values
