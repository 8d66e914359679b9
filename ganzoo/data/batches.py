"""How batches are served to the engine.

Two paths:

* :class:`InMemoryBatches` for datasets that fit in memory (MNIST, Fashion-MNIST,
  CIFAR-10): the whole split is kept as one ``uint8`` tensor on the training device,
  shuffled with a seeded generator and sliced by index each step. No per-image Python
  transform, no worker processes, no host-to-device copy per step.
* :class:`LoaderBatches` for datasets that do not (an image folder): a regular
  ``DataLoader`` with per-image transforms, worker processes and pinned memory.

Both yield ``(images in [-1, 1], labels)`` batches of exactly ``batch_size`` (the last
partial batch is dropped, so every step has the same shape). The order of an epoch is a
permutation drawn from the engine's generator (:meth:`permutation`), and iteration can
start at any batch of it (:meth:`iterate`), so a run resumed in the middle of an epoch
sees exactly the batches it would have seen.
"""

from __future__ import annotations

import os
from typing import Any, Iterator

import torch

from ganzoo.data.spec import DatasetSpec
from ganzoo.errors import UnreadableImageError

Batch = tuple[torch.Tensor, torch.Tensor]


class _Batches:
    batch_size: int
    rank: int = 0
    world_size: int = 1

    def shard(self, rank: int, world_size: int) -> None:
        """Serve only this process's share: global batch ``i`` of ``batch_size *
        world_size`` examples is split in ``world_size`` consecutive slices, so the ranks
        together see exactly the batches one process with the global batch would see."""
        self.rank, self.world_size = rank, world_size

    def __len__(self) -> int:
        return self.num_examples() // (self.batch_size * self.world_size)

    def _slice(self, i: int) -> slice:
        start = (i * self.world_size + self.rank) * self.batch_size
        return slice(start, start + self.batch_size)

    def num_examples(self) -> int:
        raise NotImplementedError

    def permutation(self, generator: torch.Generator) -> torch.Tensor:
        """The order of one epoch, drawn from ``generator`` (on the generator's device)."""
        return torch.randperm(self.num_examples(), generator=generator, device=generator.device)

    def iterate(self, order: torch.Tensor, start: int = 0) -> Iterator[Batch]:
        """Batches ``start, start + 1, ...`` of the epoch whose order is ``order``."""
        raise NotImplementedError

    def labels_of_all(self) -> torch.Tensor:
        """Every example's label, in order (for a stratified subset)."""
        raise NotImplementedError

    def restrict(self, indices: torch.Tensor) -> None:
        """Serve only the examples at ``indices`` from now on."""
        raise NotImplementedError


class InMemoryBatches(_Batches):
    """Serves shuffled batches from one ``uint8`` tensor kept on ``device``."""

    def __init__(self, images: torch.Tensor, labels: torch.Tensor, batch_size: int, device: torch.device) -> None:
        if images.dtype != torch.uint8 or images.dim() != 4:
            raise TypeError(f"expected uint8 images of shape (N, C, H, W), got {images.dtype} {tuple(images.shape)}")
        self.images = images.to(device)
        self.labels = labels.to(device=device, dtype=torch.long)
        self.batch_size = batch_size
        self.device = device

    def num_examples(self) -> int:
        return len(self.images)

    def labels_of_all(self) -> torch.Tensor:
        return self.labels.cpu()

    def restrict(self, indices: torch.Tensor) -> None:
        self.images = self.images[indices.to(self.images.device)]
        self.labels = self.labels[indices.to(self.labels.device)]

    def iterate(self, order: torch.Tensor, start: int = 0) -> Iterator[Batch]:
        order = order.to(self.device)
        for i in range(start, len(self)):
            index = order[self._slice(i)]
            # uint8 [0, 255] -> float [-1, 1], on the device, for this batch only
            yield self.images[index].float().div_(127.5).sub_(1.0), self.labels[index]


class LoaderBatches(_Batches):
    """Serves batches through a ``DataLoader`` (per-image transforms, workers, pinning)."""

    def __init__(self, dataset: Any, batch_size: int, device: torch.device, num_workers: int | None = None) -> None:
        self.dataset = dataset
        self.batch_size = batch_size
        self.device = device
        self.num_workers = min(4, os.cpu_count() or 1) if num_workers is None else num_workers

    def num_examples(self) -> int:
        return len(self.dataset)

    def labels_of_all(self) -> torch.Tensor:
        targets = getattr(self.dataset, "targets", None)
        if targets is None:  # a dataset without a list of targets: read each label
            targets = [label for _, label in self.dataset]
        return torch.as_tensor(targets)

    def restrict(self, indices: torch.Tensor) -> None:
        targets = self.labels_of_all()[indices]
        self.dataset = torch.utils.data.Subset(self.dataset, indices.tolist())
        self.dataset.targets = targets  # type: ignore[attr-defined]

    def iterate(self, order: torch.Tensor, start: int = 0) -> Iterator[Batch]:
        order = order.cpu()
        indices = torch.cat([order[self._slice(i)] for i in range(start, len(self))]).tolist() if start < len(self) else []
        loader = torch.utils.data.DataLoader(
            torch.utils.data.Subset(self.dataset, indices),
            batch_size=self.batch_size,
            shuffle=False,
            drop_last=True,
            num_workers=self.num_workers,
            pin_memory=self.device.type == "cuda",
            persistent_workers=False,
        )
        try:
            for images, labels in loader:
                yield (
                    images.to(self.device, non_blocking=True),
                    torch.as_tensor(labels).to(self.device, non_blocking=True),
                )
        except UnreadableImageError as error:  # from a worker: its traceback is the message
            raise UnreadableImageError.from_worker(error) from None


def make_batches(
    spec: DatasetSpec, dataset: Any, batch_size: int, device: torch.device
) -> InMemoryBatches | LoaderBatches:
    """Pick the in-memory path when the spec can produce tensors, else the loader path."""
    if spec.to_tensors is not None and spec.fit_in_memory:
        images, labels = spec.to_tensors(dataset)
        return InMemoryBatches(images, labels, batch_size, device)
    return LoaderBatches(dataset, batch_size, device)


def stratified_subset(labels: torch.Tensor, fraction: float, seed: int = 0) -> torch.Tensor:
    """Indices of ``fraction`` of the examples, the same share of every class (at least one
    each), chosen by ``seed`` alone: every run of a data-limited experiment, whatever its
    own seed, sees the same subset. Sorted."""
    generator = torch.Generator().manual_seed(seed)
    chosen = []
    for label in labels.unique(sorted=True):
        members = (labels == label).nonzero().flatten()
        keep = max(1, round(fraction * len(members)))
        chosen.append(members[torch.randperm(len(members), generator=generator)[:keep]])
    return torch.cat(chosen).sort().values
