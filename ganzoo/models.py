"""Generator and discriminator: an architecture's body wrapped by a conditioning strategy.

Architectures (registered by plugins) only map tensors to tensors; the strategy's
adapters and head handle labels. The engine only ever calls ``G(z, y)`` and ``D(x, y)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import torch
from torch import nn

from ganzoo.conditioning import Conditioning


@dataclass(frozen=True)
class ArchitectureSpec:
    """What an architecture's builder is told about the data it works on.

    For a generator body, ``in_features`` is the width of its input (noise plus what the
    conditioning strategy appends) and ``image_shape`` the ``(C, H, W)`` it must produce.
    For a discriminator body, ``in_shape`` is the shape of its input (without the batch).
    """

    image_shape: tuple[int, int, int]
    in_features: int = 0
    in_shape: tuple[int, ...] = ()


ArchitectureBuilder = Callable[..., nn.Module]


class Generator(nn.Module):
    """``G(z, y) = body(adapter(z, y))``: images in ``[-1, 1]``."""

    def __init__(self, adapter: nn.Module, body: nn.Module, z_dim: int) -> None:
        super().__init__()
        self.adapter = adapter
        self.body = body
        self.z_dim = z_dim

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(self.adapter(z, y))


class Discriminator(nn.Module):
    """``D(x, y) = head(body(adapter(x, y)), y)``: one logit per sample, shape ``(N,)``."""

    def __init__(self, adapter: nn.Module, body: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.adapter = adapter
        self.body = body
        self.head = head

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.body(self.adapter(x, y)), y)


def build_generator(
    builder: ArchitectureBuilder,
    conditioning: Conditioning,
    *,
    z_dim: int,
    image_shape: tuple[int, int, int],
    **kwargs: Any,
) -> Generator:
    adapter, in_features = conditioning.generator_adapter(z_dim)
    body = builder(ArchitectureSpec(image_shape=image_shape, in_features=in_features), **kwargs)
    return Generator(adapter, body, z_dim)


def build_discriminator(
    builder: ArchitectureBuilder,
    conditioning: Conditioning,
    *,
    image_shape: tuple[int, int, int],
    **kwargs: Any,
) -> Discriminator:
    input_kind = getattr(builder, "input_kind", "flat")
    adapter, in_shape = conditioning.discriminator_adapter(image_shape, input_kind)
    body = builder(ArchitectureSpec(image_shape=image_shape, in_shape=in_shape), **kwargs)
    features = getattr(body, "out_features", None)
    if not isinstance(features, int):
        raise TypeError(
            f"discriminator builder {builder!r} must return a module with an int "
            "attribute 'out_features' (the width of its feature output)"
        )
    return Discriminator(adapter, body, conditioning.discriminator_head(features))


def build_gan(
    config: Any,
    zoo: Any,
    *,
    image_shape: tuple[int, int, int],
    num_classes: int | None,
) -> tuple[Generator, Discriminator]:
    """Build G and D for a :class:`ganzoo.config.TrainConfig` from the registries."""
    conditioning = zoo.conditioning.get(config.conditioning)(num_classes=num_classes)
    generator = build_generator(
        zoo.generators.get(config.generator),
        conditioning,
        z_dim=config.z_dim,
        image_shape=image_shape,
        **config.generator_kwargs,
    )
    discriminator = build_discriminator(
        zoo.discriminators.get(config.discriminator),
        conditioning,
        image_shape=image_shape,
        **config.discriminator_kwargs,
    )
    return generator, discriminator
