"""`ganzoo sample` beyond the grid: one class with --label, and latent interpolation strips
whose ends are exactly the single samples of the two seeds."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

import ganzoo
from ganzoo.cli import main
from ganzoo.latent_walks import interpolate, slerp
from ganzoo.sampling import sample

TILE = 28 + 2  # torchvision's grid: 2 pixels of padding before every tile, and 2 at the end


def run_cli(capsys, *args):
    with pytest.raises(SystemExit) as caught:
        main([str(a) for a in args])
    out, err = capsys.readouterr()
    return caught.value.code, out, err


def assert_one_line_error(err, *fragments):
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in err, err
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def tiny_runs(synthetic_root, tmp_path_factory):
    """A GAN and a CGAN trained for 4 batches: the strips' geometry, not their beauty."""
    base = tmp_path_factory.mktemp("sample-runs")
    return {
        model: ganzoo.train(model, "mnist", out=base / model, data_root=str(synthetic_root), epochs=1,
                            batch_size=32, limit_batches=4, device="cpu").run_dir
        for model in ("gan", "cgan")
    }


def pixels(path) -> torch.Tensor:
    with Image.open(path) as image:
        return torch.from_numpy(np.asarray(image.convert("L"), dtype=np.int16).copy())


def tile(strip: torch.Tensor, index: int, row: int = 0) -> torch.Tensor:
    top, left = 2 + row * TILE, 2 + index * TILE
    return strip[top : top + 28, left : left + 28]


@pytest.mark.parametrize("model, label_args", [("gan", []), ("cgan", []), ("cgan", ["--label", "7"])])
def test_strip_has_steps_tiles_and_its_ends_are_the_seeds_single_samples(tiny_runs, capsys, model, label_args):
    run = tiny_runs[model]
    code, out, err = run_cli(capsys, "sample", run, "--interpolate", 3, 8, "--steps", 6, *label_args, "--out", "strip.png")
    assert code == 0, err
    assert "strip of 6 images from seed 3 to seed 8" in out
    assert Image.open("strip.png").size == (6 * TILE + 2, TILE + 2)
    strip = pixels("strip.png")
    for seed, index in ((3, 0), (8, 5)):
        # a conditional strip without --label is class 0, which is also what --n 1 draws
        assert run_cli(capsys, "sample", run, "--n", 1, "--seed", seed, *label_args, "--out", f"one-{seed}.png")[0] == 0
        single = pixels(f"one-{seed}.png")
        assert single.shape == (28, 28)
        # batched and single forward passes may round differently in the last bit: at most 1 grey level
        assert (tile(strip, index) - single).abs().max() <= 1, (seed, index)
    # the middle is not just one of the ends
    assert (tile(strip, 2) - tile(strip, 0)).abs().max() > 1 or (tile(strip, 3) - tile(strip, 5)).abs().max() > 1


def test_interpolation_ends_match_sample_exactly_in_python(tiny_runs):
    loaded = ganzoo.load_generator(tiny_runs["cgan"], device="cpu")
    strip = interpolate(loaded, 11, 12, 5, label=4)
    assert strip.shape == (5, 1, 28, 28)
    for seed, image in ((11, strip[0]), (12, strip[-1])):
        single = sample(loaded, 1, seed=seed, labels=torch.tensor([4]))[0]
        torch.testing.assert_close(image, single, atol=1e-5, rtol=1e-5)


def test_slerp_keeps_the_norm_that_linear_interpolation_loses():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(100, generator=g), torch.randn(100, generator=g)
    path = slerp(a, b, torch.linspace(0, 1, 9))
    assert torch.equal(path[0], a) and torch.equal(path[-1], b)
    norms = path.norm(dim=1)
    assert norms.min() >= min(a.norm(), b.norm()) * 0.999  # stays on the shell where z lives
    assert ((a + b) / 2).norm() < 0.8 * norms[4]  # the straight line's middle falls inside it
    # (nearly) parallel vectors: no great circle, linear instead, and no NaN
    assert torch.isfinite(slerp(a, 2 * a, torch.linspace(0, 1, 3))).all()


def test_nrow_wraps_a_long_strip(tiny_runs, capsys):
    code, _, err = run_cli(capsys, "sample", tiny_runs["gan"], "--interpolate", 0, 1, "--steps", 6, "--nrow", 3,
                           "--out", "wrapped.png")
    assert code == 0, err
    assert Image.open("wrapped.png").size == (3 * TILE + 2, 2 * TILE + 2)


def test_label_draws_one_class_for_a_conditional_model(tiny_runs, capsys):
    code, out, err = run_cli(capsys, "sample", tiny_runs["cgan"], "--label", "7", "--n", 4, "--out", "sevens.png")
    assert code == 0 and "wrote 4 samples" in out, err
    loaded = ganzoo.load_generator(tiny_runs["cgan"], device="cpu")
    sevens = sample(loaded, 4, labels=torch.full((4,), 7), seed=0)
    not_sevens = sample(loaded, 4, labels=torch.full((4,), 2), seed=0)
    assert not torch.allclose(sevens, not_sevens)  # the label reaches the generator


@pytest.mark.parametrize(
    "model, args, fragments",
    [
        ("gan", ["--interpolate", "1", "2", "--steps", "1"], ["--steps", "1 is not in the range 2<=x<=1000"]),
        ("gan", ["--interpolate", "1", "2", "--n", "5"], ["--n does not apply to --interpolate"]),
        ("gan", ["--interpolate", "1", "2", "--seed", "5"], ["--seed does not apply to --interpolate"]),
        ("gan", ["--steps", "4"], ["--steps only applies to --interpolate"]),
        ("gan", ["--interpolate", "4", "4"], ["the two seeds are the same"]),
        ("gan", ["--interpolate", "1", "-2"], ["--interpolate", "-2 is not in the range x>=0"]),
        ("gan", ["--interpolate", "1", "x"], ["--interpolate", "'x' is not a valid integer"]),
        ("gan", ["--interpolate", "1", "2", "--label", "3"], ["not conditional"]),
        ("cgan", ["--interpolate", "1", "2", "--label", "12"], ["--label '12' is not a class", "0..9"]),
        ("cgan", ["--interpolate", "1", "2", "--out", "strip.gif"], ["must end in .png"]),
    ],
)
def test_bad_values_are_one_line_with_exit_code_2(tiny_runs, capsys, tmp_path, model, args, fragments):
    if "--out" not in args:
        args = [*args, "--out", "strip.png"]
    code, _, err = run_cli(capsys, "sample", tiny_runs[model], *args)
    assert code == 2
    assert_one_line_error(err, *fragments)
    assert not list(tmp_path.glob("strip.*"))  # nothing written


def test_an_existing_strip_is_only_replaced_with_overwrite(tiny_runs, capsys):
    args = ["sample", tiny_runs["gan"], "--interpolate", 0, 1, "--out", "strip.png"]
    assert run_cli(capsys, *args)[0] == 0
    assert Image.open("strip.png").size == (10 * TILE + 2, TILE + 2)  # --steps defaults to 10
    code, _, err = run_cli(capsys, *args)
    assert code == 2
    assert_one_line_error(err, "already exists", "--overwrite")
    assert run_cli(capsys, *args, "--overwrite")[0] == 0


@pytest.mark.parametrize("model, kwargs, message", [
    ("cgan", {"n": "3"}, "--n must be an integer >= 1, got '3'"),
    ("cgan", {"n": 4, "seed": -1}, "--seed must be an integer in [0, 2^63)"),
    ("cgan", {"n": 4, "labels": [11, 11, 11, 11]}, "labels must be in 0..9"),
    ("cgan", {"n": 4, "labels": [1, 2]}, "labels must be 4 integer class indices"),
    ("cgan", {"n": 4, "labels": torch.full((4,), 0.5)}, "labels must be 4 integer class indices"),
    ("gan", {"n": 4, "labels": [1, 2, 3, 4]}, "is not conditional"),
])
def test_python_sample_refuses_bad_arguments_with_a_config_error(tiny_runs, model, kwargs, message):
    import re

    loaded = ganzoo.load_generator(tiny_runs[model])
    with pytest.raises(ganzoo.errors.ConfigError, match=re.escape(message)):
        ganzoo.sample(loaded, **kwargs)


def test_python_sample_draws_the_labels_it_is_given(tiny_runs):
    loaded = ganzoo.load_generator(tiny_runs["cgan"])
    sevens = ganzoo.sample(loaded, 3, labels=[7, 7, 7], seed=5)
    as_tensor = ganzoo.sample(loaded, 3, labels=torch.tensor([7, 7, 7]), seed=5)
    assert sevens.shape == (3, 1, 28, 28) and torch.equal(sevens, as_tensor)
    assert not torch.equal(sevens, ganzoo.sample(loaded, 3, labels=[1, 1, 1], seed=5))  # the label matters
