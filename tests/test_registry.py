"""Registries: provenance, duplicates, unknown names with suggestions, lazy entries."""

import pytest

from ganzoo.errors import ConfigError, DuplicateNameError, UnknownNameError
from ganzoo.registry import Registry


def test_duplicate_name_names_both_plugins_and_stays_unusable():
    registry = Registry("loss", "losses")
    registry.add("hinge", object(), plugin="first-plugin")
    with pytest.raises(DuplicateNameError) as caught:
        registry.add("hinge", object(), plugin="second-plugin")
    assert "first-plugin" in str(caught.value) and "second-plugin" in str(caught.value)
    with pytest.raises(DuplicateNameError):
        registry.get("hinge")


def test_unknown_name_lists_what_exists_and_suggests_the_closest():
    registry = Registry("loss", "losses")
    for name in ("minimax", "non-saturating", "hinge"):
        registry.add(name, object(), plugin="p")
    with pytest.raises(UnknownNameError) as caught:
        registry.get("non-saturatin")
    message = str(caught.value)
    assert "did you mean 'non-saturating'?" in message
    assert "hinge, minimax, non-saturating" in message
    with pytest.raises(UnknownNameError) as caught:
        registry.get("zzzzzz")
    assert "did you mean" not in str(caught.value)


@pytest.mark.parametrize("bad", ["Hinge", "", "-x", "with space", 3])
def test_names_must_match_the_pattern(bad):
    with pytest.raises(ConfigError, match="names must be lowercase"):
        Registry("loss").add(bad, object(), plugin="p")


def test_lazy_entries_are_imported_on_first_use():
    registry = Registry("thing")
    registry.add("join", "os.path:join", plugin="p")
    entry = registry.entry("join")
    assert entry.target == "os.path:join"
    import os.path

    assert registry.get("join") is os.path.join
    assert entry.target is os.path.join


def test_names_can_be_filtered_with_patterns():
    registry = Registry("model")
    for name in ("dcgan", "dcgan-sn", "gan", "cgan"):
        registry.add(name, object(), plugin="p")
    assert registry.names("dc*") == ["dcgan", "dcgan-sn"]
    assert registry.names() == ["cgan", "dcgan", "dcgan-sn", "gan"]
    assert "gan" in registry and len(registry) == 4
