"""SNGAN's ResNet generator and discriminator (Miyato et al. 2018, appendix B.4 / table 4:
the CIFAR-10 ResNets of Gulrajani et al. 2017), sized by the image: 32 = 4 x 2^3 (three
up-blocks, the paper's) and 28 = 7 x 2^2 (two, for MNIST and Fashion-MNIST).

G: a linear layer to ``(width, base, base)``, up-blocks (BatchNorm, ReLU, nearest 2x
upsampling, 3x3 convolution, BatchNorm, ReLU, 3x3 convolution, plus a 1x1-convolution
shortcut of the upsampled input), then BatchNorm, ReLU, a 3x3 convolution and Tanh. With
``spec.num_classes`` (a class-conditional strategy) every BatchNorm is class-conditional.
D: an optimised first block (convolution, ReLU, convolution, 2x average pooling; shortcut
pooling then 1x1 convolution), down-blocks, blocks at the last size, ReLU, and a global
sum of each channel: its features. Spectral normalisation on every layer of D (and, with
``spectral_norm=True``, of G, as SAGAN does). ``attention=True`` puts a SAGAN
self-attention block after the first block of each network (at 14x14 or 16x16).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm as apply_spectral_norm

from ganzoo import ArchitectureSpec
from ganzoo.layers import ConditionalBatchNorm2d, SelfAttention, Tanh


def _layout(size: int) -> tuple[int, int]:
    for base, steps in ((4, 3), (7, 2)):
        if base * 2**steps == size:
            return base, steps
    raise ValueError(f"the SNGAN ResNets take 32x32 or 28x28 images, got {size}x{size}")


def _maybe_sn(module: nn.Module, on: bool) -> nn.Module:
    return apply_spectral_norm(module) if on else module


class _Norm(nn.Module):
    """BatchNorm, class-conditional when the run's strategy asks for it."""

    def __init__(self, channels: int, num_classes: int | None) -> None:
        super().__init__()
        self.norm = ConditionalBatchNorm2d(channels, num_classes) if num_classes else nn.BatchNorm2d(channels)
        self.conditional = bool(num_classes)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        return self.norm(x, y) if self.conditional else self.norm(x)


class UpBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, num_classes: int | None, sn: bool) -> None:
        super().__init__()
        self.norm1, self.norm2 = _Norm(c_in, num_classes), _Norm(c_out, num_classes)
        self.conv1 = _maybe_sn(nn.Conv2d(c_in, c_out, 3, 1, 1), sn)
        self.conv2 = _maybe_sn(nn.Conv2d(c_out, c_out, 3, 1, 1), sn)
        self.shortcut = _maybe_sn(nn.Conv2d(c_in, c_out, 1), sn)

    def forward(self, x: torch.Tensor, y: torch.Tensor | None) -> torch.Tensor:
        h = F.interpolate(F.relu(self.norm1(x, y)), scale_factor=2)
        h = self.conv2(F.relu(self.norm2(self.conv1(h), y)))
        return h + self.shortcut(F.interpolate(x, scale_factor=2))


class ResNetGenerator(nn.Module):
    def __init__(self, spec: ArchitectureSpec, width: int = 64, attention: bool = False,
                 spectral_norm: bool = False) -> None:
        super().__init__()
        channels, height, _ = spec.image_shape
        self.base, steps = _layout(height)
        self.width = width
        self.class_conditional = bool(spec.num_classes)
        self.project = _maybe_sn(nn.Linear(spec.in_features, width * self.base * self.base), spectral_norm)
        self.blocks = nn.ModuleList(UpBlock(width, width, spec.num_classes, spectral_norm) for _ in range(steps))
        self.attention = SelfAttention(width, spectral_norm) if attention else None
        self.norm = _Norm(width, spec.num_classes)
        self.to_image = _maybe_sn(nn.Conv2d(width, channels, 3, 1, 1), spectral_norm)
        self.tanh = Tanh()
        for module in self.modules():
            if isinstance(module, (nn.Conv2d, nn.Linear)):
                nn.init.xavier_uniform_(module.weight)  # the authors' chainer code's initialisation
                if module.bias is not None:
                    nn.init.zeros_(module.bias)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        h = self.project(z).view(-1, self.width, self.base, self.base)
        for i, block in enumerate(self.blocks):
            h = block(h, y)
            if i == len(self.blocks) - 2 and self.attention is not None:  # at half the image size
                h = self.attention(h)
        return self.tanh(self.to_image(F.relu(self.norm(h, y))))


class DownBlock(nn.Module):
    def __init__(self, c_in: int, c_out: int, down: bool, first: bool = False) -> None:
        super().__init__()
        self.conv1 = apply_spectral_norm(nn.Conv2d(c_in, c_out, 3, 1, 1))
        self.conv2 = apply_spectral_norm(nn.Conv2d(c_out, c_out, 3, 1, 1))
        self.shortcut = apply_spectral_norm(nn.Conv2d(c_in, c_out, 1)) if (down or c_in != c_out) else None
        self.down, self.first = down, first

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(F.relu(self.conv1(x if self.first else F.relu(x))))
        if self.down:
            h = F.avg_pool2d(h, 2)
        if self.shortcut is None:
            return h + x
        if self.first:  # the optimised block: pool, then 1x1 convolution
            return h + self.shortcut(F.avg_pool2d(x, 2))
        skip = self.shortcut(x)
        return h + (F.avg_pool2d(skip, 2) if self.down else skip)


class ResNetDiscriminatorBody(nn.Module):
    def __init__(self, spec: ArchitectureSpec, width: int = 64, attention: bool = False) -> None:
        super().__init__()
        in_channels, height, _ = spec.in_shape
        _, steps = _layout(height)
        blocks = [DownBlock(in_channels, width, down=True, first=True)]
        if attention:
            blocks.append(SelfAttention(width, spectral_norm=True))
        blocks += [DownBlock(width, width, down=True) for _ in range(steps - 2)]
        blocks += [DownBlock(width, width, down=False) for _ in range(2)]
        self.blocks = nn.Sequential(*blocks)
        self.out_features = width
        for module in self.modules():
            if isinstance(module, nn.Conv2d) and module.bias is not None:
                nn.init.zeros_(module.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.blocks(x)).sum(dim=(2, 3))  # global sum pooling


def build_generator(spec: ArchitectureSpec, width: int = 64, attention: bool = False,
                    spectral_norm: bool = False) -> nn.Module:
    return ResNetGenerator(spec, width, attention, spectral_norm)


def build_discriminator(spec: ArchitectureSpec, width: int = 64, attention: bool = False) -> nn.Module:
    return ResNetDiscriminatorBody(spec, width, attention)


build_discriminator.input_kind = "image"  # type: ignore[attr-defined]
