"""The example package's own tests, as a plugin author writes them: with the package
installed (so its entry point is loaded), ganzoo's ``ganzoo_plugin`` fixture, and
``ganzoo.testing.make_step`` to check an objective against its closed form.

Run them with ``pytest`` after ``pip install .``."""

import json

import torch

import ganzoo
import ganzoo_example
from ganzoo.testing import linear_discriminator, make_step
from ganzoo_example.feature_matching import FeatureMatching


def test_the_installed_package_registers_through_the_fixture(ganzoo_plugin):
    name = ganzoo_plugin(ganzoo_example)  # already loaded from the entry point: its name is returned
    assert name == "example"
    zoo = ganzoo.get_zoo()
    assert "feature-matching" in zoo.objectives and "grid_every" in zoo.options


def test_feature_matching_is_the_squared_gap_of_mean_features():
    """D's features are the flattened images here, so the gap is that of the mean images."""
    real = torch.rand(4, 1, 2, 2) * 2 - 1
    step = make_step("generator", real, discriminator=linear_discriminator((1, 2, 2)), seed=3)
    out = FeatureMatching(weight=2.0).generator_step(step)
    fake = make_step("generator", real, generator=step.generator, seed=3).generate().images  # the same noise
    expected = (real.flatten(1).mean(0) - fake.flatten(1).mean(0)).pow(2).sum()
    torch.testing.assert_close(out.metrics["feature_gap"], expected)
    torch.testing.assert_close(out.loss, 2.0 * expected)
    out.loss.backward()  # G's weights get a gradient through D's features
    assert step.generator.body[0].weight.grad.abs().sum() > 0


def test_feature_matching_and_step_grids_train(ganzoo_plugin, tmp_path):
    ganzoo_plugin(ganzoo_example)
    result = ganzoo.train("smooth-gan", "rings", objective="feature-matching:weight=2", grid_every=3, epochs=1,
                          limit_batches=6, device="cpu", out=tmp_path / "run")
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 6 and all(r["feature_gap"] >= 0 for r in records)
    assert sorted(p.name for p in (result.run_dir / "samples").glob("step-*.png")) == ["step-000003.png", "step-000006.png"]
    assert json.loads((result.run_dir / "config.json").read_text())["options"]["grid_every"] == 3
