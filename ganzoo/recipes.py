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
    """A named bundle of G, D, loss, conditioning and default hyperparameters, registered
    with ``register_models`` and trained by ``ganzoo run NAME``.

    Attributes:
        name: the model's name; register the recipe under it (``register(r.name, r)``).
        generator: the name of a generator architecture (``register_generators``).
        discriminator: the name of a discriminator architecture (``register_discriminators``).
        loss: the name of a loss (``register_losses``), the default of ``--loss``.
        conditioning: the name of a conditioning strategy (``register_conditioning``).
        hyperparameters: defaults for any option a user may set: a
            :class:`ganzoo.TrainConfig` field (``epochs``, ``batch_size``, ``lr``, ``betas``,
            ``d_steps``, ``objective``, ``regularizers``, ``augment``, ``optimizer``...) or a
            plugin option (``ema``).
        generator_kwargs: keyword arguments of the generator's builder.
        discriminator_kwargs: keyword arguments of the discriminator's builder.
        presets: name -> a dictionary like ``hyperparameters``, applied on top of them by
            ``--preset NAME``; its ``generator_kwargs`` / ``discriminator_kwargs`` are merged
            into the recipe's.
        loss_settings: loss name -> a dictionary like a preset's, applied when the run uses
            that loss (``--loss NAME``), before any preset and the user's options: what
            the model needs to train well with that loss (WGAN-GP's critic steps and Adam
            betas, say), where the recipe's own hyperparameters were chosen for ``loss``.
        description: one line about the model; ``ganzoo list`` shows the ``description``
            given to ``register``, so pass this one there.
        reference: the paper or script the recipe follows, for readers of the code.
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
    loss_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    description: str = ""
    reference: str = ""
