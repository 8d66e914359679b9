"""InfoGAN (Chen et al. 2016) as a plugin: an objective that feeds G structured codes
beside its noise and trains a Q head on D's features to recover them, maximising a lower
bound on their mutual information with G's samples; and the ``infogan`` model, the
paper's MNIST setting (a 10-way categorical code and 2 continuous codes beside 62 noise
dimensions) on the MLP networks of ``gan``.

``ganzoo sample RUN --traverse 0`` draws the paper's figure: one row per categorical value,
the columns sweeping continuous code 0 from -2 to 2, the rest of the noise fixed."""

from ganzoo import ModelRecipe, hookimpl

INFOGAN = ModelRecipe(
    name="infogan",
    generator="gan-mlp",
    discriminator="gan-mlp",
    loss="non-saturating",
    conditioning="none",
    # z = [one-hot code (10), continuous codes (2), noise (62)]: 74 inputs, as in the paper.
    hyperparameters={"epochs": 20, "batch_size": 64, "lr": 2e-4, "betas": (0.5, 0.999), "z_dim": 74,
                     "objective": "infogan", "ema": True},
    generator_kwargs={"activation": "leaky_relu", "batch_norm": True},
    discriminator_kwargs={"dropout": 0.0},
    description="InfoGAN (Chen et al. 2016): 10-way categorical + 2 continuous codes, Q head on D's features",
    reference="https://arxiv.org/abs/1606.03657",
)


@hookimpl
def register_objectives(register):
    register("infogan", "ganzoo_infogan.objective:InfoGAN",
             description="InfoGAN (Chen et al. 2016): codes in z, a Q head recovers them (mutual information)")


@hookimpl
def register_models(register):
    register("infogan", INFOGAN, description=INFOGAN.description)
