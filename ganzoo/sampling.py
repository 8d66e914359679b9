"""Images from a saved generator: what ``ganzoo sample`` (and later ``ganzoo eval``) use."""

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
        allowed = f"0..{(self.num_classes or 1) - 1}" + (f" or one of {', '.join(names)}" if names else "")
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
    )


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
    if n < 1:
        raise ConfigError(f"--n must be >= 1, got {n}")
    rng = torch.Generator(device="cpu").manual_seed(seed)
    z = torch.randn(n, loaded.config.z_dim, generator=rng)
    if loaded.conditional and labels is None:
        classes = loaded.num_classes or 1
        labels = torch.arange(classes).repeat_interleave(math.ceil(n / classes))[:n]
    chunks = []
    for start in range(0, n, batch_size):
        z_chunk = z[start : start + batch_size].to(loaded.device)
        y_chunk = None if labels is None else labels[start : start + batch_size].to(loaded.device)
        chunks.append(loaded.generator(z_chunk, y_chunk).float())
    return torch.cat(chunks)


def save_grid(images: torch.Tensor, path: str | Path, *, nrow: int, overwrite: bool = False) -> Path:
    """Save ``images`` in ``[-1, 1]`` as one grid image, atomically; never clobber by accident."""
    path = Path(path)
    if path.suffix.lower() not in IMAGE_SUFFIXES:
        raise ConfigError(f"--out {path}: the file name must end in {', '.join(IMAGE_SUFFIXES)}")
    if path.exists() and not overwrite:
        raise ConfigError(f"--out {path} already exists; pass --overwrite to replace it")
    buffer = io.BytesIO()
    save_image(images.cpu(), buffer, nrow=nrow, normalize=True, value_range=(-1, 1), format=IMAGE_SUFFIXES[path.suffix.lower()])
    atomic_write_bytes(path, buffer.getvalue())
    return path


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
    if out.suffix.lower() not in IMAGE_SUFFIXES:
        raise ConfigError(f"--out {out}: the file name must end in {', '.join(IMAGE_SUFFIXES)}")
    if out.exists() and not overwrite:
        raise ConfigError(f"--out {out} already exists; pass --overwrite to replace it")
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
