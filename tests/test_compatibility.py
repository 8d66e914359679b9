"""Runs written by ganzoo 0.1 (before the training step was opened) still sample and resume."""

import json
import shutil
from pathlib import Path

import pytest
import torch

import ganzoo

OLD_RUNS = Path(__file__).parent / "data"


@pytest.mark.parametrize("model", ["gan", "acgan"])
def test_a_0_1_checkpoint_still_samples_with_its_average(model):
    loaded = ganzoo.load_generator(OLD_RUNS / f"run-0.1-{model}", device="cpu")
    assert loaded.ema  # the 0.1 config's `ema: true` is now the ema plugin option
    assert loaded.config.options["ema"] is True and loaded.config.options["ema_decay"] == 0.999
    assert loaded.config.objective == "adversarial"
    images = ganzoo.sample(loaded, 10, seed=0)
    assert images.shape == (10, 1, 28, 28) and images.abs().max() <= 1


@pytest.mark.parametrize("model", ["gan", "acgan"])
def test_a_0_1_run_resumes_with_the_default_objective(model, synthetic_root, tmp_path):
    run_dir = tmp_path / "old"
    shutil.copytree(OLD_RUNS / f"run-0.1-{model}", run_dir)
    before = torch.load(run_dir / "checkpoints" / "epoch-0001.pt", weights_only=True)
    result = ganzoo.train(model, "mnist", out=run_dir, resume=True, epochs=2, data_root=str(synthetic_root))
    assert (result.epochs_done, result.steps) == (2, 6)
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in records] == [1, 2, 3, 4, 5, 6]
    after = torch.load(run_dir / "checkpoints" / "epoch-0002.pt", weights_only=True)
    assert after["config"]["options"]["ema"] is True and "generator_ema" in after
    changed = [k for k in before["discriminator"] if not torch.equal(before["discriminator"][k], after["discriminator"][k])]
    assert changed  # it trained on from where 0.1 stopped
