"""InfoGAN: codes in G's input, the Q head, the mutual-information terms, sampling from the
training distribution of codes, and the traversal figure."""

from __future__ import annotations

import json
import math

import pytest
import torch
import torch.nn.functional as F

import ganzoo
from ganzoo.cli import main
from ganzoo.testing import make_step


def infogan(**options):
    return ganzoo.get_zoo().objectives.get("infogan")(**options)


def test_codes_replace_the_first_entries_of_z():
    objective = infogan(categorical=10, continuous=2)
    z = torch.randn(5, 74)
    inputs = objective.prior(z, torch.Generator().manual_seed(0))
    assert inputs.shape == (5, 74)
    assert torch.equal(inputs[:, 12:], z[:, 12:])  # the noise is kept
    one_hot = inputs[:, :10]
    assert torch.equal(one_hot.sum(1), torch.ones(5)) and set(one_hot.unique().tolist()) == {0.0, 1.0}
    assert (inputs[:, 10:12].abs() <= 1).all()  # U(-1, 1), as in training


def test_the_information_terms_are_cross_entropy_and_half_squared_error():
    objective = infogan(categorical=3, continuous=1, weight=1.0, continuous_weight=0.5)
    real = torch.rand(4, 1, 2, 2) * 2 - 1
    step = make_step("generator", real, z_dim=6)

    class Setup:  # what setup() reads
        z_dim, loss = 6, ganzoo.get_zoo().losses.get("non-saturating")()
        discriminator = step.discriminator

        @staticmethod
        def add_module(name, module, optimized_with):
            assert (name, optimized_with) == ("q_head", "discriminator")
            return module

    objective.setup(Setup())
    categories, continuous = torch.tensor([0, 2, 1, 2]), torch.tensor([[0.5], [-0.5], [0.0], [1.0]])
    images = step.generator(objective.with_codes(torch.randn(4, 6), categories, continuous))
    total, terms = objective._information(step, images, categories, continuous)
    predicted = objective.q(images.flatten(1))
    torch.testing.assert_close(terms["info_cat"], F.cross_entropy(predicted[:, :3], categories))
    torch.testing.assert_close(terms["info_cont"], 0.5 * (predicted[:, 3:] - continuous).pow(2).sum(1).mean())
    torch.testing.assert_close(total, terms["info_cat"] + 0.5 * terms["info_cont"])


@pytest.mark.parametrize("spec, message", [
    ("infogan:categorical=1", "at least 2 values"),
    ("infogan:continuous=-1", "must be >= 0"),
])
def test_bad_codes_are_refused(spec, message, synthetic_root, tmp_path):
    with pytest.raises(ganzoo.errors.ConfigError, match=message):
        ganzoo.train("infogan", "mnist", objective=spec, data_root=str(synthetic_root), out=tmp_path / "r", device="cpu")


def test_a_z_with_no_room_for_noise_is_refused_in_one_line(synthetic_root, tmp_path):
    with pytest.raises(ganzoo.errors.ConfigError, match="z-dim 12 leaves no noise beside 12 code dimensions"):
        ganzoo.train("infogan", "mnist", z_dim=12, data_root=str(synthetic_root), out=tmp_path / "r", device="cpu")


def test_infogan_trains_q_learns_the_codes_and_sample_traverses_them(synthetic_root, tmp_path, capsys):
    run_dir = tmp_path / "infogan"
    ganzoo.train("infogan", "mnist", out=run_dir, data_root=str(synthetic_root), epochs=3, limit_batches=40,
                 batch_size=16, lr=1e-3, z_dim=20, device="cpu", log_every=5)
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert records[0]["info_cat"] == pytest.approx(math.log(10), abs=0.3)
    assert sum(r["info_cat"] for r in records[-10:]) / 10 < 0.5 * records[0]["info_cat"]
    state = torch.load(run_dir / "checkpoints" / "epoch-0003.pt", weights_only=True)
    assert set(state["objective"]["modules"]["q_head"]) == {"0.weight", "0.bias", "2.weight", "2.bias"}

    loaded = ganzoo.load_generator(run_dir, device="cpu")
    from ganzoo.sampling import latents

    z = latents(loaded, 20, seed=0)
    assert torch.equal(z[:, :10].sum(1), torch.ones(20))  # samples get codes, as in training

    with pytest.raises(SystemExit) as exit_:
        main(["sample", str(run_dir), "--traverse", "1", "--steps", "7", "--out", str(tmp_path / "t.png")])
    assert exit_.value.code == 0
    assert "traversal of continuous code 1 (7 columns)" in capsys.readouterr().out
    from PIL import Image

    width, height = Image.open(tmp_path / "t.png").size
    assert (width, height) == (2 + 7 * 30, 2 + 10 * 30)  # 10 rows of 7 images of 28 (+2 padding)


@pytest.mark.parametrize("args, message", [
    (["--traverse", "2"], "this run has 2 continuous code(s): choose 0..1"),
    (["--traverse", "0", "--n", "5"], "--n does not apply to --traverse"),
    (["--traverse", "0", "--interpolate", "1", "2"], "exclude each other"),
])
def test_traverse_refusals_are_one_line(args, message, synthetic_root, tmp_path, capsys):
    run_dir = tmp_path / "r"
    ganzoo.train("infogan", "mnist", out=run_dir, data_root=str(synthetic_root), epochs=1, limit_batches=2,
                 batch_size=16, device="cpu")
    with pytest.raises(SystemExit) as exit_:
        main(["sample", str(run_dir), *args, "--out", str(tmp_path / "t.png")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and message in err and "Traceback" not in err
    assert not (tmp_path / "t.png").exists()


def test_traverse_on_a_run_without_codes_says_why(synthetic_root, tmp_path, capsys):
    ganzoo.train("gan", "mnist", out=tmp_path / "gan", data_root=str(synthetic_root), epochs=1, limit_batches=2, device="cpu")
    with pytest.raises(SystemExit) as exit_:
        main(["sample", str(tmp_path / "gan"), "--traverse", "0", "--out", str(tmp_path / "t.png")])
    assert exit_.value.code == 2
    assert "objective of this run ('adversarial') puts no codes into G's input" in capsys.readouterr().err
