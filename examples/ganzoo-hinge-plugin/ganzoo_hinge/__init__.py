"""Example ganzoo plugin: a hinge loss, a recipe that uses it, and a procedural dataset."""

import ganzoo

HINGE_GAN = ganzoo.ModelRecipe(
    name="hinge-gan",
    generator="gan-mlp",  # architectures registered by ganzoo's own `gan` plugin
    discriminator="gan-mlp",
    loss="hinge",
    hyperparameters={"epochs": 10, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "ema": True},
    generator_kwargs={"batch_norm": True},
    description="MLP GAN trained with the hinge loss",
)


@ganzoo.hookimpl
def register_losses(register):
    register("hinge", "ganzoo_hinge.loss:HingeLoss", description="hinge loss (Lim & Ye 2017)")


@ganzoo.hookimpl
def register_models(register):
    register("hinge-gan", HINGE_GAN, description=HINGE_GAN.description)


@ganzoo.hookimpl
def register_datasets(register):
    register("rings", "ganzoo_hinge.rings:RINGS", description="procedural rings, 10 radii as classes, 28x28")
