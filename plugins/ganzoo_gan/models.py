"""The GAN paper's multilayer perceptrons, as in the reference scripts.

By default (the builders' defaults, which the ``reference`` preset uses): G: z (100) -> 256
-> 256 -> 784, Tanh output; D: 784 -> 256 -> 256 -> (1, added by the conditioning
strategy's head), LeakyReLU 0.2. Widths, G's activation, BatchNorm in G (and its eps),
dropout, spectral normalisation and minibatch standard deviation in D are arguments, so
that the recipe can choose what trains well (the ``gan`` recipe's wider MLPs) and the
``reference`` preset can reproduce the reference script exactly.
"""

from __future__ import annotations

import math
from typing import Sequence

from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as apply_spectral_norm

from ganzoo import ArchitectureSpec
from ganzoo.layers import Dropout, MinibatchStdDev, Tanh  # Tanh and Dropout: nn's, faster on the CPU


def _activation(name: str) -> nn.Module:
    if name == "leaky_relu":
        return nn.LeakyReLU(0.2)
    if name == "relu":
        return nn.ReLU()
    raise ValueError(f"activation must be 'leaky_relu' or 'relu', got {name!r}")


class MLPGenerator(nn.Sequential):
    def __init__(self, spec: ArchitectureSpec, hidden: Sequence[int], activation: str, batch_norm: bool = False,
                 batch_norm_eps: float = 1e-5) -> None:
        layers: list[nn.Module] = []
        width = spec.in_features
        for size in hidden:
            layers.append(nn.Linear(width, size))
            if batch_norm:
                layers.append(nn.BatchNorm1d(size, eps=batch_norm_eps))
            layers.append(_activation(activation))
            width = size
        layers += [nn.Linear(width, math.prod(spec.image_shape)), Tanh(), nn.Unflatten(1, spec.image_shape)]
        super().__init__(*layers)


class MLPDiscriminatorBody(nn.Sequential):
    """Everything but the final linear layer, which the conditioning strategy's head adds.
    With ``minibatch_std``, the last hidden layer also sees the batch's standard deviation
    (:class:`ganzoo.layers.MinibatchStdDev`)."""

    def __init__(self, spec: ArchitectureSpec, hidden: Sequence[int], dropout: float, spectral_norm: bool = False,
                 minibatch_std: bool = False) -> None:
        layers: list[nn.Module] = []
        width = math.prod(spec.in_shape)
        for i, size in enumerate(hidden):
            if minibatch_std and i == len(hidden) - 1:
                layers.append(MinibatchStdDev())
                width += 1
            linear = nn.Linear(width, size)
            layers += [apply_spectral_norm(linear) if spectral_norm else linear, nn.LeakyReLU(0.2)]
            if dropout:
                layers.append(Dropout(dropout))
            width = size
        super().__init__(*layers)
        self.out_features = width


def build_mlp_generator(
    spec: ArchitectureSpec, hidden: Sequence[int] = (256, 256), activation: str = "leaky_relu", batch_norm: bool = False,
    batch_norm_eps: float = 1e-5,
) -> nn.Module:
    return MLPGenerator(spec, hidden, activation, batch_norm, batch_norm_eps)


def build_mlp_discriminator(spec: ArchitectureSpec, hidden: Sequence[int] = (256, 256), dropout: float = 0.0,
                            spectral_norm: bool = False, minibatch_std: bool = False) -> nn.Module:
    return MLPDiscriminatorBody(spec, hidden, dropout, spectral_norm, minibatch_std)


build_mlp_discriminator.input_kind = "flat"  # type: ignore[attr-defined]
