"""GAN (Goodfellow et al., 2014) with MLP generator and discriminator, as a ganzoo plugin.

Registered through the ``ganzoo`` entry-point group like any third-party plugin. The
architectures are imported lazily (``"module:attribute"``), so listing the zoo does not
build or import them.
"""

from ganzoo import ModelRecipe, hookimpl

# The reference script's own settings: ReLU generator without BatchNorm, Adam 3e-4 with
# PyTorch's default betas, batch 96, no weight averaging. They train, but collapse towards a few digit classes and leave salt
# noise in the background after 20 epochs (see docs/models.md).
REFERENCE = {
    "batch_size": 96,
    "lr": 3e-4,
    "betas": (0.9, 0.999),
    "ema": False,
    "generator_kwargs": {"activation": "relu", "batch_norm": False},
    "discriminator_kwargs": {"dropout": 0.0, "minibatch_std": False},
}

GAN = ModelRecipe(
    name="gan",
    generator="gan-mlp",
    discriminator="gan-mlp",
    loss="non-saturating",
    conditioning="none",
    # Chosen by comparing 8- and 20-epoch runs (docs/models.md): BatchNorm in G is what
    # stops the collapse onto a few digits; the average of G's weights removes most of
    # the salt noise; Adam 2e-4 with beta1 0.5 beat 1e-4 and the reference's 3e-4/0.9.
    hyperparameters={"epochs": 20, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "z_dim": 100, "ema": True},
    generator_kwargs={"activation": "leaky_relu", "batch_norm": True},
    # Minibatch standard deviation before D's last hidden layer (Karras et al. 2018): over 3
    # seeds at 20 epochs, FID 78.8 +- 6.3 -> 54.1 +- 1.0 and class TV 0.147 -> 0.067
    # (benchmarks/gan_recipe_search.py; docs/models.md).
    discriminator_kwargs={"dropout": 0.0, "minibatch_std": True},
    presets={"reference": REFERENCE},
    description="Goodfellow et al. 2014: MLP G (100-256-256-784, BatchNorm) and D (784-256-256-1, minibatch std)",
    reference="https://arxiv.org/abs/1406.2661",
)


@hookimpl
def register_generators(register):
    register("gan-mlp", "ganzoo_gan.models:build_mlp_generator", description="MLP 256-256, Tanh output")


@hookimpl
def register_discriminators(register):
    register("gan-mlp", "ganzoo_gan.models:build_mlp_discriminator", description="MLP 256-256, LeakyReLU 0.2")


@hookimpl
def register_models(register):
    register("gan", GAN, description=GAN.description)
