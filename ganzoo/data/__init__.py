"""Datasets: what one is (:mod:`~ganzoo.data.spec`), the built-in ones
(:mod:`~ganzoo.data.builtin`) and how their batches are served (:mod:`~ganzoo.data.batches`).

The names below are the public ones, importable from ``ganzoo.data``; the built-in specs
are not imported here (they are registered as ``ganzoo.data.builtin:NAME`` and imported
when first used).
"""

from __future__ import annotations

from ganzoo.data.batches import Batch, InMemoryBatches, LoaderBatches, make_batches, stratified_subset
from ganzoo.data.spec import DatasetSpec, default_data_root, open_split

__all__ = [
    "Batch", "DatasetSpec", "InMemoryBatches", "LoaderBatches", "default_data_root", "make_batches", "open_split",
    "stratified_subset",
]
