"""Test helpers for ganzoo and for plugin authors, shipped as a pytest plugin.

Installing ganzoo makes the ``ganzoo_plugin`` fixture available in every pytest run
(through the ``pytest11`` entry point), so a plugin package tests itself the way the core
does::

    def test_my_loss_is_registered(ganzoo_plugin):
        ganzoo_plugin(MyPlugin())            # registered for this test only
        assert "my-loss" in ganzoo.get_zoo().losses

Whatever the test registers is unregistered afterwards, even if the test fails, and the
registries are rebuilt, so nothing leaks into the next test.
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from ganzoo import plugins


@pytest.fixture
def ganzoo_plugin() -> Iterator[Callable[..., str]]:
    """Register plugin objects or modules for one test: ``ganzoo_plugin(obj, name=None)``."""
    registered: list[str] = []

    def register(plugin: Any, name: str | None = None) -> str:
        registered.append(plugins.register_plugin(plugin, name=name))
        return registered[-1]

    try:
        yield register
    finally:
        for name in reversed(registered):
            plugins.unregister_plugin(name)
