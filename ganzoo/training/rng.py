"""Seeding and the random-number state a checkpoint carries, so that a resumed run draws
exactly the numbers the uninterrupted run would have drawn.

``--seed`` seeds torch's global RNG (model initialisation, dropout), Python's ``random``
and NumPy's global RNG (what plugins' augmentation code often draws from), each offset by
the rank so that processes differ where they should.
"""

from __future__ import annotations

import random
from typing import Any

import torch


def seed_globals(seed: int, rank: int) -> None:
    """Seed torch (the same on every rank: models start identical), ``random`` and NumPy
    (per rank)."""
    torch.manual_seed(seed)
    random.seed(seed + rank)
    try:
        import numpy as np
    except ImportError:  # numpy is optional for ganzoo itself
        return
    np.random.seed((seed + rank) % 2**32)  # NumPy takes 32-bit seeds


def rng_state(generator: torch.Generator) -> dict[str, Any]:
    """The global RNGs' states and ``generator``'s, as plain tensors and values."""
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "generator": generator.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy as np

        kind, keys, pos, has_gauss, cached = np.random.get_state()
        state["numpy"] = [kind, torch.from_numpy(keys.copy()), pos, has_gauss, cached]
    except ImportError:
        pass
    return state


def restore_rng_state(state: dict[str, Any], generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["generator"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        import numpy as np

        kind, keys, pos, has_gauss, cached = state["numpy"]
        np.random.set_state((kind, keys.numpy(), pos, has_gauss, cached))
