"""A recipe's settings per loss (``ModelRecipe.loss_settings``): which win, and where they show."""

import ganzoo
from ganzoo.config import resolve_config
from ganzoo.recipes import ModelRecipe


class TwoLossRecipe:
    """A model whose recipe tunes itself for the hinge loss."""

    @ganzoo.hookimpl
    def register_models(self, register):
        register("two-loss", ModelRecipe(
            name="two-loss", generator="gan-mlp", discriminator="gan-mlp",
            hyperparameters={"epochs": 3, "lr": 2e-4, "betas": (0.5, 0.999)},
            discriminator_kwargs={"dropout": 0.0},
            loss_settings={"hinge": {"lr": 1e-4, "d_steps": 2, "discriminator_kwargs": {"dropout": 0.2}},
                           "wasserstein-gp": {"betas": (0.0, 0.9), "d_steps": 3}},
            presets={"fast": {"lr": 5e-4}},
        ))


def test_the_settings_of_the_chosen_loss_apply_and_only_those(ganzoo_plugin):
    ganzoo_plugin(TwoLossRecipe())
    zoo = ganzoo.get_zoo()
    plain = resolve_config(zoo, "two-loss", "mnist")
    assert (plain.lr, plain.d_steps, plain.discriminator_kwargs["dropout"]) == (2e-4, 1, 0.0)
    hinge = resolve_config(zoo, "two-loss", "mnist", loss="hinge")
    assert (hinge.lr, hinge.d_steps, hinge.discriminator_kwargs["dropout"]) == (1e-4, 2, 0.2)
    assert hinge.epochs == 3  # what the loss does not set stays the recipe's


def test_a_preset_and_the_user_override_the_loss_settings(ganzoo_plugin):
    ganzoo_plugin(TwoLossRecipe())
    zoo = ganzoo.get_zoo()
    assert resolve_config(zoo, "two-loss", "mnist", loss="hinge", preset="fast").lr == 5e-4
    assert resolve_config(zoo, "two-loss", "mnist", loss="hinge", lr=3e-3).lr == 3e-3
    assert resolve_config(zoo, "two-loss", "mnist", loss="hinge", d_steps=1).d_steps == 1


def test_loss_settings_steps_win_over_the_loss_default(ganzoo_plugin):
    """WGAN-GP asks for 5 critic steps; a recipe that knows better for its model says 3."""
    ganzoo_plugin(TwoLossRecipe())
    config = resolve_config(ganzoo.get_zoo(), "two-loss", "mnist", loss="wasserstein-gp")
    assert config.d_steps == 3 and config.betas == (0.0, 0.9)
    # without settings for it, a loss's own default applies (Wasserstein's 5 critic steps)
    assert resolve_config(ganzoo.get_zoo(), "two-loss", "mnist", loss="wasserstein").d_steps == 5


def test_list_models_shows_the_settings_per_loss(ganzoo_plugin, capsys):
    from ganzoo.cli import cli

    ganzoo_plugin(TwoLossRecipe())
    try:
        cli.main(["list", "models", "two-loss"], standalone_mode=False)
    except SystemExit:
        pass
    out = capsys.readouterr().out
    assert "per loss" in out and "hinge" in out and "d_steps = 2" in out and "betas = 0.0, 0.9" in out
    assert "discriminator_kwargs.dropout = 0.2" in out


def test_the_gan_recipe_gives_its_10_minute_losses_more_epochs_and_its_reference_keeps_20():
    zoo = ganzoo.get_zoo()
    epochs = {loss: resolve_config(zoo, "gan", "mnist", loss=loss).epochs
              for loss in ("least-squares", "non-saturating", "hinge", "wasserstein-gp")}
    assert epochs == {"least-squares": 12, "non-saturating": 17, "hinge": 17, "wasserstein-gp": 20}
    assert resolve_config(zoo, "gan", "mnist").epochs == 12  # the default loss, least squares
    assert resolve_config(zoo, "gan", "mnist", preset="reference").epochs == 20  # its loss is non-saturating
