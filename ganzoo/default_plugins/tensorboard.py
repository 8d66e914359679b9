"""``--tensorboard``: mirror the training log to TensorBoard, as a lifecycle-hook plugin.

Needs the optional ``tensorboard`` package (``pip install 'ganzoo[tensorboard]'``);
``ganzoo run --tensorboard`` refuses to start without it. Event files go to
``RUN_DIR/tensorboard``: ``tensorboard --logdir runs``.
"""

from __future__ import annotations

import weakref
from typing import Any

from ganzoo.hookspecs import hookimpl

_writers: "weakref.WeakKeyDictionary[Any, Any]" = weakref.WeakKeyDictionary()


@hookimpl
def on_train_start(trainer):
    if not trainer.config.tensorboard:
        return
    from torch.utils.tensorboard import SummaryWriter

    _writers[trainer] = SummaryWriter(log_dir=str(trainer.run_dir / "tensorboard"), purge_step=trainer.step + 1)


@hookimpl
def on_log(trainer, records):
    writer = _writers.get(trainer)
    if writer is None:
        return
    for record in records:
        for key, value in record.items():
            if key not in ("step", "epoch"):
                writer.add_scalar(f"train/{key}", value, record["step"])


@hookimpl
def on_epoch_end(trainer, epoch):
    writer = _writers.get(trainer)
    if writer is None:
        return
    from torchvision.io import ImageReadMode, read_image

    grid = read_image(str(trainer.run_dir / "samples" / f"epoch-{epoch:04d}.png"), ImageReadMode.RGB)
    writer.add_image("samples", grid, trainer.step)
    writer.flush()


@hookimpl
def on_train_end(trainer):
    writer = _writers.pop(trainer, None)
    if writer is not None:
        writer.close()
