"""Named registries: the zoo's catalogue of generators, discriminators, losses, ...

A registry maps a name to an object and remembers which plugin provided it, so that
errors can name the plugin at fault and ``ganzoo plugins`` can say who provides what.
Entries may be *lazy*: a ``"package.module:attribute"`` string that is imported only
when the entry is first used, so listing the zoo does not import every model.
"""

from __future__ import annotations

import difflib
import fnmatch
import importlib
import re
from dataclasses import dataclass
from typing import Any, Generic, Iterator, TypeVar

from ganzoo.errors import ConfigError, DuplicateNameError, UnknownNameError

T = TypeVar("T")

NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass
class Entry(Generic[T]):
    """One registered object and where it came from."""

    name: str
    target: Any  # the object, or a "module:attribute" string until first use
    plugin: str
    description: str = ""

    def load(self) -> T:
        if isinstance(self.target, str):
            module_name, _, attribute = self.target.partition(":")
            obj: Any = importlib.import_module(module_name)
            for part in attribute.split("."):
                obj = getattr(obj, part)
            self.target = obj
        return self.target


class Registry(Generic[T]):
    """Name -> object, with provenance, duplicate detection and "did you mean" errors.

    ``kind`` is the singular noun used in messages ("loss", "dataset", ...).
    """

    def __init__(self, kind: str, plural: str | None = None) -> None:
        self.kind = kind
        self.plural = plural or f"{kind}s"
        self._entries: dict[str, Entry[T]] = {}
        self._conflicts: dict[str, str] = {}  # name -> why it cannot be used

    def add(self, name: str, target: Any, *, plugin: str, description: str = "") -> None:
        if not isinstance(name, str) or not NAME_PATTERN.match(name):
            raise ConfigError(
                f"plugin {plugin!r} tried to register {self.kind} {name!r}: names must be "
                "lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
            )
        if name in self._entries:
            first = self._entries[name].plugin
            message = (
                f"{self.kind} {name!r} is registered twice: by plugin {first!r} and by "
                f"plugin {plugin!r}; uninstall or disable one of them (GANZOO_LOAD_PLUGINS)"
            )
            # The name stays unusable: silently picking either provider would hide the clash.
            self._conflicts[name] = message
            raise DuplicateNameError(message)
        self._entries[name] = Entry(name, target, plugin, description)

    def get(self, name: str) -> T:
        """The object registered as ``name``; an error with suggestions if there is none."""
        return self.entry(name).load()

    def entry(self, name: str) -> Entry[T]:
        if name in self._conflicts:
            raise DuplicateNameError(self._conflicts[name])
        try:
            return self._entries[name]
        except KeyError:
            raise UnknownNameError(self.unknown_message(name)) from None

    def unknown_message(self, name: str) -> str:
        available = ", ".join(sorted(self._entries)) or "none installed"
        close = difflib.get_close_matches(str(name), list(self._entries), n=1)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"unknown {self.kind} {name!r}: {hint}available {self.plural}: {available}"

    def names(self, pattern: str = "*") -> list[str]:
        """Sorted names, optionally filtered by an fnmatch pattern (``"dc*"``)."""
        return sorted(n for n in self._entries if fnmatch.fnmatchcase(n, pattern))

    def entries(self) -> list[Entry[T]]:
        return [self._entries[n] for n in sorted(self._entries)]

    def __contains__(self, name: object) -> bool:
        return name in self._entries

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, {self.names()!r})"
