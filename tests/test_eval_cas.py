"""``ganzoo eval --metrics cas``: Classification Accuracy Score (Ravuri & Vinyals 2019) of a
conditional model, beside the same classifier trained on as many real training images."""

from __future__ import annotations

import pytest
import torch

import ganzoo
from ganzoo.data import open_split
from ganzoo.evaluation import pipeline
from ganzoo.evaluation.metrics import DEFAULT_METRICS, METRICS


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch, tmp_path_factory):
    monkeypatch.setenv("GANZOO_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cas-cache"))
    torch.set_num_threads(1)


@pytest.fixture(scope="module")
def synthetic_runs(synthetic_root, tmp_path_factory):
    base = tmp_path_factory.mktemp("cas-runs")
    return {model: ganzoo.train(model, "mnist", out=base / model, data_root=str(synthetic_root), epochs=1,
                                limit_batches=2, device="cpu").run_dir
            for model in ("gan", "cgan")}


def _copying_by_class(monkeypatch, root):
    """Conditional generators draw, for each label asked for, the next training image of that class."""
    spec = ganzoo.get_zoo().datasets.get("mnist")
    images, labels = spec.to_tensors(open_split(spec, root, train=True, download=False))
    images = images.float().div(127.5).sub(1.0)
    real_load = pipeline.load_generator

    def load(*args, **kwargs):
        loaded = real_load(*args, **kwargs)
        seen = torch.zeros(10, dtype=torch.long)

        def forward(z, y=None):
            out = []
            for label in (y if y is not None else torch.arange(len(z)) % 10).tolist():
                of_class = (labels == label).nonzero().flatten()
                out.append(images[of_class[seen[label] % len(of_class)]])
                seen[label] += 1
            return torch.stack(out)

        loaded.generator.forward = forward
        return loaded

    monkeypatch.setattr(pipeline, "load_generator", load)


def test_cas_is_opt_in():
    assert "cas" in METRICS and "cas" not in DEFAULT_METRICS


def test_cas_of_a_generator_drawing_real_training_images_matches_the_real_reference(
        synthetic_runs, synthetic_root, monkeypatch):
    _copying_by_class(monkeypatch, synthetic_root)
    report = ganzoo.evaluation.evaluate([synthetic_runs["cgan"], synthetic_runs["gan"]], n=600, metrics="cas",
                                        device="cpu", write=False, data_root=synthetic_root)
    cgan, gan = report.runs
    assert cgan.metrics["cas_real"] > 0.8  # the synthetic classes are easy
    assert cgan.metrics["cas"] == pytest.approx(cgan.metrics["cas_real"], abs=0.1)
    assert "cas" in cgan.metric_seconds
    assert "cas" not in gan.metrics and "not conditional" in gan.not_computed["cas"]


def test_cas_of_an_untrained_cgan_is_below_the_real_reference(synthetic_runs, synthetic_root):
    report = ganzoo.evaluation.evaluate(synthetic_runs["cgan"], n=600, metrics="fid,cas", device="cpu", write=False,
                                        data_root=synthetic_root)
    values = report.runs[0].metrics
    assert 0 <= values["cas"] < values["cas_real"] - 0.2
    from ganzoo.evaluation.report import markdown

    assert "| CAS | higher |" in markdown(report) and "| CAS of n real images | higher |" in markdown(report)
