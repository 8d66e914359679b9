"""What ``ganzoo run`` prints while it trains: the progress bar, one line per epoch, the summary."""

from __future__ import annotations

import time
import warnings
from typing import Any

from rich.console import Console
from rich.markup import escape

from ganzoo.cli.app import err_console, plural
from ganzoo.threads import ThreadsWarning


def run_summary(result: Any) -> str | None:
    """The line ``ganzoo run`` ends with: what this command trained and how long it took;
    after ``--resume``, also what the whole run now holds. ``None`` if nothing was trained."""
    trained = result.steps - result.start_step
    if trained <= 0:
        return None
    metrics = "  ".join(f"{k} {v:.3f}" for k, v in result.last_metrics.items())
    head = f"[bold green]done[/] {result.config.model} on {result.config.dataset}: "
    if not result.start_step:
        return (f"{head}{plural(result.epochs_done, 'epoch')}, {plural(result.steps, 'iteration')} "
                f"in {result.seconds:.1f}s  {metrics}")
    return (f"{head}{plural(trained, 'iteration')} in {result.seconds:.1f}s, resumed at iteration {result.start_step}; "
            f"the run has {plural(result.epochs_done, 'epoch')}, {plural(result.steps, 'iteration')} in all  {metrics}")


class _one_line_warnings:
    """While training, ganzoo's own warnings (:class:`ganzoo.threads.ThreadsWarning`) are
    one line on stderr, like errors; other warnings keep Python's format."""

    def __enter__(self) -> None:
        self.catcher = warnings.catch_warnings()
        self.catcher.__enter__()
        shown = warnings.showwarning

        def show(message: Any, category: type, *args: Any, **kwargs: Any) -> None:
            if issubclass(category, ThreadsWarning):
                err_console.print(f"[yellow]warning:[/] {escape(str(message))}", highlight=False, soft_wrap=True)
            else:
                shown(message, category, *args, **kwargs)

        warnings.showwarning = show
        warnings.simplefilter("always", ThreadsWarning)

    def __exit__(self, *exc: Any) -> None:
        self.catcher.__exit__(*exc)


class _TrainingDisplay:
    """A rich progress bar with the epoch, the losses and what the objective declares (D(x)
    and D(G(z)) for the cross-entropy losses); one summary line per epoch so that logs (not a
    terminal) show the run too."""

    def __init__(self, quiet: bool, console: Console | None = None) -> None:
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )

        self.quiet = quiet
        self.console = console = console if console is not None else err_console
        self.progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            TextColumn("{task.fields[metrics]}"),
            console=console,
            # In a log (not a terminal) the per-epoch lines below say it all.
            disable=quiet or not console.is_terminal,
            transient=True,  # the per-epoch lines stay; the bar goes when training ends
        )
        self.task: Any = None
        self.epoch_start = time.perf_counter()
        self.total_epochs = 0
        self.per_epoch = 0
        self.labels: list[tuple[str, str]] = [("loss_d", "loss_d"), ("loss_g", "loss_g")]

    def __enter__(self) -> "_TrainingDisplay":
        return self  # the bar starts with training, not while data and models load

    def __exit__(self, *exc: Any) -> None:
        self.progress.stop()

    def update(self, event: dict[str, Any]) -> None:
        if "total_epochs" in event:  # start of training
            self.total_epochs, self.per_epoch = event["total_epochs"], event["per_epoch"]
            # What the objective, loss and regularizers declared, with their short labels.
            self.labels = [(spec.name, spec.label) for spec in event.get("metric_specs", ())]
            resumed = f", resuming at iteration {event['resumed_at_step']}" if event.get("resumed_at_step") else ""
            processes = f" x {plural(event['world_size'], 'process', 'processes')}" if event.get("world_size", 1) > 1 else ""
            threads = f" ({event['threads']})" if event.get("threads") and event.get("device") == "cpu" else ""
            if event["epoch"] > self.total_epochs:  # resumed with --epochs at or below what is done
                self.console.print(
                    f"nothing to train: {event['run_dir']} has {plural(event['epoch'] - 1, 'epoch')} done and --epochs "
                    f"is {self.total_epochs}; raise --epochs to train further",
                    highlight=False,
                    soft_wrap=True,
                )
                return
            if not self.quiet:
                self.console.print(
                    f"training on {event['device']}{threads}{processes}: {plural(event['examples'], 'image')}, "
                    f"{plural(self.per_epoch, 'iteration')} per epoch, {plural(self.total_epochs, 'epoch')}{resumed} "
                    f"-> {event['run_dir']}",
                    highlight=False,
                    soft_wrap=True,
                )
            self.progress.start()
            self.task = self.progress.add_task("train", total=self.per_epoch, epoch=f"{event['epoch']}/{self.total_epochs}", metrics="")
            self.epoch_start = time.perf_counter()
            return
        text = "  ".join(f"{label} {event[name]:.3f}" for name, label in self.labels if name in event)
        if "epoch_done" in event:
            seconds = time.perf_counter() - self.epoch_start
            last = event["epoch_done"] >= self.total_epochs
            if last:  # the bar goes before the last epoch's line: nothing under the summary
                self.progress.stop()
            if not self.quiet:
                self.console.print(f"epoch {event['epoch_done']}/{self.total_epochs}  {text}  ({seconds:.1f}s)", highlight=False,
                                   soft_wrap=True)
            self.epoch_start = time.perf_counter()
            if self.task is not None and not last:
                self.progress.reset(self.task, total=self.per_epoch, epoch=f"{event['epoch_done'] + 1}/{self.total_epochs}", metrics=text)
            return
        if self.task is not None:
            # Events between two log flushes carry the iteration count only (no copy from the
            # device): the bar moves and the time left is estimated; the metrics stay.
            done = event["step"] - (event["epoch"] - 1) * self.per_epoch
            self.progress.update(self.task, completed=done, **({"metrics": text} if text else {}))


