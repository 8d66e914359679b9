"""--data-fraction: a class-stratified subset of the training split, the same for every seed."""

import pytest
import torch

import ganzoo
from ganzoo.data import stratified_subset


def test_every_class_keeps_its_share_and_the_subset_does_not_depend_on_anything_but_its_seed():
    labels = torch.tensor([0] * 50 + [1] * 30 + [2] * 20)
    chosen = stratified_subset(labels, 0.1)
    assert torch.bincount(labels[chosen]).tolist() == [5, 3, 2]
    assert torch.equal(chosen, stratified_subset(labels, 0.1)) and torch.equal(chosen, chosen.sort().values)
    assert not torch.equal(chosen, stratified_subset(labels, 0.1, seed=1))
    assert torch.bincount(labels[stratified_subset(labels, 0.01)]).tolist() == [1, 1, 1]  # at least one each


def test_a_run_trains_on_the_subset_whatever_its_seed(synthetic_root, tmp_path):
    seen = []

    class Look:
        @ganzoo.hookimpl
        def on_train_start(self, run):
            seen.append(run._trainer.batches.labels_of_all())

    ganzoo.register_plugin(Look(), name="look")
    try:
        for seed in (0, 1):
            result = ganzoo.train("gan", "mnist", out=tmp_path / f"s{seed}", data_root=str(synthetic_root), seed=seed,
                                  data_fraction=0.25, epochs=1, batch_size=16, device="cpu")
    finally:
        ganzoo.unregister_plugin("look")
    assert len(seen[0]) == 160 and torch.bincount(seen[0]).tolist() == [16] * 10  # 640 synthetic images, 64 a class
    assert torch.equal(seen[0], seen[1])
    assert result.steps == 160 // 16 and result.config.data_fraction == 0.25


@pytest.mark.parametrize("value", [0, 1.5, "half"])
def test_a_bad_fraction_is_a_config_error(value, tmp_path):
    with pytest.raises(ganzoo.errors.ConfigError, match="data-fraction must be a number in \\(0, 1\\]"):
        ganzoo.train("gan", "mnist", data_fraction=value, out=tmp_path / "r")
