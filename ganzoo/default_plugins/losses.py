"""Registers the two losses of Goodfellow et al. (2014) (imported on first use)."""

from ganzoo.hookspecs import hookimpl


@hookimpl
def register_losses(register):
    register("minimax", "ganzoo.losses:MinimaxLoss", description="eq. 1: G minimises log(1 - D(G(z))); saturates early")
    register(
        "non-saturating",
        "ganzoo.losses:NonSaturatingLoss",
        description="G maximises log D(G(z)); the paper's practical choice",
    )
