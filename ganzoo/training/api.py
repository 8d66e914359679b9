"""``ganzoo.train``: the Python twin of ``ganzoo run``, from options to a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ganzoo import distributed, plugins
from ganzoo.checkpoint import load_checkpoint, remove_partial_writes
from ganzoo.config import TrainConfig, check_resume_overrides, resolve_config, validate
from ganzoo.device import select_device
from ganzoo.errors import CheckpointError, ConfigError, UnknownNameError
from ganzoo.rundir import (
    check_new_run_dir,
    check_resumable,
    claim_default_run_dir,
    default_run_dir,
    prepare_new_run_dir,
    truncate_metrics,
    write_config,
)
from ganzoo.training.trainer import Trainer, TrainResult


def train(
    model: str,
    dataset: str,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    preset: str | None = None,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    **options: Any,
) -> TrainResult:
    """Train ``model`` on ``dataset``; the Python twin of ``ganzoo run``.

    ``options`` are :class:`TrainConfig` fields (``epochs=5``, ``lr=1e-4``,
    ``regularizers=["r1:gamma=10"]``...) or options declared by plugins (``ema=True``);
    anything not given comes from the model's recipe (and ``preset``). With
    ``resume=True``, ``out`` must be an existing run directory: training continues from its
    latest checkpoint, and only the options of ``ganzoo.config.resumable_changes()`` may
    differ from the saved run.
    """
    zoo = plugins.get_zoo()
    if resume:
        if out is None:
            raise ConfigError("--resume needs --out RUN_DIR: the run to continue")
        run_dir = Path(out)
        state = load_checkpoint(check_resumable(run_dir))
        saved = TrainConfig.from_dict(state["config"])
        if (model, dataset) != (saved.model, saved.dataset):
            raise ConfigError(
                f"{run_dir} is a {saved.model} run on {saved.dataset}, not {model} on {dataset}; "
                "resume it with the same model and dataset"
            )
        config = check_resume_overrides(saved, options, preset, zoo)
        try:
            validate(config, zoo)
        except UnknownNameError as error:
            raise CheckpointError(
                f"{run_dir} is a {saved.model!r} run, which needs what is not installed here ({error}); "
                "install the plugin that provides it"
            ) from error
    else:
        state = None
        config = resolve_config(zoo, model, dataset, preset=preset, **options)
    dist = distributed.from_environment(select_device(config.device).type)
    try:
        if resume:
            trainer = Trainer(config, run_dir, resume_from=state, on_progress=on_progress, dist=dist)
            if dist.is_main:
                remove_partial_writes(run_dir)
                truncate_metrics(run_dir, int(state["step"]))
                write_config(run_dir, config.to_dict())
        else:
            run_dir = Path(out) if out is not None else default_run_dir(model, dataset)
            run_dir = Path(dist.all_gather_objects(str(run_dir))[0])  # rank 0's choice
            # Everything that can be refused (the directory, the device, the data, the
            # models) is checked before the directory is touched.
            check_new_run_dir(run_dir, overwrite=overwrite)
            trainer = Trainer(config, run_dir, on_progress=on_progress, dist=dist)
            dist.barrier()  # every rank has checked the directory before rank 0 writes it
            if dist.is_main:
                if out is None:  # another run may have taken the name meanwhile: take the next
                    run_dir = claim_default_run_dir(run_dir, model, dataset)
                prepare_new_run_dir(run_dir, overwrite=overwrite)
                write_config(run_dir, config.to_dict())
            trainer.run_dir = run_dir = Path(dist.all_gather_objects(str(run_dir))[0])
        dist.barrier()
        return trainer.fit()
    finally:
        distributed.shutdown()
