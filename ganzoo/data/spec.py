"""What a dataset is to ganzoo (:class:`DatasetSpec`), where datasets live
(:func:`default_data_root`) and how one split is opened with one-line offline errors
(:func:`open_split`). torchvision is the source of truth for the data itself.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import torch

from ganzoo.errors import DatasetUnavailableError, first_line


def default_data_root() -> Path:
    """``$GANZOO_DATA_ROOT``, else ``$XDG_CACHE_HOME/ganzoo/datasets`` (``~/.cache/...``)."""
    if os.environ.get("GANZOO_DATA_ROOT"):
        return Path(os.environ["GANZOO_DATA_ROOT"]).expanduser()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return cache / "ganzoo" / "datasets"


@dataclass(frozen=True)
class DatasetSpec:
    """A dataset ganzoo can train on, registered with ``register_datasets``.

    Attributes:
        name: the dataset's name; register the spec under it.
        image_shape: the ``(C, H, W)`` of every image, as G must produce it.
        num_classes: the number of classes; ``None`` for unlabelled data, or to take the
            number from the opened dataset's ``classes`` attribute (image folders).
        open: ``open(root, train=..., download=...)`` returns a torchvision-style dataset
            of one split (``root`` is a ``Path``; raise ``RuntimeError`` or ``OSError`` when
            the files are missing and cannot be downloaded).
        to_tensors: turns the opened dataset into ``(uint8 images (N, C, H, W), int64
            labels (N,))`` for the in-memory path; ``None``: the ``DataLoader`` path, and the
            dataset yields ``(float image (C, H, W) in [-1, 1], label)`` pairs.
        class_names: the classes' names in label order (empty: the opened dataset's
            ``classes``, if any).
        expected_files: what must be on disk, relative to ``root``, said by the error
            message when the dataset is missing.
        description: one line about the dataset (``ganzoo list`` shows the ``description``
            given to ``register``).
        fit_in_memory: ``False`` sends a dataset with ``to_tensors`` through the
            ``DataLoader`` path all the same (too big for memory).
    """

    name: str
    image_shape: tuple[int, int, int]
    num_classes: int | None
    open: Callable[..., Any]
    to_tensors: Callable[[Any], tuple[torch.Tensor, torch.Tensor]] | None = None
    class_names: tuple[str, ...] = ()
    expected_files: tuple[str, ...] = ()
    description: str = ""
    fit_in_memory: bool = True


def open_split(spec: DatasetSpec, root: Path | str, *, train: bool = True, download: bool = True) -> Any:
    """Open one split of a dataset, turning torchvision's download and "not found"
    failures into a one-line :class:`DatasetUnavailableError` that says what to put where."""
    root = Path(root).expanduser()
    absent = _absent_folders(root, spec)
    try:
        try:
            return spec.open(root, train=train, download=download)
        except BaseException:  # a failed (offline) download leaves no empty folder behind
            _remove_if_empty(absent)
            raise
    except DatasetUnavailableError:
        raise
    except (RuntimeError, OSError) as error:
        files = ", ".join(str(root / f) for f in spec.expected_files) or str(root)
        if download:
            how = f"could not be downloaded ({first_line(error).rstrip(':')})"
            options = " or pass --data-root pointing at a folder that has them"
        else:  # torchvision's own reason would be "You can use download=True"
            how = "--no-download is set"
            options = ", pass --data-root pointing at a folder that has them, or drop --no-download"
        raise DatasetUnavailableError(
            f"dataset {spec.name!r} is not in {root} and {how}; put the files there ({files}){options}"
        ) from error


def _absent_folders(root: Path, spec: DatasetSpec) -> list[Path]:
    """The folders an attempt to open ``spec`` in ``root`` may create that do not exist now:
    ``root`` and its missing parents, and the folders of the dataset's expected files
    (torchvision's download makes ``MNIST/raw`` before it fetches anything). Deepest first."""
    candidates = {root}
    for relative in spec.expected_files:
        folder = (root / relative).parent
        while folder != root and root in folder.parents:
            candidates.add(folder)
            folder = folder.parent
    parent = root.parent
    while parent != parent.parent and not parent.exists():
        candidates.add(parent)
        parent = parent.parent
    absent = [folder for folder in candidates if not folder.exists()]
    return sorted(absent, key=lambda folder: len(folder.parts), reverse=True)


def _remove_if_empty(folders: list[Path]) -> None:
    """Remove each folder (deepest first) that exists and is empty; leave any other alone."""
    for folder in folders:
        try:
            folder.rmdir()  # only ever removes an empty folder
        except OSError:
            pass
