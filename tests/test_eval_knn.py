"""Precision and recall, density and coverage, and FID's bootstrap spread: ganzoo's torch
implementation (blocked distances, k-NN radii by topk, bootstrap by weighted matrix
products) against brute-force numpy/scipy references written from the papers'
definitions, and against their known values (identical sets, disjoint sets, one
distribution twice)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch
from scipy import linalg
from scipy.spatial.distance import cdist

from ganzoo.evaluation.frechet import Moments, bootstrap_fid, frechet_distance
from ganzoo.evaluation.manifold import (
    bootstrap_counts,
    kth_neighbour_radii,
    manifold_metrics,
    subsample,
)
from ganzoo.evaluation.metrics import PassThrough


@pytest.fixture(autouse=True)
def _one_thread():
    torch.set_num_threads(1)


def gaussian(n: int, d: int, seed: int, shift: float = 0.0, scale: float = 1.0) -> torch.Tensor:
    return torch.randn(n, d, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * scale + shift


def reference_radii(x: np.ndarray, k: int) -> np.ndarray:
    """Distance to the k-th nearest other point (prdc's: the (k+1)-th smallest, self included)."""
    return np.partition(cdist(x, x), k, axis=1)[:, k]


def reference_prdc(real: np.ndarray, fake: np.ndarray, pr_k: int = 3, dc_k: int = 5) -> dict[str, float]:
    """Kynkäänniemi et al. 2019 and Naeem et al. 2020, written out with closed balls (<=)."""
    d = cdist(real, fake)  # (n_real, n_fake)
    real_pr, real_dc, fake_pr = reference_radii(real, pr_k), reference_radii(real, dc_k), reference_radii(fake, pr_k)
    return {
        "precision": float((d <= real_pr[:, None]).any(0).mean()),
        "recall": float((d <= fake_pr[None, :]).any(1).mean()),
        "density": float((d <= real_dc[:, None]).sum() / (dc_k * fake.shape[0])),
        "coverage": float((d.min(1) <= real_dc).mean()),
    }


def values(result) -> dict[str, float]:
    return {name: getattr(result, name) for name in ("precision", "recall", "density", "coverage")}


def test_identical_sets_have_precision_recall_and_coverage_1():
    x = gaussian(400, 16, seed=0)
    result = manifold_metrics(x, x.clone())
    assert result.precision == 1 and result.recall == 1 and result.coverage == 1
    # each real ball holds its own centre and its 5 nearest neighbours: (k + 1) / k
    assert result.density == pytest.approx(6 / 5)
    result32 = manifold_metrics(x.float(), x.float())
    assert (result32.precision, result32.recall, result32.coverage) == (1, 1, 1)


def test_disjoint_distant_sets_have_all_four_0():
    real, fake = gaussian(300, 8, seed=0), gaussian(300, 8, seed=1, shift=100.0)
    for features in ((real, fake), (real.float(), fake.float())):
        assert values(manifold_metrics(*features)) == {"precision": 0, "recall": 0, "density": 0, "coverage": 0}


@pytest.mark.parametrize("n_real, n_fake, d, scale, shift", [
    (300, 250, 16, 1.3, 0.3),   # wider than real: recall up, precision down
    (257, 300, 8, 0.7, 0.8),    # narrower and shifted; sizes not multiples of the block
    (200, 200, 64, 1.0, 0.5),
])
def test_agrees_with_a_brute_force_reference(n_real, n_fake, d, scale, shift):
    real = gaussian(n_real, d, seed=1)
    fake = gaussian(n_fake, d, seed=2, shift=shift, scale=scale)
    expected = reference_prdc(real.numpy(), fake.numpy())
    assert 0 < expected["precision"] < 1 and 0 < expected["recall"] < 1  # a case where the metrics say something
    # float64: exactly the same decisions, so the same values
    ours = values(manifold_metrics(real, fake, block=37))
    assert ours == pytest.approx(expected, abs=1e-12)
    # float32 (what ganzoo eval uses): a pair within rounding of its radius may flip, one sample is 1/n
    ours32 = values(manifold_metrics(real.float(), fake.float()))
    for name, value in expected.items():
        assert abs(ours32[name] - value) <= 2 / min(n_real, n_fake), (name, ours32[name], value)


def test_radii_agree_with_brute_force_and_the_block_size_changes_nothing():
    x = gaussian(333, 12, seed=3)
    radii = kth_neighbour_radii(x, (3, 5), block=50)
    for k in (3, 5):
        np.testing.assert_allclose(radii[k].sqrt().numpy(), reference_radii(x.numpy(), k), rtol=1e-10)
    real, fake = gaussian(333, 12, seed=4), gaussian(290, 12, seed=5, scale=1.2)
    assert values(manifold_metrics(real, fake, block=1)) == values(manifold_metrics(real, fake, block=4096))
    with pytest.raises(ValueError, match="at least 6"):
        kth_neighbour_radii(x[:5], (3, 5))


def test_one_distribution_twice_gives_density_1_and_coverage_1_minus_2_to_the_minus_k():
    """Naeem et al. 2020: E[density] = 1, E[coverage] = 1 - (1/2)^k for large equal samples."""
    real, fake = gaussian(3000, 8, seed=6), gaussian(3000, 8, seed=7)
    result = manifold_metrics(real.float(), fake.float())
    assert result.density == pytest.approx(1.0, abs=0.05)
    assert result.coverage == pytest.approx(1 - 0.5 ** 5, abs=0.02)
    assert result.precision > 0.6 and result.recall > 0.6  # k=3 balls in 8-d: well inside (0, 1)


def test_bootstrap_resamples_are_the_metrics_of_the_resampled_sets():
    """Resample b's values are the brute-force metrics of the generated samples in resample b
    (with their multiplicities), each keeping its k-NN radius in the full set."""
    real, fake = gaussian(150, 6, seed=8), gaussian(120, 6, seed=9, scale=1.2, shift=0.2)
    result = manifold_metrics(real, fake, resamples=5, seed=3, block=16)
    counts = bootstrap_counts(len(fake), 5, seed=3).numpy()
    r, f = real.numpy(), fake.numpy()
    d = cdist(r, f)
    real_pr, real_dc, fake_pr = reference_radii(r, 3), reference_radii(r, 5), reference_radii(f, 3)
    for b in range(5):
        w = counts[b]
        assert w.sum() == len(fake) and (w == 0).any()  # a resample, not the set
        present = w > 0
        assert result.boot_precision[b] == pytest.approx((w * (d <= real_pr[:, None]).any(0)).sum() / len(f))
        assert result.boot_density[b] == pytest.approx((w * (d <= real_dc[:, None]).sum(0)).sum() / (5 * len(f)))
        assert result.boot_recall[b] == pytest.approx((d[:, present] <= fake_pr[present][None, :]).any(1).mean())
        assert result.boot_coverage[b] == pytest.approx((d[:, present].min(1) <= real_dc).mean())
    assert result.std("precision") > 0 and result.std("recall") is not None
    assert manifold_metrics(real, fake).boot_precision == [] and manifold_metrics(real, fake).std("recall") is None


def test_subsample_is_deterministic_and_sorted():
    a, b = subsample(10000, 500, seed=0), subsample(10000, 500, seed=0)
    assert torch.equal(a, b) and len(a.unique()) == 500 and torch.equal(a, a.sort().values)
    assert not torch.equal(a, subsample(10000, 500, seed=1))
    assert subsample(500, 500, seed=0) is None and subsample(400, 500, seed=0) is None


# --- FID's bootstrap -------------------------------------------------------------------


def scipy_fid(x: np.ndarray, y: np.ndarray) -> float:
    mu_x, mu_y = x.mean(0), y.mean(0)
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_x @ cov_y)
    root = root.real if np.iscomplexobj(root) else root
    return float(((mu_x - mu_y) ** 2).sum() + np.trace(cov_x + cov_y - 2 * root))


def test_frechet_distance_agrees_with_torchmetrics_and_scipy():
    from torchmetrics.image.fid import FrechetInceptionDistance

    real, fake = gaussian(2000, 32, seed=10).float(), gaussian(1500, 32, seed=11, scale=1.1, shift=0.1).float()
    fid = FrechetInceptionDistance(feature=PassThrough(32))
    fid.update(real, real=True)
    fid.update(fake, real=False)
    moments = Moments.of(fake)
    ours = frechet_distance(Moments.of(real, with_sqrt=True), moments.mean, moments.cov)
    assert ours == pytest.approx(float(fid.compute()), rel=1e-4)
    assert ours == pytest.approx(scipy_fid(real.double().numpy(), fake.double().numpy()), rel=1e-6)


def test_bootstrap_fid_is_the_fid_of_the_resampled_rows_and_is_seeded():
    real, fake = gaussian(800, 10, seed=12), gaussian(600, 10, seed=13, shift=0.3)
    reference = Moments.of(real, with_sqrt=True)
    values_ = bootstrap_fid(reference, fake, resamples=3, seed=5)
    generator = torch.Generator(device="cpu").manual_seed(5)
    for value in values_:  # the same draws, written the slow way: index the rows
        rows = fake[torch.randint(len(fake), (len(fake),), generator=generator)].numpy()
        assert value == pytest.approx(scipy_fid(real.numpy(), rows), rel=1e-8)
    assert bootstrap_fid(reference, fake, resamples=3, seed=5) == values_
    assert bootstrap_fid(reference, fake, resamples=3, seed=6) != values_


def test_bootstrap_fid_spread_matches_the_spread_over_fresh_samples():
    """The point of the ±: about how much FID moves when the samples are drawn again (real
    fixed). Gaussian features, 20 fresh draws against 20 bootstrap resamples of one draw."""
    real = Moments.of(gaussian(4000, 8, seed=14), with_sqrt=True)
    fresh = [frechet_distance(real, m.mean, m.cov) for m in
             (Moments.of(gaussian(1000, 8, seed=100 + s, scale=1.2, shift=0.2)) for s in range(20))]
    boot = bootstrap_fid(real, gaussian(1000, 8, seed=99, scale=1.2, shift=0.2), resamples=20, seed=0)
    ratio = np.std(boot, ddof=1) / np.std(fresh, ddof=1)
    assert 0.5 < ratio < 2.0, ratio
