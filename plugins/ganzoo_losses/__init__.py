"""More adversarial losses for every model: hinge, least squares (LSGAN) and Wasserstein with
gradient penalty (WGAN-GP), registered through the ``ganzoo`` entry-point group like any
third-party plugin. Choose one with ``ganzoo run MODEL --loss NAME``."""

from ganzoo import hookimpl


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
        "wasserstein-gp",
        "ganzoo_losses.losses:WassersteinGPLoss",
        description="WGAN-GP (Gulrajani et al. 2017): critic with gradient penalty 10, 5 critic steps",
    )
