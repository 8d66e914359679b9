"""What ``ganzoo.train`` accepts, in words: the option list of its docstring (``help(ganzoo.train)``)
and the option table of docs/python-api.md, generated from :class:`~ganzoo.config.TrainConfig`.

Names, types and defaults come from the dataclass's fields (the ones a user may set,
:data:`ganzoo.config.TUNABLE`), so a new field shows up by itself; its one-line meaning is
:data:`MEANINGS` here (tests/test_python_api.py fails for a settable field without one).
The built-in plugins' options (EMA, TensorBoard, profiler) are read from their
``register_options`` hooks, and what ``resume=True`` lets differ is what
:func:`ganzoo.config.resumable_changes` says for them: the list docs/cli.md gives.

This module does not import torch.
"""

from __future__ import annotations

import dataclasses
import importlib
import textwrap
from types import SimpleNamespace

from ganzoo.config import RESUMABLE_CHANGES, TUNABLE, TrainConfig, resumable_changes
from ganzoo.options import Option
from ganzoo.plugins import DEFAULT_PLUGINS
from ganzoo.registry import Registry

#: One line per field of TrainConfig that a user may set (``ganzoo.config.TUNABLE``).
MEANINGS: dict[str, str] = {
    "epochs": "passes over the training set; on resume, the total to reach",
    "batch_size": "real images per discriminator step",
    "lr": "learning rate of G and D",
    "betas": "Adam's betas, two numbers in [0, 1)",
    "d_steps": "discriminator steps per iteration (k in Algorithm 1); a loss may ask for more (wasserstein-gp: 5)",
    "g_steps": "generator steps per iteration",
    "z_dim": "size of the noise vector z",
    "seed": "seed of the whole run: weights, noise, data order",
    "loss": "adversarial loss, a name of `ganzoo list losses`",
    "conditioning": "how labels reach G and D, a name of `ganzoo list conditioning`",
    "device": "'auto' (CUDA, then MPS, then CPU), 'cpu', 'cuda', 'cuda:N' or 'mps'",
    "amp": "mixed precision on CUDA (bf16, or fp16 with loss scaling)",
    "data_root": "folder holding the datasets in torchvision's layout; '': $GANZOO_DATA_ROOT, else ~/.cache/ganzoo/datasets",
    "download": "download a missing dataset into data_root",
    "log_every": "iterations between copies of the losses to the host (metrics.jsonl, progress)",
    "limit_batches": "at most this many batches per epoch, for quick trials; None: all",
    "data_fraction": "train on this fraction of the training split, the same class-stratified subset for every seed "
                     "(data-limited experiments); 1: all of it",
    "compile": "torch.compile G's and D's body: 'none', 'default', 'reduce-overhead' or 'max-autotune'",
    "objective": "what one D and one G update compute, one spec NAME[:KEY=VALUE,...] (`ganzoo list objectives`)",
    "regularizers": "terms added to D's (or G's) loss, a list of specs: ['r1:gamma=10'] (`ganzoo list regularizers`)",
    "augment": "augmentations of every image D sees, in order, a list of specs: ['translation'] (`ganzoo list augmentations`)",
    "optimizer": "optimizer of G and D: adam, adamw, rmsprop, sgd or a plugin's (`ganzoo list optimizers`)",
    "lr_d": "D's own learning rate (TTUR); None: lr",
    "lr_g": "G's own learning rate (TTUR); None: lr",
    "betas_d": "D's own betas; None: betas",
    "betas_g": "G's own betas; None: betas",
    "threads": "intra-op CPU threads; None: $GANZOO_THREADS, $OMP_NUM_THREADS, else a share of the cores "
               "among the ganzoo runs on this machine",
}

#: The keywords of ``train`` itself: (name, type, default, meaning).
TRAIN_KEYWORDS: list[tuple[str, str, str, str]] = [
    ("out", "str | Path | None", "None", "the run directory; None: runs/MODEL-DATASET, numbered if taken"),
    ("resume", "bool", "False", "continue the run in `out` from its latest checkpoint (see Resuming)"),
    ("overwrite", "bool", "False", "replace the run already in `out`"),
    ("preset", "str | None", "None", "a named set of hyperparameters of the model (`ganzoo list models MODEL`)"),
    ("progress", "bool", "False", "print a line when training starts and one per epoch to stderr, as `ganzoo run` "
                                  "does in a log (see Progress)"),
    ("on_progress", "Callable[[dict], None] | None", "None", "called with every progress event, a dict (see Progress)"),
]

NO_MEANING = "(no description yet)"
RECIPE = "the model's recipe"


def core_options() -> list[tuple[str, str, str, str]]:
    """(name, type, default, meaning) of every field of TrainConfig a user may set, in the
    dataclass's order. A field without a default takes the model's recipe's value."""
    rows = []
    for f in dataclasses.fields(TrainConfig):
        if f.name not in TUNABLE:
            continue
        if f.default is not dataclasses.MISSING:
            default = repr(f.default)
        elif f.default_factory is not dataclasses.MISSING:
            default = repr(f.default_factory())
        else:
            default = RECIPE
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", str(f.type))
        rows.append((f.name, kind, default, MEANINGS.get(f.name, NO_MEANING)))
    return rows


def builtin_plugin_options() -> list[tuple[str, str, Option]]:
    """(name, plugin, option) of every option the core's own plugins declare, from their
    ``register_options`` hooks (not the zoo: installed plugins may add more)."""
    found: list[tuple[str, str, Option]] = []
    for plugin, module_name in DEFAULT_PLUGINS.items():
        hook = getattr(importlib.import_module(module_name), "register_options", None)
        if hook is not None:
            hook(lambda name, option, plugin=plugin: found.append((name, plugin, option)))
    return found


def builtin_resumable_changes() -> list[str]:
    """What ``resume=True`` lets differ with only the core's plugins installed: what
    ``ganzoo.config.resumable_changes`` says for a zoo holding their options, sorted by name
    as docs/cli.md lists them."""
    options: Registry = Registry("option")
    for name, plugin, option in builtin_plugin_options():
        options.add(name, option, plugin=plugin)
    try:
        return sorted(resumable_changes(SimpleNamespace(options=options)))  # type: ignore[arg-type]
    except AttributeError:  # it came to read more of the zoo: the same rule, by hand (the tests say so)
        return sorted(RESUMABLE_CHANGES | {e.name for e in options.entries() if e.load().resumable})


def _plugin_rows() -> list[tuple[str, str, str, str]]:
    return [(name, option.type.__name__, repr(option.default), _sentence(option.help))
            for name, _, option in builtin_plugin_options()]


def _sentence(text: str) -> str:
    """An Option's help (a sentence) as a meaning: no final period, no leading capital."""
    text = text.strip().rstrip(".")
    return text[:1].lower() + text[1:] if text[1:2].islower() else text


def _docstring_rows(rows: list[tuple[str, str, str, str]], width: int = 88) -> str:
    lines = []
    for name, kind, default, meaning in rows:
        lines.append(f"    {name} ({kind}, default: {default})")
        lines.extend(textwrap.wrap(meaning, width, initial_indent=" " * 8, subsequent_indent=" " * 8,
                                   break_on_hyphens=False))
    return "\n".join(lines)


def resume_sentence() -> str:
    """The resume rule, in the words of docs/cli.md."""
    return ("only these may differ from the original run (the core's, then the built-in plugins' options "
            "marked resumable; ``ganzoo.config.resumable_changes()`` gives the same list, installed "
            f"plugins' included): {', '.join(builtin_resumable_changes())}. Anything else would change "
            "what is learned and is refused.")


def docstring_sections() -> str:
    """The option lists, the resume rule and the progress events, for ``train.__doc__``."""
    return "\n".join([
        "Keywords of ``train`` itself:",
        "",
        _docstring_rows(TRAIN_KEYWORDS),
        "",
        "Options (``**options``): every field of ``ganzoo.TrainConfig`` that a user may set. One",
        "not given comes from the run being resumed, else the model's recipe and ``preset``",
        "(``ganzoo list models MODEL`` shows them), else the default shown here.",
        "",
        _docstring_rows(core_options()),
        "",
        "Options declared by ganzoo's own plugins, accepted the same way:",
        "",
        _docstring_rows(_plugin_rows()),
        "",
        "Installed plugins may declare more: ``ganzoo list options`` (or",
        "``ganzoo.get_zoo().options``) lists every one with its type, default and help.",
        "",
        "Resuming: with ``resume=True``, ``out`` must be an existing run directory, and",
        *textwrap.wrap("training continues from its latest checkpoint; " + resume_sentence(), 88,
                       break_on_hyphens=False),
        "",
        "Progress: nothing is printed unless ``progress=True``, which prints to stderr the lines",
        "``ganzoo run`` writes to a log: one when training starts, one per epoch with its losses",
        "and metrics. ``on_progress`` receives the events themselves (on rank 0 only):",
        "",
        _docstring_events("    "),
        "",
        PROGRESS_NOTE,
    ])


#: The events ``on_progress`` receives: (when, [(key, note)], what else); docs/python-api.md
#: lists the same.
PROGRESS_EVENTS: list[tuple[str, list[tuple[str, str]], str]] = [
    ("when training starts (once)",
     [("total_epochs", ""), ("per_epoch", "iterations per epoch"), ("epoch", "the first to train, 1-based"),
      ("run_dir", ""), ("device", ""), ("world_size", ""), ("examples", "images in the training set"),
      ("resumed_at_step", "None unless resumed"),
      ("metric_specs", "a list of ganzoo.MetricSpec: name, label, meaning, direction")], ""),
    ("during an epoch", [("epoch", "the current one, 1-based"), ("step", "iterations done")],
     "when the losses were just copied to the host (every log_every iterations), also loss_d, loss_g "
     "and every declared metric, by name"),
    ("after each epoch, its grid and its checkpoint", [("epoch_done", ""), ("step", "")],
     "with the last logged loss_d, loss_g and metrics"),
]
PROGRESS_NOTE = "Events may carry more keys than these: read the ones you need."


def _events(quote: str = "") -> list[tuple[str, str]]:
    """(when, what) of each progress event, its keys quoted with ``quote``."""
    described = []
    for when, keys, more in PROGRESS_EVENTS:
        text = ", ".join(f"{quote}{key}{quote}" + (f" ({note})" if note else "") for key, note in keys)
        described.append((when, text + (f"; {more}" if more else "")))
    return described


def _docstring_events(indent: str) -> str:
    lines = []
    for when, what in _events():
        lines.append(f"{indent}{when}:")
        lines.extend(textwrap.wrap(what, 88, initial_indent=indent * 2, subsequent_indent=indent * 2,
                                   break_on_hyphens=False))
    return "\n".join(lines)


def markdown() -> str:
    """docs/python-api.md's generated section: the option list (the sentence
    tests/test_docs.py reads) and tables of every option with type, default and meaning."""
    listing = textwrap.fill(", ".join(name for name, *_ in core_options()), 92, break_on_hyphens=False)
    plugin_options = builtin_plugin_options()
    rows = [_row("option", "type", "default", "meaning"), _row(*["---"] * 4)]
    for name, kind, default, meaning in TRAIN_KEYWORDS + core_options():
        rows.append(_row(f"`{name}`", f"`{kind}`", default if default == RECIPE else f"`{default}`", meaning))
    plugin_rows = [_row("option", "type", "default", "meaning", "plugin"), _row(*["---"] * 5)]
    for name, plugin, option in plugin_options:
        resumable = " (may differ on resume)" if option.resumable else ""
        plugin_rows.append(_row(f"`{name}`", f"`{option.type.__name__}`", f"`{option.default!r}`",
                                _sentence(option.help) + resumable, plugin))
    return "\n".join([
        "`ganzoo.train` accepts every field of `ganzoo.TrainConfig` that a user may set:",
        f"`{listing}`,",
        *textwrap.wrap(
            "every option that an installed plugin declares (the core's own plugins': "
            f"{', '.join(f'`{name}`' for name, _, _ in plugin_options)}; `ganzoo list options` lists them all), "
            "plus its own keywords. An option not given comes from the run being resumed, else the model's "
            "recipe and preset (`ganzoo list models MODEL` shows them), else the default below. "
            "`help(ganzoo.train)` shows the same.", 92, break_on_hyphens=False),
        "",
        *rows,
        "",
        "The core's own plugins declare:",
        "",
        *plugin_rows,
        "",
        *textwrap.wrap("Resuming: with `resume=True`, `out` must be an existing run directory, and training "
                       "continues from its latest checkpoint; " + resume_sentence().replace("``", "`"), 92,
                       break_on_hyphens=False),
        "",
        "The events `on_progress` receives (on rank 0 only), by when they come:",
        "",
        *(f"- {when}: {what}" for when, what in _events("`")),
        "",
        PROGRESS_NOTE,
    ])


def _row(*cells: str) -> str:
    """A Markdown table row; a ``|`` inside a cell (``int | None``) is escaped."""
    return "| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |"
