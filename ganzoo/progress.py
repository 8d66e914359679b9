"""``ganzoo.train(..., progress=True)``: the progress of a run as lines of text, the ones
``ganzoo run`` writes to a log: one when training starts, one per epoch with its losses
and declared metrics and how long it took.

:class:`ProgressPrinter` is an ``on_progress`` callback: it reads the events the trainer
sends (their keys are listed in ``help(ganzoo.train)`` and docs/python-api.md) and ignores
the ones it does not need. It imports neither torch nor the CLI, and writes plain text (no
progress bar), so that it reads the same in a terminal, a log and a notebook.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO


class ProgressPrinter:
    """Prints the start of training and one line per epoch to ``file`` (default: stderr,
    looked up at each line, so that redirections made later are followed)."""

    def __init__(self, file: TextIO | None = None) -> None:
        self.file = file
        self.total_epochs = 0
        self.labels: list[tuple[str, str]] = [("loss_d", "loss_d"), ("loss_g", "loss_g")]
        self.epoch_start = time.perf_counter()

    def __call__(self, event: dict[str, Any]) -> None:
        if "total_epochs" in event:  # start of training
            self.total_epochs = event["total_epochs"]
            specs = event.get("metric_specs") or ()
            if specs:  # what the objective, loss and regularizers declared, with their short labels
                self.labels = [(spec.name, spec.label) for spec in specs]
            if event["epoch"] > self.total_epochs:  # resumed with epochs at or below what is done
                self._print(f"nothing to train: {event['run_dir']} has {event['epoch'] - 1} epochs done and epochs is "
                            f"{self.total_epochs}; raise epochs to train further")
                return
            resumed = f", resuming at iteration {event['resumed_at_step']}" if event.get("resumed_at_step") else ""
            processes = f" x {event['world_size']} processes" if event.get("world_size", 1) > 1 else ""
            self._print(f"training on {event['device']}{processes}: {event['examples']} images, {event['per_epoch']} "
                        f"iterations per epoch, {self.total_epochs} epoch{'s' * (self.total_epochs != 1)}{resumed} "
                        f"-> {event['run_dir']}")
            self.epoch_start = time.perf_counter()
        elif "epoch_done" in event:
            seconds = time.perf_counter() - self.epoch_start
            metrics = "  ".join(f"{label} {event[name]:.3f}" for name, label in self.labels if name in event)
            self._print(f"epoch {event['epoch_done']}/{self.total_epochs}  {metrics}  ({seconds:.1f}s)")
            self.epoch_start = time.perf_counter()

    def _print(self, line: str) -> None:
        print(line, file=self.file if self.file is not None else sys.stderr, flush=True)
