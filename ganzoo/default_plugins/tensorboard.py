"""``--tensorboard``: mirror the training log to TensorBoard, as a lifecycle-hook plugin.

Needs the optional ``tensorboard`` package (``pip install 'ganzoo[tensorboard]'``);
``ganzoo run --tensorboard`` refuses to start without it. Event files go to
``RUN_DIR/tensorboard``: ``tensorboard --logdir runs``. Every logged metric (the losses and
what the objective declares) is mirrored under ``train/NAME``.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from ganzoo.hookspecs import hookimpl
from ganzoo.options import Option


def _installed(enabled: bool) -> bool:
    if enabled and importlib.util.find_spec("tensorboard") is None:
        raise ValueError("needs the tensorboard package: pip install 'ganzoo[tensorboard]'")
    return True


@hookimpl
def register_options(register):
    register("tensorboard", Option(
        bool, False, "Also log to RUN_DIR/tensorboard (needs: pip install 'ganzoo[tensorboard]').",
        check=_installed,
        resumable=True,
    ))


@hookimpl
def make_run_plugins(run):
    return TensorBoardLog() if run.options["tensorboard"] else None


class TensorBoardLog:
    """One run's SummaryWriter."""

    writer: Any = None

    @hookimpl
    def on_train_start(self, run):
        from torch.utils.tensorboard import SummaryWriter

        self.writer = SummaryWriter(log_dir=str(run.run_dir / "tensorboard"), purge_step=run.step + 1)

    @hookimpl
    def on_log(self, records):
        for record in records:
            for key, value in record.items():
                if key not in ("step", "epoch"):
                    self.writer.add_scalar(f"train/{key}", value, record["step"])

    @hookimpl
    def on_epoch_end(self, run, epoch):
        from torchvision.io import ImageReadMode, read_image

        grid = read_image(str(run.run_dir / "samples" / f"epoch-{epoch:04d}.png"), ImageReadMode.RGB)
        self.writer.add_image("samples", grid, run.step)
        self.writer.flush()

    @hookimpl
    def on_train_end(self):
        if self.writer is not None:
            self.writer.close()
