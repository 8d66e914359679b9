"""The example third-party plugin, installed for real, found through its entry point."""

import json
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ganzoo-example-plugin"


@pytest.fixture(scope="module")
def installed_example(tmp_path_factory):
    """``pip install`` the example into its own folder (a real distribution with its
    entry points), put on PYTHONPATH for the commands below; the test environment itself
    is left untouched."""
    target = tmp_path_factory.mktemp("site")
    source = tmp_path_factory.mktemp("source") / EXAMPLE.name
    shutil.copytree(EXAMPLE, source)  # the build writes next to the sources: not into the repository
    result = subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index",
         "--target", str(target), str(source)],
        capture_output=True, text=True,
    )
    if result.returncode != 0:
        pytest.fail(f"pip could not install the example: {result.stderr[-1500:]}")
    assert list(target.glob("ganzoo_example_plugin-0.1.0.dist-info/entry_points.txt"))
    return {**os.environ, "PYTHONPATH": os.pathsep.join([str(target), os.environ.get("PYTHONPATH", "")])}


def ganzoo_cli(env, *args):
    return subprocess.run([sys.executable, "-m", "ganzoo", *args], capture_output=True, text=True, env=env)


def test_ganzoo_plugins_lists_the_installed_example(installed_example):
    result = ganzoo_cli(installed_example, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    example = plugins["example"]
    assert (example["source"], example["distribution"], example["version"]) == ("entry point", "ganzoo-example-plugin", "0.1.0")
    assert example["registered"] == {"losses": ["label-smoothing"], "datasets": ["rings"], "models": ["smooth-gan"]}
    table = ganzoo_cli({**installed_example, "COLUMNS": "200"}, "plugins")  # what a person reads
    assert table.returncode == 0, table.stderr
    row = [line for line in table.stdout.splitlines() if "│ example " in line]
    assert len(row) == 1 and "label-smoothing" in row[0] and "0.1.0" in row[0], table.stdout
    assert "(ganzoo-example-plugin)" in table.stdout  # which installed package it came from


def test_its_model_trains_on_its_dataset_through_the_cli(installed_example, tmp_path):
    run_dir = tmp_path / "run"
    result = ganzoo_cli(installed_example, "run", "smooth-gan", "--dataset", "rings", "--epochs", "1", "--limit-batches", "20",
                        "--device", "cpu", "--out", str(run_dir), "-q")
    assert result.returncode == 0, result.stderr
    assert "done smooth-gan on rings" in result.stdout
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 20
    # D's loss starts near 2 log 2 (logits near 0) and falls as D separates the sets.
    assert records[0]["loss_d"] == pytest.approx(2 * math.log(2), abs=0.3)
    assert min(r["loss_d"] for r in records) < records[0]["loss_d"] - 0.3
    assert (run_dir / "samples" / "epoch-0001.png").exists()


def test_its_loss_works_with_a_built_in_model(installed_example, tmp_path):
    result = ganzoo_cli(installed_example, "run", "cgan", "--loss", "label-smoothing", "--dataset", "rings", "--epochs", "1",
                        "--limit-batches", "3", "--device", "cpu", "--out", str(tmp_path / "r"), "-q")
    assert result.returncode == 0, result.stderr


def test_label_smoothing_loss_against_its_closed_form(installed_example):
    sys.path.insert(0, installed_example["PYTHONPATH"].split(os.pathsep)[0])
    try:
        import torch
        from ganzoo_example.loss import LabelSmoothingLoss

        loss = LabelSmoothingLoss()
        real = torch.tensor([-1.5, 0.2, 2.0], dtype=torch.float64)
        fake = torch.tensor([-3.0, 0.5, 1.0], dtype=torch.float64)
        d = torch.sigmoid
        expected_d = -(0.9 * d(real).log() + 0.1 * (1 - d(real)).log()).mean() - (1 - d(fake)).log().mean()
        assert loss.discriminator_loss(real, fake).item() == pytest.approx(expected_d.item())
        assert loss.generator_loss(fake).item() == pytest.approx(-d(fake).log().mean().item())
        # The smoothed target moves D's optimum on real data from +inf to D(x) = 0.9.
        optimum = torch.tensor([math.log(9.0)], dtype=torch.float64, requires_grad=True)
        loss.discriminator_loss(optimum, torch.tensor([-50.0], dtype=torch.float64)).backward()
        assert abs(optimum.grad.item()) < 1e-12
    finally:
        sys.path.pop(0)
