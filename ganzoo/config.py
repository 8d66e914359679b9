"""Training configuration: one dataclass, resolved from defaults, recipe, preset and user.

Precedence, lowest first: :data:`DEFAULTS` < the recipe's ``hyperparameters`` < the
chosen preset < what the user passed. Every value is validated here, so the Python API
and the CLI refuse the same things with the same messages.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import math
from dataclasses import dataclass, field
from typing import Any

from ganzoo.errors import ConfigError
from ganzoo.plugins import Zoo
from ganzoo.recipes import ModelRecipe

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")


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
    tensorboard: bool = False
    ema: bool = False
    profile: bool = False
    compile: str = "none"
    ema_decay: float = 0.999
    limit_batches: int | None = None
    generator_kwargs: dict[str, Any] = field(default_factory=dict)
    discriminator_kwargs: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["betas"] = list(self.betas)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TrainConfig":
        known = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["betas"] = tuple(values.get("betas", (0.5, 0.999)))
        return cls(**values)


# Options a user may set; anything else in ``overrides`` is an error.
TUNABLE = {
    "epochs", "batch_size", "lr", "betas", "d_steps", "g_steps", "z_dim", "seed", "loss",
    "conditioning", "device", "amp", "data_root", "download", "log_every", "limit_batches",
    "tensorboard", "ema", "ema_decay", "profile", "compile",
}
COMPILE_MODES = ("none", "default", "reduce-overhead", "max-autotune")
# May differ between the original run and ``--resume`` (they do not change what is learned
# up to the checkpoint): train longer, on another device, from another folder.
RESUMABLE_CHANGES = {"epochs", "device", "data_root", "download", "log_every", "amp", "tensorboard", "profile", "compile"}


def resolve_config(
    zoo: Zoo,
    model: str,
    dataset: str,
    *,
    preset: str | None = None,
    **overrides: Any,
) -> TrainConfig:
    """Build and validate the configuration of a run of ``model`` on ``dataset``."""
    recipe: ModelRecipe = zoo.models.get(model)
    zoo.datasets.entry(dataset)  # unknown names fail here, with suggestions
    unknown = set(overrides) - TUNABLE
    if unknown:
        raise ConfigError(f"unknown option(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(TUNABLE))}")

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
    if preset is not None:
        if preset not in recipe.presets:
            choices = ", ".join(sorted(recipe.presets)) or "none"
            raise ConfigError(f"model {model!r} has no preset {preset!r}; its presets: {choices}")
        chosen = dict(recipe.presets[preset])
        values["generator_kwargs"].update(chosen.pop("generator_kwargs", {}))
        values["discriminator_kwargs"].update(chosen.pop("discriminator_kwargs", {}))
        values.update(chosen)
        values["preset"] = preset
    given = {k: v for k, v in overrides.items() if v is not None}
    values.update(given)
    if "d_steps" not in given and "d_steps" not in recipe.hyperparameters:
        loss_default = getattr(zoo.losses.get(values["loss"]), "default_d_steps", None)
        if loss_default:
            values["d_steps"] = loss_default
    if "betas" in values and isinstance(values["betas"], (tuple, list)):  # anything else: validate() says so
        values["betas"] = tuple(values["betas"])
    config = TrainConfig(**values)
    validate(config, zoo)
    return config


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def validate(config: TrainConfig, zoo: Zoo) -> None:
    """Refuse values that cannot train, with the allowed range in the message.

    The Python API passes values through unconverted, so each check also checks the
    type: ``seed="a"`` is a :class:`ConfigError`, not a ``TypeError`` from a comparison.
    """
    for name in ("epochs", "batch_size", "d_steps", "g_steps", "z_dim", "log_every"):
        value = getattr(config, name)
        _require(_is_int(value) and value >= 1, f"{name.replace('_', '-')} must be an integer >= 1, got {value!r}")
    _require(_is_number(config.lr) and config.lr > 0, f"lr must be a finite number > 0, got {config.lr!r}")
    _require(isinstance(config.betas, (tuple, list)) and len(config.betas) == 2,
             f"betas must be two numbers, got {config.betas!r}")
    for beta in config.betas:
        _require(_is_number(beta) and 0 <= beta < 1, f"each of betas must be in [0, 1), got {config.betas!r}")
    _require(isinstance(config.device, str) and (config.device in DEVICE_CHOICES or config.device.startswith(("cuda:", "mps:"))),
             f"device must be one of {', '.join(DEVICE_CHOICES)} (or cuda:N), got {config.device!r}")
    _require(config.compile in COMPILE_MODES,
             f"compile must be one of {', '.join(COMPILE_MODES)}, got {config.compile!r}")
    _require(_is_number(config.ema_decay) and 0 < config.ema_decay < 1,
             f"ema-decay must be in (0, 1), got {config.ema_decay!r}")
    _require(_is_int(config.seed) and 0 <= config.seed < 2**63, f"seed must be an integer in [0, 2^63), got {config.seed!r}")
    _require(config.limit_batches is None or (_is_int(config.limit_batches) and config.limit_batches >= 1),
             f"limit-batches must be an integer >= 1, got {config.limit_batches!r}")
    if config.tensorboard and importlib.util.find_spec("tensorboard") is None:
        raise ConfigError("--tensorboard needs the tensorboard package: pip install 'ganzoo[tensorboard]'")
    zoo.losses.entry(config.loss)
    zoo.generators.entry(config.generator)
    zoo.discriminators.entry(config.discriminator)
    conditioning = zoo.conditioning.get(config.conditioning)
    dataset = zoo.datasets.get(config.dataset)
    if conditioning.requires_labels and dataset.num_classes == 0:
        raise ConfigError(
            f"conditioning {config.conditioning!r} needs class labels, and dataset "
            f"{config.dataset!r} has none; use --conditioning none"
        )

