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
    "epochs": 20,
    "loss": "non-saturating",  # the script's BCE with G maximising log D(G(z))
    "batch_size": 96,
    "lr": 3e-4,
    "betas": (0.9, 0.999),
    "ema": False,
    "generator_kwargs": {"hidden": [256, 256], "activation": "relu", "batch_norm": False},
    "discriminator_kwargs": {"hidden": [256, 256], "dropout": 0.0, "minibatch_std": False},
}

GAN = ModelRecipe(
    name="gan",
    generator="gan-mlp",
    discriminator="gan-mlp",
    # The least-squares loss (Mao et al. 2017) beat the paper's non-saturating one with this
    # recipe over 3 seeds: FID 17.0 +- 2.6 against 21.7 +- 2.0, class TV 0.049 against 0.053
    # (benchmarks/quality.py; docs/models.md). `--loss non-saturating` is the paper's.
    loss="least-squares",
    conditioning="none",
    # Chosen by measuring candidates with `ganzoo eval` (benchmarks/gan_recipe_search.py,
    # docs/models.md "How the defaults were chosen"). BatchNorm in G stops the collapse onto a
    # few digits and the average of G's weights removes the salt noise (0.1); minibatch
    # standard deviation in D balances the classes (0.2: FID 78.8 -> 54.1 over 3 seeds); G's
    # capacity is what sharpens the strokes (0.3: a 128-256-512-1024 G, with D 512-512-512 and
    # dropout 0.4, reached FID 15 at 15 epochs where the 256-256 MLPs stayed at 55 after 20).
    # Batch 128 at lr 4e-4 learns as much per second on the CPU in fewer, cheaper iterations.
    # 12 epochs: 226 s on 2 idle cores, and under 300 s even when this shared machine runs
    # at its slowest (24 s an epoch); 17 gave FID 11.0 but 222 to 410 s, past the quality
    # issue's 5 minutes on a slow day (docs/models.md, "A budget that holds").
    hyperparameters={"epochs": 12, "batch_size": 128, "lr": 4e-4, "betas": (0.5, 0.999), "z_dim": 100, "ema": True},
    generator_kwargs={"hidden": [128, 256, 512, 1024], "activation": "leaky_relu", "batch_norm": True},
    discriminator_kwargs={"hidden": [512, 512, 512], "dropout": 0.4, "minibatch_std": True},
    presets={"reference": REFERENCE},
    # The paper's loss and hinge have 10 minutes in the quality issue, not 5: 17 epochs
    # (about 310 s idle) give FID 15.0 and 20.0 where 12 give 24.7 and 32.3 (3 seeds each).
    # WGAN-GP's critic: no dropout (the penalty wants one function of the input), Adam betas
    # (0.5, 0.9) as in Gulrajani et al.'s MNIST code; 2 critic steps at lr 2e-4 beat the
    # paper's 5 at 1e-4 (FID 78 against 168 after 8 epochs, seed 0; docs/models.md).
    loss_settings={"non-saturating": {"epochs": 17}, "hinge": {"epochs": 17},
                   "wasserstein-gp": {"epochs": 20, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.9), "d_steps": 2,
                                      "discriminator_kwargs": {"dropout": 0.0}}},
    description="Goodfellow et al. 2014: MLP G (100-128-256-512-1024-784, BatchNorm) and D (784-512-512-512-1, "
                "dropout, minibatch std), least-squares loss",
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
