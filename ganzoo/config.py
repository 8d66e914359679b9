"""Training configuration: one dataclass, resolved from defaults, recipe, preset and user.

Precedence, lowest first: :data:`DEFAULTS` < the recipe's ``hyperparameters`` < the
chosen preset < what the user passed. Every value is validated here, so the Python API
and the CLI refuse the same things with the same messages.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.plugins import Zoo
from ganzoo.recipes import ModelRecipe
from ganzoo.validation import COMPILE_MODES, DEVICE_CHOICES, validate

__all__ = ["COMPILE_MODES", "DEVICE_CHOICES", "TrainConfig", "resolve_config", "validate"]


@dataclass
class TrainConfig:
    """Everything that defines a training run. Saved in ``config.json`` and in every
    checkpoint, and compared on ``--resume``."""

    model: str
    dataset: str
    loss: str
    conditioning: str
    generator: str
    discriminator: str
    epochs: int = 20
    batch_size: int = 64
    lr: float = 2e-4
    betas: tuple[float, float] = (0.5, 0.999)
    d_steps: int = 1
    g_steps: int = 1
    z_dim: int = 100
    seed: int = 0
    preset: str | None = None
    device: str = "auto"
    amp: bool = True
    data_root: str = ""
    download: bool = True
    log_every: int = 50
    compile: str = "none"
    limit_batches: int | None = None
    data_fraction: float = 1.0
    generator_kwargs: dict[str, Any] = field(default_factory=dict)
    discriminator_kwargs: dict[str, Any] = field(default_factory=dict)
    objective: str = "adversarial"
    regularizers: list[str] = field(default_factory=list)
    augment: list[str] = field(default_factory=list)
    optimizer: str = "adam"
    lr_d: float | None = None
    lr_g: float | None = None
    betas_d: tuple[float, float] | None = None
    betas_g: tuple[float, float] | None = None
    #: values of the options plugins declare (``register_options``), by name
    options: dict[str, Any] = field(default_factory=dict)
    #: intra-op CPU threads (``--threads``); ``None``: ``$GANZOO_THREADS``, ``$OMP_NUM_THREADS``,
    #: else a share of the cores among the ganzoo runs on this machine (:mod:`ganzoo.threads`)
    threads: int | None = None
    #: set by the trainer, for the record: the thread count the run started (or last resumed) with
    threads_at_start: int | None = None

    def learning_rate(self, network: str) -> float:
        """``lr_d`` / ``lr_g`` where set, else ``lr``."""
        own = self.lr_d if network == "discriminator" else self.lr_g
        return self.lr if own is None else own

    def adam_betas(self, network: str) -> tuple[float, float]:
        """``betas_d`` / ``betas_g`` where set, else ``betas``."""
        own = self.betas_d if network == "discriminator" else self.betas_g
        return tuple(self.betas if own is None else own)  # type: ignore[return-value]

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        for name in ("betas", "betas_d", "betas_g"):
            data[name] = None if data[name] is None else list(data[name])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        """From ``config.json`` or a checkpoint, of this version or an older one (whose
        ``ema``, ``ema_decay``, ``tensorboard`` and ``profile`` were fields, now plugin options)."""
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        options = dict(values.get("options") or {})
        for legacy in LEGACY_OPTION_FIELDS:
            if legacy in data and legacy not in options:
                options[legacy] = data[legacy]
        values["options"] = options
        values["betas"] = tuple(values.get("betas", (0.5, 0.999)))
        for name in ("betas_d", "betas_g"):
            if values.get(name) is not None:
                values[name] = tuple(values[name])
        return cls(**values)


# Fields of TrainConfig before 0.2 that are now options of the core's plugins.
LEGACY_OPTION_FIELDS = ("ema", "ema_decay", "tensorboard", "profile")


# Core options a user may set; plugins' options (``zoo.options``) may be set too.
TUNABLE = {
    "epochs", "batch_size", "lr", "betas", "d_steps", "g_steps", "z_dim", "seed", "loss",
    "conditioning", "device", "amp", "data_root", "download", "log_every", "limit_batches", "data_fraction",
    "compile", "objective", "regularizers", "augment", "optimizer", "lr_d", "lr_g", "betas_d", "betas_g",
    "threads",
}
# Core options that may differ between the original run and ``--resume`` (they do not change
# what is learned up to the checkpoint): train longer, on another device, from another folder,
# with another number of CPU threads (which changes the last bits of the arithmetic, not
# what is learned: exact resume needs the same count, see docs/reliability.md).
# Plugin options say so themselves (``Option.resumable``): see :func:`resumable_changes`.
RESUMABLE_CHANGES = {"epochs", "device", "data_root", "download", "log_every", "amp", "compile", "threads"}


def resumable_changes(zoo: Zoo) -> list[str]:
    """Every option that ``--resume`` accepts with a new value: the core's and the plugins'."""
    plugin_options = [e.name for e in zoo.options.entries() if getattr(e.load(), "resumable", False)]
    return sorted(RESUMABLE_CHANGES) + sorted(plugin_options)


def resolve_config(
    zoo: Zoo,
    model: str,
    dataset: str,
    *,
    preset: str | None = None,
    **overrides: Any,
) -> TrainConfig:
    """Build and validate the configuration of a run of ``model`` on ``dataset``.

    ``overrides`` are :class:`TrainConfig` fields or plugin options (``ema=True``)."""
    recipe: ModelRecipe = zoo.models.get(model)
    zoo.datasets.entry(dataset)  # unknown names fail here, with suggestions
    allowed = TUNABLE | set(zoo.options.names())
    unknown = set(overrides) - allowed
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}")

    values: dict[str, Any] = {
        "model": model,
        "dataset": dataset,
        "loss": recipe.loss,
        "conditioning": recipe.conditioning,
        "generator": recipe.generator,
        "discriminator": recipe.discriminator,
        "generator_kwargs": dict(recipe.generator_kwargs),
        "discriminator_kwargs": dict(recipe.discriminator_kwargs),
    }
    values.update(recipe.hyperparameters)
    given = {k: v for k, v in overrides.items() if v is not None}
    preset_loss = recipe.presets.get(preset, {}).get("loss", recipe.loss) if preset else recipe.loss
    loss_settings = recipe.loss_settings.get(given.get("loss", preset_loss), {})
    _apply_settings(values, loss_settings)
    if preset is not None:
        if preset not in recipe.presets:
            choices = ", ".join(sorted(recipe.presets)) or "none"
            raise ConfigError(f"model {model!r} has no preset {preset!r}; its presets: {choices}")
        _apply_settings(values, recipe.presets[preset])
        values["preset"] = preset
    values.update(given)
    if "d_steps" not in given and "d_steps" not in recipe.hyperparameters and "d_steps" not in loss_settings:
        loss_default = getattr(zoo.losses.get(values["loss"]), "default_d_steps", None)
        if loss_default:
            values["d_steps"] = loss_default
    optimizer = zoo.optimizers.get(values.get("optimizer", "adam"))
    betas_given = sorted(k for k in ("betas", "betas_d", "betas_g") if k in given)
    if betas_given and not getattr(optimizer, "uses_betas", True):
        raise ConfigError(f"optimizer {values['optimizer']!r} has no betas; drop --{betas_given[0].replace('_', '-')}")
    # Plugin options: from the recipe, the preset and the user, into one dict.
    options = dict(values.pop("options", None) or {})
    for name in zoo.options.names():
        if name in values:
            options[name] = values.pop(name)
    leftover = sorted(set(values) - {f.name for f in dataclasses.fields(TrainConfig)})
    if leftover:  # a recipe naming an option no installed plugin declares
        raise ConfigError(f"model {model!r} sets unknown option(s) {', '.join(leftover)}; is a plugin missing?")
    values["options"] = options
    for name in ("betas", "betas_d", "betas_g"):
        if isinstance(values.get(name), (tuple, list)):  # anything else: validate() says so
            values[name] = tuple(values[name])
    config = TrainConfig(**values)
    validate(config, zoo)
    return config


def _apply_settings(values: dict[str, Any], settings: dict[str, Any]) -> None:
    """A preset's or a loss's settings on top of ``values``; G's and D's keyword arguments are merged."""
    chosen = dict(settings)
    values["generator_kwargs"].update(chosen.pop("generator_kwargs", {}))
    values["discriminator_kwargs"].update(chosen.pop("discriminator_kwargs", {}))
    values.update(chosen)


def check_resume_overrides(saved: TrainConfig, overrides: dict[str, Any], preset: str | None, zoo: Zoo) -> TrainConfig:
    """``saved`` with what may change on ``--resume`` applied; anything that would change
    what is learned is refused, naming the option."""
    values = saved.to_dict()
    options = dict(values["options"])
    resumable = set(resumable_changes(zoo))
    for name, value in overrides.items():
        if value is None:
            continue
        is_option = name in zoo.options
        old = options.get(name) if is_option else values.get(name)
        same = _same(value, old)
        if not same and name not in resumable:
            raise ConfigError(
                f"--{name.replace('_', '-')} {value} differs from the run being resumed "
                f"({old}); drop it to resume, or start a new run"
            )
        if is_option:
            options[name] = value
        else:
            values[name] = value
    values["options"] = options
    if preset is not None and preset != saved.preset:
        raise ConfigError(f"--preset {preset} differs from the run being resumed ({saved.preset}); drop it to resume")
    return TrainConfig.from_dict(values)


def _same(new: Any, old: Any) -> bool:
    if isinstance(new, (tuple, list)) and isinstance(old, (tuple, list)):
        return list(new) == list(old)
    return new == old
