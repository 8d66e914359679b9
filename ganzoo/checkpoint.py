"""Checkpoints: written atomically, read without executing anything.

A checkpoint is a plain dictionary of tensors and Python values, so it loads with
``torch.load(path, weights_only=True)``: opening a checkpoint never runs code from it.
Writes go to a temporary file in the same folder, are flushed and fsync'ed, then renamed
over the target, so a crash or a full disk never leaves a half-written checkpoint where
a complete one was. The ``latest`` pointer file is replaced the same way, after the
checkpoint it names is complete.
"""

from __future__ import annotations

import os
import pickle
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import CheckpointError, first_line

FORMAT_VERSION = 1
CHECKPOINT_DIR = "checkpoints"
LATEST_POINTER = "latest"


def _atomic_write(path: Path, write: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; give the file what open() would
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        try:
            os.unlink(tmp_name)
        except FileNotFoundError:
            pass
        raise
    try:  # make the rename itself durable
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write_bytes(path: Path, data: bytes) -> None:
    _atomic_write(path, lambda handle: handle.write(data))


def save_checkpoint(state: dict[str, Any], run_dir: Path, name: str, keep: int = 2) -> Path:
    """Write ``state`` to ``run_dir/checkpoints/name`` atomically, point ``latest`` at it,
    and delete older checkpoints beyond the ``keep`` most recent."""
    directory = Path(run_dir) / CHECKPOINT_DIR
    path = directory / name
    _atomic_write(path, lambda handle: torch.save(state, handle))
    atomic_write_bytes(directory / LATEST_POINTER, (name + "\n").encode())
    checkpoints = sorted(p for p in directory.glob("*.pt") if p.name != name)
    for old in checkpoints[: max(0, len(checkpoints) - (keep - 1))]:
        old.unlink(missing_ok=True)
    return path


def remove_partial_writes(run_dir: Path) -> None:
    """Delete temporary files left by writes that were killed (SIGKILL, power loss)."""
    for folder in (Path(run_dir), Path(run_dir) / CHECKPOINT_DIR):
        for stale in folder.glob(".*.tmp"):
            stale.unlink(missing_ok=True)


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The checkpoint named by ``run_dir/checkpoints/latest``, or ``None`` if there is none."""
    pointer = Path(run_dir) / CHECKPOINT_DIR / LATEST_POINTER
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    path = pointer.parent / name
    return path if name and path.is_file() else None


def find_checkpoint(path: Path | str) -> Path:
    """A checkpoint file, given the file itself, a run directory, or the run's
    ``checkpoints`` folder or ``latest`` pointer (both of which a user may well pass)."""
    path = Path(path).expanduser()
    if path.name == LATEST_POINTER and path.parent.name == CHECKPOINT_DIR and path.is_file():
        path = path.parent.parent
    elif path.name == CHECKPOINT_DIR and (path / LATEST_POINTER).is_file():
        path = path.parent
    if path.is_dir():
        found = latest_checkpoint(path)
        if found is None:
            raise CheckpointError(f"{path} holds no checkpoint (expected {path / CHECKPOINT_DIR / LATEST_POINTER})")
        return found
    if not path.is_file():
        raise CheckpointError(f"no such run directory or checkpoint file: {path}")
    return path


# torch.save's format before PyTorch 1.6 (still readable, and used by some published
# weights) is a bare pickle, protocol 2.
_LEGACY_TORCH_HEADER = b"\x80\x02"


class UnreadableTorchFile(Exception):
    """A file that :func:`read_torch_file` could not load; ``reason`` says why in a few words."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def read_torch_file(path: Path | str, map_location: str | torch.device = "cpu") -> Any:
    """``torch.load(path, weights_only=True)`` for a file a user pointed at.

    Such a file may be anything (a text file, someone else's pickle, half a download),
    and ``torch.load`` on foreign bytes fails with almost any exception: ``KeyError``,
    ``IndexError``, ``UnpicklingError``... Whatever it raises becomes
    :class:`UnreadableTorchFile` with a short reason. Errors of the file system itself
    (permissions, a missing file) stay ``OSError``, for the CLI to report as such.
    """
    path = Path(path)
    with open(path, "rb") as handle:  # OSError here is the file system's to report
        header = handle.read(4)
        is_zip = zipfile.is_zipfile(handle)
    if not is_zip and header == b"PK\x03\x04":
        raise UnreadableTorchFile(path, "an incomplete zip archive: the file was cut short")
    if not is_zip and not header.startswith(_LEGACY_TORCH_HEADER):
        raise UnreadableTorchFile(path, "not a file written by torch.save")
    try:
        return torch.load(path, map_location=map_location, weights_only=True)
    except OSError:
        raise
    except Exception as error:  # noqa: BLE001 - foreign bytes: see the docstring
        if isinstance(error, pickle.UnpicklingError) and "weights only" in str(error).lower():
            reason = "it holds Python objects other than tensors and plain data"
        else:
            reason = first_line(error, limit=120, with_type=True)
        raise UnreadableTorchFile(path, reason) from error


def load_checkpoint(path: Path | str, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Load a checkpoint (file or run directory) with ``weights_only=True``.

    Truncated, corrupted and foreign files raise :class:`CheckpointError` naming the file.
    """
    file = find_checkpoint(path)
    try:
        state = read_torch_file(file, map_location=map_location)
    except UnreadableTorchFile as error:
        raise CheckpointError(
            f"cannot read checkpoint {file}: it is truncated, corrupted or not a ganzoo checkpoint ({error.reason})"
        ) from error
    if not isinstance(state, dict) or "format_version" not in state or "config" not in state:
        raise CheckpointError(f"{file} is not a ganzoo checkpoint")
    if state["format_version"] > FORMAT_VERSION:
        raise CheckpointError(
            f"{file} was written by a newer ganzoo (checkpoint format {state['format_version']}, "
            f"this version reads up to {FORMAT_VERSION}); upgrade ganzoo"
        )
    state["path"] = str(file)
    return state
