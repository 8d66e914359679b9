"""Objectives, regularizers and augmentations chosen by name, with options: ``NAME[:KEY=VALUE,...]``.

On the command line and in Python they are written the same way::

    --objective relativistic-average
    --regularizer r1:gamma=10 --regularizer lecam:weight=0.3
    --augment translation,cutout:ratio=0.5

Several specs can share one string, separated by commas; a ``KEY=VALUE`` piece belongs to
the spec before it (names never contain ``=``). A component's options are the fields of
its class, which is a dataclass: their annotations give the types (``bool``, ``int``,
``float``, ``str``) and their defaults the defaults, so declaring an option is writing a
field. A component rejects a value by raising ``ValueError`` in ``__post_init__``.

This module does not import torch.
"""

from __future__ import annotations

import dataclasses
import difflib
import typing
from typing import Any, Iterable

from ganzoo.errors import ConfigError
from ganzoo.options import _coerce
from ganzoo.registry import Registry

Spec = tuple[str, dict[str, str]]


def parse_specs(values: str | Iterable[str] | None, *, what: str) -> list[Spec]:
    """``"r1:gamma=10,cutout"`` (or a list of such strings) as ``[(name, {key: text})]``."""
    if values is None:
        return []
    if isinstance(values, str):
        values = [values]
    specs: list[Spec] = []
    for value in values:
        if not isinstance(value, str):
            raise ConfigError(f"{what} must be given as strings like NAME or NAME:KEY=VALUE, got {value!r}")
        for piece in (p.strip() for p in value.split(",")):
            if not piece:
                continue
            name, colon, first = piece.partition(":")
            if "=" in name:  # KEY=VALUE continuing the previous spec's options
                if not specs:
                    raise ConfigError(f"{what} {value!r}: an option ({piece}) before any name; write NAME:{piece}")
                _add_option(specs[-1][1], piece, what, value)
                continue
            specs.append((name.strip(), {}))
            if colon:
                _add_option(specs[-1][1], first, what, value)
    return specs


def _add_option(options: dict[str, str], piece: str, what: str, whole: str) -> None:
    key, equals, text = piece.partition("=")
    if not equals or not key.strip():
        raise ConfigError(f"{what} {whole!r}: {piece!r} is not KEY=VALUE")
    options[key.strip().replace("-", "_")] = text.strip()


def option_fields(cls: type) -> list[tuple[str, type, Any]]:
    """A component class's options: ``(name, type, default)`` for each init field."""
    if not dataclasses.is_dataclass(cls):
        return []
    hints = typing.get_type_hints(cls)
    result = []
    for f in dataclasses.fields(cls):
        if not f.init:
            continue
        default = f.default if f.default is not dataclasses.MISSING else (
            f.default_factory() if f.default_factory is not dataclasses.MISSING else None  # type: ignore[misc]
        )
        result.append((f.name, hints.get(f.name, str), default))
    return result


def describe_options(cls: type) -> str:
    """``gamma=10.0 (float), every=1 (int)`` for help texts and ``ganzoo list``."""
    fields = option_fields(cls)
    return ", ".join(f"{name}={default!r} ({getattr(kind, '__name__', kind)})" for name, kind, default in fields) or "-"


def build(registry: Registry, spec: Spec, *, what: str) -> Any:
    """An instance of the class registered as ``spec``'s name, with its options converted."""
    name, given = spec
    cls = registry.get(name)
    fields = {f[0]: f for f in option_fields(cls)}
    unknown = sorted(set(given) - set(fields))
    if unknown:
        have = ", ".join(fields) or "none"
        close = difflib.get_close_matches(unknown[0], list(fields), n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ConfigError(f"{what} {name!r} has no option {', '.join(unknown)}{hint}; its options: {have}")
    values = {}
    for key, text in given.items():
        _, kind, _ = fields[key]
        value = _coerce(kind, text) if kind in (bool, int, float, str) else None
        if value is None:
            raise ConfigError(f"{what} {name!r}: {key} must be {getattr(kind, '__name__', kind)}, got {text!r}")
        values[key] = value
    try:
        return cls(**values)
    except (ValueError, TypeError) as error:
        raise ConfigError(f"{what} {name!r}: {error}") from None


def canonical(spec: Spec, instance: Any) -> str:
    """The spec as one string with its options converted and sorted (``r1:gamma=10.0``): what
    ``config.json`` stores and what ``--resume`` compares."""
    name, options = spec
    if not options:
        return name
    return f"{name}:" + ",".join(f"{k}={getattr(instance, k)!r}".replace("'", "") for k in sorted(options))
