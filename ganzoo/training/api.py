"""``ganzoo.train``: the Python twin of ``ganzoo run``, from options to a finished run."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from ganzoo import distributed, plugins
from ganzoo.checkpoint import load_checkpoint, remove_partial_writes
from ganzoo.config import TrainConfig, check_resume_overrides, resolve_config, validate
from ganzoo.device import select_device
from ganzoo.errors import CheckpointError, ConfigError, UnknownNameError
from ganzoo.progress import ProgressPrinter
from ganzoo.rundir import (
    check_new_run_dir,
    check_resumable,
    claim_default_run_dir,
    default_run_dir,
    prepare_new_run_dir,
    truncate_metrics,
    write_config,
)
from ganzoo.train_options import docstring_sections
from ganzoo.training.trainer import Trainer, TrainResult


def train(
    model: str,
    dataset: str,
    *,
    out: str | Path | None = None,
    resume: bool = False,
    overwrite: bool = False,
    preset: str | None = None,
    progress: bool = False,
    on_progress: Callable[[dict[str, Any]], None] | None = None,
    **options: Any,
) -> TrainResult:
    """Train ``model`` on ``dataset``; the Python twin of ``ganzoo run``.

    ``ganzoo.train("gan", "mnist", data_root="../shared/datasets", epochs=5, progress=True)``
    writes the same run directory as ``ganzoo run gan --dataset mnist --data-root
    ../shared/datasets --epochs 5`` and returns a ``TrainResult``: ``run_dir``, ``config``,
    ``epochs_done``, ``steps``, ``seconds``, ``last_metrics`` (the last logged losses and
    metrics) and ``checkpoint``. Bad values raise ``ganzoo.errors.ConfigError`` (and the other
    ``GanzooError``s) with the messages the CLI prints; Ctrl-C raises
    ``ganzoo.training.TrainingInterrupted`` after saving a checkpoint.

    {options}
    """
    if progress:
        on_progress = _both(ProgressPrinter(), on_progress)
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


def _both(first: Callable[[dict[str, Any]], None],
          second: Callable[[dict[str, Any]], None] | None) -> Callable[[dict[str, Any]], None]:
    if second is None:
        return first

    def call(event: dict[str, Any]) -> None:
        first(event)
        second(event)

    return call


# The option lists, the resume rule and the progress events, generated (ganzoo.train_options):
# `help(ganzoo.train)` shows every option a user may set, and a new TrainConfig field appears here by itself.
train.__doc__ = (train.__doc__ or "").replace("{options}", docstring_sections().replace("\n", "\n    ").replace("\n    \n", "\n\n"))
