"""More conditioning strategies for every model: the projection discriminator and the
auxiliary classifier (ACGAN), registered through the ``ganzoo`` entry-point group like
any third-party plugin. Choose one with ``ganzoo run MODEL --conditioning NAME``; the
``acgan`` model is the MLP GAN with the auxiliary classifier."""

from ganzoo import ModelRecipe, hookimpl

ACGAN = ModelRecipe(
    name="acgan",
    generator="gan-mlp",  # the `gan` plugin's architectures
    discriminator="gan-mlp",
    loss="non-saturating",
    conditioning="auxiliary-classifier",
    hyperparameters={"epochs": 20, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "ema": True},
    generator_kwargs={"activation": "leaky_relu", "batch_norm": True},
    discriminator_kwargs={"dropout": 0.0},
    description="ACGAN (Odena et al. 2017): the MLP G and D of gan; D also predicts the class",
    reference="https://arxiv.org/abs/1610.09585",
)


@hookimpl
def register_conditioning(register):
    register(
        "projection",
        "ganzoo_conditioning.strategies:Projection",
        description="projection discriminator (Miyato & Koyama 2018): label projected onto D's features",
    )
    register(
        "cbn-projection",
        "ganzoo_conditioning.strategies:ClassConditionalBatchNormProjection",
        description="class-conditional BatchNorm in G, projection in D (SNGAN-projection, BigGAN); for sngan-resnet",
    )
    register(
        "auxiliary-classifier",
        "ganzoo_conditioning.strategies:AuxiliaryClassifier",
        description="ACGAN (Odena et al. 2017): D sees the image alone and also predicts its class",
    )


@hookimpl
def register_models(register):
    register("acgan", ACGAN, description=ACGAN.description)
