"""Refuse a :class:`ganzoo.config.TrainConfig` that cannot train, before anything is written.

The Python API passes values through unconverted, so each check also checks the type:
``seed="a"`` is a :class:`ConfigError`, not a ``TypeError`` from a comparison. Plugin
options are converted by their :class:`ganzoo.Option`; objective, regularizer and
augmentation specs are built once (so a bad option of theirs fails here) and stored in
their canonical form (``r1:gamma=10.0``).
"""

from __future__ import annotations

import math
from typing import Any

from ganzoo import components
from ganzoo.errors import ConfigError
from ganzoo.plugins import Zoo
from ganzoo.threads import threads_from_environment

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
COMPILE_MODES = ("none", "default", "reduce-overhead", "max-autotune")


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ConfigError(message)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_betas(name: str, betas: Any) -> None:
    flag = name.replace("_", "-")
    _require(isinstance(betas, (tuple, list)) and len(betas) == 2, f"{flag} must be two numbers, got {betas!r}")
    for beta in betas:
        _require(_is_number(beta) and 0 <= beta < 1, f"each of {flag} must be in [0, 1), got {betas!r}")


def validate(config: Any, zoo: Zoo) -> None:
    """Refuse values of a :class:`ganzoo.config.TrainConfig` that cannot train, with the allowed range in the message."""
    for name in ("epochs", "batch_size", "d_steps", "g_steps", "z_dim", "log_every"):
        value = getattr(config, name)
        _require(_is_int(value) and value >= 1, f"{name.replace('_', '-')} must be an integer >= 1, got {value!r}")
    for name in ("lr", "lr_d", "lr_g"):
        value = getattr(config, name)
        if value is not None or name == "lr":
            _require(_is_number(value) and value > 0, f"{name.replace('_', '-')} must be a finite number > 0, got {value!r}")
    _check_betas("betas", config.betas)
    for name in ("betas_d", "betas_g"):
        if getattr(config, name) is not None:
            _check_betas(name, getattr(config, name))
    _require(isinstance(config.device, str) and (config.device in DEVICE_CHOICES or config.device.startswith(("cuda:", "mps:"))),
             f"device must be one of {', '.join(DEVICE_CHOICES)} (or cuda:N), got {config.device!r}")
    _require(config.compile in COMPILE_MODES,
             f"compile must be one of {', '.join(COMPILE_MODES)}, got {config.compile!r}")
    _require(_is_int(config.seed) and 0 <= config.seed < 2**63, f"seed must be an integer in [0, 2^63), got {config.seed!r}")
    _require(config.limit_batches is None or (_is_int(config.limit_batches) and config.limit_batches >= 1),
             f"limit-batches must be an integer >= 1, got {config.limit_batches!r}")
    _require(_is_number(config.data_fraction) and 0 < config.data_fraction <= 1,
             f"data-fraction must be a number in (0, 1], got {config.data_fraction!r}")
    _require(config.threads is None or (_is_int(config.threads) and config.threads >= 1),
             f"threads must be an integer >= 1 (or None: automatic), got {config.threads!r}")
    threads_from_environment()  # a bad $GANZOO_THREADS is refused before anything is written
    zoo.losses.entry(config.loss)
    zoo.generators.entry(config.generator)
    zoo.discriminators.entry(config.discriminator)
    zoo.optimizers.entry(config.optimizer)
    conditioning = zoo.conditioning.get(config.conditioning)
    dataset = zoo.datasets.get(config.dataset)
    if conditioning.requires_labels and dataset.num_classes == 0:
        raise ConfigError(
            f"conditioning {config.conditioning!r} needs class labels, and dataset "
            f"{config.dataset!r} has none; use --conditioning none"
        )
    _validate_components(config, zoo)
    config.options = validate_options(config.options, zoo)


def _validate_components(config: Any, zoo: Zoo) -> None:
    """Build the objective, regularizers and augmentations once; store their canonical specs."""
    _require(isinstance(config.objective, str), f"objective must be a name (NAME[:KEY=VALUE,...]), got {config.objective!r}")
    specs = components.parse_specs(config.objective, what="objective")
    _require(len(specs) == 1, f"objective must be one name, got {config.objective!r}")
    config.objective = components.canonical(specs[0], components.build(zoo.objectives, specs[0], what="objective"))
    for field_name, registry, what in (("regularizers", zoo.regularizers, "regularizer"),
                                       ("augment", zoo.augmentations, "augmentation")):
        specs = components.parse_specs(getattr(config, field_name), what=what)
        names = [name for name, _ in specs]
        twice = sorted({n for n in names if names.count(n) > 1})
        _require(not twice, f"{what} {twice[0] if twice else ''!r} is given twice; give it once, with all its options")
        setattr(config, field_name, [components.canonical(s, components.build(registry, s, what=what)) for s in specs])


def validate_options(options: dict[str, Any], zoo: Zoo) -> dict[str, Any]:
    """Every declared plugin option, converted, with its default where not given."""
    _require(isinstance(options, dict), f"options must be a dict of plugin options, got {options!r}")
    unknown = sorted(set(options) - set(zoo.options.names()))
    if unknown:
        declared = ", ".join(zoo.options.names()) or "none"
        raise ConfigError(f"option {unknown[0]!r} is declared by no installed plugin (declared: {declared})")
    values = {}
    for entry in zoo.options.entries():
        option = entry.load()
        values[entry.name] = option.convert(entry.name, options[entry.name]) if entry.name in options else option.default
    return values
