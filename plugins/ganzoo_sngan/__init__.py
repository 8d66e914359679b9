"""SNGAN (Miyato et al. 2018) and SAGAN (Zhang et al. 2019) as a plugin: the ResNet
generator and discriminator of SNGAN's CIFAR-10 experiments (28x28 and 32x32), spectral
normalisation, the hinge loss, and SAGAN's self-attention and two time-scale learning rates.

``--conditioning cbn-projection`` (the ``conditioning`` plugin) gives the class-conditional
version of the SNGAN-projection paper: class-conditional BatchNorm in G, projection in D."""

from ganzoo import ModelRecipe, hookimpl

SNGAN = ModelRecipe(
    name="sngan",
    generator="sngan-resnet",
    discriminator="sngan-resnet",
    loss="hinge",
    conditioning="none",
    # Miyato et al. 2018, table 1 setting C for the ResNets: Adam 2e-4, betas (0, 0.9), 5 D steps.
    hyperparameters={"epochs": 10, "batch_size": 64, "lr": 2e-4, "betas": (0.0, 0.9), "d_steps": 5, "z_dim": 128,
                     "ema": True},
    description="SNGAN (Miyato et al. 2018): ResNet G and spectrally normalised ResNet D, hinge loss, 5 D steps",
    reference="https://arxiv.org/abs/1802.05957",
)

SAGAN = ModelRecipe(
    name="sagan",
    generator="sngan-resnet",
    discriminator="sngan-resnet",
    loss="hinge",
    conditioning="none",
    # Zhang et al. 2019, section 5: TTUR (D 4e-4, G 1e-4), betas (0, 0.9), one D step,
    # spectral norm in G too, self-attention in both networks.
    hyperparameters={"epochs": 10, "batch_size": 64, "lr_d": 4e-4, "lr_g": 1e-4, "betas": (0.0, 0.9), "d_steps": 1,
                     "z_dim": 128, "ema": True},
    generator_kwargs={"attention": True, "spectral_norm": True},
    discriminator_kwargs={"attention": True},
    description="SAGAN (Zhang et al. 2019): SNGAN's ResNets with self-attention, SN in G and D, TTUR 4e-4/1e-4",
    reference="https://arxiv.org/abs/1805.08318",
)


@hookimpl
def register_generators(register):
    register("sngan-resnet", "ganzoo_sngan.models:build_generator",
             description="ResNet up-blocks, BatchNorm (class-conditional with cbn-projection), optional self-attention")


@hookimpl
def register_discriminators(register):
    register("sngan-resnet", "ganzoo_sngan.models:build_discriminator",
             description="ResNet down-blocks, spectral norm, global sum pooling, optional self-attention")


@hookimpl
def register_models(register):
    register("sngan", SNGAN, description=SNGAN.description)
    register("sagan", SAGAN, description=SAGAN.description)
