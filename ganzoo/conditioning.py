"""Conditioning strategies: how class labels reach the generator and the discriminator.

A strategy builds three small modules around an architecture's bodies, so that neither
the architectures nor the training engine know about labels:

* the *generator adapter* maps ``(z, y)`` to the generator body's input;
* the *discriminator adapter* maps ``(x, y)`` to the discriminator body's input;
* the *discriminator head* maps ``(features, y)`` to one logit per sample.

A head may also *classify*: if it has a ``classify(h)`` method returning class logits
``(N, num_classes)``, the engine adds the strategy's :meth:`Conditioning.auxiliary_loss`
to both players' losses (ACGAN's classification term).

A plugin adds a strategy (the projection discriminator and the auxiliary classifier of
the ``conditioning`` plugin are built this way) by subclassing :class:`Conditioning` and
registering it with ``register_conditioning``.
"""

from __future__ import annotations

import math
from typing import ClassVar

import torch
import torch.nn.functional as F
from torch import nn


class Conditioning:
    """Interface of a conditioning strategy: how labels reach G and D (see the module).
    Subclass it and register it with ``register_conditioning``; it is built once per run
    (``--conditioning NAME``), before G and D.

    Attributes:
        name: a name for messages and code that reads it; what ``--conditioning`` chooses is
            the name given to ``register``, which is what counts.
        requires_labels: whether the strategy needs labelled data; if ``True``, G and D take
            labels and a dataset without classes is refused before training. If ``False``,
            the run is unconditional (labels are not passed to G, D or the objective).
        num_classes: the dataset's number of classes (``None`` if it has none).
        embedding_dim: the width of a label embedding, for strategies that have one
            (``None``: the strategy's default).
        class_conditional_generator: whether G's body normalises by class (conditional
            BatchNorm): the body is then built with ``spec.num_classes`` and called as
            ``body(h, y)``; architectures that cannot are refused before training.
    """

    name: ClassVar[str] = ""
    requires_labels: ClassVar[bool] = False
    class_conditional_generator: ClassVar[bool] = False

    def __init__(self, num_classes: int | None = None, embedding_dim: int | None = None) -> None:
        """Built by the engine as ``Strategy(num_classes=...)`` with the dataset's number of
        classes; a subclass that overrides it accepts that keyword."""
        self.num_classes = num_classes
        self.embedding_dim = embedding_dim

    def generator_adapter(self, z_dim: int) -> tuple[nn.Module, int]:
        """A module ``(z, y) -> input`` and the number of features of that input."""
        raise NotImplementedError

    def discriminator_adapter(
        self, image_shape: tuple[int, ...], input_kind: str
    ) -> tuple[nn.Module, tuple[int, ...]]:
        """A module ``(x, y) -> input`` and the shape of that input (without the batch).
        ``input_kind`` is ``"flat"`` for bodies that take vectors, ``"image"`` for images."""
        raise NotImplementedError

    def discriminator_head(self, features: int) -> nn.Module:
        """A module ``(h, y) -> logits`` of shape ``(N,)``; with a ``classify(h)`` method
        returning ``(N, num_classes)`` class logits if D also classifies (see the module)."""
        raise NotImplementedError

    def auxiliary_loss(self, class_logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The classification term that a classifying head adds to D's loss (on real and
        generated images) and to G's (on generated images): cross-entropy by default."""
        return F.cross_entropy(class_logits.float(), labels)


class _NoiseOnly(nn.Module):
    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return z


class _ImageOnly(nn.Module):
    def __init__(self, flatten: bool) -> None:
        super().__init__()
        self.flatten = flatten

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return x.flatten(1) if self.flatten else x


class LinearHead(nn.Module):
    """Features -> one logit per sample; labels, if any, are ignored."""

    def __init__(self, features: int) -> None:
        super().__init__()
        self.linear = nn.Linear(features, 1)

    def forward(self, h: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        return self.linear(h).squeeze(1)


class NoConditioning(Conditioning):
    """Unconditional GAN: labels are ignored (and not needed)."""

    name = "none"

    def generator_adapter(self, z_dim: int) -> tuple[nn.Module, int]:
        return _NoiseOnly(), z_dim

    def discriminator_adapter(self, image_shape, input_kind):
        if input_kind == "flat":
            return _ImageOnly(flatten=True), (math.prod(image_shape),)
        return _ImageOnly(flatten=False), tuple(image_shape)

    def discriminator_head(self, features: int) -> nn.Module:
        return LinearHead(features)


class _EmbedThenConcatNoise(nn.Module):
    """CGAN generator input: ``cat(embedding(y), z)``, in the reference's order."""

    def __init__(self, num_classes: int, embedding_dim: int) -> None:
        super().__init__()
        self.label_embedding = nn.Embedding(num_classes, embedding_dim)

    def forward(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("this generator is conditional: pass labels y")
        return torch.cat((self.label_embedding(y), z), dim=1)


class _ConcatEmbeddingToImage(nn.Module):
    """CGAN discriminator input: ``cat(flatten(x), embedding(y))`` for flat bodies; for
    image bodies the embedding is broadcast to extra channels."""

    def __init__(self, num_classes: int, embedding_dim: int, flatten: bool) -> None:
        super().__init__()
        self.label_embedding = nn.Embedding(num_classes, embedding_dim)
        self.flatten = flatten

    def forward(self, x: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        if y is None:
            raise ValueError("this discriminator is conditional: pass labels y")
        embedded = self.label_embedding(y)
        if self.flatten:
            return torch.cat((x.flatten(1), embedded), dim=1)
        maps = embedded[:, :, None, None].expand(-1, -1, x.shape[2], x.shape[3])
        return torch.cat((x, maps), dim=1)


class EmbeddingConcat(Conditioning):
    """CGAN (Mirza & Osindero, 2014): a learned label embedding is concatenated to the
    noise in G and to the (flattened) image in D. The embedding size defaults to the
    number of classes, as in the reference implementation."""

    name = "embedding-concat"
    requires_labels = True

    def _dims(self) -> tuple[int, int]:
        assert self.num_classes is not None, "checked before models are built"
        return self.num_classes, self.embedding_dim or self.num_classes

    def generator_adapter(self, z_dim: int) -> tuple[nn.Module, int]:
        classes, dim = self._dims()
        return _EmbedThenConcatNoise(classes, dim), z_dim + dim

    def discriminator_adapter(self, image_shape, input_kind):
        classes, dim = self._dims()
        if input_kind == "flat":
            return _ConcatEmbeddingToImage(classes, dim, flatten=True), (math.prod(image_shape) + dim,)
        c, h, w = image_shape
        return _ConcatEmbeddingToImage(classes, dim, flatten=False), (c + dim, h, w)

    def discriminator_head(self, features: int) -> nn.Module:
        return LinearHead(features)
