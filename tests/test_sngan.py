"""SNGAN's ResNets, SAGAN's self-attention, class-conditional BatchNorm (cbn-projection)."""

from __future__ import annotations

import pytest
import torch
from torch.nn.utils.parametrize import is_parametrized

import ganzoo
from ganzoo.config import resolve_config
from ganzoo.layers import ConditionalBatchNorm2d, SelfAttention
from ganzoo.models import build_gan


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
@pytest.mark.parametrize("conditioning, attention", [("none", False), ("none", True), ("cbn-projection", True)])
def test_resnet_shapes_and_spectral_norm(shape, conditioning, attention):
    config = resolve_config(ganzoo.get_zoo(), "sngan", "mnist", conditioning=conditioning)
    config.generator_kwargs = {"width": 32, "attention": attention}
    config.discriminator_kwargs = {"width": 32, "attention": attention}
    G, D = build_gan(config, ganzoo.get_zoo(), image_shape=shape, num_classes=10)
    z = torch.randn(4, config.z_dim)
    y = torch.tensor([0, 3, 5, 9]) if conditioning != "none" else None
    images = G(z, y)
    assert images.shape == (4, *shape) and images.abs().max() <= 1
    assert D.features(images, y).shape == (4, 32) and D(images, y).shape == (4,)
    convs = [m for m in D.body.modules() if isinstance(m, torch.nn.Conv2d)]
    assert convs and all(is_parametrized(m, "weight") for m in convs)  # spectral norm on every layer of D
    assert any(isinstance(m, SelfAttention) for m in G.modules()) == attention
    assert any(isinstance(m, ConditionalBatchNorm2d) for m in G.modules()) == (conditioning != "none")


def test_an_unsupported_size_is_refused():
    config = resolve_config(ganzoo.get_zoo(), "sngan", "mnist")
    with pytest.raises(ValueError, match="32x32 or 28x28"):
        build_gan(config, ganzoo.get_zoo(), image_shape=(1, 20, 20), num_classes=None)


def test_self_attention_starts_as_the_identity_and_attends_over_all_positions():
    block = SelfAttention(16)
    x = torch.randn(2, 16, 5, 5)
    assert torch.equal(block(x), x)  # gamma = 0
    with torch.no_grad():
        block.gamma.fill_(1.0)
    out = block(x)
    assert out.shape == x.shape and not torch.allclose(out, x)
    # Changing one far-away position changes the output everywhere: attention is global.
    x2 = x.clone()
    x2[:, :, 4, 4] += 5.0
    assert not torch.allclose(block(x2)[:, :, 0, 0], out[:, :, 0, 0])
    out.sum().backward()
    assert block.gamma.grad is not None


def test_conditional_batchnorm_starts_as_batchnorm_and_then_depends_on_the_class():
    norm = ConditionalBatchNorm2d(3, num_classes=4)
    x = torch.randn(8, 3, 4, 4)
    y = torch.arange(8) % 4
    plain = torch.nn.BatchNorm2d(3, affine=False)
    torch.testing.assert_close(norm(x, y), plain(x))
    with torch.no_grad():
        norm.gamma.weight[1].fill_(2.0)
        norm.beta.weight[1].fill_(0.5)
    out = norm(x, y)
    torch.testing.assert_close(out[y == 1], 2.0 * plain(x)[y == 1] + 0.5)
    torch.testing.assert_close(out[y == 0], plain(x)[y == 0])


def test_sngan_with_cbn_projection_trains_and_draws_classes(synthetic_root, tmp_path):
    result = ganzoo.train("sngan", "mnist", conditioning="cbn-projection", out=tmp_path / "run",
                          data_root=str(synthetic_root), epochs=1, limit_batches=10, batch_size=8, d_steps=1,
                          device="cpu")
    state = torch.load(result.checkpoint, weights_only=True)
    assert any(key.endswith("gamma.weight") for key in state["generator"])  # class-conditional BN was learned
    loaded = ganzoo.load_generator(result.run_dir, device="cpu")
    sevens = ganzoo.sample(loaded, 4, labels=[7, 7, 7, 7])
    assert sevens.shape == (4, 1, 28, 28)


def test_cbn_projection_refuses_a_generator_without_class_conditional_batchnorm(synthetic_root, tmp_path):
    with pytest.raises(ganzoo.errors.ConfigError, match="needs class-conditional BatchNorm in G, which this generator"):
        ganzoo.train("dcgan", "mnist", conditioning="cbn-projection", out=tmp_path / "run", data_root=str(synthetic_root),
                     device="cpu")
    assert not (tmp_path / "run").exists()


def test_sagan_uses_ttur_and_attention_in_both_networks(synthetic_root, tmp_path):
    seen = {}

    class Look:
        @ganzoo.hookimpl
        def on_train_start(self, run):
            seen["lr"] = (run.optimizer_d.param_groups[0]["lr"], run.optimizer_g.param_groups[0]["lr"])
            seen["attention"] = [any(isinstance(m, SelfAttention) for m in net.modules())
                                 for net in (run.generator, run.discriminator)]

    ganzoo.register_plugin(Look(), name="look")
    try:
        ganzoo.train("sagan", "mnist", out=tmp_path / "run", data_root=str(synthetic_root), epochs=1, limit_batches=2,
                     batch_size=8, device="cpu")
    finally:
        ganzoo.unregister_plugin("look")
    assert seen == {"lr": (4e-4, 1e-4), "attention": [True, True]}


def test_dcgan_attention_preset_trains(synthetic_root, tmp_path):
    result = ganzoo.train("dcgan", "mnist", preset="attention", out=tmp_path / "run", data_root=str(synthetic_root),
                          epochs=1, limit_batches=3, batch_size=8, device="cpu")
    assert result.config.lr_d == 4e-4 and result.config.loss == "hinge"
