"""Walks through a saved generator's latent space: interpolation strips between two seeds
(``ganzoo sample --interpolate``) and code traversals for objectives that put codes into
G's input (``ganzoo sample --traverse``, InfoGAN's figure)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

from ganzoo.errors import ConfigError
from ganzoo.sampling import (
    LoadedGenerator,
    check_image_out,
    latents,
    load_generator,
    save_grid,
)


def slerp(a: torch.Tensor, b: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """Spherical interpolation between two vectors, one row per entry of ``t`` in [0, 1].

    Why spherical and not linear: a standard Gaussian z in d dimensions lies, with
    overwhelming probability, near the sphere of radius sqrt(d), and two draws are nearly
    orthogonal. The straight line between them passes well inside that shell (its middle
    has norm about sqrt(d / 2)), where the generator never saw a z during training, so
    linear strips fade towards a blurry "average" image in the middle. The great-circle
    path keeps the norm between the two ends' norms (White 2016, "Sampling Generative
    Networks"). Computed in float64; the ends are exactly ``a`` and ``b``; (nearly)
    parallel vectors, where the great circle is undefined, fall back to linear."""
    a64, b64, t64 = a.double().flatten(), b.double().flatten(), t.double().reshape(-1, 1)
    cos = torch.dot(a64, b64) / (a64.norm() * b64.norm()).clamp_min(1e-12)
    omega = torch.arccos(cos.clamp(-1.0, 1.0))
    if torch.sin(omega).abs() < 1e-6:
        path = (1 - t64) * a64 + t64 * b64
    else:
        path = (torch.sin((1 - t64) * omega) * a64 + torch.sin(t64 * omega) * b64) / torch.sin(omega)
    path = path.to(a.dtype).reshape(len(t64), *a.shape)
    path[t64.flatten() == 0] = a
    path[t64.flatten() == 1] = b
    return path


def seed_noise(loaded: LoadedGenerator, seed: int) -> torch.Tensor:
    """The z that ``sample(loaded, 1, seed=seed)`` draws: the first row of the seeded noise."""
    return latents(loaded, 1, seed)[0]


@torch.no_grad()
def interpolate(
    loaded: LoadedGenerator,
    seed_a: int,
    seed_b: int,
    steps: int = 10,
    *,
    label: str | int | None = None,
) -> torch.Tensor:
    """``steps`` images along the spherical path from z(seed_a) to z(seed_b) (see :func:`slerp`).

    z(seed) is the noise of ``sample(loaded, 1, seed=seed)``, so the strip's first and last
    images are that single sample of each seed. Conditional models draw every image of the
    strip as class ``label`` (default class 0, which is also what a single sample draws),
    so that only z changes along the strip."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ConfigError(f"--steps must be an integer >= 2 (a strip has two ends), got {steps!r}")
    if seed_a == seed_b:
        raise ConfigError(f"--interpolate {seed_a} {seed_b}: the two seeds are the same; the strip would be one image repeated")
    labels = None
    if label is not None:
        labels = torch.full((steps,), loaded.label_index(label), dtype=torch.long)
    elif loaded.conditional:
        labels = torch.zeros(steps, dtype=torch.long)
    z = slerp(seed_noise(loaded, seed_a), seed_noise(loaded, seed_b), torch.linspace(0, 1, steps))
    y = None if labels is None else labels.to(loaded.device)
    return loaded.generator(z.to(loaded.device), y).float()


def interpolation_to_file(
    run: str | Path,
    out: str | Path,
    seed_a: int,
    seed_b: int,
    *,
    steps: int = 10,
    label: Any = None,
    nrow: int | None = None,
    device: str = "auto",
    overwrite: bool = False,
    ema: bool = True,
) -> Path:
    """The Python twin of ``ganzoo sample --interpolate SEED_A SEED_B``: a strip (one row of
    ``steps`` images unless ``nrow``) from z(seed_a) to z(seed_b). Everything is checked
    before the checkpoint is read."""
    out = Path(out)
    check_image_out(out, overwrite)
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ConfigError(f"--steps must be an integer >= 2 (a strip has two ends), got {steps!r}")
    if seed_a == seed_b:
        raise ConfigError(f"--interpolate {seed_a} {seed_b}: the two seeds are the same; the strip would be one image repeated")
    loaded = load_generator(run, device=device, ema=ema)
    images = interpolate(loaded, seed_a, seed_b, steps, label=label)
    return save_grid(images, out, nrow=nrow or steps, overwrite=overwrite)


@torch.no_grad()
def traverse(loaded: LoadedGenerator, code: int, steps: int = 10, *, seed: int = 0) -> tuple[torch.Tensor, int]:
    """A latent traversal, for runs whose objective puts codes into G's input (InfoGAN):
    ``(images, nrow)`` with one row per categorical value and ``steps`` columns sweeping
    continuous code ``code``, the rest of the noise drawn once from ``seed``."""
    if isinstance(steps, bool) or not isinstance(steps, int) or steps < 2:
        raise ConfigError(f"--steps must be an integer >= 2, got {steps!r}")
    traversal = getattr(loaded.objective, "traversal", None)
    if traversal is None:
        raise ConfigError(f"--traverse: the objective of this run ({loaded.config.objective!r}) puts no codes into G's "
                          "input; traversals are for runs such as infogan's")
    z = torch.randn(1, loaded.config.z_dim, generator=torch.Generator(device="cpu").manual_seed(seed))
    try:
        inputs = traversal(z, code, steps)
    except ValueError as error:
        raise ConfigError(f"--traverse {code}: {error}") from None
    labels = None if not loaded.conditional else torch.zeros(inputs.shape[0], dtype=torch.long, device=loaded.device)
    return loaded.generator(inputs.to(loaded.device), labels).float(), steps


def traversal_to_file(run: str | Path, out: str | Path, code: int, *, steps: int = 10, seed: int = 0,
                      device: str = "auto", overwrite: bool = False, ema: bool = True) -> Path:
    """The Python twin of ``ganzoo sample RUN --traverse CODE``."""
    out = Path(out)
    check_image_out(out, overwrite)
    loaded = load_generator(run, device=device, ema=ema)
    images, nrow = traverse(loaded, code, steps, seed=seed)
    return save_grid(images, out, nrow=nrow, overwrite=overwrite)
