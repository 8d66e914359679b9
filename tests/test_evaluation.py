"""`ganzoo eval`: the metrics are right (against real data and an independent computation),
the extractors' weights are the ones claimed, and the command behaves.

Real-data checks (FID near zero between two halves of MNIST, IS near 10, the classifiers'
stated accuracy) skip when only the synthetic stand-in exists; the rest always runs.
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import pytest
import torch
from conftest import synthetic_digits  # tests/ is on sys.path (pytest's rootdir conftest)

from scipy import linalg

import ganzoo
from ganzoo.cli import EVAL_METRICS, main
from ganzoo.errors import CheckpointError, ConfigError
from ganzoo.evaluation.classifier import SHIPPED, load_classifier, sha256_file
from ganzoo.evaluation.extractors import (
    ClassifierExtractor,
    FeatureExtractor,
    FeatureExtractorSpec,
)
from ganzoo.evaluation.metrics import (
    METRICS,
    PassThrough,
    class_distance,
    inception_score,
)
from ganzoo.evaluation.sources import generated_batches

MNIST_TRAIN_BYTES = 16 + 60000 * 28 * 28  # the real file's size; the synthetic one is smaller


@pytest.fixture(scope="module")
def stats_cache(tmp_path_factory):
    return tmp_path_factory.mktemp("stats-cache")


@pytest.fixture(autouse=True)
def _shared_stats_cache(monkeypatch, stats_cache):
    """One real-data cache for the module (never the user's): the held-out split goes
    through each extractor once, as it would for a user."""
    monkeypatch.setenv("GANZOO_CACHE_DIR", str(stats_cache))
    # KID is 300 small matrix products per evaluation: with two threads on a busy two-core
    # machine each waits for a descheduled thread (measured 60x slower than one thread).
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def real_mnist(mnist_root):
    path = mnist_root / "MNIST" / "raw" / "train-images-idx3-ubyte"
    if path.stat().st_size != MNIST_TRAIN_BYTES:
        pytest.skip("real MNIST is not available (synthetic stand-in only)")
    from torchvision.datasets import MNIST

    return MNIST(mnist_root, train=True), MNIST(mnist_root, train=False)


def to_unit(images: torch.Tensor) -> torch.Tensor:
    return images.float().div(127.5).sub(1).unsqueeze(1) if images.dim() == 3 else images.float().div(127.5).sub(1)


@torch.no_grad()
def extract(extractor, images: torch.Tensor, batch_size: int = 1000):
    features, logits = [], []
    for start in range(0, len(images), batch_size):
        batch_features, batch_logits = extractor(images[start : start + batch_size])
        features.append(batch_features)
        logits.append(batch_logits)
    return torch.cat(features), torch.cat(logits)


def torchmetrics_fid(real: torch.Tensor, fake: torch.Tensor) -> float:
    from torchmetrics.image.fid import FrechetInceptionDistance

    fid = FrechetInceptionDistance(feature=PassThrough(real.shape[1]))
    fid.update(real, real=True)
    fid.update(fake, real=False)
    return float(fid.compute())


def scipy_fid(real: torch.Tensor, fake: torch.Tensor) -> float:
    """The textbook formula (Heusel et al. 2017), with numpy and scipy only."""
    x, y = real.double().numpy(), fake.double().numpy()
    mu_x, mu_y = x.mean(0), y.mean(0)
    cov_x, cov_y = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    with warnings.catch_warnings():  # dead ReLU units make the covariances singular: harmless here
        warnings.simplefilter("ignore", linalg.LinAlgWarning)
        root = linalg.sqrtm(cov_x @ cov_y)
    root = root.real if np.iscomplexobj(root) else root
    return float(((mu_x - mu_y) ** 2).sum() + np.trace(cov_x + cov_y - 2 * root))


@pytest.fixture(scope="module")
def mnist_extractor():
    return ClassifierExtractor("mnist").eval()


@pytest.fixture(scope="module")
def real_mnist_outputs(real_mnist, mnist_extractor):
    train, test = real_mnist
    return extract(mnist_extractor, to_unit(test.data)), extract(mnist_extractor, to_unit(train.data[:10000]))


# --- the numbers -----------------------------------------------------------------------


def test_fid_real_vs_real_is_near_zero_and_noise_is_huge(real_mnist_outputs, mnist_extractor):
    (test_features, _), (train_features, _) = real_mnist_outputs
    same = torchmetrics_fid(test_features, train_features)
    noise = torch.rand(2000, 1, 28, 28, generator=torch.Generator().manual_seed(0)) * 2 - 1
    noise_features, _ = extract(mnist_extractor, noise)
    different = torchmetrics_fid(test_features, noise_features)
    # "Zero" up to the estimator's finite-sample bias: two disjoint 10k halves of the training
    # set give about 1.6 (0.2% of the features' total variance), test vs train about 2.0,
    # a 20-epoch GAN about 80, uniform noise about 1000.
    assert 0 <= same < 3.0, same
    assert different > 300 * same, (same, different)
    # the hard case for numerics (a small difference of large traces) agrees with scipy too
    assert same == pytest.approx(scipy_fid(test_features, train_features), rel=1e-3)


def test_torchmetrics_fid_agrees_with_numpy_scipy(mnist_extractor):
    """Always runs: the classifier's features of two synthetic sets."""
    a, _ = synthetic_digits(2000, seed=0)
    b, _ = synthetic_digits(2000, seed=1)
    b = (b.float() * 0.8).to(torch.uint8)  # dimmer, so the distributions differ
    fa, _ = extract(mnist_extractor, to_unit(a))
    fb, _ = extract(mnist_extractor, to_unit(b))
    ours, reference = torchmetrics_fid(fa, fb), scipy_fid(fa, fb)
    assert reference > 0.1
    assert ours == pytest.approx(reference, rel=1e-3)


def test_inception_score_of_the_real_test_set_is_close_to_10(real_mnist_outputs):
    (_, test_logits), _ = real_mnist_outputs
    mean, std = inception_score(test_logits, seed=0)
    assert 9.5 < mean <= 10.0 and std < 0.2, (mean, std)


def test_shipped_mnist_classifier_has_the_accuracy_the_docs_state(real_mnist, real_mnist_outputs):
    (_, logits), _ = real_mnist_outputs
    accuracy = (logits.argmax(1) == real_mnist[1].targets).float().mean().item()
    assert accuracy == pytest.approx(SHIPPED["mnist"].test_accuracy, abs=5e-4)


def test_shipped_fashion_mnist_classifier_has_the_accuracy_the_docs_state(real_mnist, mnist_root):
    raw = mnist_root / "FashionMNIST" / "raw" / "t10k-images-idx3-ubyte"
    if not raw.exists() or raw.stat().st_size != 16 + 10000 * 28 * 28:
        pytest.skip("real Fashion-MNIST is not available")
    from torchvision.datasets import FashionMNIST

    test = FashionMNIST(mnist_root, train=False)
    _, logits = extract(ClassifierExtractor("fashion-mnist"), to_unit(test.data))
    accuracy = (logits.argmax(1) == test.targets).float().mean().item()
    assert accuracy == pytest.approx(SHIPPED["fashion-mnist"].test_accuracy, abs=5e-4)


def test_precision_recall_density_coverage_of_real_vs_real_are_high(real_mnist_outputs):
    """10k training images against the 10k test images, through the MNIST classifier: the
    same distribution, so all four near their matching-distribution values (measured:
    precision 0.88, recall 0.89, density 0.94, coverage 0.95)."""
    from ganzoo.evaluation.manifold import manifold_metrics

    (test_features, _), (train_features, _) = real_mnist_outputs
    result = manifold_metrics(test_features, train_features)
    assert result.precision > 0.8 and result.recall > 0.8, result
    assert 0.85 < result.density < 1.1 and result.coverage > 0.9, result


def test_class_coverage_catches_mode_collapse():
    real = torch.full((10,), 1000)
    collapsed = torch.tensor([970, 20, 10, 0, 0, 0, 0, 0, 0, 0])  # 2% and 1%: under a quarter of 10%
    covered, tv = class_distance(collapsed, real)
    assert covered == 1 and tv == pytest.approx(0.87)
    assert class_distance(real, real) == (10, 0.0)


# --- the extractors' weights -------------------------------------------------------------


def test_shipped_weights_match_their_recorded_hash_and_a_changed_file_is_refused(tmp_path):
    for shipped in SHIPPED.values():
        assert sha256_file(shipped.path) == shipped.sha256, shipped.file
    corrupted = tmp_path / "mnist-classifier.pt"
    data = bytearray(SHIPPED["mnist"].path.read_bytes())
    data[len(data) // 2] ^= 0xFF
    corrupted.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="sha256 .* expected fc9961d5") as caught:
        load_classifier("mnist", corrupted)
    assert "\n" not in str(caught.value)


@pytest.fixture(scope="module")
def inception_weights(tmp_path_factory):
    """torch-fidelity's Inception-v3, randomly initialised, saved as a state dict: a file of
    the real one's shapes, so the real loading code runs without the 95 MB download."""
    fe = pytest.importorskip("torch_fidelity.feature_extractor_inceptionv3")
    from unittest import mock

    torch.manual_seed(0)
    with mock.patch.object(fe, "load_state_dict_from_url", lambda *a, **k: {}), \
            mock.patch.object(fe.FeatureExtractorInceptionV3, "load_state_dict", lambda self, state, strict=True: None):
        net = fe.FeatureExtractorInceptionV3("inception-v3-compat", ["2048"])
    path = tmp_path_factory.mktemp("inception") / "weights-inception-2015-12-05-6726825d.pth"
    torch.save(net.state_dict(), path)
    return path


def test_inception_weights_file_loads_and_maps_images_to_uint8_correctly(inception_weights, monkeypatch, tmp_path):
    from ganzoo.evaluation.inception import (
        InceptionExtractor,
        resolve_weights,
        to_uint8,
    )

    levels = torch.arange(256)
    assert torch.equal(to_uint8(levels / 127.5 - 1).long(), levels)  # every level round-trips
    assert to_uint8(torch.tensor([-3.0, -1.0, 0.0, 1.0, 2.0])).tolist() == [0, 0, 128, 255, 255]

    extractor = InceptionExtractor(inception_weights)  # --inception-weights PATH
    assert extractor.weights_sha256 == sha256_file(inception_weights)
    with torch.no_grad():
        features, logits = extractor(torch.rand(2, 1, 28, 28) * 2 - 1)  # grayscale -> 3 channels
    assert features.shape == (2, 2048) and logits.shape == (2, 1008)
    assert torch.isfinite(features).all() and torch.isfinite(logits).all()

    # torch hub's cache, where torch-fidelity itself would download the file
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    checkpoints = tmp_path / "torch" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    (checkpoints / inception_weights.name).symlink_to(inception_weights)
    assert resolve_weights(None) == checkpoints / inception_weights.name


def test_missing_inception_weights_is_one_line_naming_the_file(monkeypatch, tmp_path):
    pytest.importorskip("torch_fidelity")
    from ganzoo.evaluation.inception import InceptionExtractor

    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "torch"))
    expected = tmp_path / "torch" / "hub" / "checkpoints" / "weights-inception-2015-12-05-6726825d.pth"
    with pytest.raises(CheckpointError) as caught:
        InceptionExtractor()
    message = str(caught.value)
    assert str(expected) in message and "https://github.com/toshas/torch-fidelity/releases" in message
    assert "--inception-weights" in message and "\n" not in message
    with pytest.raises(ConfigError, match="no such file"):
        InceptionExtractor(tmp_path / "elsewhere.pth")
    not_weights = tmp_path / "not-weights.pth"
    torch.save({"conv.weight": torch.zeros(2)}, not_weights)
    with pytest.raises(CheckpointError, match="does not fit Inception-v3"):
        InceptionExtractor(not_weights)


# --- the command -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_runs(mnist_root, tmp_path_factory):
    """A GAN and a CGAN trained for 5 batches: enough for the command, not for good numbers.
    Both with a cross-entropy loss, whose D outputs the report shows as probabilities."""
    base = tmp_path_factory.mktemp("tiny-runs")
    return {
        model: ganzoo.train(model, "mnist", out=base / model, data_root=str(mnist_root), epochs=1,
                            limit_batches=5, device="cpu", loss="non-saturating").run_dir
        for model in ("gan", "cgan")
    }


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return caught.value.code, out, err


def test_eval_writes_metrics_and_report_and_reuses_the_real_statistics(tiny_runs, capsys, stats_cache):
    run = tiny_runs["cgan"]
    code, out, err = run_cli(capsys, "eval", run, "--n", 200, "--device", "cpu")
    assert code == 0, err
    assert "FID" in out and "conditional accuracy" in out
    written = json.loads((run / "eval" / "metrics.json").read_text())
    assert written["ganzoo_version"] == ganzoo.__version__ and written["n"] == 200 and written["seed"] == 0
    result = written["runs"][0]
    assert result["checkpoint_sha256"] == sha256_file(result["checkpoint"])
    assert result["features"] == {"name": "mnist", "weights_sha256": SHIPPED["mnist"].sha256}
    assert set(result["metrics"]) == {"fid", "fid_std", "kid_mean", "kid_std", "is_mean", "is_std", "precision",
                                      "precision_std", "recall", "recall_std", "density", "density_std",
                                      "knn_coverage", "knn_coverage_std", "icfid", "icfid_worst", "classes_covered",
                                      "class_tv", "conditional_accuracy"}
    assert result["knn_n"] == 200 and written["bootstrap"] == 20
    assert set(result["metric_seconds"]) == {"fid", "fid_bootstrap", "kid", "is", "pr_dc", "icfid"}
    assert result["intra_class_fid"]["classes"] == [str(k) for k in range(10)]
    assert all(np.isfinite(v) for v in result["metrics"].values())
    report = (run / "eval" / "report.md").read_text()
    assert "| FID | lower |" in report and "## What the metrics mean" in report
    assert list(stats_cache.glob("stats/mnist-test-mnist-*.pt"))

    # the same evaluation again: refused without --overwrite, then the same numbers, from the cache
    code, _, err = run_cli(capsys, "eval", run, "--n", 200, "--device", "cpu")
    assert code == 2 and "already holds metrics.json; pass --overwrite" in err
    code, _, err = run_cli(capsys, "eval", run, "--n", 200, "--device", "cpu", "--overwrite")
    assert code == 0, err
    again = json.loads((run / "eval" / "metrics.json").read_text())["runs"][0]
    assert again["real"]["cached"] is True and again["metrics"] == result["metrics"]


def test_several_runs_share_one_table(tiny_runs, capsys, tmp_path):
    code, out, err = run_cli(capsys, "eval", tiny_runs["gan"], tiny_runs["cgan"], "--n", 200,
                             "--metrics", "fid,coverage,accuracy", "--out", tmp_path / "both")
    assert code == 0, err
    runs = json.loads((tmp_path / "both" / "metrics.json").read_text())["runs"]
    assert [r["model"] for r in runs] == ["gan", "cgan"]
    assert "kid_mean" not in runs[0]["metrics"]
    assert runs[0]["not_computed"] == {"accuracy": "model 'gan' is not conditional"}
    header = next(line for line in (tmp_path / "both" / "report.md").read_text().splitlines() if line.startswith("| metric"))
    assert "gan, mnist" in header and "cgan, mnist" in header


@pytest.mark.parametrize(
    "args, fragments",
    [
        (["--features", "incepton"], ["unknown feature extractor 'incepton'", "did you mean 'inception'?"]),
        (["--n", "0"], ["--n", "0 is not in the range x>=2"]),
        (["--metrics", "fid,ssim"], ["unknown metric 'ssim'", "fid,kid,is,pr,dc,icfid,coverage,accuracy"]),
        (["--metrics", "fid,precison"], ["unknown metric 'precison'", "choose from"]),
        (["--inception-weights", "missing.pth", "--features", "inception"], ["--inception-weights missing.pth: no such file"]),
        (["RUN2"], ["several runs go into one report: pass --out DIR"]),
    ],
)
def test_bad_input_is_one_line_with_exit_code_2(tiny_runs, capsys, args, fragments):
    if "--inception-weights" in args:
        pytest.importorskip("torch_fidelity")
    args = [tiny_runs["cgan"] if a == "RUN2" else a for a in args]
    code, _, err = run_cli(capsys, "eval", tiny_runs["gan"], *args)
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1 and lines[0].startswith("Error: "), err
    for fragment in fragments:
        assert fragment in lines[0]
    assert not (tiny_runs["gan"] / "eval").exists()


def test_knn_metrics_and_the_bootstrap_from_the_command_line(tiny_runs, capsys, tmp_path):
    code, out, err = run_cli(capsys, "eval", tiny_runs["gan"], "--n", 150, "--metrics", "pr,dc", "--out", tmp_path / "knn")
    assert code == 0, err
    result = json.loads((tmp_path / "knn" / "metrics.json").read_text())["runs"][0]
    assert set(result["metrics"]) == {"precision", "precision_std", "recall", "recall_std", "density", "density_std",
                                      "knn_coverage", "knn_coverage_std"}
    assert all(0 <= result["metrics"][key] <= 1 for key in ("precision", "recall", "knn_coverage"))
    assert result["knn_n"] == 150
    for label in ("precision", "recall", "density", "k-NN coverage"):
        assert label in out
    assert out.count(" ± ") >= 4  # every k-NN metric with its spread
    report = (tmp_path / "knn" / "report.md").read_text()
    assert f"| precision | higher | {result['metrics']['precision']:.4g} ± " in report

    # --bootstrap 0: the values, no ±; --metrics coverage is still the class coverage
    code, out, err = run_cli(capsys, "eval", tiny_runs["gan"], "--n", 150, "--metrics", "fid,pr,coverage",
                             "--bootstrap", 0, "--out", tmp_path / "plain")
    assert code == 0, err
    metrics = json.loads((tmp_path / "plain" / "metrics.json").read_text())["runs"][0]["metrics"]
    assert set(metrics) == {"fid", "precision", "recall", "classes_covered", "class_tv"}
    code, _, err = run_cli(capsys, "eval", tiny_runs["gan"], "--bootstrap", 1, "--out", tmp_path / "one")
    assert code == 2 and "--bootstrap must be 0 (no ±) or an integer >= 2, got 1" in err


def test_intra_class_fid_per_class_names_the_weakest_class(tiny_runs, capsys, tmp_path):
    code, out, err = run_cli(capsys, "eval", tiny_runs["cgan"], tiny_runs["gan"], "--n", 300, "--metrics", "icfid",
                             "--out", tmp_path / "icfid")
    assert code == 0, err
    assert "intra-class FID's covariance of 128 features needs more than 128 samples per class (30 of each" in err
    cgan, gan = json.loads((tmp_path / "icfid" / "metrics.json").read_text())["runs"]
    fids = cgan["intra_class_fid"]["fid"]
    assert len(fids) == 10 and all(value > 0 for value in fids)
    assert cgan["metrics"]["icfid"] == pytest.approx(sum(fids) / 10)
    assert cgan["metrics"]["icfid_worst"] == max(fids)
    weakest = cgan["intra_class_fid"]["weakest"]
    assert weakest == str(fids.index(max(fids)))
    assert gan["not_computed"] == {"icfid": "model 'gan' is not conditional"} and gan["intra_class_fid"] is None
    assert f"{weakest}: {max(fids):.4g}" in out  # the table's "weakest class" row
    report = (tmp_path / "icfid" / "report.md").read_text()
    assert "intra-class FID per class: 0 " in report and f"; weakest: {weakest} ({max(fids):.4g})" in report


def test_intra_class_fid_is_the_fid_of_each_class_against_its_real_images():
    from ganzoo.evaluation.metrics import SampleMetrics
    from ganzoo.evaluation.reference import RealReference

    g = torch.Generator().manual_seed(0)
    real = torch.randn(600, 8, generator=g)
    labels = torch.arange(600) % 3
    reference = RealReference(real, torch.device("cpu"), labels=labels)
    fake = torch.randn(300, 8, generator=g)
    fake_labels = torch.arange(300) // 100  # sorted by class, as conditional samples come
    fake[fake_labels == 2] += 3.0  # class 2 drawn badly
    metrics = SampleMetrics({"icfid"}, real=reference, real_classes=None, n=300, device=torch.device("cpu"), seed=0)
    metrics.update(fake[:150], None, labels=fake_labels[:150])
    metrics.update(fake[150:], None, labels=fake_labels[150:])
    values, _ = metrics.compute()
    expected = [scipy_fid(real[labels == k], fake[fake_labels == k]) for k in range(3)]
    assert metrics.class_fids == pytest.approx(expected, rel=1e-6)
    assert values["icfid"] == pytest.approx(sum(expected) / 3, rel=1e-6) and values["icfid_worst"] == max(metrics.class_fids)
    assert max(range(3), key=lambda k: metrics.class_fids[k]) == 2


def test_missing_run_is_one_line_with_exit_code_2(capsys):
    code, _, err = run_cli(capsys, "eval", "runs/nothing-here")
    assert code == 2 and err.count("\n") == 1 and "does not exist" in err


def test_evaluated_images_are_the_ones_ganzoo_sample_draws(tiny_runs):
    loaded = ganzoo.load_generator(tiny_runs["cgan"], device="cpu")
    batches = list(generated_batches(loaded, 25, seed=3, batch_size=10))
    assert [len(images) for images, _ in batches] == [10, 10, 5]
    # the same noise and labels; batches of another size may round differently in the last bit
    torch.testing.assert_close(torch.cat([images for images, _ in batches]), ganzoo.sample(loaded, 25, seed=3))
    assert torch.cat([labels for _, labels in batches]).tolist() == [0, 0, 0] + [i for i in range(1, 10) for _ in range(3)][:22]


class PixelStats(FeatureExtractor):
    """A plugin's extractor: row means of the image, no logits."""

    num_features = 28
    num_classes = None
    weights_sha256 = "none"

    def forward(self, images):
        return images.mean(dim=(1, 3)), None


class PixelStatsPlugin:
    @ganzoo.hookimpl
    def register_feature_extractors(self, register):
        register("pixel-rows", FeatureExtractorSpec("pixel-rows", lambda weights=None: PixelStats()),
                 description="row means")


def test_a_plugin_adds_a_feature_extractor(ganzoo_plugin, tiny_runs, tmp_path):
    from ganzoo.evaluation import evaluate

    ganzoo_plugin(PixelStatsPlugin(), name="pixel-rows-plugin")
    assert "pixel-rows" in ganzoo.get_zoo().feature_extractors
    report = evaluate(tiny_runs["gan"], n=200, features="pixel-rows", metrics="fid,is,coverage", device="cpu",
                      out=tmp_path / "out")
    result = report.runs[0]
    assert result.features == "pixel-rows" and result.metrics["fid"] > 0
    assert result.not_computed == {"is": "feature extractor 'pixel-rows' gives no logits"}
    assert "classes_covered" in result.metrics  # class metrics still come from the mnist classifier


@pytest.mark.parametrize("n, metrics, warned", [
    (100, "fid", "FID's covariance of 128 features needs more than 128 samples"),
    (300, "fid,kid", "FID and KID are biased and noisy at small n"),
    (100, "is", "IS is biased and noisy at small n"),
    (300, "coverage", None),  # class shares are not biased the way FID is
])
def test_a_small_n_is_allowed_with_a_warning(tiny_runs, n, metrics, warned):
    from ganzoo.evaluation import evaluate

    said = []
    report = evaluate(tiny_runs["gan"], n=n, metrics=metrics, device="cpu", write=False, log=said.append)
    assert report.n == n
    warnings = [line for line in said if line.startswith("warning:")]
    if warned is None:
        assert warnings == []
    else:
        assert len(warnings) == 1 and warned in warnings[0] and f"--n {n}" in warnings[0]


def test_a_cache_that_cannot_be_written_costs_a_warning_not_the_result(tiny_runs, monkeypatch):
    import errno

    from ganzoo.evaluation import cache, evaluate

    def full_disk(path, stats):
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    monkeypatch.setattr(cache, "load", lambda path: None)  # force the real statistics to be computed
    monkeypatch.setattr(cache, "save", full_disk)
    said = []
    report = evaluate(tiny_runs["gan"], n=200, metrics="fid", device="cpu", write=False, log=said.append)
    assert report.runs[0].metrics["fid"] > 0
    (warning,) = [line for line in said if "could not cache" in line]
    assert "No space left on device" in warning and "computed again next time" in warning


def test_metric_names_agree_between_the_cli_and_the_library():
    from ganzoo.cli import EVAL_METRIC_ALIASES
    from ganzoo.evaluation.metrics import METRIC_ALIASES
    from ganzoo.evaluation.pipeline import parse_metrics

    assert EVAL_METRICS == METRICS and EVAL_METRIC_ALIASES == METRIC_ALIASES
    assert parse_metrics("recall,density,fid") == ["fid", "pr", "dc"]
    assert parse_metrics("coverage") == ["coverage"]  # the class coverage, as before


def test_listing_feature_extractors_does_not_import_them():
    import subprocess
    import sys

    code = (
        "import sys; from ganzoo.cli import main\n"
        "try:\n    main(['list', 'feature-extractors'])\nexcept SystemExit:\n    pass\n"
        "assert 'ganzoo.evaluation.extractors' not in sys.modules and 'torchmetrics' not in sys.modules"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "inception" in result.stdout and "fashion-mnist" in result.stdout


# --- report.html -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def both_report(tiny_runs):
    """One evaluation of both tiny runs, numbers only (no files)."""
    from ganzoo.evaluation import evaluate

    return evaluate([tiny_runs["gan"], tiny_runs["cgan"]], n=200, device="cpu", write=False)


def _decoded_images(page):
    import base64
    import io

    from PIL import Image

    from ganzoo.evaluation.html import page_images

    images = []
    for attributes in page_images(page):
        prefix = "data:image/png;base64,"
        assert attributes["src"].startswith(prefix)
        with Image.open(io.BytesIO(base64.b64decode(attributes["src"][len(prefix):]))) as image:
            image.load()
            images.append((attributes["class"], image.size))
    return images


def test_eval_writes_report_html_with_grids_curves_and_the_metric_texts(tiny_runs, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    from ganzoo.evaluation.metric_info import RESULTS

    code, out, err = run_cli(capsys, "eval", tiny_runs["gan"], tiny_runs["cgan"], "--n", 200, "--out", tmp_path / "both")
    assert code == 0, err
    assert "report.html" in out
    page = (tmp_path / "both" / "report.html").read_text()
    # the precision-recall plot of both runs; then, per run, 10x10 for the GAN and one row of
    # 10 per class for the CGAN (28-pixel tiles, padding 2), the curves, and the CGAN's
    # intra-class FID per class
    assert _decoded_images(page) == [("figure", (520, 440)),
                                     ("grid", (302, 302)), ("curves", (640, 520)),
                                     ("grid", (302, 302)), ("curves", (640, 520)), ("figure", (640, 320))]
    assert 'alt="precision against recall"' in page and 'alt="intra-class FID per class"' in page
    import html

    text = html.unescape(page)
    for key in ("fid", "kid_mean", "is_mean", "classes_covered", "class_tv", "conditional_accuracy"):
        assert RESULTS[key].meaning in text  # the same explanations as report.md, from one source
        assert RESULTS[key].meaning in (tmp_path / "both" / "report.md").read_text()
    assert text.count("<th>FID</th>") == 2  # the metrics table and the explanations


def test_report_html_escapes_every_string(both_report):
    import dataclasses

    from ganzoo.evaluation.html import html_report

    hostile = "<script>alert('x')</script> & \"quotes\""
    run = dataclasses.replace(both_report.runs[0], run=hostile, model="<b>m</b>", not_computed={"is": hostile})
    report = dataclasses.replace(both_report, runs=[run], device="<i>cpu</i>")
    page = html_report(report)
    assert "<script>alert" not in page and "<b>m</b>" not in page and "<i>cpu</i>" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &quot;quotes&quot;" in page
    assert page.count("<script>") == 1  # the page's own load check, nothing else


def test_report_html_without_matplotlib_says_so_in_one_line(both_report, monkeypatch):
    import html
    import sys

    from ganzoo.evaluation.html import CURVES_NEED_MATPLOTLIB, html_report

    for module in ("matplotlib", "matplotlib.figure", "matplotlib.backends.backend_agg"):
        monkeypatch.setitem(sys.modules, module, None)  # import fails as if not installed
    page = html_report(both_report, grids={0: b"", 1: b""})
    assert page.count(html.escape(CURVES_NEED_MATPLOTLIB)) == 2
    assert 'class="curves"' not in page and page.count('class="grid"') == 2


def test_report_html_without_a_training_log_says_which_file_is_missing(both_report, tmp_path):
    import dataclasses

    from ganzoo.evaluation.html import html_report

    elsewhere = tmp_path / "copied" / "checkpoints" / "epoch-0001.pt"
    run = dataclasses.replace(both_report.runs[0], checkpoint=str(elsewhere))
    page = html_report(dataclasses.replace(both_report, runs=[run]))
    assert f"No training curves: {tmp_path / 'copied' / 'metrics.jsonl'} does not exist." in page
    assert "No sample grid" in page


def _curves_caption(page):
    import html
    import re

    return html.unescape(re.search(r'<img class="curves".*?<figcaption>(.*?)</figcaption>', page, re.S).group(1))


def test_report_curves_of_a_hinge_run_show_and_explain_its_raw_outputs(both_report, synthetic_root, tmp_path):
    """The second panel and its caption come from the run's metric_specs.json: a hinge run logs
    D's raw outputs (score_real, score_fake), not probabilities."""
    pytest.importorskip("matplotlib")
    import dataclasses

    from ganzoo.evaluation.html import curve_panels, html_report
    from ganzoo.evaluation.report import markdown
    from ganzoo.evaluation.training_log import load_training_log
    from ganzoo.losses import SCORE_FAKE, SCORE_REAL

    result = ganzoo.train("gan", "mnist", loss="hinge", epochs=1, limit_batches=4, device="cpu",
                          data_root=str(synthetic_root), out=tmp_path / "hinge")
    run = dataclasses.replace(both_report.runs[0], run=str(result.run_dir),
                              checkpoint=str(result.run_dir / "checkpoints" / "epoch-0001.pt"))
    report = dataclasses.replace(both_report, runs=[run])
    page = html_report(report)
    assert [image for image, _ in _decoded_images(page)] == ["figure", "curves"]  # the precision-recall plot, the curves
    caption = _curves_caption(page)
    assert SCORE_REAL.meaning in caption and SCORE_FAKE.meaning in caption and "raw output" in caption
    assert "D(x) (score_real)" in caption and "higher is better" in caption  # score_fake's direction
    assert "probability" not in caption
    log = load_training_log(result.run_dir)
    assert log.declared and [m.name for m in log.others] == ["score_real", "score_fake"]
    assert [(label, [key for key, _, _ in series]) for label, series in curve_panels(log)] == [
        ("loss", ["loss_d", "loss_g"]), ("D output (raw, no sigmoid)", ["score_real", "score_fake"])]
    text = markdown(report)  # report.md says the same in words, with the evaluated epoch's means
    assert f"training log `{result.run_dir / 'metrics.jsonl'}`" in text and "mean over epoch 1" in text
    assert "D(x) (`score_real`) = " in text and SCORE_REAL.meaning in text


def test_report_curves_of_a_run_without_metric_specs_keep_the_probability_panel(both_report, tiny_runs, tmp_path):
    pytest.importorskip("matplotlib")
    import dataclasses
    import shutil

    from ganzoo.evaluation.html import curve_panels, html_report
    from ganzoo.evaluation.training_log import load_training_log
    from ganzoo.losses import D_REAL

    # a cross-entropy run that declares its columns: D(x), D(G(z)) as probabilities, explained
    run = both_report.runs[0]
    page = html_report(dataclasses.replace(both_report, runs=[run]))
    assert D_REAL.meaning in _curves_caption(page) and "0.5 is where D can no longer tell" in _curves_caption(page)
    assert curve_panels(load_training_log(tiny_runs["gan"]))[1][0] == "D output (probability)"

    # an older run, without metric_specs.json: the columns of that version, as before
    old = tmp_path / "old-run"
    (old / "checkpoints").mkdir(parents=True)
    shutil.copy(tiny_runs["gan"] / "metrics.jsonl", old / "metrics.jsonl")
    log = load_training_log(old)
    assert not log.declared and [m.name for m in log.metrics] == ["loss_d", "loss_g", "d_real", "d_fake"]
    assert curve_panels(log)[1] == ("D output (probability)", [("d_real", "D(x)", "tab:green"), ("d_fake", "D(G(z))", "tab:red")])
    page = html_report(dataclasses.replace(both_report, runs=[dataclasses.replace(
        run, checkpoint=str(old / "checkpoints" / "epoch-0001.pt"))]))
    caption = _curves_caption(page)
    assert caption.startswith("Losses and D(x) / D(G(z)) from ") and "0.5 is where D can no longer tell" in caption


# --- which extractor, and why: a dataset with no extractor of its own -----------------


def _open_tiny(root, *, train, download):
    return synthetic_digits(128 if train else 64, seed=int(train))


TINY = ganzoo.DatasetSpec(name="tiny", image_shape=(1, 28, 28), num_classes=10, open=_open_tiny,
                          to_tensors=lambda split: (split[0].unsqueeze(1), split[1]),
                          class_names=tuple(str(k) for k in range(10)))


class TinyDataset:
    @ganzoo.hookimpl
    def register_datasets(self, register):
        register("tiny", TINY, description="synthetic digits, no extractor of its own")


class BarClassifier(FeatureExtractor):
    """A classifier of ``tiny``: the row means are the features, bar k's rows class k's logit."""

    num_features = 28
    num_classes = 10
    weights_sha256 = "none"

    def forward(self, images):
        rows = images.mean(dim=(1, 3))
        return rows, torch.stack([rows[:, 2 + 2 * k : 5 + 2 * k].mean(1) for k in range(10)], dim=1) * 10


class TinyClassifier:
    @ganzoo.hookimpl
    def register_feature_extractors(self, register):
        register("tiny", FeatureExtractorSpec("tiny", lambda weights=None: BarClassifier(), classes_of="tiny"),
                 description="classifies tiny")


@pytest.fixture
def tiny_dataset_run(ganzoo_plugin, tmp_path, monkeypatch):
    """A 2-batch GAN run on ``tiny``, registered for this test, with no Inception weights
    anywhere and no way to download them."""
    ganzoo_plugin(TinyDataset(), name="tiny-dataset")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "empty-torch-home"))

    def no_download(*args, **kwargs):
        raise AssertionError("tests run offline: nothing may be downloaded")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", no_download)
    monkeypatch.setattr(torch.hub, "download_url_to_file", no_download)
    return ganzoo.train("gan", "tiny", out=tmp_path / "tiny-run", epochs=1, limit_batches=2, batch_size=32,
                        device="cpu").run_dir


def _without_torch_fidelity(monkeypatch):
    import torchmetrics.utilities.imports

    monkeypatch.setattr(torchmetrics.utilities.imports, "_TORCH_FIDELITY_AVAILABLE", False)


@pytest.mark.parametrize("missing, fragment", [
    ("torch-fidelity", "the inception extractor needs torch-fidelity: pip install 'ganzoo[inception]'"),
    ("weights", "the Inception-v3 weights are not in"),
])
def test_inception_chosen_by_default_says_why_and_what_else_when_it_cannot_be_built(
        tiny_dataset_run, capsys, monkeypatch, missing, fragment):
    if missing == "torch-fidelity":
        _without_torch_fidelity(monkeypatch)
    else:
        pytest.importorskip("torch_fidelity")
    code, _, err = run_cli(capsys, "eval", tiny_dataset_run, "--n", 20, "--metrics", "fid", "--device", "cpu")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 1 and len(lines) == 1 and lines[0].startswith("Error: "), err
    for expected in (fragment, "inception is used for dataset 'tiny' because no feature extractor is registered "
                     "under that name", "pass --features NAME (installed: fashion-mnist, mnist)",
                     "register an extractor named 'tiny' (register_feature_extractors hook)"):
        assert expected in lines[0]
    assert not (tiny_dataset_run / "eval").exists()

    # asked for by name, Inception needs no explanation
    code, _, err = run_cli(capsys, "eval", tiny_dataset_run, "--n", 20, "--metrics", "fid", "--features", "inception")
    assert code == 1 and fragment in err and "is used for dataset" not in err


def test_coverage_alone_on_a_dataset_without_a_classifier_is_one_line(tiny_dataset_run, capsys, monkeypatch):
    _without_torch_fidelity(monkeypatch)  # the message must not be about Inception
    code, _, err = run_cli(capsys, "eval", tiny_dataset_run, "--n", 20, "--metrics", "coverage")
    lines = [line for line in err.splitlines() if line.strip()]
    assert code == 2 and len(lines) == 1, err
    assert ("--metrics coverage: class coverage needs a classifier of dataset 'tiny' and none is installed "
            "(a feature extractor named 'tiny' with classes_of='tiny'); register one (register_feature_extractors "
            "hook) or ask for fid, kid, is, pr, dc, icfid instead") in lines[0]
    assert "nception" not in lines[0]
    assert not (tiny_dataset_run / "eval").exists()


def test_coverage_alone_runs_only_the_datasets_classifier(tiny_dataset_run, ganzoo_plugin, monkeypatch):
    from ganzoo.evaluation import evaluate

    _without_torch_fidelity(monkeypatch)  # Inception cannot be built: it must not be asked for
    ganzoo_plugin(TinyClassifier(), name="tiny-classifier")
    said = []
    report = evaluate(tiny_dataset_run, n=50, metrics="coverage", features="inception", device="cpu", write=False,
                      log=said.append)
    result = report.runs[0]
    assert result.features == "tiny" and result.classifier == "tiny"
    assert set(result.metrics) == {"classes_covered", "class_tv"} and result.not_computed == {}
    assert ("warning: --features inception is not used: --metrics coverage needs only the classifier of 'tiny', "
            "'tiny'") in said
