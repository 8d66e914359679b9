"""The plugin manager: loads built-in and installed plugins and builds the registries.

Built-in plugins are ordinary plugins. The core's own losses, conditioning strategies and
datasets are registered from :data:`DEFAULT_PLUGINS`; the zoo's models (``gan``,
``cgan``) and every third-party package are found through the ``ganzoo`` entry-point
group. Set ``GANZOO_LOAD_PLUGINS`` to a comma-separated list of entry-point names to load
only those (an empty value loads none): handy to bisect a broken install.

One broken plugin never takes the others down: import errors and exceptions raised in a
registration hook are recorded in :attr:`Zoo.failures`, reported by name, and the rest
of the zoo still loads.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import os
from dataclasses import dataclass, field
from typing import Any

import pluggy

from ganzoo import hookspecs
from ganzoo.registry import Registry

ENTRY_POINT_GROUP = "ganzoo"
LOAD_PLUGINS_ENV = "GANZOO_LOAD_PLUGINS"

# plugin name -> module; registered before any entry point, in this order.
DEFAULT_PLUGINS: dict[str, str] = {
    "core.losses": "ganzoo.default_plugins.losses",
    "core.conditioning": "ganzoo.default_plugins.conditioning",
    "core.datasets": "ganzoo.default_plugins.datasets",
    "core.ema": "ganzoo.default_plugins.ema",
    "core.lr_decay": "ganzoo.default_plugins.lr_decay",
    "core.tensorboard": "ganzoo.default_plugins.tensorboard",
    "core.profiler": "ganzoo.default_plugins.profiler",
    "core.features": "ganzoo.default_plugins.features",
    "core.objectives": "ganzoo.default_plugins.objectives",
}

# hook name -> (registry kind, plural, attribute of Zoo)
REGISTRATION_HOOKS: dict[str, tuple[str, str, str]] = {
    "register_generators": ("generator", "generators", "generators"),
    "register_discriminators": ("discriminator", "discriminators", "discriminators"),
    "register_losses": ("loss", "losses", "losses"),
    "register_conditioning": ("conditioning strategy", "conditioning strategies", "conditioning"),
    "register_datasets": ("dataset", "datasets", "datasets"),
    "register_models": ("model", "models", "models"),
    "register_feature_extractors": ("feature extractor", "feature extractors", "feature_extractors"),
    "register_objectives": ("objective", "objectives", "objectives"),
    "register_regularizers": ("regularizer", "regularizers", "regularizers"),
    "register_augmentations": ("augmentation", "augmentations", "augmentations"),
    "register_optimizers": ("optimizer", "optimizers", "optimizers"),
    "register_options": ("option", "options", "options"),
}


@dataclass
class PluginInfo:
    """What ``ganzoo plugins`` shows about one plugin."""

    name: str
    source: str  # "builtin" or "entry point"
    distribution: str | None = None
    version: str | None = None
    hooks: list[str] = field(default_factory=list)
    registered: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class PluginFailure:
    """A plugin that failed to import, or raised in a hook."""

    plugin: str
    stage: str  # "import" or a hook name
    error: BaseException

    def __str__(self) -> str:
        return f"plugin {self.plugin!r} failed in {self.stage}: {type(self.error).__name__}: {self.error}"


@dataclass
class Zoo:
    """Every registry, filled by the plugins' registration hooks. ``options`` holds the run
    options plugins declare (:class:`ganzoo.Option`), keyed by their Python name."""

    generators: Registry
    discriminators: Registry
    losses: Registry
    conditioning: Registry
    datasets: Registry
    models: Registry
    feature_extractors: Registry
    objectives: Registry
    regularizers: Registry
    augmentations: Registry
    optimizers: Registry
    options: Registry
    failures: list[PluginFailure] = field(default_factory=list)

    def registries(self) -> dict[str, Registry]:
        return {attr: getattr(self, attr) for _, _, attr in REGISTRATION_HOOKS.values()}


pm = pluggy.PluginManager("ganzoo")
pm.add_hookspecs(hookspecs)

_loaded = False
_import_failures: list[PluginFailure] = []
_distributions: dict[str, tuple[str, str]] = {}  # plugin name -> (distribution, version)
_builtin_names: set[str] = set()
_entry_point_names: set[str] = set()
_zoo: Zoo | None = None


def load_plugins() -> None:
    """Register the default plugins and every entry point of the ``ganzoo`` group (once)."""
    global _loaded
    if _loaded:
        return
    _loaded = True
    for name, module_name in DEFAULT_PLUGINS.items():
        pm.register(importlib.import_module(module_name), name=name)
        _builtin_names.add(name)
    selected = os.environ.get(LOAD_PLUGINS_ENV)
    allowed = None if selected is None else {s.strip() for s in selected.split(",") if s.strip()}
    entry_points = importlib.metadata.entry_points(group=ENTRY_POINT_GROUP)
    for unknown in sorted((allowed or set()) - set(entry_points.names)):  # a typo would load nothing, silently
        installed = ", ".join(sorted(entry_points.names)) or "none"
        _import_failures.append(PluginFailure(unknown, LOAD_PLUGINS_ENV, LookupError(
            f"no installed ganzoo plugin has this name; installed: {installed}")))
    for entry_point in entry_points:
        if allowed is not None and entry_point.name not in allowed:
            continue
        if pm.has_plugin(entry_point.name) or pm.is_blocked(entry_point.name):
            continue
        try:
            plugin = entry_point.load()
        except Exception as error:  # a broken package must not stop the others
            _import_failures.append(PluginFailure(entry_point.name, "import", error))
            continue
        pm.register(plugin, name=entry_point.name)
        _entry_point_names.add(entry_point.name)
        dist = getattr(entry_point, "dist", None)
        if dist is not None:
            _distributions[entry_point.name] = (dist.metadata["Name"], dist.version)


def reload_plugins() -> None:
    """Forget every loaded plugin and load them again, e.g. after ``pip install`` in a
    running notebook (and in tests that install a distribution on ``sys.path``)."""
    global _loaded
    for name, plugin in list(pm.list_name_plugin()):
        if name in _builtin_names or name in _entry_point_names:
            pm.unregister(plugin=plugin, name=name)
    _builtin_names.clear()
    _entry_point_names.clear()
    _distributions.clear()
    _import_failures.clear()
    _loaded = False
    importlib.invalidate_caches()
    invalidate()
    load_plugins()


def register_plugin(plugin: Any, name: str | None = None) -> str:
    """Register a plugin object or module at run time (tests, notebooks).

    Returns the name it was registered under; :func:`unregister_plugin` removes it.
    """
    load_plugins()
    registered_name = pm.register(plugin, name=name)
    if registered_name is None:
        raise ValueError(f"plugin {name or plugin!r} is blocked")
    invalidate()
    return registered_name


def unregister_plugin(name: str) -> None:
    """Remove a plugin registered with :func:`register_plugin` (a no-op if it is gone)."""
    if pm.has_plugin(name):
        pm.unregister(name=name)
    invalidate()


def invalidate() -> None:
    """Forget the collected registries; the next :func:`get_zoo` asks the plugins again."""
    global _zoo
    _zoo = None


def _collect() -> Zoo:
    registries = {
        attr: Registry(kind, plural) for kind, plural, attr in REGISTRATION_HOOKS.values()
    }
    zoo = Zoo(**registries, failures=list(_import_failures))
    for hook_name, (_, _, attr) in REGISTRATION_HOOKS.items():
        registry = registries[attr]
        hook = getattr(pm.hook, hook_name)
        # Call each implementation on its own so that one that raises is reported by name
        # and the others still register. Oldest first: built-ins before third parties.
        for impl in hook.get_hookimpls():
            plugin_name = impl.plugin_name

            def register(name: str, obj: Any, description: str = "", *, _p: str = plugin_name) -> None:
                registry.add(name, obj, plugin=_p, description=description)

            kwargs = {"register": register}
            try:
                impl.function(*[kwargs[arg] for arg in impl.argnames])
            except Exception as error:  # DuplicateNameError included
                zoo.failures.append(PluginFailure(plugin_name, hook_name, error))
    return zoo


def get_zoo() -> Zoo:
    """The registries, filled by every loaded plugin (collected once, then cached)."""
    global _zoo
    load_plugins()
    if _zoo is None:
        _zoo = _collect()
    return _zoo


def plugin_infos() -> list[PluginInfo]:
    """One :class:`PluginInfo` per registered plugin, built-ins first."""
    zoo = get_zoo()
    infos: dict[str, PluginInfo] = {}
    for name, plugin in pm.list_name_plugin():
        if plugin is None:
            continue
        dist, version = _distributions.get(name, (None, None))
        source = "builtin" if name in _builtin_names else "entry point" if name in _entry_point_names else "runtime"
        hooks = sorted(h.name for h in pm.get_hookcallers(plugin) or [])
        infos[name] = PluginInfo(name, source, dist, version, hooks)
    for attr, registry in zoo.registries().items():
        for entry in registry.entries():
            if entry.plugin in infos:
                infos[entry.plugin].registered.setdefault(attr, []).append(entry.name)
    order = {"builtin": 0, "entry point": 1, "runtime": 2}
    return sorted(infos.values(), key=lambda i: (order[i.source], i.name))


def hook() -> Any:
    """The pluggy hook relay, for calling lifecycle hooks: ``hook().on_epoch_end(...)``."""
    load_plugins()
    return pm.hook
