"""The reference CGAN's networks (PyTorch-GAN's ``cgan.py``).

G: [label embedding ; z] -> 128 -> 256 -> 512 -> 1024 -> 784, Tanh. Every block but the
first has BatchNorm; all use LeakyReLU 0.2. The reference passes 0.8 as BatchNorm's second
positional argument, which is ``eps``, not momentum: kept, since it is part of what trains.
D: [flattened image ; label embedding] -> 512 -> 512 -> 512 -> (1, from the head), with
dropout 0.4 after the second and third layers and LeakyReLU 0.2.
"""

from __future__ import annotations

import math

from torch import nn

from ganzoo import ArchitectureSpec
from ganzoo.layers import Dropout, Tanh  # nn.Tanh and nn.Dropout, faster on the CPU


def _block(in_features: int, out_features: int, batch_norm_eps: float | None) -> list[nn.Module]:
    layers: list[nn.Module] = [nn.Linear(in_features, out_features)]
    if batch_norm_eps is not None:
        layers.append(nn.BatchNorm1d(out_features, eps=batch_norm_eps))
    layers.append(nn.LeakyReLU(0.2))
    return layers


class CGANGenerator(nn.Sequential):
    def __init__(self, spec: ArchitectureSpec, batch_norm_eps: float = 0.8) -> None:
        super().__init__(
            *_block(spec.in_features, 128, None),
            *_block(128, 256, batch_norm_eps),
            *_block(256, 512, batch_norm_eps),
            *_block(512, 1024, batch_norm_eps),
            nn.Linear(1024, math.prod(spec.image_shape)),
            Tanh(),
            nn.Unflatten(1, spec.image_shape),
        )


class CGANDiscriminatorBody(nn.Sequential):
    def __init__(self, spec: ArchitectureSpec, dropout: float = 0.4) -> None:
        super().__init__(
            nn.Linear(math.prod(spec.in_shape), 512),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 512),
            Dropout(dropout),
            nn.LeakyReLU(0.2),
            nn.Linear(512, 512),
            Dropout(dropout),
            nn.LeakyReLU(0.2),
        )
        self.out_features = 512


def build_generator(spec: ArchitectureSpec, batch_norm_eps: float = 0.8) -> nn.Module:
    return CGANGenerator(spec, batch_norm_eps)


def build_discriminator(spec: ArchitectureSpec, dropout: float = 0.4) -> nn.Module:
    return CGANDiscriminatorBody(spec, dropout)


build_discriminator.input_kind = "flat"  # type: ignore[attr-defined]
