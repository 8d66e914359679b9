"""Model recipes: what ``ganzoo run NAME`` trains.

A recipe names a generator and a discriminator architecture, a loss, a conditioning
strategy and the hyperparameters that make it train well. Named *presets* hold
alternative settings, such as the exact hyperparameters of a paper's reference script.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class ModelRecipe:
    """A named bundle of G, D, loss, conditioning and default hyperparameters.

    ``hyperparameters`` may set any :class:`ganzoo.config.TrainConfig` field
    (``epochs``, ``batch_size``, ``lr``, ``betas``, ``d_steps``, ``g_steps``, ``z_dim``...).
    Each preset is a dictionary of the same kind, applied on top of the defaults by
    ``--preset NAME``; ``generator_kwargs`` / ``discriminator_kwargs`` in a preset are
    merged into the recipe's.
    """

    name: str
    generator: str
    discriminator: str
    loss: str = "non-saturating"
    conditioning: str = "none"
    hyperparameters: dict[str, Any] = field(default_factory=dict)
    generator_kwargs: dict[str, Any] = field(default_factory=dict)
    discriminator_kwargs: dict[str, Any] = field(default_factory=dict)
    presets: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    reference: str = ""
