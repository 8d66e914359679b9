"""Putting a run together: data, G and D, the objective, regularizers, augmentations and
optimizers, from a :class:`ganzoo.config.TrainConfig` and the registries.

Everything that can be refused (a dataset without labels for a conditional strategy, an
architecture that cannot take the data, a loss that needs a per-sample D) is refused here,
before the run directory is touched.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from torch import nn

from ganzoo import components as specs
from ganzoo.config import TrainConfig
from ganzoo.data import default_data_root, make_batches, open_split, stratified_subset
from ganzoo.distributed import Distributed
from ganzoo.errors import ConfigError
from ganzoo.models import build_gan, check_shapes
from ganzoo.objectives import ObjectiveSetup
from ganzoo.step import MetricSpec

LOSS_D = MetricSpec("loss_d", "loss_d", "D's loss, regularizers included (what D's update minimised)", "neither")
LOSS_G = MetricSpec("loss_g", "loss_g", "G's loss, regularizers included (what G's update minimised)", "neither")


@dataclass
class Data:
    """The training split as the engine serves it."""

    batches: Any
    image_shape: tuple[int, int, int]
    num_classes: int | None
    class_names: list[str]


@dataclass
class Components:
    """Everything a run trains and trains with."""

    data: Data
    conditioning: Any
    conditional: bool
    generator: nn.Module
    discriminator: nn.Module
    loss: Any
    joint_forward: bool
    objective: Any
    objective_modules: dict[str, tuple[nn.Module, str]]
    regularizers: list[tuple[str, Any]]
    augmentations: list[Any]
    optimizer_d: torch.optim.Optimizer
    optimizer_g: torch.optim.Optimizer
    metric_specs: tuple[MetricSpec, ...] = field(default=())


def open_data(config: TrainConfig, zoo: Any, device: torch.device, dist: Distributed) -> Data:
    """The training split through torchvision, served by the in-memory or DataLoader path."""
    spec = zoo.datasets.get(config.dataset)
    data_root = Path(config.data_root) if config.data_root else default_data_root()
    dataset = open_split(spec, data_root, train=True, download=config.download)
    num_classes = spec.num_classes or len(getattr(dataset, "classes", ())) or None
    batches = make_batches(spec, dataset, config.batch_size, device)
    if config.data_fraction < 1:  # a data-limited run: the same stratified subset for every seed
        batches.restrict(stratified_subset(batches.labels_of_all(), config.data_fraction))
    batches.shard(dist.rank, dist.world_size)
    return Data(batches, spec.image_shape, num_classes, list(spec.class_names or getattr(dataset, "classes", ())))


def check_batches(config: TrainConfig, batches: Any) -> None:
    """An iteration takes ``d_steps`` batches: refuse an epoch that would have none."""
    if len(batches) < config.d_steps:
        raise ConfigError(
            f"dataset {config.dataset!r} has {len(batches)} batch(es) of {config.batch_size}, "
            f"fewer than d-steps={config.d_steps}; lower --batch-size or --d-steps"
        )
    limit = config.limit_batches
    if limit is not None and limit < config.d_steps:  # an epoch of no iteration at all
        raise ConfigError(
            f"--limit-batches {limit} is fewer than d-steps={config.d_steps}: an iteration takes "
            f"{config.d_steps} batches; raise --limit-batches to at least {config.d_steps}"
        )


def build_components(config: TrainConfig, zoo: Any, device: torch.device, dist: Distributed) -> Components:
    """Data, models, objective and optimizers of a run, on ``device``. Consumes the global
    RNG exactly as model initialisation always has (checkpoints of older runs resume)."""
    data = open_data(config, zoo, device, dist)
    conditioning = zoo.conditioning.get(config.conditioning)(num_classes=data.num_classes)
    conditional = bool(conditioning.requires_labels)
    if conditional and (data.num_classes or 0) < 2:
        has = "none" if not data.num_classes else "a single class (an image folder with one sub-folder?)"
        raise ConfigError(f"conditioning {config.conditioning!r} needs class labels; dataset {config.dataset!r} has {has}")
    check_batches(config, data.batches)
    generator, discriminator = _build_models(config, zoo, data, conditioning, conditional, device, dist)
    if dist.enabled:
        torch.manual_seed(config.seed + 7919 * dist.rank)  # dropout differs per rank
    loss = zoo.losses.get(config.loss)()
    regularizers = [(name, specs.build(zoo.regularizers, (name, options), what="regularizer"))
                    for name, options in specs.parse_specs(config.regularizers, what="regularizer")]
    joint_forward = _check_discriminator(config, discriminator, loss, regularizers)

    objective = specs.build(zoo.objectives, specs.parse_specs(config.objective, what="objective")[0], what="objective")
    setup = ObjectiveSetup(generator, discriminator, loss, conditioning, data.num_classes if conditional else None,
                           tuple(data.image_shape), config.z_dim, config.batch_size, device)
    try:
        objective.setup(setup)
    except ValueError as error:  # this objective cannot work with this model or data
        raise ConfigError(f"objective {config.objective!r} cannot be used here: {error}") from None
    augmentations = [specs.build(zoo.augmentations, spec, what="augmentation")
                     for spec in specs.parse_specs(config.augment, what="augmentation")]

    def parameters(network: str, module: nn.Module) -> list[nn.Parameter]:
        extra = [p for m, owner in setup.modules.values() if owner == network for p in m.parameters()]
        return list(module.parameters()) + extra

    build_optimizer = zoo.optimizers.get(config.optimizer)
    optimizer_g = build_optimizer(parameters("generator", generator), lr=config.learning_rate("generator"),
                                  betas=config.adam_betas("generator"))
    optimizer_d = build_optimizer(parameters("discriminator", discriminator), lr=config.learning_rate("discriminator"),
                                  betas=config.adam_betas("discriminator"))
    logged = [regularizer.metric_spec(name) for name, regularizer in regularizers]
    metric_specs = (LOSS_D, LOSS_G, *objective.metric_specs(), *(spec for spec in logged if spec is not None))
    names = [spec.name for spec in metric_specs]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise ConfigError(f"two parts of the run log a metric named {twice[0]!r} (objective {config.objective!r}, "
                          f"regularizers {', '.join(config.regularizers) or 'none'}); rename one")
    return Components(
        data, conditioning, conditional, generator, discriminator, loss, joint_forward, objective, setup.modules,
        regularizers, augmentations, optimizer_d, optimizer_g, tuple(metric_specs),
    )


def _build_models(config: TrainConfig, zoo: Any, data: Data, conditioning: Any, conditional: bool,
                  device: torch.device, dist: Distributed) -> tuple[nn.Module, nn.Module]:
    """G and D from the registries, on the device (SyncBatchNorm when distributed on CUDA)."""
    try:
        generator, discriminator = build_gan(
            config, zoo, image_shape=data.image_shape, num_classes=data.num_classes, conditioning=conditioning,
        )
        check_shapes(generator, discriminator, data.image_shape, data.num_classes if conditional else None)
    except ValueError as error:  # an architecture that cannot take this data
        raise ConfigError(
            f"model {config.model!r} cannot be built for dataset {config.dataset!r} "
            f"(images {'x'.join(map(str, data.image_shape))}): {error}"
        ) from error
    generator.to(device)
    discriminator.to(device)
    if dist.enabled and device.type == "cuda":  # batch statistics of the global batch
        generator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(generator)
        discriminator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(discriminator)
    if config.compile != "none":  # the final modules: after SyncBatchNorm
        _compile(generator, discriminator, config.compile)
    return generator, discriminator


def _check_discriminator(config: TrainConfig, discriminator: nn.Module, loss: Any, regularizers: list) -> bool:
    """Whether real and fake batches can go through D together: unless a layer mixes samples
    (BatchNorm's batch statistics, or a module that says so with ``batch_dependent``).
    A loss that needs a per-sample D (a gradient penalty) refuses such a D."""
    mixing = [
        type(m).__name__ for m in discriminator.modules()
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) or getattr(m, "batch_dependent", False)
    ]
    # What a gradient penalty cannot live with: the layers that say nothing else (BatchNorm).
    coupling = [
        type(m).__name__ for m in discriminator.modules()
        if (isinstance(m, torch.nn.modules.batchnorm._BatchNorm) or getattr(m, "batch_dependent", False))
        and not getattr(m, "gradient_penalty_ok", False)
    ]
    strict = [f"regularizer {name!r}" for name, r in regularizers if getattr(r, "needs_per_sample_discriminator", False)]
    if loss.needs_per_sample_discriminator:
        strict.insert(0, f"loss {config.loss!r}")
    if coupling and strict:
        what = strict[0]
        raise ConfigError(
            f"{what} needs a discriminator that treats each sample on its own, but "
            f"the discriminator of model {config.model!r} has {coupling[0]}, which mixes the samples of a batch; "
            "choose a discriminator without it (for dcgan: --preset sn)"
        )
    return not mixing


def _compile(generator: nn.Module, discriminator: nn.Module, mode: str) -> None:
    """``torch.compile`` G and D's body in place (``nn.Module.compile``: the modules and
    their state_dict keys stay as they are, so checkpoints do not depend on it). D's body,
    not D: the engine calls the body and head through ``forward_with_classes``.
    ``reduce-overhead`` replays CUDA graphs, for small models where kernel launches
    dominate. ``$GANZOO_COMPILE_BACKEND`` picks another backend (the tests use
    ``eager``, which traces the graphs without generating code)."""
    backend = os.environ.get("GANZOO_COMPILE_BACKEND", "inductor")
    options: dict[str, Any] = {"backend": backend}
    if backend == "inductor" and mode != "default":
        options["mode"] = mode
    generator.compile(**options)
    discriminator.body.compile(**options)
