"""Example ganzoo plugin: a loss, an objective, a recipe, a procedural dataset and a run option."""

import ganzoo
from ganzoo_example.step_grids import make_run_plugins, register_options  # noqa: F401  (hookimpls)

SMOOTH_GAN = ganzoo.ModelRecipe(
    name="smooth-gan",
    generator="gan-mlp",  # architectures registered by ganzoo's own `gan` plugin
    discriminator="gan-mlp",
    loss="label-smoothing",
    hyperparameters={"epochs": 10, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "ema": True},
    generator_kwargs={"batch_norm": True},
    description="MLP GAN whose D is trained with one-sided label smoothing",
)


@ganzoo.hookimpl
def register_losses(register):
    register(
        "label-smoothing",
        "ganzoo_example.loss:LabelSmoothingLoss",
        description="one-sided label smoothing (Salimans et al. 2016): D's real target is 0.9",
    )


@ganzoo.hookimpl
def register_models(register):
    register("smooth-gan", SMOOTH_GAN, description=SMOOTH_GAN.description)


@ganzoo.hookimpl
def register_datasets(register):
    register("rings", "ganzoo_example.rings:RINGS", description="procedural rings, 10 radii as classes, 28x28")


@ganzoo.hookimpl
def register_objectives(register):
    register(
        "feature-matching",
        "ganzoo_example.feature_matching:FeatureMatching",
        description="feature matching (Salimans et al. 2016): G matches the mean of D's features on real data",
    )
