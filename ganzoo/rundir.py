"""Run directories: where a run's config, log, sample grids and checkpoints live.

``runs/<model>-<dataset>`` by default, with ``-2``, ``-3``... appended rather than
overwriting an earlier run. An explicit ``--out`` that already holds something is refused
unless the user asked to ``--resume`` it or to ``--overwrite`` it.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from ganzoo.checkpoint import CHECKPOINT_DIR, atomic_write_bytes, latest_checkpoint
from ganzoo.errors import RunDirectoryError, describe_os_error

CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.jsonl"
# What each column of metrics.jsonl means: name, label, meaning, direction (declared by the
# objective, the loss and the regularizers), for report.html and other readers of the log.
METRIC_SPECS_FILE = "metric_specs.json"
SAMPLES_DIR = "samples"
RUN_FILES = (CONFIG_FILE, METRICS_FILE, METRIC_SPECS_FILE, SAMPLES_DIR, CHECKPOINT_DIR)


def default_run_dir(model: str, dataset: str, base: Path = Path("runs")) -> Path:
    candidate = base / f"{model}-{dataset}"
    n = 2
    while candidate.exists():
        candidate = base / f"{model}-{dataset}-{n}"
        n += 1
    return candidate


def claim_default_run_dir(chosen: Path, model: str, dataset: str) -> Path:
    """Create the default-named ``chosen`` (or the next free name) atomically and return it.

    :func:`default_run_dir` picks a name when training is asked for, but the folder is
    only made once the data and models are checked, seconds later; two runs started
    together (several seeds at once) would both pick ``runs/gan-mnist`` and write into
    it. ``mkdir`` without ``exist_ok`` lets exactly one of them have each name.
    """
    candidate = chosen
    while True:
        try:
            _make_run_dir(candidate, exist_ok=False)
            return candidate
        except FileExistsError:
            candidate = default_run_dir(model, dataset, base=chosen.parent)


def _make_run_dir(path: Path, *, exist_ok: bool) -> None:
    """``mkdir -p``; what the file system refuses is a one-line :class:`RunDirectoryError`,
    except ``FileExistsError`` when not ``exist_ok`` (the caller's to handle)."""
    try:
        path.mkdir(parents=True, exist_ok=exist_ok)
    except OSError as error:
        if isinstance(error, FileExistsError) and not exist_ok:
            raise
        raise RunDirectoryError(f"cannot create the run directory {path} ({describe_os_error(error)}); "
                                "choose another --out") from None


def describe_run(run_dir: Path) -> str:
    try:
        config = json.loads((run_dir / CONFIG_FILE).read_text())
        return f"a {config['model']} run on {config['dataset']}"
    except (OSError, ValueError, KeyError):
        return "files"


def check_folder_can_be_made(folder: Path, option: str = "--out") -> None:
    """Refuse, before any work, a folder that could not be created or written later: one
    under a file, or under a folder this process may not write to. Touches nothing."""
    existing = Path(folder)
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise RunDirectoryError(f"{option} {folder}: {existing} is a file, not a folder")
    if not os.access(existing, os.W_OK | os.X_OK):
        raise RunDirectoryError(f"{option} {folder}: {existing} is not writable; choose another {option}")


def check_new_run_dir(out: Path, *, overwrite: bool) -> None:
    """Refuse an ``out`` that a new run would clobber without being asked to. Touches nothing."""
    if out.exists() and not out.is_dir():
        raise RunDirectoryError(f"--out {out} is a file, not a directory")
    check_folder_can_be_made(out)
    if out.is_dir() and any(out.iterdir()):
        if not overwrite:
            raise RunDirectoryError(
                f"{out} already holds {describe_run(out)}; pass --resume to continue it, "
                "--overwrite to replace it, or choose another --out"
            )
        if not (out / CONFIG_FILE).exists():
            raise RunDirectoryError(
                f"{out} is not empty and is not a ganzoo run; --overwrite only replaces runs, choose another --out"
            )


def prepare_new_run_dir(out: Path, *, overwrite: bool) -> None:
    """Make ``out`` ready for a new run: checked as :func:`check_new_run_dir`, then the
    files of the run it replaces (with ``overwrite``) are removed."""
    check_new_run_dir(out, overwrite=overwrite)
    if out.is_dir() and overwrite:
        for name in RUN_FILES:
            target = out / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
    _make_run_dir(out, exist_ok=True)


def check_resumable(out: Path) -> Path:
    """The checkpoint to resume ``out`` from, or a clear error."""
    if not out.is_dir():
        raise RunDirectoryError(f"cannot resume: {out} does not exist")
    checkpoint = latest_checkpoint(out)
    if checkpoint is None:
        raise RunDirectoryError(f"cannot resume: {out} holds no complete checkpoint yet (start it again with --overwrite)")
    return checkpoint


def write_config(out: Path, config: dict[str, Any]) -> None:
    atomic_write_bytes(out / CONFIG_FILE, (json.dumps(config, indent=2) + "\n").encode())


def write_metric_specs(out: Path, specs: list[dict[str, str]]) -> None:
    atomic_write_bytes(out / METRIC_SPECS_FILE, (json.dumps(specs, indent=2) + "\n").encode())


def read_metric_specs(out: Path) -> list[dict[str, str]] | None:
    """The run's declared metrics, or ``None`` for runs older than the file."""
    try:
        specs = json.loads((out / METRIC_SPECS_FILE).read_text())
    except (OSError, ValueError):
        return None
    return specs if isinstance(specs, list) else None


def truncate_metrics(out: Path, last_step: int) -> None:
    """Drop log records written after the checkpoint a run resumes from."""
    path = out / METRICS_FILE
    if not path.exists():
        return
    kept = []
    for line in path.read_text().splitlines():
        try:
            if json.loads(line).get("step", 0) <= last_step:
                kept.append(line)
        except ValueError:
            break  # a line cut by a crash: everything after it is untrustworthy
    path.write_text("".join(line + "\n" for line in kept))
