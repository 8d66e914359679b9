"""The zoo's regularizers, augmentations and relativistic objectives (plugins/): closed
forms, properties of the transforms, and short runs from the command line."""

from __future__ import annotations

import json

import pytest
import torch
import torch.nn.functional as F

import ganzoo
from ganzoo.cli import main
from ganzoo.testing import linear_discriminator, make_step

WEIGHT = torch.tensor([0.5, -1.0, 2.0, 0.25])


def zoo_class(registry: str, name: str):
    return getattr(ganzoo.get_zoo(), registry).get(name)


# --- regularizers ----------------------------------------------------------------------


@pytest.mark.parametrize("name", ["r1", "r2"])
def test_r1_and_r2_of_a_linear_d_are_half_gamma_times_the_squared_weight_norm(name):
    step = make_step("discriminator", torch.rand(5, 1, 2, 2), discriminator=linear_discriminator((1, 2, 2), WEIGHT))
    term = zoo_class("regularizers", name)(gamma=4.0)(step)
    assert term.item() == pytest.approx(4.0 / 2 * WEIGHT.pow(2).sum().item())
    assert term.requires_grad  # D's update minimises it


def test_r1_is_taken_on_real_images_and_r2_on_generated_ones():
    """With D(x) = sum(x^2) the gradient is 2x, so the penalty tells which images it saw."""
    from torch import nn

    class Square(nn.Module):
        out_features = 1

        def forward(self, x):
            return x.flatten(1).pow(2).sum(1, keepdim=True)

    D = linear_discriminator((1, 2, 2))
    D.body, D.head = Square(), ganzoo.LinearHead(1)
    with torch.no_grad():
        D.head.linear.weight.fill_(1.0)
        D.head.linear.bias.zero_()
    real = torch.full((3, 1, 2, 2), 0.5)
    step = make_step("discriminator", real, discriminator=D, seed=1)
    assert zoo_class("regularizers", "r1")(gamma=2.0)(step).item() == pytest.approx((2 * real).pow(2).sum((1, 2, 3)).mean().item())
    fake = make_step("discriminator", real, discriminator=D, generator=step.generator, seed=1).generate(3).images
    r2 = zoo_class("regularizers", "r2")(gamma=2.0)(step)
    assert r2.item() == pytest.approx((2 * fake).pow(2).sum((1, 2, 3)).mean().item(), rel=1e-5)


def test_lecam_against_its_closed_form_and_its_averages_are_state():
    LeCam = zoo_class("regularizers", "lecam")
    real_logits, fake_logits = torch.tensor([1.0, 2.0, 0.5]), torch.tensor([-1.0, 0.0, -0.5])
    step = make_step("discriminator", torch.rand(3, 1, 2, 2))
    step.real_output = ganzoo.DiscriminatorOutput(real_logits, None)
    step.fake_output = ganzoo.DiscriminatorOutput(fake_logits, None)
    regularizer = LeCam(weight=0.5, decay=0.0)  # decay 0: the averages are this batch's means
    expected = 0.5 * ((real_logits - fake_logits.mean()).pow(2).mean() + (fake_logits - real_logits.mean()).pow(2).mean())
    assert regularizer(step).item() == pytest.approx(expected.item())
    again = LeCam(weight=0.5, decay=0.9)
    again.load_state_dict(regularizer.state_dict())
    torch.testing.assert_close(again.average_real, real_logits.mean())
    again(step)
    torch.testing.assert_close(again.average_real, real_logits.mean())  # 0.9 a + 0.1 a


def test_weight_clipping_clamps_every_parameter_of_d_after_its_update(synthetic_root, tmp_path):
    seen = {}

    class Look:
        @ganzoo.hookimpl
        def on_train_end(self, run):
            seen["d"] = [p.detach().clone() for p in run.discriminator.parameters()]

    ganzoo.register_plugin(Look(), name="look")
    try:
        result = ganzoo.train("wgan", "mnist", out=tmp_path / "wgan", data_root=str(synthetic_root), epochs=1,
                              limit_batches=10, batch_size=16, device="cpu")
    finally:
        ganzoo.unregister_plugin("look")
    assert max(p.abs().max().item() for p in seen["d"]) <= 0.01
    assert result.config.optimizer == "rmsprop" and result.config.d_steps == 5 and result.config.lr == 5e-5
    records = [json.loads(line) for line in (result.run_dir / "metrics.jsonl").read_text().splitlines()]
    assert set(records[0]) == {"step", "epoch", "loss_d", "loss_g", "score_real", "score_fake", "wasserstein"}


# --- DiffAugment -----------------------------------------------------------------------


def one_pixel_images(n=8, size=16):
    images = torch.full((n, 1, size, size), -1.0)
    images[:, :, 8, 8] = 1.0
    return images


def test_translation_moves_content_by_at_most_ratio_times_size_and_fills_with_zeros():
    images = one_pixel_images()
    moved = zoo_class("augmentations", "translation")(ratio=0.125)(images, torch.Generator().manual_seed(0))
    assert moved.shape == images.shape
    for image in moved[:, 0]:
        (rows, cols) = (image == 1.0).nonzero(as_tuple=True)
        assert len(rows) == 1 and abs(rows.item() - 8) <= 2 and abs(cols.item() - 8) <= 2  # 0.125 x 16
    shifted = [(image == 0).any().item() for image in moved[:, 0]]  # zero padding came in
    assert any(shifted)


def test_cutout_zeroes_one_square_of_ratio_times_size():
    images = torch.ones(16, 1, 16, 16)
    cut = zoo_class("augmentations", "cutout")(ratio=0.25)(images, torch.Generator().manual_seed(1))
    zeroed = (cut == 0).sum((1, 2, 3))
    assert zeroed.max().item() == 16  # a 4x4 square when it lies fully inside
    assert (zeroed > 0).all() and ((cut == 0) | (cut == 1)).all()


def test_color_changes_each_image_differently_and_is_reproducible():
    images = torch.rand(6, 3, 8, 8) * 2 - 1
    color = zoo_class("augmentations", "color")()
    a = color(images, torch.Generator().manual_seed(3))
    b = color(images, torch.Generator().manual_seed(3))
    torch.testing.assert_close(a, b)
    shifts = (a - images).mean((1, 2, 3))
    assert shifts.unique().numel() == 6


@pytest.mark.parametrize("name", ["color", "translation", "cutout"])
def test_each_transform_lets_gradients_through(name):
    images = (torch.rand(4, 1, 8, 8) * 2 - 1).requires_grad_(True)
    zoo_class("augmentations", name)()(images, torch.Generator().manual_seed(0)).sum().backward()
    assert images.grad is not None and images.grad.abs().sum() > 0


# --- relativistic objectives -----------------------------------------------------------


def test_rasgan_and_ralsgan_generator_losses_against_their_closed_forms():
    real = torch.rand(6, 1, 2, 2) * 2 - 1
    D = linear_discriminator((1, 2, 2), WEIGHT)
    step = make_step("generator", real, discriminator=D, seed=4)
    fake = make_step("generator", real, discriminator=D, generator=step.generator, seed=4).generate().images.detach()
    xr, xf = D(real).detach(), D(fake).detach()
    rasgan = -(F.logsigmoid(xf - xr.mean()).mean() + F.logsigmoid(-(xr - xf.mean())).mean())
    ralsgan = (xf - xr.mean() - 1).pow(2).mean() + (xr - xf.mean() + 1).pow(2).mean()
    torch.testing.assert_close(zoo_class("objectives", "rasgan")().generator_step(step).loss, rasgan)
    step = make_step("generator", real, discriminator=D, generator=step.generator, seed=4)
    torch.testing.assert_close(zoo_class("objectives", "ralsgan")().generator_step(step).loss, ralsgan)


@pytest.mark.parametrize("args", [
    ["gan", "--objective", "rasgan"],
    ["gan", "--objective", "ralsgan", "--regularizer", "r1:gamma=1"],
    ["gan", "--augment", "color,translation,cutout", "--regularizer", "lecam", "--regularizer", "r2:gamma=0.1"],
    ["cgan", "--objective", "rasgan", "--conditioning", "projection"],
])
def test_zoo_additions_train_from_the_command_line(args, synthetic_root, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", *args, "--data-root", str(synthetic_root), "--epochs", "1", "--limit-batches", "4",
              "--batch-size", "16", "--device", "cpu", "--out", str(tmp_path / "run"), "-q"])
    assert exit_.value.code == 0, capsys.readouterr().err
    records = [json.loads(line) for line in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 4 and all(torch.isfinite(torch.tensor(r["loss_d"])) for r in records)


def test_a_relativistic_objective_refuses_an_auxiliary_classifier_in_one_line(synthetic_root, tmp_path, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["run", "acgan", "--objective", "rasgan", "--data-root", str(synthetic_root), "--device", "cpu",
              "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "objective 'rasgan' cannot be used here" in err and "Traceback" not in err
    assert not (tmp_path / "run").exists()
