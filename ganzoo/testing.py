"""Test helpers for ganzoo and for plugin authors, shipped as a pytest plugin.

Installing ganzoo makes the ``ganzoo_plugin`` fixture available in every pytest run
(through the ``pytest11`` entry point), so a plugin package tests itself the way the core
does::

    def test_my_loss_is_registered(ganzoo_plugin):
        ganzoo_plugin(MyPlugin())            # registered for this test only
        assert "my-loss" in ganzoo.get_zoo().losses

Whatever the test registers is unregistered afterwards, even if the test fails, and the
registries are rebuilt, so nothing leaks into the next test.

A plugin package's tests run with the package installed, so its entry point has already
registered the module under the entry-point name: the fixture then returns that name and
leaves the registration as it was (a module is one plugin, whatever the name).
"""

from __future__ import annotations

from typing import Any, Callable, Iterator

import pytest

from ganzoo import plugins


@pytest.fixture
def ganzoo_plugin() -> Iterator[Callable[..., str]]:
    """Register plugin objects or modules for one test: ``ganzoo_plugin(obj, name=None)``."""
    registered: list[str] = []

    def register(plugin: Any, name: str | None = None) -> str:
        plugins.load_plugins()
        if plugins.pm.is_registered(plugin):  # installed: loaded through its entry point
            return plugins.pm.get_name(plugin)
        registered.append(plugins.register_plugin(plugin, name=name))
        return registered[-1]

    try:
        yield register
    finally:
        for name in reversed(registered):
            plugins.unregister_plugin(name)


def linear_discriminator(image_shape: tuple[int, int, int], weight: Any = None, bias: float = 0.0) -> Any:
    """A ganzoo discriminator whose logit is ``w . flatten(x) + b`` and whose features are
    ``flatten(x)``: closed forms are easy to write for it (R1 is ``gamma/2 ||w||^2``)."""
    import math

    import torch
    from torch import nn

    from ganzoo.conditioning import LinearHead, NoConditioning
    from ganzoo.models import Discriminator

    features = math.prod(image_shape)
    adapter, _ = NoConditioning().discriminator_adapter(tuple(image_shape), "flat")
    body = nn.Identity()
    body.out_features = features  # type: ignore[attr-defined]
    head = LinearHead(features)
    with torch.no_grad():
        head.linear.weight.copy_(torch.randn(1, features) if weight is None else torch.as_tensor(weight).reshape(1, features))
        head.linear.bias.fill_(bias)
    return Discriminator(adapter, body, head)


def make_step(
    network: str,
    real: Any,
    *,
    generator: Any = None,
    discriminator: Any = None,
    real_labels: Any = None,
    z_dim: int = 8,
    num_classes: int | None = None,
    loss: Any = None,
    augmentations: Any = (),
    seed: int = 0,
) -> Any:
    """A :class:`ganzoo.Step` outside of training, for testing an objective, a regularizer or
    an augmentation against its closed form: ``network`` is ``"discriminator"`` or
    ``"generator"``, ``real`` a batch ``(N, C, H, W)``. Defaults: a G that maps noise to
    images with one linear layer, :func:`linear_discriminator`, the non-saturating loss,
    no augmentation; noise and augmentations draw from a generator seeded with ``seed``."""
    import contextlib
    import math

    import torch
    from torch import nn

    from ganzoo.augmentations import pipeline
    from ganzoo.conditioning import NoConditioning
    from ganzoo.losses import NonSaturatingLoss
    from ganzoo.models import Generator
    from ganzoo.step import Step

    shape = tuple(real.shape[1:])
    if generator is None:
        body = nn.Sequential(nn.Linear(z_dim, math.prod(shape)), nn.Tanh(), nn.Unflatten(1, shape))
        generator = Generator(NoConditioning().generator_adapter(z_dim)[0], body, z_dim)
    discriminator = discriminator if discriminator is not None else linear_discriminator(shape)
    rng = torch.Generator(device=real.device).manual_seed(seed)

    def noise(n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        z = torch.randn(n, generator.z_dim, generator=rng, device=real.device)
        labels = torch.randint(0, num_classes, (n,), generator=rng, device=real.device) if num_classes else None
        return z, labels

    return Step(
        network=network, real=real, real_labels=real_labels, generator=generator, discriminator=discriminator,
        loss=loss if loss is not None else NonSaturatingLoss(), conditioning=NoConditioning(), noise=noise,
        augment=pipeline(list(augmentations), rng), joint_forward=True, batch_size=real.shape[0], rng=rng,
        autocast=contextlib.nullcontext,
    )
