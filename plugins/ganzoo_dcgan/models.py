"""DCGAN's networks, sized by the image: 28 = 7 x 2^2 and 32 = 4 x 2^3.

G: a linear projection of [z ; conditioning] to (width, base, base), then transposed
convolutions (kernel 4, stride 2) halving the channels and doubling the size, BatchNorm and
ReLU between, Tanh at the end. D: strided convolutions (kernel 4, stride 2) doubling the
channels and halving the size, LeakyReLU 0.2, BatchNorm after all but the first (or
spectral norm on every layer instead); its features are the flattened last map.
``hidden=N`` adds InfoGAN's fully connected layer of N units after G's input and after D's
last convolution (BatchNorm, ReLU / LeakyReLU), which the recipe uses;
``minibatch_std=True`` gives D's flattened map one more feature, the batch's spread.

Every weight starts from N(0, 0.02) and BatchNorm's scale from N(1, 0.02), as in the paper
(section 4). PyTorch's default initialisation is not a neutral substitute here: it scales
a transposed convolution by its *output* channels, so G's last layer (64 -> 1 channel)
starts with weights about seven times larger, saturates the Tanh, and the first epochs
produce grainy, checkerboarded blobs of one or two classes.
"""

from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as apply_spectral_norm

from ganzoo import ArchitectureSpec
from ganzoo.layers import Dropout, MinibatchStdDev, SelfAttention, Tanh  # nn.Tanh and nn.Dropout, faster on the CPU


def _layout(size: int) -> tuple[int, int]:
    """(base size, number of 2x steps) for a square image side."""
    for base in (4, 7):
        steps = round(math.log2(size / base))
        if steps >= 1 and base * 2**steps == size:
            return base, steps
    raise ValueError(f"dcgan supports square images of 4 or 7 times a power of two (28, 32, 64...), got {size}")


@torch.no_grad()
def dcgan_init_(module: nn.Module) -> None:
    """The paper's initialisation, in place, for every layer of ``module``."""
    for layer in module.modules():
        if isinstance(layer, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
            nn.init.normal_(layer.weight, 0.0, 0.02)
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            nn.init.normal_(layer.weight, 1.0, 0.02)
            nn.init.zeros_(layer.bias)


class DCGANGenerator(nn.Module):
    def __init__(self, spec: ArchitectureSpec, width: int = 64, attention: bool = False, hidden: int = 0) -> None:
        super().__init__()
        channels, height, _ = spec.image_shape
        base, steps = _layout(height)
        top = width * 2 ** (steps - 1)
        fully_connected: list[nn.Module] = []
        if hidden:  # InfoGAN's MNIST G: a fully connected layer before the projection
            fully_connected = [nn.Linear(spec.in_features, hidden, bias=False), nn.BatchNorm1d(hidden), nn.ReLU()]
        self.project = nn.Sequential(
            *fully_connected,
            nn.Linear(hidden or spec.in_features, top * base * base, bias=False),
            nn.Unflatten(1, (top, base, base)),
            nn.BatchNorm2d(top),
            nn.ReLU(),
        )
        layers: list[nn.Module] = []
        c = top
        for _ in range(steps - 1):
            layers += [nn.ConvTranspose2d(c, c // 2, 4, 2, 1, bias=False), nn.BatchNorm2d(c // 2), nn.ReLU()]
            c //= 2
        if attention:  # SAGAN's block, at half the image size (before the last layer)
            layers.append(SelfAttention(c))
        layers += [nn.ConvTranspose2d(c, channels, 4, 2, 1), Tanh()]
        self.upsample = nn.Sequential(*layers)
        dcgan_init_(self)

    def forward(self, x):
        return self.upsample(self.project(x))


class DCGANDiscriminatorBody(nn.Module):
    def __init__(
        self, spec: ArchitectureSpec, width: int = 64, spectral_norm: bool = False, batch_norm: bool = True,
        dropout: float = 0.0, attention: bool = False, hidden: int = 0, minibatch_std: bool = False,
    ) -> None:
        super().__init__()
        in_channels, height, _ = spec.in_shape
        base, steps = _layout(height)
        layers: list[nn.Module] = []
        c_in, c_out = in_channels, width
        for i in range(steps):
            conv = nn.Conv2d(c_in, c_out, 4, 2, 1)
            dcgan_init_(conv)  # before spectral norm takes the weight over
            layers.append(apply_spectral_norm(conv) if spectral_norm else conv)
            if i > 0 and batch_norm and not spectral_norm:
                layers.append(nn.BatchNorm2d(c_out))
            layers.append(nn.LeakyReLU(0.2))
            if dropout:
                layers.append(Dropout(dropout))
            if attention and i == 0:  # SAGAN's block, at half the image size
                layers.append(SelfAttention(c_out, spectral_norm=spectral_norm))
            c_in, c_out = c_out, c_out * 2
        layers.append(nn.Flatten())
        features = c_in * base * base
        if minibatch_std:  # the batch's spread as one more feature (ganzoo.layers.MinibatchStdDev)
            layers.append(MinibatchStdDev())
            features += 1
        if hidden:  # InfoGAN's MNIST D: a fully connected layer on the last map
            linear = nn.Linear(features, hidden)
            dcgan_init_(linear)
            layers.append(apply_spectral_norm(linear) if spectral_norm else linear)
            if batch_norm and not spectral_norm:
                layers.append(nn.BatchNorm1d(hidden))
            layers.append(nn.LeakyReLU(0.2))
            features = hidden
        self.net = nn.Sequential(*layers)
        for layer in self.net.modules():
            if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
                dcgan_init_(layer)
        self.out_features = features

    def forward(self, x):
        return self.net(x)


def build_generator(spec: ArchitectureSpec, width: int = 64, attention: bool = False, hidden: int = 0) -> nn.Module:
    return DCGANGenerator(spec, width, attention, hidden)


def build_discriminator(
    spec: ArchitectureSpec, width: int = 64, spectral_norm: bool = False, batch_norm: bool = True, dropout: float = 0.0,
    attention: bool = False, hidden: int = 0, minibatch_std: bool = False,
) -> nn.Module:
    return DCGANDiscriminatorBody(spec, width, spectral_norm, batch_norm, dropout, attention, hidden, minibatch_std)


build_discriminator.input_kind = "image"  # type: ignore[attr-defined]
