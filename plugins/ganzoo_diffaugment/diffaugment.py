"""The three DiffAugment transforms of Zhao et al. (2020), after the authors' PyTorch code
(``DiffAugment_pytorch.py``), drawing from the run's seeded generator. Images are
``(N, C, H, W)`` in ``[-1, 1]``; every operation is differentiable in the images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import torch

from ganzoo import Augmentation


def _uniform(images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
    return torch.rand(images.shape[0], 1, 1, 1, generator=generator, device=images.device, dtype=images.dtype)


@dataclass
class Color(Augmentation):
    """Brightness ``+ U(-0.5, 0.5)``, saturation ``x U(0, 2)`` around the per-pixel channel
    mean, contrast ``x U(0.5, 1.5)`` around the image mean: the paper's ``color`` policy."""

    name: ClassVar[str] = "color"

    def __call__(self, images, generator):
        images = images + (_uniform(images, generator) - 0.5)
        mean = images.mean(dim=1, keepdim=True)
        images = (images - mean) * (_uniform(images, generator) * 2) + mean
        mean = images.mean(dim=(1, 2, 3), keepdim=True)
        return (images - mean) * (_uniform(images, generator) + 0.5) + mean


def _check_ratio(ratio: float) -> None:
    if not 0 < ratio < 1:
        raise ValueError(f"ratio must be in (0, 1), got {ratio}")


@dataclass
class Translation(Augmentation):
    """Shift each image by a random whole number of pixels in ``[-r, r]`` along each axis,
    ``r = ratio * size`` rounded, filling with zeros (the paper: ratio 1/8)."""

    name: ClassVar[str] = "translation"
    ratio: float = 0.125

    def __post_init__(self) -> None:
        _check_ratio(self.ratio)

    def __call__(self, images, generator):
        n, _, height, width = images.shape
        device = images.device
        shift_y, shift_x = int(height * self.ratio + 0.5), int(width * self.ratio + 0.5)
        dy = torch.randint(-shift_y, shift_y + 1, (n, 1, 1), generator=generator, device=device)
        dx = torch.randint(-shift_x, shift_x + 1, (n, 1, 1), generator=generator, device=device)
        batch, rows, cols = torch.meshgrid(torch.arange(n, device=device), torch.arange(height, device=device),
                                           torch.arange(width, device=device), indexing="ij")
        rows = torch.clamp(rows + dy + 1, 0, height + 1)
        cols = torch.clamp(cols + dx + 1, 0, width + 1)
        padded = torch.nn.functional.pad(images, [1, 1, 1, 1])  # a zero border, where shifted-in pixels come from
        return padded.permute(0, 2, 3, 1)[batch, rows, cols].permute(0, 3, 1, 2).contiguous()


@dataclass
class Cutout(Augmentation):
    """Zero one square of ``ratio * size`` per image, at a random place that may reach past
    the border (the paper: ratio 1/2)."""

    name: ClassVar[str] = "cutout"
    ratio: float = 0.5

    def __post_init__(self) -> None:
        _check_ratio(self.ratio)

    def __call__(self, images, generator):
        n, _, height, width = images.shape
        device = images.device
        size_y, size_x = int(height * self.ratio + 0.5), int(width * self.ratio + 0.5)
        top = torch.randint(0, height + (1 - size_y % 2), (n, 1, 1), generator=generator, device=device)
        left = torch.randint(0, width + (1 - size_x % 2), (n, 1, 1), generator=generator, device=device)
        batch, rows, cols = torch.meshgrid(torch.arange(n, device=device), torch.arange(size_y, device=device),
                                           torch.arange(size_x, device=device), indexing="ij")
        rows = torch.clamp(rows + top - size_y // 2, 0, height - 1)
        cols = torch.clamp(cols + left - size_x // 2, 0, width - 1)
        mask = torch.ones(n, height, width, dtype=images.dtype, device=device)
        mask[batch, rows, cols] = 0
        return images * mask.unsqueeze(1)
