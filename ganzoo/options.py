"""Options that plugins declare: typed, with a default and help, validated like core options.

A plugin adds a run-wide option with the ``register_options`` hook::

    @ganzoo.hookimpl
    def register_options(register):
        register("ema_decay", ganzoo.Option(float, 0.999, "Decay of the average per iteration.",
                                            check=lambda v: 0 < v < 1, allowed="in (0, 1)"))

The option then appears in ``ganzoo run --help`` as ``--ema-decay`` (``--ema/--no-ema`` for a
``bool``), is accepted by ``ganzoo.train(..., ema_decay=0.99)``, may be set by a recipe's
``hyperparameters`` or presets, is saved in ``config.json`` under ``options`` and restored on
``--resume``. Lifecycle hooks read the value as ``run.options["ema_decay"]``.

This module does not import torch: declaring options must stay cheap.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

from ganzoo.errors import ConfigError

OPTION_TYPES = (bool, int, float, str)


@dataclass(frozen=True)
class Option:
    """A run option declared by a plugin (``register_options``): a ``--flag`` of ``ganzoo
    run``, a keyword of ``ganzoo.train``, ``run.options[NAME]`` in lifecycle hooks.

    Attributes:
        type: ``bool``, ``int``, ``float`` or ``str``; a ``bool`` option is a pair of flags
            ``--NAME/--no-NAME``.
        default: the value when neither the user nor the recipe sets one.
        help: one sentence for ``ganzoo run --help``.
        check: returns whether a (converted) value is allowed; it may instead raise
            ``ValueError`` with the whole reason (``"needs the tensorboard package"``), shown
            after the option's flag.
        allowed: says in words what ``check`` allows (``"in (0, 1)"``): it ends the error message.
        choices: the values a ``str`` option may take (empty: any).
        resumable: ``True`` if the value may differ between a run and its ``--resume``
            because it does not change what is learned (logging, profiling); the others
            must match the saved run.
    """

    type: type
    default: Any
    help: str
    check: Callable[[Any], bool] | None = None
    allowed: str = ""
    choices: tuple[str, ...] = ()
    resumable: bool = False

    def __post_init__(self) -> None:
        if self.type not in OPTION_TYPES:
            raise TypeError(f"Option type must be one of bool, int, float, str; got {self.type!r}")

    def convert(self, name: str, value: Any) -> Any:
        """``value`` as this option's type, or a :class:`ConfigError` naming the option."""
        flag = name.replace("_", "-")
        expected = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}[self.type]
        converted = _coerce(self.type, value)
        if converted is None:
            raise ConfigError(f"{flag} must be {expected}{' ' + self.allowed if self.allowed else ''}, got {value!r}")
        if self.choices and converted not in self.choices:
            raise ConfigError(f"{flag} must be one of {', '.join(self.choices)}, got {value!r}")
        if self.check is not None:
            try:
                allowed = self.check(converted)
            except ValueError as error:  # the check says itself what is wrong
                raise ConfigError(f"--{flag} {error}") from None
            if not allowed:
                raise ConfigError(f"{flag} must be {expected} {self.allowed or 'allowed by its plugin'}, got {value!r}")
        return converted


def _coerce(kind: type, value: Any) -> Any:
    """Strict conversion: Python values of the right type, or strings as typed on a command line."""
    if kind is bool:
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false", "1", "0", "yes", "no", "on", "off"):
            return value.lower() in ("true", "1", "yes", "on")
        return None
    if kind is int:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if isinstance(value, str):
            try:
                return int(value)
            except ValueError:
                return None
        return None
    if kind is float:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return float(value) if math.isfinite(value) else None
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                return None
            return number if math.isfinite(number) else None
        return None
    return value if isinstance(value, str) else None
