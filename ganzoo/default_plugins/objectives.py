"""Registers the default objective (Algorithm 1 with the run's loss), the generic gradient
penalty and the optimizers (imported on first use)."""

from ganzoo.hookspecs import hookimpl


@hookimpl
def register_objectives(register):
    register(
        "adversarial",
        "ganzoo.objectives:Adversarial",
        description="Algorithm 1 with --loss; adds the loss's penalty and ACGAN's class terms when D classifies",
    )


@hookimpl
def register_regularizers(register):
    register(
        "gradient-penalty",
        "ganzoo.regularizers:GradientPenalty",
        description="WGAN-GP's penalty (Gulrajani et al. 2017) for any loss: weight * E[(||grad D(x_hat)|| - 1)^2]",
    )


@hookimpl
def register_optimizers(register):
    register("adam", "ganzoo.optimizers:adam", description="Adam (Kingma & Ba 2015), fused where available")
    register("adamw", "ganzoo.optimizers:adamw", description="AdamW (Loshchilov & Hutter 2019), decoupled weight decay")
    register("rmsprop", "ganzoo.optimizers:rmsprop", description="RMSprop (WGAN's choice); ignores betas")
    register("sgd", "ganzoo.optimizers:sgd", description="plain SGD; ignores betas")
