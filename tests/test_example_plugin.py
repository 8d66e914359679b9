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
    assert example["registered"] == {"losses": ["label-smoothing"], "datasets": ["rings"], "models": ["smooth-gan"],
                                     "objectives": ["feature-matching"], "options": ["grid_every"]}
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


def test_the_packages_own_tests_pass_with_it_installed(installed_example):
    """The example's tests use the ganzoo_plugin fixture on a package whose entry point has
    already loaded it (the normal case for a plugin's own suite), and ganzoo.testing.make_step."""
    tests = EXAMPLE / "tests"
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tests)],
                            capture_output=True, text=True, env=installed_example, cwd=tests)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-1000:]
    assert "3 passed" in result.stdout


def test_its_declared_option_is_in_run_help_validated_saved_and_resumed(installed_example, tmp_path):
    help_text = ganzoo_cli(installed_example, "run", "--help").stdout
    assert "--grid-every" in help_text and "(plugin example)" in help_text
    bad = ganzoo_cli(installed_example, "run", "smooth-gan", "--dataset", "rings", "--grid-every", "-2",
                     "--out", str(tmp_path / "bad"))
    assert bad.returncode == 2 and "grid-every must be an integer >= 0, got '-2'" in bad.stderr
    assert not (tmp_path / "bad").exists()
    run_dir = tmp_path / "run"
    common = ["--dataset", "rings", "--limit-batches", "4", "--device", "cpu", "--out", str(run_dir), "-q"]
    first = ganzoo_cli(installed_example, "run", "smooth-gan", "--epochs", "1", "--grid-every", "2",
                       "--objective", "feature-matching", *common)
    assert first.returncode == 0, first.stderr
    assert json.loads((run_dir / "config.json").read_text())["options"]["grid_every"] == 2
    resumed = ganzoo_cli(installed_example, "run", "smooth-gan", "--epochs", "2", "--resume", *common)
    assert resumed.returncode == 0, resumed.stderr
    config = json.loads((run_dir / "config.json").read_text())
    assert config["options"]["grid_every"] == 2 and config["objective"] == "feature-matching"
    assert (run_dir / "samples" / "step-000008.png").exists()  # the option came back with the run
