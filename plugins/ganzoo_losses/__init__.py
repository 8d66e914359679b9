"""More adversarial losses for every model: hinge, least squares (LSGAN), Wasserstein
(WGAN, with weight clipping) and Wasserstein with gradient penalty (WGAN-GP), registered
through the ``ganzoo`` entry-point group like any third-party plugin; choose one with
``ganzoo run MODEL --loss NAME``. The relativistic average losses (RaSGAN, RaLSGAN) need
D's real logits in G's step, so they are objectives: ``--objective rasgan``. The
``wgan`` model is the paper's recipe."""

from ganzoo import ModelRecipe, hookimpl

WGAN = ModelRecipe(
    name="wgan",
    generator="gan-mlp",  # the `gan` plugin's MLPs: the paper's MLP experiments (section 4.3)
    discriminator="gan-mlp",
    loss="wasserstein",
    conditioning="none",
    # Arjovsky et al. 2017, Algorithm 1: RMSprop 5e-5, clipping 0.01, 5 critic steps, batch 64.
    hyperparameters={"epochs": 20, "batch_size": 64, "lr": 5e-5, "optimizer": "rmsprop", "d_steps": 5,
                     "regularizers": ["weight-clipping:clip=0.01"], "ema": True},
    generator_kwargs={"activation": "leaky_relu", "batch_norm": True},
    discriminator_kwargs={"dropout": 0.0},
    description="WGAN (Arjovsky et al. 2017): critic with weight clipping 0.01, RMSprop 5e-5, 5 critic steps",
    reference="https://arxiv.org/abs/1701.07875",
)


@hookimpl
def register_losses(register):
    register(
        "hinge",
        "ganzoo_losses.losses:HingeLoss",
        description="hinge (Lim & Ye 2017, SN-GAN): D's margin 1 on both sides; G maximises D(G(z))",
    )
    register(
        "least-squares",
        "ganzoo_losses.losses:LeastSquaresLoss",
        description="LSGAN (Mao et al. 2017): D regresses 1 for real, 0 for fake; G pushes D(G(z)) to 1",
    )
    register(
        "wasserstein",
        "ganzoo_losses.losses:WassersteinLoss",
        description="WGAN (Arjovsky et al. 2017): the critic's E[D(x)] - E[D(G(z))]; needs a Lipschitz constraint",
    )
    register(
        "wasserstein-gp",
        "ganzoo_losses.losses:WassersteinGPLoss",
        description="WGAN-GP (Gulrajani et al. 2017): critic with gradient penalty 10, 5 critic steps",
    )


@hookimpl
def register_objectives(register):
    register("rasgan", "ganzoo_losses.relativistic:RelativisticAverageGAN",
             description="RaSGAN (Jolicoeur-Martineau 2018): relativistic average cross-entropy, fresh real logits in G's step")
    register("ralsgan", "ganzoo_losses.relativistic:RelativisticAverageLSGAN",
             description="RaLSGAN (Jolicoeur-Martineau 2018): relativistic average least squares")


@hookimpl
def register_models(register):
    register("wgan", WGAN, description=WGAN.description)
