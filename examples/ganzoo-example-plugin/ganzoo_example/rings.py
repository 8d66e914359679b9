"""A dataset drawn on the fly: ring k has radius 3 + k pixels, centred with some jitter."""

from pathlib import Path

import torch

import ganzoo

SIZE, PER_CLASS = 28, 600


class Rings(torch.utils.data.Dataset):
    """``data`` (N, 28, 28) uint8 and ``targets`` (N,), like torchvision's MNIST."""

    classes = [f"radius {3 + k}" for k in range(10)]

    def __init__(self, train: bool = True) -> None:
        g = torch.Generator().manual_seed(0 if train else 1)
        labels = torch.arange(10).repeat_interleave(PER_CLASS if train else PER_CLASS // 6)
        centre = SIZE / 2 + torch.randn(len(labels), 2, generator=g)
        yy, xx = torch.meshgrid(torch.arange(SIZE), torch.arange(SIZE), indexing="ij")
        distance = ((yy - centre[:, 0, None, None]) ** 2 + (xx - centre[:, 1, None, None]) ** 2).sqrt()
        radius = (3 + labels).float()[:, None, None]
        self.data = (255 * torch.exp(-((distance - radius) ** 2) / 1.5)).to(torch.uint8)
        self.targets = labels

    def __len__(self) -> int:
        return len(self.targets)


def _open(root: Path, *, train: bool, download: bool) -> Rings:
    return Rings(train)


def _to_tensors(dataset: Rings):
    return dataset.data.unsqueeze(1), dataset.targets


RINGS = ganzoo.DatasetSpec(
    name="rings", image_shape=(1, SIZE, SIZE), num_classes=10, open=_open, to_tensors=_to_tensors,
    class_names=tuple(Rings.classes),
)
