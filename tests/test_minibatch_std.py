"""Minibatch standard deviation, and the MLP discriminator's spectral norm and minibatch-std options."""

import pytest
import torch
from torch.nn.utils.parametrize import is_parametrized

import ganzoo
from ganzoo.layers import MinibatchStdDev


def test_it_appends_the_mean_std_of_each_group_to_its_samples():
    x = torch.tensor([[0.0, 0.0], [1.0, 3.0], [2.0, 2.0], [5.0, 1.0]])
    out = MinibatchStdDev(group_size=2)(x)
    # groups are samples {0, 2} and {1, 3} (strided, as in Karras et al.'s code)
    group_a = torch.stack([x[0], x[2]]).std(0, unbiased=False).mean()
    group_b = torch.stack([x[1], x[3]]).std(0, unbiased=False).mean()
    torch.testing.assert_close(out[:, :2], x)
    torch.testing.assert_close(out[:, 2], torch.stack([group_a, group_b, group_a, group_b]), atol=1e-4, rtol=1e-4)


def test_a_collapsed_batch_gets_zero_and_images_get_one_more_channel():
    same = torch.ones(4, 3)
    assert MinibatchStdDev()(same)[:, -1].abs().max() < 1e-3
    images = torch.randn(6, 2, 5, 5)
    out = MinibatchStdDev(group_size=4)(images)  # 4 does not divide 6: groups of 3
    assert out.shape == (6, 3, 5, 5) and torch.equal(out[:, :2], images)


def test_the_mlp_discriminator_options_and_what_the_engine_makes_of_them(synthetic_root, tmp_path):
    build = ganzoo.get_zoo().discriminators.get("gan-mlp")
    body = build(ganzoo.ArchitectureSpec(image_shape=(1, 28, 28), in_shape=(784,)), hidden=[64, 32],
                 spectral_norm=True, minibatch_std=True)
    linears = [m for m in body.modules() if isinstance(m, torch.nn.Linear)]
    assert all(is_parametrized(m, "weight") for m in linears) and linears[1].in_features == 65
    assert body(torch.randn(8, 784)).shape == (8, 32)
    # It mixes the samples of a batch: real and fake go through D separately; a gradient
    # penalty accepts it (as StyleGAN2 trains R1 with it), but not BatchNorm.
    from ganzoo.config import resolve_config
    from ganzoo.training import Trainer

    config = resolve_config(ganzoo.get_zoo(), "gan", "mnist", data_root=str(synthetic_root), device="cpu",
                            regularizers=["r1"])
    config.discriminator_kwargs = {"minibatch_std": True}
    with Trainer(config, tmp_path / "run") as trainer:
        assert not trainer.parts.joint_forward
    config = resolve_config(ganzoo.get_zoo(), "dcgan", "mnist", data_root=str(synthetic_root), device="cpu",
                            regularizers=["r1"])
    with pytest.raises(ganzoo.errors.ConfigError, match="has BatchNorm2d, which mixes the samples"):
        Trainer(config, tmp_path / "run2")
