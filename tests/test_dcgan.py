"""The DCGAN plugin: shapes for 28x28 and 32x32, conditioning, spectral norm, training."""

import pytest
import torch

import ganzoo
from ganzoo.config import resolve_config
from ganzoo.models import build_gan


@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32)])
@pytest.mark.parametrize("conditioning, classes", [("none", None), ("embedding-concat", 10)])
@pytest.mark.parametrize("spectral_norm", [False, True])
def test_shapes(shape, conditioning, classes, spectral_norm):
    zoo = ganzoo.get_zoo()
    config = resolve_config(zoo, "dcgan", "mnist", conditioning=conditioning)
    config.discriminator_kwargs = {**config.discriminator_kwargs, "spectral_norm": spectral_norm}
    G, D = build_gan(config, zoo, image_shape=shape, num_classes=classes)
    z = torch.randn(5, 100)
    y = torch.randint(0, 10, (5,)) if classes else None
    images = G(z, y)
    assert images.shape == (5, *shape) and images.abs().max() <= 1
    assert D(images, y).shape == (5,)
    norms = [m for m in D.modules() if isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d))]
    assert (len(norms) == 0) == spectral_norm  # spectral norm replaces BatchNorm in D
    if spectral_norm:
        assert any("parametrizations" in name for name, _ in D.named_parameters())


def test_unsupported_image_size_is_refused():
    zoo = ganzoo.get_zoo()
    config = resolve_config(zoo, "dcgan", "mnist")
    with pytest.raises(ValueError, match="dcgan supports square images of 4 or 7 times a power of two"):
        build_gan(config, zoo, image_shape=(1, 30, 30), num_classes=None)


def test_dcgan_trains_with_conditioning_and_spectral_norm(synthetic_root, tmp_path):
    result = ganzoo.train("dcgan", "mnist", out=tmp_path / "dc", data_root=str(synthetic_root), preset="sn",
                          conditioning="embedding-concat", loss="least-squares",
                          epochs=1, batch_size=32, limit_batches=6, device="cpu")
    assert result.steps == 6
    loaded = ganzoo.load_generator(result.run_dir, device="cpu")
    assert loaded.conditional and ganzoo.sample(loaded, 20, seed=1).shape == (20, 1, 28, 28)


def test_a_dataset_the_architecture_cannot_take_is_refused_before_training(ganzoo_plugin, tmp_path):
    from ganzoo.data import DatasetSpec
    from ganzoo.errors import ConfigError

    class OddSizes:
        @ganzoo.hookimpl
        def register_datasets(self, register):
            images = torch.zeros(64, 1, 30, 30, dtype=torch.uint8)
            register("odd", DatasetSpec(name="odd", image_shape=(1, 30, 30), num_classes=None,
                                        open=lambda root, train, download: None,
                                        to_tensors=lambda ds: (images, torch.zeros(64, dtype=torch.long))))

    ganzoo_plugin(OddSizes())
    with pytest.raises(ConfigError, match=r"model 'dcgan' cannot be built for dataset 'odd' \(images 1x30x30\)"):
        ganzoo.train("dcgan", "odd", out=tmp_path / "run", batch_size=32, device="cpu")
    assert not (tmp_path / "run").exists()


@pytest.mark.parametrize("spectral_norm", [False, True])
def test_weights_start_as_in_the_paper_and_g_does_not_start_saturated(spectral_norm):
    """N(0, 0.02) weights and N(1, 0.02) BatchNorm scales (Radford et al., section 4). With
    PyTorch's default initialisation, G's last transposed convolution starts about seven
    times larger and a good share of the first images sit at the Tanh's +-1."""
    torch.manual_seed(0)
    zoo = ganzoo.get_zoo()
    config = resolve_config(zoo, "dcgan", "mnist")
    config.discriminator_kwargs = {**config.discriminator_kwargs, "spectral_norm": spectral_norm}
    G, D = build_gan(config, zoo, image_shape=(1, 28, 28), num_classes=None)
    for module in (G.body, D.body):
        for name, p in module.named_parameters():
            if p.dim() > 1:  # conv / linear weights (spectral norm's original weight included)
                assert p.std().item() == pytest.approx(0.02, rel=0.1), name
            elif name.endswith("weight"):  # BatchNorm scales
                assert p.mean().item() == pytest.approx(1.0, abs=0.01), name
    images = G(torch.randn(256, 100), None)
    assert (images.abs() > 0.95).float().mean() < 0.01


@pytest.mark.parametrize("hidden", [0, 256])
def test_fully_connected_layers_and_minibatch_std_are_options(hidden):
    """InfoGAN's MNIST networks: a fully connected layer of ``hidden`` units after G's input
    and after D's last convolution; minibatch std adds one feature to D's flattened map."""
    from ganzoo import ArchitectureSpec
    from ganzoo.layers import MinibatchStdDev
    from ganzoo_dcgan.models import build_discriminator, build_generator

    spec = ArchitectureSpec(image_shape=(1, 28, 28), in_features=100, in_shape=(1, 28, 28))
    G = build_generator(spec, hidden=hidden)
    D = build_discriminator(spec, hidden=hidden, minibatch_std=True)
    linears = [m for m in G.modules() if isinstance(m, torch.nn.Linear)]
    assert [m.in_features for m in linears] == ([100, hidden] if hidden else [100])
    features = D(G(torch.randn(8, 100)))
    assert features.shape == (8, D.out_features) == (8, hidden or 128 * 7 * 7 + 1)
    assert any(isinstance(m, MinibatchStdDev) for m in D.modules())
    if hidden:  # D's fully connected layer sees the convolutions' map and the batch's spread
        d_linear = next(m for m in D.modules() if isinstance(m, torch.nn.Linear))
        assert d_linear.in_features == 128 * 7 * 7 + 1 and d_linear.weight.std().item() == pytest.approx(0.02, rel=0.1)
