"""DCGAN (Radford et al. 2016): convolutional generator and discriminator, as a plugin.

For 28x28 images (MNIST, Fashion-MNIST) and 32x32 (CIFAR-10, image folders): the depth
follows the image size. ``--loss``, ``--conditioning`` and the other options work as with
every model; ``discriminator_kwargs={"spectral_norm": True}`` (in the ``sn`` preset) puts
spectral normalisation (Miyato et al. 2018) on D's layers instead of BatchNorm.

The recipe uses the networks InfoGAN (Chen et al. 2016) and Lucic et al. (2018) train on
MNIST: DCGAN's convolutions with one fully connected layer of 1024 units after G's input
and after D's last convolution. Radford et al.'s networks without it gave FID 98-120 on
MNIST after 4-5 epochs, with malformed strokes; these gave 21 after 3 (docs/models.md).
``--preset reference`` trains Radford et al.'s networks and settings.
"""

from ganzoo import ModelRecipe, hookimpl

DCGAN = ModelRecipe(
    name="dcgan",
    generator="dcgan",
    discriminator="dcgan",
    loss="least-squares",
    conditioning="none",
    hyperparameters={"epochs": 5, "batch_size": 128, "lr": 4e-4, "betas": (0.5, 0.999), "z_dim": 100, "ema": True},
    # InfoGAN's MNIST networks (Chen et al. 2016, used for MNIST by Lucic et al. 2018): a
    # fully connected layer of 1024 after G's input and after D's last convolution.
    generator_kwargs={"hidden": 1024},
    discriminator_kwargs={"hidden": 1024},
    presets={
        # Radford et al.'s networks and settings: no fully connected layers, batch 64 at 2e-4.
        "reference": {"generator_kwargs": {"hidden": 0}, "discriminator_kwargs": {"hidden": 0},
                      "loss": "non-saturating", "batch_size": 64, "lr": 2e-4},
        # Radford et al.'s networks with spectral norm in D instead of BatchNorm (the networks
        # and batch of the data-limited and zoo measurements in docs/models.md).
        "sn": {"generator_kwargs": {"hidden": 0}, "discriminator_kwargs": {"hidden": 0, "spectral_norm": True},
               "loss": "non-saturating", "batch_size": 64, "lr": 2e-4},
        # SAGAN's self-attention block at 14x14 (16x16) in Radford et al.'s G and D, spectral
        # norm in D, TTUR.
        "attention": {"generator_kwargs": {"hidden": 0, "attention": True},
                      "discriminator_kwargs": {"hidden": 0, "spectral_norm": True, "attention": True},
                      "loss": "hinge", "batch_size": 64, "lr_d": 4e-4, "lr_g": 1e-4, "betas": (0.0, 0.9)},
    },
    description="Radford et al. 2016: transposed-convolution G, strided-convolution D (28x28 and 32x32)",
    reference="https://arxiv.org/abs/1511.06434",
)


@hookimpl
def register_generators(register):
    register("dcgan", "ganzoo_dcgan.models:build_generator", description="project + transposed convolutions, BatchNorm, ReLU, Tanh")


@hookimpl
def register_discriminators(register):
    register("dcgan", "ganzoo_dcgan.models:build_discriminator", description="strided convolutions, LeakyReLU 0.2, BatchNorm or spectral norm")


@hookimpl
def register_models(register):
    register("dcgan", DCGAN, description=DCGAN.description)
