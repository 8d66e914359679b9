"""Conditional GAN (Mirza & Osindero, 2014), as a ganzoo plugin.

The label reaches both networks through the core ``embedding-concat`` conditioning
strategy; this plugin only provides the reference architectures and hyperparameters.
"""

from ganzoo import ModelRecipe, hookimpl

CGAN = ModelRecipe(
    name="cgan",
    generator="cgan-mlp",
    discriminator="cgan-mlp",
    loss="non-saturating",
    conditioning="embedding-concat",
    # The reference's hyperparameters, plus an average of G's weights for sampling (which
    # changes nothing in training; --no-ema turns it off).
    hyperparameters={"epochs": 20, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "z_dim": 100, "ema": True},
    description="Mirza & Osindero 2014: label embedding fed to MLP G (128-256-512-1024, BatchNorm) and D (512x3, dropout 0.4)",
    reference="https://arxiv.org/abs/1411.1784",
)


@hookimpl
def register_generators(register):
    register("cgan-mlp", "ganzoo_cgan.models:build_generator", description="MLP 128-256-512-1024 with BatchNorm, Tanh output")


@hookimpl
def register_discriminators(register):
    register("cgan-mlp", "ganzoo_cgan.models:build_discriminator", description="MLP 512x3, dropout 0.4, LeakyReLU 0.2")


@hookimpl
def register_models(register):
    register("cgan", CGAN, description=CGAN.description)
