"""Augmentations: differentiable transforms of every image D sees, real and generated alike.

Chosen with ``--augment NAME[:KEY=VALUE],...`` and applied in the order given. The engine
applies them inside :meth:`ganzoo.step.Step.discriminate` (and ``discriminate_pair``,
``features``), so every objective and regularizer gets them without asking. Because they
are differentiable, G's gradients flow back through them: this is what lets
DiffAugment (Zhao et al. 2020) augment fakes in G's update too, without the augmentations
leaking into G's samples.

An augmentation draws its randomness from the ``generator`` it is given (the run's seeded
stream, saved in checkpoints), so runs are reproducible and resume exactly.
"""

from __future__ import annotations

from typing import Any, Callable, ClassVar, Sequence

import torch


class Augmentation:
    """Interface of an augmentation: a differentiable transform of every image D sees.
    Subclass it (a dataclass whose fields are its options) and register it with
    ``register_augmentations``.

    Attributes:
        name: a name for messages and code that reads it; what ``--augment`` chooses is the
            name given to ``register``, which is what counts.
    """

    name: ClassVar[str] = ""

    def __call__(self, images: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """``images`` ``(N, C, H, W)`` in ``[-1, 1]``, transformed differentiably (G's
        gradients flow through it), same shape; random parameters drawn per sample from
        ``generator``, the run's seeded stream on the training device (pass it, and
        ``device=images.device``, to ``torch.rand`` and friends)."""
        raise NotImplementedError

    def state_dict(self) -> dict[str, Any]:
        """State that changes during training (an adaptive probability, say), as tensors
        and plain Python values, saved in every checkpoint."""
        return {}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        """Restore what :meth:`state_dict` returned, on ``--resume``."""


def pipeline(augmentations: Sequence[Augmentation], generator: torch.Generator) -> Callable[[torch.Tensor], torch.Tensor] | None:
    """One function applying ``augmentations`` in order (``None`` when there are none)."""
    if not augmentations:
        return None

    def apply(images: torch.Tensor) -> torch.Tensor:
        for augmentation in augmentations:
            images = augmentation(images, generator)
        return images

    return apply
