"""Every model x loss x conditioning of the built-in zoo, from the command line: each one
trains (a couple of iterations on the synthetic set) or is refused before anything is
written, with a one-line reason."""

import json

import pytest
import torch

import ganzoo
from ganzoo.config import resolve_config
from test_cli import run_cli

MODELS = ["gan", "cgan", "acgan", "dcgan"]
LOSSES = ["minimax", "non-saturating", "hinge", "least-squares", "wasserstein-gp"]
CONDITIONING = ["none", "embedding-concat", "projection", "auxiliary-classifier"]


def test_the_zoo_lists_what_is_combined_here():
    zoo = ganzoo.get_zoo()
    assert set(MODELS) <= set(zoo.models.names())
    assert set(LOSSES) <= set(zoo.losses.names()) and set(CONDITIONING) <= set(zoo.conditioning.names())


@pytest.mark.parametrize("conditioning", CONDITIONING)
@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("model", MODELS)
def test_combination(model, loss, conditioning, synthetic_root, tmp_path, capsys):
    run_dir = tmp_path / "run"
    args = ["run", model, "--loss", loss, "--conditioning", conditioning, "--dataset", "fashion-mnist",
            "--data-root", str(synthetic_root), "--epochs", "1", "--batch-size", "16", "--device", "cpu",
            "--out", str(run_dir), "-q"]
    if model == "dcgan" and loss == "wasserstein-gp":
        # DCGAN's D has BatchNorm: a per-sample gradient penalty is meaningless with it.
        code, _, err = run_cli(capsys, *args)
        assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
        assert "loss 'wasserstein-gp' needs a discriminator that treats each sample on its own" in err
        assert "BatchNorm2d" in err and "--preset sn" in err
        assert not run_dir.exists()
        args += ["--preset", "sn"]  # spectral norm instead of BatchNorm: accepted
    d_steps = resolve_config(ganzoo.get_zoo(), model, "fashion-mnist", loss=loss,
                             preset="sn" if "--preset" in args else None).d_steps  # WGAN-GP asks for more
    code, out, err = run_cli(capsys, *args, "--limit-batches", str(2 * d_steps))
    assert code == 0, err
    records = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(torch.isfinite(torch.tensor([r["loss_d"], r["loss_g"]])).all() for r in records)
    assert ("d_class_acc_real" in records[0]) == (conditioning == "auxiliary-classifier")
    loaded = ganzoo.load_generator(run_dir, device="cpu")
    assert loaded.conditional == (conditioning != "none")
    assert ganzoo.sample(loaded, 4, seed=0).shape == (4, 1, 28, 28)


def test_an_architecture_with_the_wrong_output_shape_is_refused_before_training(ganzoo_plugin, synthetic_root,
                                                                                  tmp_path, capsys):
    """A plugin's D body that claims 8 features but returns an image-shaped map: caught
    by the shape check before training, not as a broadcasting error inside a loss."""
    from torch import nn

    class Broken(nn.Module):
        out_features = 8

        def __init__(self, spec):
            super().__init__()
            self.conv = nn.Conv2d(spec.in_shape[0], 8, 3, padding=1)

        def forward(self, x):
            return self.conv(x)  # (N, 8, 28, 28), not (N, 8)

    def build(spec):
        return Broken(spec)

    build.input_kind = "image"

    class BrokenPlugin:
        @ganzoo.hookimpl
        def register_discriminators(self, register):
            register("broken", build)

        @ganzoo.hookimpl
        def register_models(self, register):
            register("broken-gan", ganzoo.ModelRecipe(name="broken-gan", generator="gan-mlp", discriminator="broken"))

    ganzoo_plugin(BrokenPlugin())
    code, _, err = run_cli(capsys, "run", "broken-gan", "--data-root", str(synthetic_root), "--device", "cpu",
                           "--out", str(tmp_path / "run"))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert "model 'broken-gan' cannot be built for dataset 'mnist'" in err
    assert "the discriminator gives outputs of shape" in err
    assert not (tmp_path / "run").exists()
