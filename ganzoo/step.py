"""What one update sees: the :class:`Step` context, and the small types objectives,
regularizers and losses exchange with the engine.

The engine builds a :class:`Step` for every discriminator update and every generator
update and hands it to the objective (then to the regularizers). Through it they reach
the real batch, fresh noise, G, and D with the run's augmentations applied, without
knowing how the engine trains: devices, mixed precision, distributed gradients and
optimizers stay the engine's business.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NamedTuple

import torch
from torch import nn

DIRECTIONS = ("higher", "lower", "neither")


@dataclass(frozen=True)
class MetricSpec:
    """A quantity logged every iteration, declared by the objective, loss or regularizer that
    computes it. It shows in the progress line, in ``metrics.jsonl``, in TensorBoard
    (``--tensorboard``) and in report.html; the specs of a run are written beside its log
    (``metric_specs.json``).

    Attributes:
        name: the key in the dicts the steps return, in ``metrics.jsonl`` and in
            TensorBoard (``train/NAME``); unique within a run (a clash is refused before training).
        label: the short label of the progress line (``D(x)``).
        meaning: one sentence saying what it measures, shown in report.html.
        direction: which way is better for the *model*: ``"higher"``, ``"lower"``, or
            ``"neither"`` for diagnostics such as D's outputs.
    """

    name: str
    label: str
    meaning: str
    direction: str = "neither"

    def __post_init__(self) -> None:
        if self.direction not in DIRECTIONS:
            raise ValueError(f"MetricSpec {self.name!r}: direction must be one of {', '.join(DIRECTIONS)}")

    def to_dict(self) -> dict[str, str]:
        return {"name": self.name, "label": self.label, "meaning": self.meaning, "direction": self.direction}


class StepOutput(NamedTuple):
    """What an objective's :meth:`~ganzoo.Objective.discriminator_step` and
    :meth:`~ganzoo.Objective.generator_step` return for one update.

    Attributes:
        loss: the scalar (0-d tensor, with gradients) that this update *minimises*; the
            engine adds the regularizers' terms, backpropagates and steps the optimizer.
        metrics: name -> 0-d tensor to log, detached (``.detach()``) and left on the device;
            the names are those of the objective's ``metric_specs()``: the two steps together
            return each declared name once per iteration (``{}`` if a step logs nothing).
    """

    loss: torch.Tensor
    metrics: dict[str, torch.Tensor]


class DiscriminatorOutput(NamedTuple):
    """D's answer for a batch, from :meth:`Step.discriminate` and :meth:`Step.discriminate_pair`.

    Attributes:
        logits: D's raw output (no sigmoid), one per sample: shape ``(N,)``.
        classes: class logits ``(N, num_classes)`` when D's head also classifies (ACGAN),
            else ``None``.
    """

    logits: torch.Tensor
    classes: torch.Tensor | None


class Generated(NamedTuple):
    """Images drawn from G by :meth:`Step.generate`, with what G was given.

    Attributes:
        images: G's output ``(N, C, H, W)`` in ``[-1, 1]``; without gradients in a
            discriminator update.
        labels: the labels G was given, ``(N,)`` int64; ``None`` when the run is unconditional.
        z: the noise G was given, ``(N, z_dim)``.
    """

    images: torch.Tensor
    labels: torch.Tensor | None
    z: torch.Tensor


class Step:
    """One discriminator or generator update, as an objective or a regularizer sees it.

    Attributes:
        network: ``"discriminator"`` or ``"generator"``: whose update this is.
        real: this update's real batch, ``(N, C, H, W)`` in ``[-1, 1]``. In a generator
            update, the batch of the last discriminator update (relativistic losses compare
            G's samples with it).
        real_labels: their labels, ``(N,)`` int64; ``None`` when the run is unconditional.
        batch_size: the run's batch size on this process.
        generator: G, an ``nn.Module`` called as ``G(z, labels)``.
        discriminator: D *without* augmentation: ``D(x, y)`` gives logits ``(N,)``,
            ``D.features(x, y)`` the body's features ``(N, F)``, ``D.heads(h, y)`` the logits
            and class logits from features, ``D.classifies`` whether it has class logits.
        loss: the run's :class:`ganzoo.GANLoss` (``--loss``).
        conditioning: the run's :class:`ganzoo.Conditioning` (``--conditioning``).
        conditional: whether G and D take labels.
        real_output, fake_output: D's outputs from the last :meth:`discriminate_pair` call of
            this update (``None`` before), so that a regularizer can reuse them.
        rng: the run's seeded ``torch.Generator`` on the training device, saved in every
            checkpoint; draw from it (not from the global RNG) to keep exact resume simple.
    """

    def __init__(
        self,
        *,
        network: str,
        real: torch.Tensor,
        real_labels: torch.Tensor | None,
        generator: nn.Module,
        discriminator: nn.Module,
        loss: Any,
        conditioning: Any,
        noise: Callable[[int], tuple[torch.Tensor, torch.Tensor | None]],
        augment: Callable[[torch.Tensor], torch.Tensor] | None,
        joint_forward: bool,
        batch_size: int,
        rng: torch.Generator,
        autocast: Callable[[], contextlib.AbstractContextManager],
    ) -> None:
        self.network = network
        self.real = real
        self.real_labels = real_labels
        self.generator = generator
        self.discriminator = discriminator
        self.loss = loss
        self.conditioning = conditioning
        self.conditional = real_labels is not None
        self.batch_size = batch_size
        self.rng = rng
        self.real_output: DiscriminatorOutput | None = None
        self.fake_output: DiscriminatorOutput | None = None
        self._noise = noise
        self._augment = augment
        self._joint_forward = joint_forward
        self._autocast = autocast

    # --- G ----------------------------------------------------------------------------

    def noise(self, n: int | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Noise ``(n, z_dim)`` and fake labels ``(n,)`` (``None`` if unconditional), from the
        run's seeded stream; ``n`` defaults to the batch size."""
        return self._noise(self.batch_size if n is None else n)

    def generate(
        self, n: int | None = None, *, z: torch.Tensor | None = None, labels: torch.Tensor | None = None
    ) -> Generated:
        """G's images for fresh noise (or the ``z`` and ``labels`` given). In a discriminator
        update this runs without gradients (D's update does not train G)."""
        if z is None:
            z, drawn = self.noise(n)
            labels = drawn if labels is None else labels
        context = torch.no_grad() if self.network == "discriminator" else contextlib.nullcontext()
        with context:
            images = self.generator(z, labels)
        return Generated(images, labels, z)

    # --- D, through the run's augmentations -------------------------------------------

    def augment(self, images: torch.Tensor) -> torch.Tensor:
        """The run's augmentations (``--augment``) applied to ``images``, differentiably."""
        return images if self._augment is None else self._augment(images)

    def discriminate(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> DiscriminatorOutput:
        """D on augmented ``images``: logits, and class logits if D classifies."""
        return DiscriminatorOutput(*self.discriminator.forward_with_classes(self.augment(images), labels))

    def features(self, images: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        """D's body features ``(N, F)`` of augmented ``images``: what auxiliary heads read."""
        return self.discriminator.features(self.augment(images), labels)

    def discriminate_pair(
        self,
        real: torch.Tensor,
        real_labels: torch.Tensor | None,
        fake: torch.Tensor,
        fake_labels: torch.Tensor | None,
    ) -> tuple[DiscriminatorOutput, DiscriminatorOutput]:
        """D on a real and a generated batch. One pass over both when no layer of D mixes
        the samples of a batch (same result, bigger matrix products); two passes otherwise,
        so that BatchNorm never normalises real and fake together. Also kept as
        :attr:`real_output` and :attr:`fake_output`."""
        real, fake = self.augment(real), self.augment(fake)
        D = self.discriminator
        if self._joint_forward:
            labels = None if real_labels is None else torch.cat((real_labels, fake_labels))
            logits, classes = D.forward_with_classes(torch.cat((real, fake)), labels)
            n = real.shape[0]
            real_classes, fake_classes = classes.split(n) if classes is not None else (None, None)
            real_logits, fake_logits = logits.split(n)
            self.real_output = DiscriminatorOutput(real_logits, real_classes)
            self.fake_output = DiscriminatorOutput(fake_logits, fake_classes)
        else:
            self.real_output = DiscriminatorOutput(*D.forward_with_classes(real, real_labels))
            self.fake_output = DiscriminatorOutput(*D.forward_with_classes(fake, fake_labels))
        return self.real_output, self.fake_output

    # --- precision --------------------------------------------------------------------

    @contextlib.contextmanager
    def full_precision(self) -> Iterator[None]:
        """Leave mixed precision for a block (gradient penalties: double backward in float32)."""
        device_type = self.real.device.type
        try:
            enabled = torch.is_autocast_enabled(device_type)
        except TypeError:  # torch < 2.4 asks about CUDA only
            enabled = torch.is_autocast_enabled()
        with torch.autocast(device_type, enabled=False) if enabled else contextlib.nullcontext():
            yield

    @contextlib.contextmanager
    def mixed_precision(self) -> Iterator[None]:
        """Mixed precision as the run has it (``--amp``); the engine already runs objectives so."""
        with self._autocast():
            yield
