"""``ganzoo eval --metrics memorization``: each sample's nearest training image, the ratio of
its distance to that of real test images, and MiFID (torchmetrics' formula)."""

from __future__ import annotations

import json

import pytest
import torch

import ganzoo
from ganzoo.data import open_split
from ganzoo.evaluation import pipeline
from ganzoo.evaluation.memorization import mifid, nearest_training
from ganzoo.evaluation.metrics import DEFAULT_METRICS, METRICS


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("GANZOO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "memorization-cache"))
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def gan_run(mnist_root, tmp_path_factory):
    base = tmp_path_factory.mktemp("memorization-run")
    return ganzoo.train("gan", "mnist", out=base / "gan", data_root=str(mnist_root), epochs=1,
                        limit_batches=2, device="cpu").run_dir


def _split(mnist_root, *, train):
    spec = ganzoo.get_zoo().datasets.get("mnist")
    images, _ = spec.to_tensors(open_split(spec, mnist_root, train=train, download=False))
    return images.float().div(127.5).sub(1.0)


def _copying(monkeypatch, images):
    """Every generator loaded from now on draws ``images`` in order (a generator that copies them)."""
    real_load = pipeline.load_generator

    def load(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        position = [0]

        def forward(z, y=None):
            index = (torch.arange(len(z)) + position[0]) % len(images)
            position[0] += len(z)
            return images[index].to(z.device)

        loaded.generator.forward = forward
        return loaded

    monkeypatch.setattr(pipeline, "load_generator", load)


def test_nearest_training_agrees_with_cdist_and_torchmetrics_cosine_distance():
    from torchmetrics.image.mifid import _compute_cosine_distance, _mifid_compute

    generator = torch.Generator().manual_seed(0)
    train, fake = torch.rand(700, 16, generator=generator), torch.rand(300, 16, generator=generator)
    distance, index, cosine = nearest_training(fake, train, block=64)
    expected = torch.cdist(fake.double(), train.double()).min(1)
    assert torch.allclose(distance.double(), expected.values, atol=1e-4)
    assert torch.equal(index, expected.indices)
    # torchmetrics takes the minimum over its second argument for each row of its first; eps 1: no threshold
    assert float(cosine.mean()) == pytest.approx(float(_compute_cosine_distance(fake, train, 1.0)), rel=1e-4)
    for fid, d in ((12.0, 0.05), (12.0, 0.3), (0.0, 0.01)):
        reference = _mifid_compute(torch.zeros(2), torch.eye(2), torch.ones(3, 2), torch.zeros(2), torch.eye(2),
                                   torch.ones(3, 2))  # FID 0: the formula's guard
        assert float(reference) == 0.0
        assert mifid(fid, d) == pytest.approx(fid / d if d < 0.1 and fid > 0 else fid)


def test_memorization_is_opt_in():
    assert "memorization" in METRICS and "memorization" not in DEFAULT_METRICS
    assert pipeline.parse_metrics(None) == list(DEFAULT_METRICS)
    assert pipeline.parse_metrics("mifid") == ["memorization"]


def test_a_generator_copying_the_training_set_has_ratio_zero_and_a_huge_mifid(gan_run, mnist_root, monkeypatch,
                                                                              tmp_path):
    _copying(monkeypatch, _split(mnist_root, train=True))
    report = ganzoo.evaluation.evaluate(gan_run, n=200, metrics="fid,memorization", device="cpu", bootstrap=0,
                                        out=tmp_path / "eval")
    values = report.runs[0].metrics
    assert values["memorization_ratio"] < 0.05
    assert values["memorization_distance"] < 1e-3
    assert values["mifid"] > 100 * values["fid"]
    written = json.loads((tmp_path / "eval" / "metrics.json").read_text())["runs"][0]["memorization"]
    assert len(written["samples"]) == 8 and max(written["distance"]) < 0.05
    # the panel: 8 samples above their nearest training images (28-pixel tiles, padding 2)
    from test_evaluation import _decoded_images

    page = (tmp_path / "eval" / "report.html").read_text()
    assert "Memorization: 8 samples" in page
    assert ("grid", (8 * 30 + 2, 2 * 30 + 2)) in _decoded_images(page)
    assert "| memorization ratio | higher |" in (tmp_path / "eval" / "report.md").read_text()


def test_samples_of_the_test_split_have_ratio_near_one(gan_run, mnist_root, monkeypatch):
    _copying(monkeypatch, _split(mnist_root, train=False))
    report = ganzoo.evaluation.evaluate(gan_run, n=100, metrics="memorization", device="cpu", write=False)
    values = report.runs[0].metrics
    assert 0.8 < values["memorization_ratio"] < 1.25
    assert values["mifid"] == pytest.approx(values["mifid"])  # finite, computed without --metrics fid
    assert report.runs[0].not_computed == {}
    reference = report.runs[0].memorization["test_memorization_distance"]
    print("memorization", values, "test images' memorization distance", reference)
    assert values["memorization_distance"] == pytest.approx(reference, rel=0.3)
