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
    """What an architecture's builder, ``build(spec, **kwargs)``, is told about the data it
    works on. Raise ``ValueError`` for data the architecture cannot take: the run is
    refused with the message.

    Attributes:
        image_shape: the training images' ``(C, H, W)``: what a generator body produces.
        in_features: for a generator body, the width of its input (noise plus what the
            conditioning strategy appends); 0 for a discriminator body.
        in_shape: for a discriminator body, the shape of its input without the batch
            (``(C*H*W + extra,)`` for ``"flat"`` bodies, ``(C', H, W)`` for ``"image"``
            ones); ``()`` for a generator body.
        num_classes: set for a generator body when the conditioning strategy normalises
            by class (class-conditional BatchNorm, BigGAN/SNGAN-projection style): the body
            is then called as ``body(h, y)`` and makes its BatchNorm layers conditional on
            ``y`` (:class:`ganzoo.layers.ConditionalBatchNorm2d`); a builder that cannot
            raises ``ValueError``. ``None`` otherwise: the body is called as ``body(h)``.
    """

    image_shape: tuple[int, int, int]
    in_features: int = 0
    in_shape: tuple[int, ...] = ()
    num_classes: int | None = None


ArchitectureBuilder = Callable[..., nn.Module]


class Generator(nn.Module):
    """``G(z, y) = body(adapter(z, y))``: images in ``[-1, 1]``; ``body(adapter(z, y), y)``
    when the body normalises by class (``class_conditional``)."""

    def __init__(self, adapter: nn.Module, body: nn.Module, z_dim: int, class_conditional: bool = False) -> None:
        super().__init__()
        self.adapter = adapter
        self.body = body
        self.z_dim = z_dim
        self.class_conditional = class_conditional

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if self.class_conditional:
            if y is None:
                raise ValueError("this generator is conditional: pass labels y")
            return self.body(self.adapter(z, y), y)
        return self.body(self.adapter(z, y))


class Discriminator(nn.Module):
    """``D(x, y) = head(body(adapter(x, y)), y)``: one logit per sample, shape ``(N,)``."""

    def __init__(self, adapter: nn.Module, body: nn.Module, head: nn.Module) -> None:
        super().__init__()
        self.adapter = adapter
        self.body = body
        self.head = head

    @property
    def classifies(self) -> bool:
        """Whether the head also predicts classes (ACGAN): see :meth:`forward_with_classes`."""
        return callable(getattr(self.head, "classify", None))

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.head(self.features(x, y), y)

    def features(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The body's output ``(N, body.out_features)``, what the head reads."""
        return self.body(self.adapter(x, y))

    def heads(self, h: torch.Tensor, y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """From features ``h``: the logits and the class logits ``(N, classes)`` (``None``
        when the head does not classify)."""
        return self.head(h, y), (self.head.classify(h) if self.classifies else None)

    def forward_with_classes(
        self, x: torch.Tensor, y: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The logits and, from the same features, the class logits: one pass through the
        body for both."""
        return self.heads(self.features(x, y), y)


def build_generator(
    builder: ArchitectureBuilder,
    conditioning: Conditioning,
    *,
    z_dim: int,
    image_shape: tuple[int, int, int],
    **kwargs: Any,
) -> Generator:
    adapter, in_features = conditioning.generator_adapter(z_dim)
    by_class = bool(getattr(conditioning, "class_conditional_generator", False))
    spec = ArchitectureSpec(image_shape=image_shape, in_features=in_features,
                            num_classes=conditioning.num_classes if by_class else None)
    body = builder(spec, **kwargs)
    if by_class and not getattr(body, "class_conditional", False):
        raise ValueError(f"conditioning {conditioning.name or type(conditioning).__name__!r} needs class-conditional "
                         "BatchNorm in G, which this generator architecture lacks (sngan-resnet has it: ganzoo run sngan)")
    return Generator(adapter, body, z_dim, class_conditional=by_class)


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
    conditioning: Conditioning | None = None,
) -> tuple[Generator, Discriminator]:
    """Build G and D for a :class:`ganzoo.config.TrainConfig` from the registries (with
    ``conditioning``, an instance of the config's strategy, if the caller has one)."""
    if conditioning is None:
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


@torch.no_grad()
def check_shapes(
    generator: Generator, discriminator: Discriminator, image_shape: tuple[int, ...], num_classes: int | None
) -> None:
    """Run G and D once on two samples and raise ``ValueError`` naming what does not fit:
    a plugin's architecture, head or strategy with the wrong output shape is caught
    before training starts, not as a broadcasting error (or a silent bug) in the loss.

    In eval mode and with its own random generator, so that nothing the run depends on
    (BatchNorm's running statistics, spectral norm's vectors, the RNG streams) changes."""
    modes = [(m, m.training) for m in (generator, discriminator)]
    try:
        generator.eval()
        discriminator.eval()
        device = next(generator.parameters(), torch.empty(0)).device
        z = torch.randn(2, generator.z_dim, generator=torch.Generator().manual_seed(0)).to(device)
        y = torch.zeros(2, dtype=torch.long, device=device) if num_classes else None
        try:
            images = generator(z, y)
        except RuntimeError as error:
            raise ValueError(f"the generator fails on a batch of 2: {str(error).splitlines()[0]}") from error
        if tuple(images.shape) != (2, *image_shape):
            raise ValueError(f"the generator makes images of shape {tuple(images.shape)[1:]}, the data's are {tuple(image_shape)}")
        try:
            h = discriminator.features(images, y)
            features = discriminator.body.out_features
            if tuple(h.shape) != (2, features):
                raise ValueError(
                    f"the discriminator gives outputs of shape {tuple(h.shape)} for 2 images; its body declares "
                    f"out_features={features}, so ({2}, {features}) was expected"
                )
            logits, classes = discriminator.heads(h, y)
        except RuntimeError as error:
            raise ValueError(f"the discriminator fails on a batch of 2: {str(error).splitlines()[0]}") from error
        if tuple(logits.shape) != (2,):
            raise ValueError(f"the discriminator gives logits of shape {tuple(logits.shape)} for 2 images; losses need (2,)")
        if classes is not None and tuple(classes.shape) != (2, num_classes):
            raise ValueError(
                f"the discriminator's class logits have shape {tuple(classes.shape)} for 2 images; "
                f"the dataset has {num_classes} classes"
            )
    finally:
        for module, training in modes:
            module.train(training)
