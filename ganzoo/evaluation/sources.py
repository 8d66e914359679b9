"""The images being compared: generated ones and the dataset's held-out split, in batches on
the evaluation device.

Both sources yield float images in ``[-1, 1]`` already on the device, one batch at a time:
nothing is copied to the host per sample, and at most one batch of images exists at once.
"""

from __future__ import annotations

import hashlib
import os
from typing import Any, Iterator

import torch

from ganzoo.data import DatasetSpec
from ganzoo.sampling import LoadedGenerator, balanced_labels, latents


@torch.no_grad()
def generated_batches(
    loaded: LoadedGenerator, n: int, *, seed: int, batch_size: int
) -> Iterator[tuple[torch.Tensor, torch.Tensor | None]]:
    """``(images, requested labels or None)`` batches of the ``n`` images that
    ``ganzoo.sampling.sample(loaded, n, seed=seed)`` draws (same noise, same labels), made
    batch by batch so that evaluating 50k samples needs one batch of memory."""
    z = latents(loaded, n, seed)  # as the run's objective draws G's input (InfoGAN's codes)
    labels = balanced_labels(loaded, n)
    for start in range(0, n, batch_size):
        z_chunk = z[start : start + batch_size].to(loaded.device, non_blocking=True)
        y_chunk = None if labels is None else labels[start : start + batch_size].to(loaded.device, non_blocking=True)
        yield loaded.generator(z_chunk, y_chunk).float(), y_chunk


def real_batches(
    spec: DatasetSpec, dataset: Any, *, batch_size: int, device: torch.device
) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """``(images, labels)`` batches of the held-out split, images in ``[-1, 1]`` on
    ``device``, labels on the CPU: the in-memory path (one uint8 copy to the device,
    converted batch by batch) when the spec has one, else a ``DataLoader`` over the
    dataset's own transform (which already yields ``[-1, 1]``)."""
    if spec.to_tensors is not None and spec.fit_in_memory:
        images, labels = spec.to_tensors(dataset)
        images = images.to(device)
        for start in range(0, len(images), batch_size):
            yield images[start : start + batch_size].float().div_(127.5).sub_(1.0), labels[start : start + batch_size]
        return
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=False, num_workers=0)
    for batch, labels in loader:
        yield batch.to(device, non_blocking=True), torch.as_tensor(labels)


def dataset_fingerprint(spec: DatasetSpec, dataset: Any) -> str:
    """A short hash of the split's content, so that a cache entry computed from other files
    under the same dataset name (a synthetic stand-in, a re-download) is never reused."""
    digest = hashlib.sha256()
    if spec.to_tensors is not None:
        images, labels = spec.to_tensors(dataset)
        digest.update(str(tuple(images.shape)).encode())
        digest.update(images.contiguous().numpy().tobytes())
        digest.update(labels.contiguous().numpy().tobytes())
    else:  # a folder of files: names and sizes
        for path, label in getattr(dataset, "samples", []):
            try:
                size = os.path.getsize(path)
            except OSError:
                size = -1
            digest.update(f"{path}\0{size}\0{label}\n".encode())
        digest.update(str(len(dataset)).encode())
    return digest.hexdigest()[:16]
