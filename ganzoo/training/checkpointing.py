"""What a checkpoint holds, and putting a trainer back as it was.

A checkpoint is plain data (tensors, numbers, strings; loaded with ``weights_only=True``):
the config, the counters, G and D, both optimizers, the gradient scaler, every RNG state,
and the state of the objective (its modules and its own), of each regularizer and of each
augmentation. Checkpoints of older versions, which have none of the last three, load
with the default objective.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch

import ganzoo
from ganzoo.checkpoint import FORMAT_VERSION, save_checkpoint
from ganzoo.errors import CheckpointError
from ganzoo.training.rng import restore_rng_state, rng_state


def state_dict(trainer: Any) -> dict[str, Any]:
    """Everything a resume needs. A collective call when distributed (every rank's RNG
    state is gathered), so every rank must call it."""
    parts = trainer.parts
    rng = rng_state(trainer.rng)
    rng["data"] = trainer.data_rng.get_state()
    if trainer.dist.enabled:
        rng["torch_per_rank"] = trainer.dist.all_gather_objects(torch.get_rng_state())
    return {
        "format_version": FORMAT_VERSION,
        "ganzoo_version": ganzoo.__version__,
        "config": trainer.config.to_dict(),
        "epoch": trainer.epoch,
        "step": trainer.step,
        "iteration_in_epoch": trainer.iteration_in_epoch,
        "epoch_rng_state": trainer.epoch_rng_state if trainer.iteration_in_epoch else None,
        "generator": parts.generator.state_dict(),
        "discriminator": parts.discriminator.state_dict(),
        "opt_g": parts.optimizer_g.state_dict(),
        "opt_d": parts.optimizer_d.state_dict(),
        "scaler": trainer.updater.scaler.state_dict(),
        "rng": rng,
        "objective": {
            "modules": {name: module.state_dict() for name, (module, _) in parts.objective_modules.items()},
            "state": parts.objective.state_dict(),
        },
        "regularizers": {name: regularizer.state_dict() for name, regularizer in parts.regularizers},
        "augmentations": [augmentation.state_dict() for augmentation in parts.augmentations],
        "data": {
            "image_shape": list(parts.data.image_shape),
            "num_classes": parts.data.num_classes,
            "class_names": parts.data.class_names,
            "conditional": parts.conditional,
        },
    }


def restore(trainer: Any, state: dict[str, Any]) -> None:
    """Load ``state`` (a checkpoint dictionary) into ``trainer``."""
    parts = trainer.parts
    try:
        parts.generator.load_state_dict(state["generator"])
        parts.discriminator.load_state_dict(state["discriminator"])
        parts.optimizer_g.load_state_dict(state["opt_g"])
        parts.optimizer_d.load_state_dict(state["opt_d"])
        if state.get("scaler"):
            trainer.updater.scaler.load_state_dict(state["scaler"])
        objective = state.get("objective") or {}
        for name, (module, _) in parts.objective_modules.items():
            module.load_state_dict(objective["modules"][name])
        parts.objective.load_state_dict(objective.get("state") or {})
        saved_regularizers = state.get("regularizers") or {}
        for name, regularizer in parts.regularizers:
            regularizer.load_state_dict(saved_regularizers.get(name) or {})
        for augmentation, saved in zip(parts.augmentations, state.get("augmentations") or []):
            augmentation.load_state_dict(saved or {})
        restore_rng_state(state["rng"], trainer.rng)
        trainer.data_rng.set_state(state["rng"]["data"])
        per_rank = state["rng"].get("torch_per_rank")
        if per_rank is not None and len(per_rank) == trainer.dist.world_size:
            torch.set_rng_state(per_rank[trainer.dist.rank])
    except (KeyError, RuntimeError, ValueError) as error:
        raise CheckpointError(
            f"checkpoint {state.get('path')} does not fit model {trainer.config.model!r}: {str(error).splitlines()[0]}"
        ) from error
    trainer.epoch = int(state["epoch"])
    trainer.step = int(state["step"])
    trainer.iteration_in_epoch = int(state.get("iteration_in_epoch") or 0)
    trainer.epoch_rng_state = state.get("epoch_rng_state")


def save(trainer: Any) -> Path:
    """Checkpoint now: at an epoch end, or in the middle of the epoch in progress (named
    after that epoch, so that names sort in training order). Rank 0 writes."""
    state = state_dict(trainer)
    if trainer.iteration_in_epoch:
        name = f"epoch-{trainer.epoch + 1:04d}-iter-{trainer.iteration_in_epoch:06d}.pt"
    else:
        name = f"epoch-{trainer.epoch:04d}.pt"
    if not trainer.dist.is_main:
        trainer.checkpoint_path = trainer.run_dir / "checkpoints" / name
        return trainer.checkpoint_path
    trainer.hooks("on_checkpoint", checkpoint=state)
    try:
        trainer.checkpoint_path = save_checkpoint(state, trainer.run_dir, name)
    except OSError as error:  # disk full, quota, permissions: the previous one is intact
        raise CheckpointError(
            f"could not write checkpoint {trainer.run_dir / 'checkpoints' / name}: {error.strerror or error}; "
            f"the previous checkpoint ({trainer.checkpoint_path or 'none'}) is intact; free space and --resume"
        ) from error
    return trainer.checkpoint_path
