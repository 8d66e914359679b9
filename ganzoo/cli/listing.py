"""``ganzoo list`` (the registries, and one recipe in detail) and ``ganzoo plugins``."""

from __future__ import annotations

import json
from typing import Any

import click
from rich.markup import escape
from rich.table import Table

from ganzoo import __version__, plugins
from ganzoo.cli.app import _warn_plugin_failures, cli, console, err_console

LIST_KINDS = ("models", "generators", "discriminators", "losses", "conditioning", "datasets", "feature-extractors",
              "objectives", "regularizers", "augmentations", "optimizers", "options")
# Kinds whose entries are classes with options (their dataclass fields): `ganzoo list` loads them.
COMPONENT_KINDS = ("objectives", "regularizers", "augmentations")


# --- list / plugins --------------------------------------------------------------------


@cli.command("list")
@click.argument("kind", type=click.Choice(LIST_KINDS), default="models", metavar="[KIND]")
@click.argument("pattern", default="*")
def list_(kind: str, pattern: str) -> None:
    """List what the installed plugins registered: models (default), generators,
    discriminators, losses, conditioning, datasets, feature-extractors, objectives,
    regularizers, augmentations, optimizers or options (the run options plugins declare).
    PATTERN filters names (fnmatch); a model's exact name also shows its recipe: the
    hyperparameters, G's and D's settings and what each preset changes."""
    _warn_plugin_failures()
    zoo = plugins.get_zoo()
    registry = getattr(zoo, kind.replace("-", "_"))
    names = registry.names(pattern)
    table = Table(title=f"{kind} ({len(names)})", title_justify="left")
    table.add_column("name", style="bold cyan", no_wrap=True)
    if kind == "models":
        table.add_column("G / D / loss / conditioning")
        table.add_column("presets")
    elif kind in COMPONENT_KINDS:
        table.add_column("options")
    elif kind == "options":
        for column in ("type", "default", "help", "resumable"):
            table.add_column(column, overflow="fold")
    table.add_column("plugin", overflow="fold")
    if kind != "options":  # an option's help says it
        table.add_column("description")
    # Only the kinds that show more than a name load their entries: listing generators,
    # losses or datasets imports none of them (nor torch).
    for name in names:
        entry = registry.entry(name)
        if kind == "models":
            recipe = entry.load()
            parts = f"{recipe.generator} / {recipe.discriminator} / {recipe.loss} / {recipe.conditioning}"
            table.add_row(name, parts, ", ".join(sorted(recipe.presets)) or "-", entry.plugin, entry.description)
        elif kind in COMPONENT_KINDS:
            table.add_row(name, escape(_component_options(entry)), entry.plugin, entry.description)
        elif kind == "options":
            option = entry.load()
            table.add_row(name, option.type.__name__, escape(_setting(option.default)), escape(_option_help(option)),
                          "yes" if option.resumable else "no", entry.plugin)
        else:
            table.add_row(name, entry.plugin, entry.description)
    console.print(table)
    if kind == "models" and names == [pattern]:  # one model, named exactly: its recipe in detail
        _print_recipe(zoo, registry.entry(pattern))


def _component_options(entry: Any) -> str:
    """``weight=10.0 (float)`` for an objective, regularizer or augmentation; a plugin that
    fails to import is said in the cell rather than ending the listing."""
    from ganzoo.components import describe_options

    try:
        return describe_options(entry.load())
    except Exception as error:  # a broken plugin must not hide the others
        return f"(cannot import {entry.target}: {type(error).__name__}: {error})"


def _option_help(option: Any) -> str:
    extra = f" One of: {', '.join(option.choices)}." if option.choices else ""
    extra += f" Allowed: {option.allowed}." if option.allowed else ""
    return option.help + extra


def _setting(value: Any) -> str:
    """A setting as the command line would take it: ``on``/``off``, ``0.5, 0.999``, ``-``."""
    if isinstance(value, bool):
        return "on" if value else "off"
    if value is None:
        return "-"
    if isinstance(value, (tuple, list)):
        return ", ".join(_setting(v) for v in value) or "-"
    return str(value)


def _kwargs(values: dict[str, Any]) -> str:
    return ", ".join(f"{key}={value!r}" for key, value in values.items()) or "- (the builder's defaults)"


# Hyperparameters `ganzoo list models NAME` always shows; the recipe's others only when it sets them.
RECIPE_CORE_SETTINGS = ("epochs", "batch_size", "lr", "betas", "d_steps", "g_steps", "z_dim")


def _print_recipe(zoo: Any, entry: Any) -> None:
    """One model's recipe: every hyperparameter ``ganzoo run MODEL`` trains with and where it
    comes from (the recipe, ganzoo's default, the loss, a plugin option's default), G's and
    D's keyword arguments, and each preset with what it changes."""
    import dataclasses

    from ganzoo.config import TrainConfig

    recipe = entry.load()
    hyper = dict(recipe.hyperparameters)
    defaults = {f.name: f.default for f in dataclasses.fields(TrainConfig) if f.default is not dataclasses.MISSING}
    option_names = set(zoo.options.names())
    # setting -> (value, where it comes from)
    settings: dict[str, tuple[Any, str]] = {}
    for name in RECIPE_CORE_SETTINGS:
        settings[name] = (hyper[name], "recipe") if name in hyper else (defaults.get(name), "ganzoo default")
    if "d_steps" not in hyper:  # as resolve_config: a loss may ask for more D steps (WGAN-GP's 5)
        try:
            loss_steps = getattr(zoo.losses.get(recipe.loss), "default_d_steps", None)
        except Exception:  # a broken loss plugin: `ganzoo run` says so, the listing goes on
            loss_steps = None
        if loss_steps:
            settings["d_steps"] = (loss_steps, f"loss {recipe.loss}")
    for name, value in hyper.items():  # objective, regularizers, optimizer, lr_d...: only when set
        if name not in settings and name not in option_names:
            settings[name] = (value, "recipe")
    preset_keys = {key for preset in recipe.presets.values() for key in preset}
    for option_entry in zoo.options.entries():
        name = option_entry.name
        option = option_entry.load()
        if name in hyper:
            settings[name] = (hyper[name], "recipe")
        elif name in preset_keys or not option.resumable:  # what changes the model or its samples
            settings[name] = (option.default, f"default of plugin {option_entry.plugin}")

    table = Table(title=f"{recipe.name}: the settings of 'ganzoo run {recipe.name}'", title_justify="left")
    table.add_column("setting", style="bold cyan", no_wrap=True)
    table.add_column("value")
    table.add_column("from")
    for name, (value, source) in settings.items():
        table.add_row(name, escape(_setting(value)), escape(source))
    table.add_row(f"G {recipe.generator}", escape(_kwargs(recipe.generator_kwargs)), "recipe (generator_kwargs)")
    table.add_row(f"D {recipe.discriminator}", escape(_kwargs(recipe.discriminator_kwargs)), "recipe (discriminator_kwargs)")
    console.print(table)

    if not recipe.presets:
        console.print(f"{recipe.name} has no presets.", highlight=False)
    else:
        presets = Table(title=f"presets of {recipe.name} (ganzoo run {recipe.name} --preset NAME)", title_justify="left")
        presets.add_column("preset", style="bold cyan", no_wrap=True)
        presets.add_column("what it changes")
        for preset_name in sorted(recipe.presets):
            changes = [_change(name, old, new)
                       for name, old, new in _setting_changes(recipe, recipe.presets[preset_name], settings, defaults)]
            presets.add_row(preset_name, escape("\n".join(changes)) or "-")
        console.print(presets)
    if recipe.loss_settings:
        per_loss = Table(title=f"settings of {recipe.name} per loss (applied with --loss NAME, before --preset "
                               "and your options)", title_justify="left")
        per_loss.add_column("loss", style="bold cyan", no_wrap=True)
        per_loss.add_column("what it changes")
        for loss_name in sorted(recipe.loss_settings):
            changes = [f"{name} = {new}" for name, _, new
                       in _setting_changes(recipe, recipe.loss_settings[loss_name], settings, defaults)]
            per_loss.add_row(loss_name, escape("\n".join(changes)))
        console.print(per_loss)
    if recipe.reference:
        console.print(f"reference: {escape(recipe.reference)}", highlight=False, soft_wrap=True)


def _setting_changes(recipe: Any, changes: dict[str, Any], settings: dict[str, tuple[Any, str]],
                     defaults: dict[str, Any]) -> list[tuple[str, str, str]]:
    """``(setting, old, new)`` for what a preset or a loss's settings change, as the command
    line would show them; G's and D's keyword arguments one by one."""
    rows = []
    for key, value in changes.items():
        if key in ("generator_kwargs", "discriminator_kwargs") and isinstance(value, dict):
            base = recipe.generator_kwargs if key == "generator_kwargs" else recipe.discriminator_kwargs
            for kwarg, new in value.items():
                rows.append((f"{key}.{kwarg}", repr(base[kwarg]) if kwarg in base else "the builder's default", repr(new)))
        else:
            recipe_components = {"loss": recipe.loss, "conditioning": recipe.conditioning}
            old_value = settings[key][0] if key in settings else defaults.get(key, recipe_components.get(key))
            rows.append((key, _setting(old_value), _setting(value)))
    return rows


def _change(name: str, old: str, new: str) -> str:
    return f"{name}: {new} (as without it)" if old == new else f"{name}: {old} -> {new}"


@cli.command("plugins")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def plugins_(as_json: bool) -> None:
    """Show installed plugins, their version, where they come from and what they register."""
    infos = plugins.plugin_infos()
    failures = plugins.get_zoo().failures
    if as_json:
        payload = {
            "plugins": [
                {"name": i.name, "source": i.source, "distribution": i.distribution, "version": i.version,
                 "hooks": i.hooks, "registered": i.registered}
                for i in infos
            ],
            "failures": [{"plugin": f.plugin, "stage": f.stage, "error": f"{type(f.error).__name__}: {f.error}"} for f in failures],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    table = Table(title="ganzoo plugins", title_justify="left")
    for column in ("plugin", "source", "version", "registers", "hooks"):
        table.add_column(column, style="bold cyan" if column == "plugin" else None)
    for info in infos:
        registers = "\n".join(f"{kind}: {', '.join(names)}" for kind, names in info.registered.items()) or "-"
        version = info.version or (__version__ if info.source == "builtin" else "-")
        source = f"{info.source}\n({info.distribution})" if info.distribution else info.source
        table.add_row(info.name, source, version, registers, ", ".join(info.hooks))
    console.print(table)
    for failure in failures:
        err_console.print(f"[red]failed:[/] {escape(str(failure))}", highlight=False)


