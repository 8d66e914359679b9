"""Images from a saved generator: what ``ganzoo sample`` and ``ganzoo eval`` (its report's
grids) use: seeded grids, one class per row for conditional models. Walks through the
latent space (interpolation strips, code traversals) are in :mod:`ganzoo.latent_walks`."""

from __future__ import annotations

import io
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torchvision.utils import save_image

from ganzoo import plugins
from ganzoo.checkpoint import atomic_write_bytes, load_checkpoint
from ganzoo.config import TrainConfig
from ganzoo.device import select_device
from ganzoo.errors import CheckpointError, ConfigError, UnknownNameError
from ganzoo.models import Generator, build_gan

IMAGE_SUFFIXES = {".png": "PNG", ".jpg": "JPEG", ".jpeg": "JPEG"}


@dataclass
class LoadedGenerator:
    """A generator restored from a checkpoint, with what is needed to sample from it."""

    generator: Generator
    config: TrainConfig
    device: torch.device
    num_classes: int | None
    conditional: bool
    class_names: list[str] = field(default_factory=list)
    checkpoint: str = ""
    epoch: int = 0
    ema: bool = False
    objective: Any = None  # the run's objective (unset up): how it turns noise into G's input

    def prior(self, z: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """G's input for standard normal ``z``, as the run's objective draws it (:meth:`ganzoo.Objective.prior`)."""
        return z if self.objective is None else self.objective.prior(z, generator)

    def label_index(self, label: str | int) -> int:
        """A class index from an index or a class name, with a clear error otherwise."""
        if not self.conditional:
            raise ConfigError(f"--label: model {self.config.model!r} is not conditional; drop --label")
        names = [str(n) for n in self.class_names]
        text = str(label)
        if text.lstrip("-").isdigit() and 0 <= int(text) < (self.num_classes or 0):
            return int(text)
        if text in names:
            return names.index(text)
        indices = [str(i) for i in range(self.num_classes or 0)]
        # Class names that are the indices themselves (MNIST's digits) are not said twice.
        named = f" or one of {', '.join(names)}" if names and names != indices else ""
        allowed = f"0..{(self.num_classes or 1) - 1}{named}"
        raise ConfigError(f"--label {label!r} is not a class of {self.config.dataset!r}; allowed: {allowed}")


def load_generator(path: str | Path, device: str = "auto", *, ema: bool = True) -> LoadedGenerator:
    """Rebuild the generator of a run directory or checkpoint file, in eval mode.

    If the run kept an exponential moving average of G's weights (``--ema``), that average
    is loaded unless ``ema=False``."""
    target = select_device(device)
    state = load_checkpoint(path, map_location="cpu")
    config = TrainConfig.from_dict(state["config"])
    data = state.get("data", {})
    zoo = plugins.get_zoo()
    try:
        generator, _ = build_gan(
            config, zoo, image_shape=tuple(data["image_shape"]), num_classes=data.get("num_classes")
        )
        use_ema = ema and "generator_ema" in state
        generator.load_state_dict(state["generator_ema" if use_ema else "generator"])
    except UnknownNameError as error:
        raise CheckpointError(
            f"checkpoint {state['path']} is a {config.model!r} run, which needs what is not installed here ({error}); "
            "install the plugin that provides it"
        ) from error
    except KeyError as error:
        raise CheckpointError(f"checkpoint {state['path']} lacks {error}; it is not a complete ganzoo checkpoint") from error
    except RuntimeError as error:
        raise CheckpointError(
            f"checkpoint {state['path']} does not fit model {config.model!r} as installed: {str(error).splitlines()[0]}"
        ) from error
    generator.to(target).eval()
    objective = _objective_of(config, state["path"])
    return LoadedGenerator(
        generator=generator,
        config=config,
        device=target,
        num_classes=data.get("num_classes"),
        conditional=bool(data.get("conditional")),
        class_names=list(data.get("class_names") or []),
        checkpoint=state["path"],
        epoch=int(state.get("epoch", 0)),
        ema=use_ema,
        objective=objective,
    )


def _objective_of(config: TrainConfig, checkpoint: str) -> Any:
    """The run's objective, built from its spec (not set up): it knows how G's input is drawn."""
    from ganzoo import components

    try:
        spec = components.parse_specs(config.objective, what="objective")[0]
        return components.build(plugins.get_zoo().objectives, spec, what="objective")
    except (UnknownNameError, ConfigError) as error:
        raise CheckpointError(
            f"checkpoint {checkpoint} is a {config.model!r} run, which needs what is not installed here ({error}); "
            "install the plugin that provides it"
        ) from error


def latents(loaded: LoadedGenerator, n: int, seed: int) -> torch.Tensor:
    """The ``n`` inputs of G that ``sample(loaded, n, seed=seed)`` uses (on the CPU)."""
    rng = torch.Generator(device="cpu").manual_seed(seed)
    return loaded.prior(torch.randn(n, loaded.config.z_dim, generator=rng), rng)


def balanced_labels(loaded: LoadedGenerator, n: int) -> torch.Tensor | None:
    """The labels :func:`sample` gives a conditional model: every class in turn,
    ``ceil(n / classes)`` each, sorted; ``None`` for an unconditional model."""
    if not loaded.conditional:
        return None
    classes = loaded.num_classes or 1
    return torch.arange(classes).repeat_interleave(math.ceil(n / classes))[:n]


@torch.no_grad()
def sample(
    loaded: LoadedGenerator,
    n: int,
    *,
    labels: torch.Tensor | None = None,
    seed: int = 0,
    batch_size: int = 1000,
) -> torch.Tensor:
    """``n`` images in ``[-1, 1]`` (on the generator's device), from seeded noise.

    For conditional models without ``labels``, the labels are balanced over the classes
    and sorted, so a grid with ``ceil(n / classes)`` columns has one class per row.
    """
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ConfigError(f"--n must be an integer >= 1, got {n!r}")
    if not isinstance(seed, int) or isinstance(seed, bool) or not 0 <= seed < 2**63:
        raise ConfigError(f"--seed must be an integer in [0, 2^63), got {seed!r}")
    z = latents(loaded, n, seed)
    labels = balanced_labels(loaded, n) if labels is None else _checked_labels(loaded, labels, n)
    chunks = []
    for start in range(0, n, batch_size):
        z_chunk = z[start : start + batch_size].to(loaded.device)
        y_chunk = None if labels is None else labels[start : start + batch_size].to(loaded.device)
        chunks.append(loaded.generator(z_chunk, y_chunk).float())
    return torch.cat(chunks)


def _checked_labels(loaded: LoadedGenerator, labels: Any, n: int) -> torch.Tensor:
    """``labels`` given to :func:`sample` (a tensor or a sequence of class indices) as a
    long tensor of ``n`` valid classes, or a clear error."""
    if not loaded.conditional:
        raise ConfigError(f"labels: model {loaded.config.model!r} is not conditional; drop them")
    try:
        labels = torch.as_tensor(labels)
    except (TypeError, ValueError, RuntimeError) as error:
        raise ConfigError(f"labels must be class indices, got {labels!r}") from error
    if labels.dim() != 1 or len(labels) != n or labels.is_floating_point() or labels.is_complex():
        raise ConfigError(f"labels must be {n} integer class indices (one per image), got {tuple(labels.shape)} {labels.dtype}")
    classes = loaded.num_classes or 0
    if len(labels) and not (0 <= int(labels.min()) and int(labels.max()) < classes):
        raise ConfigError(f"labels must be in 0..{classes - 1} for {loaded.config.dataset!r}")
    return labels.long()


def grid_png(images: torch.Tensor, *, nrow: int, format: str = "PNG") -> bytes:
    """``images`` in ``[-1, 1]`` as one grid image file's bytes (torchvision's grid, padding 2).

    In memory, so that ``report.html`` can embed the grid without a file beside it."""
    buffer = io.BytesIO()
    save_image(images.cpu(), buffer, nrow=nrow, normalize=True, value_range=(-1, 1), format=format)
    return buffer.getvalue()


def check_image_out(path: Path, overwrite: bool) -> None:
    """Refuse an image path before any work: an unknown suffix, or a file there already."""
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ConfigError(f"--out {path}: the file name must end in {', '.join(IMAGE_SUFFIXES)}")
    if path.exists() and not overwrite:
        raise ConfigError(f"--out {path} already exists; pass --overwrite to replace it")


def save_grid(images: torch.Tensor, path: str | Path, *, nrow: int, overwrite: bool = False) -> Path:
    """Save ``images`` in ``[-1, 1]`` as one grid image, atomically; never clobber by accident."""
    path = Path(path)
    check_image_out(path, overwrite)
    atomic_write_bytes(path, grid_png(images, nrow=nrow, format=IMAGE_SUFFIXES[path.suffix.lower()]))
    return path


def report_grid(loaded: LoadedGenerator, *, seed: int = 0, per_row: int = 10) -> tuple[torch.Tensor, int]:
    """The grid a report shows: ``(images, nrow)``.

    Unconditional models: ``per_row`` x ``per_row`` samples (100 by default), like the
    training grids. Conditional models: ``per_row`` samples of every class, one row per
    class, so that a class the generator cannot draw stands out as a bad row."""
    if loaded.conditional:
        n = per_row * (loaded.num_classes or 1)
    else:
        n = per_row * per_row
    return sample(loaded, n, seed=seed), per_row


def sample_to_file(
    run: str | Path,
    out: str | Path,
    *,
    n: int = 64,
    label: Any = None,
    seed: int = 0,
    nrow: int | None = None,
    device: str = "auto",
    overwrite: bool = False,
    ema: bool = True,
) -> Path:
    """The Python twin of ``ganzoo sample``."""
    out = Path(out)
    check_image_out(out, overwrite)
    loaded = load_generator(run, device=device, ema=ema)
    labels = None
    if label is not None:
        labels = torch.full((n,), loaded.label_index(label), dtype=torch.long)
    images = sample(loaded, n, labels=labels, seed=seed)
    if nrow is None:
        if loaded.conditional and labels is None:
            nrow = math.ceil(n / (loaded.num_classes or 1))
        else:
            nrow = max(1, round(math.sqrt(n)))
    return save_grid(images, out, nrow=nrow, overwrite=overwrite)
