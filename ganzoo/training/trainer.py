"""The training loop: epochs of iterations, the log, a grid and a checkpoint after each epoch.

An *epoch* is one pass over the training split in real batches, so it has
``batches // d_steps`` iterations. Losses and metrics stay on the device; they are copied
to the host only every ``log_every`` iterations, so a step never waits for the device.
One seeded ``torch.Generator`` on the training device draws the noise, the fake labels
and the augmentations; another draws each epoch's data order (so a mid-epoch resume can
draw it again). Both, and the global RNGs, are saved in every checkpoint.

The number of CPU threads is set when the trainer is built and, unless it is fixed
(``--threads``, ``$GANZOO_THREADS``, ``$OMP_NUM_THREADS``), follows the other ganzoo runs on
the machine during training (:mod:`ganzoo.threads`).

``on_progress`` receives, on the main process: one event with ``total_epochs`` when
training starts; ``{"epoch", "step"}`` without metrics after the first two iterations of
each epoch and then every :data:`PROGRESS_SECONDS` or so (no copy to the host: for the
progress bar and its estimate); ``{"epoch", "step", <metrics>}`` every ``log_every``
iterations; ``{"epoch_done", "step", <metrics>}`` after each epoch.
"""

from __future__ import annotations

import contextlib
import json
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

from ganzoo import plugins
from ganzoo.config import TrainConfig
from ganzoo.device import autocast_dtype, select_device
from ganzoo import distributed
from ganzoo.distributed import Distributed
from ganzoo.errors import UnreadableImageError
from ganzoo.rundir import METRICS_FILE, SAMPLES_DIR, write_metric_specs
from ganzoo.sampling import grid_png
from ganzoo.checkpoint import atomic_write_bytes
from ganzoo.threads import ThreadBudget
from ganzoo.training import checkpointing
from ganzoo.training.components import build_components
from ganzoo.training.rng import seed_globals
from ganzoo.training.run import Run, RunHooks
from ganzoo.training.stopping import NonFiniteLossError, TrainingInterrupted, stop_on_signals
from ganzoo.training.updates import Updater

GRID_SIZE = 100  # 10 x 10
#: seconds between progress events without metrics (and looks at the other runs' threads)
PROGRESS_SECONDS = 0.5


@dataclass
class TrainResult:
    """What :func:`ganzoo.train` returns."""

    run_dir: Path
    config: TrainConfig
    epochs_done: int
    steps: int
    seconds: float
    last_metrics: dict[str, float] = field(default_factory=dict)
    checkpoint: Path | None = None
    #: iterations the run had done when this call started (0, or where ``resume`` took it up);
    #: ``steps - start_step`` were trained in ``seconds``
    start_step: int = 0


class Trainer:
    """Trains one GAN as described by a :class:`TrainConfig`, writing into ``run_dir``.
    Plugins see it through :class:`ganzoo.Run`; this class is the engine's own."""

    def __init__(self, config: TrainConfig, run_dir: Path, *, resume_from: dict[str, Any] | None = None,
                 on_progress: Callable[[dict[str, Any]], None] | None = None, dist: Distributed | None = None) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.on_progress = on_progress if on_progress is not None else (lambda event: None)
        # CPU threads: set now (data and models are built with them), given back by fit().
        self.thread_budget = ThreadBudget(config.threads)
        config.threads_at_start = self.thread_budget.open()
        weakref.finalize(self, self.thread_budget.close)  # a trainer that never fits nor closes
        try:
            self._build(config, resume_from, dist)
        except BaseException:
            self.thread_budget.close()
            raise

    def _build(self, config: TrainConfig, resume_from: dict[str, Any] | None, dist: Distributed | None) -> None:
        self.device = select_device(config.device)
        self.dist = dist or distributed.from_environment(self.device.type)
        if self.dist.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.dist.local_rank)

        seed_globals(config.seed, self.dist.rank)  # model initialisation: the same on every rank
        # Noise, fake labels, augmentations: the same stream on every rank (each takes its slice).
        self.rng = torch.Generator(device=self.device)
        self.rng.manual_seed(config.seed)
        # Epoch order: its own stream, so it can be redrawn on a mid-epoch resume.
        self.data_rng = torch.Generator(device=self.device)
        self.data_rng.manual_seed(config.seed + 17)

        self.parts = build_components(config, plugins.get_zoo(), self.device, self.dist)
        self.updater = Updater(self.parts, config, self.device, self.dist, self.rng,
                               autocast_dtype(self.device) if config.amp else None)
        # The grid's noise is drawn from its own generator: the same for every epoch and
        # every resume, and it does not disturb the training stream.
        grid_rng = torch.Generator().manual_seed(config.seed + 1)
        self.fixed_noise = self.parts.objective.prior(torch.randn(GRID_SIZE, config.z_dim, generator=grid_rng),
                                                      grid_rng).to(self.device)
        classes = self.parts.data.num_classes
        self.fixed_labels = (  # row k shows class k (classes beyond 10 wrap around)
            (torch.arange(10).repeat_interleave(10) % classes).to(self.device) if self.parts.conditional else None
        )
        self.epoch = 0  # completed epochs
        self.step = 0  # completed iterations, over the whole run
        self.iteration_in_epoch = 0  # completed iterations of the epoch in progress
        self.epoch_rng_state: torch.Tensor | None = None  # data_rng before this epoch's order was drawn
        self.stop_requested: str | None = None  # set (to a reason) to stop at the next iteration
        self._next_tick = 0.0  # time.monotonic() of the next progress event without metrics
        self.last_metrics: dict[str, float] = {}
        self.checkpoint_path: Path | None = Path(resume_from["path"]) if resume_from and "path" in resume_from else None
        self.sampling_generator: torch.nn.Module | None = None  # set by plugins (EMA)
        self.resumed_from = resume_from
        if resume_from is not None:
            checkpointing.restore(self, resume_from)
        self.run = Run(self)
        # Lifecycle hooks (and make_run_plugins) only from fit(): the run directory is final then.
        self.hooks = RunHooks(self.run, enabled=False)

    def close(self) -> None:
        """Give back the CPU threads and the live-run registration taken at construction.
        :meth:`fit` does it when it ends; a trainer used only for :meth:`train_iteration`
        (benchmarks, tests) calls this, or is used as a context manager. Idempotent."""
        self.thread_budget.close()

    def __enter__(self) -> "Trainer":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # What the rest of ganzoo and its benchmarks reach for.
    generator = property(lambda self: self.parts.generator)
    discriminator = property(lambda self: self.parts.discriminator)
    batches = property(lambda self: self.parts.data.batches)

    def train_iteration(self, batches: Iterator[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """One iteration of Algorithm 1. Returns 0-d tensors still on the device."""
        return self.updater.iteration(batches)

    def save(self) -> Path:
        return checkpointing.save(self)

    def iterations_per_epoch(self) -> int:
        batches = len(self.batches)
        if self.config.limit_batches is not None:
            batches = min(batches, self.config.limit_batches)
        return batches // self.config.d_steps

    @torch.no_grad()
    def sample_grid(self, path: Path) -> Path:
        """Save a 10x10 grid from the fixed noise (one row per class for conditional models)."""
        generator = self.sampling_generator or self.generator
        was_training = generator.training
        generator.eval()
        try:
            images = generator(self.fixed_noise, self.fixed_labels).float()
        finally:
            generator.train(was_training)
        atomic_write_bytes(path, grid_png(images, nrow=10))  # no half-written grid either
        return path

    def _epoch_order(self) -> torch.Tensor:
        """This epoch's data order. Drawn afresh at an epoch's start; when resuming in the
        middle of an epoch, drawn again from the saved state so it is the same order."""
        if self.iteration_in_epoch == 0 or self.epoch_rng_state is None:
            self.epoch_rng_state = self.data_rng.get_state()
            return self.batches.permutation(self.data_rng)
        current = self.data_rng.get_state()
        self.data_rng.set_state(self.epoch_rng_state)
        order = self.batches.permutation(self.data_rng)
        self.data_rng.set_state(current)
        return order

    def _flush(self, pending: list[tuple[int, int, dict[str, torch.Tensor]]], log_file: Any) -> None:
        if not pending:
            return
        names = list(pending[0][2])
        stacked = torch.stack([torch.stack([m[k].float() for k in names]) for _, _, m in pending])
        stacked = self.dist.all_reduce_mean(stacked).cpu()  # the global batch's averages
        rows = stacked.tolist()
        records = [{"step": step, "epoch": epoch, **dict(zip(names, values))} for (step, epoch, _), values in zip(pending, rows)]
        if log_file is not None:  # rank 0
            log_file.write("".join(json.dumps(record) + "\n" for record in records))
            log_file.flush()
            self.hooks("on_log", records=records)
        finite = torch.isfinite(stacked[:, :2]).all(dim=1)  # loss_d, loss_g
        if not finite.all():
            bad = records[int((~finite).nonzero()[0])]
            raise NonFiniteLossError(
                f"training diverged: loss_d={bad['loss_d']}, loss_g={bad['loss_g']} at step {bad['step']}; "
                f"the last good checkpoint is {self.checkpoint_path or 'none (diverged in the first epoch)'}; "
                "try a lower --lr"
            )
        self.last_metrics = dict(zip(names, rows[-1]))
        if self.dist.is_main:
            self.on_progress({"epoch": self.epoch + 1, "step": records[-1]["step"], **self.last_metrics})
        pending.clear()

    def _should_stop(self) -> bool:
        """Has a stop been requested? Distributed ranks agree on it every ``log_every``
        iterations (a collective), so that all of them stop at the same iteration."""
        if not self.dist.enabled:
            return bool(self.stop_requested)
        if self.iteration_in_epoch % self.config.log_every:
            return False
        return self.dist.any(bool(self.stop_requested), self.device)

    def _interrupt(self, per_epoch: int) -> None:
        path = self.save() if self.iteration_in_epoch else self.checkpoint_path
        reason = self.stop_requested or "a stop request"
        where = (f"in epoch {self.epoch + 1} (iteration {self.iteration_in_epoch} of {per_epoch})"
                 if self.iteration_in_epoch else f"after epoch {self.epoch}")
        raise TrainingInterrupted(
            f"stopped by {reason} {where}; checkpoint: {path}; continue with: ganzoo run {self.config.model} "
            f"--dataset {self.config.dataset} --out {self.run_dir} --resume",
            signal_name=reason,
        )

    def how_to_go_on(self) -> str:
        """For an error that stops a run: where its last checkpoint is and the command that continues it."""
        if self.checkpoint_path is None:
            return f"no checkpoint yet: start again with --out {self.run_dir} --overwrite"
        return (f"the last checkpoint is {self.checkpoint_path}; continue with: ganzoo run {self.config.model} "
                f"--dataset {self.config.dataset} --out {self.run_dir} --resume")

    def fit(self) -> TrainResult:
        """Train until ``config.epochs``; checkpoint and save a grid after every epoch."""
        start = time.perf_counter()
        start_step = self.step
        per_epoch = self.iterations_per_epoch()
        self.generator.train()
        self.discriminator.train()
        if self.dist.is_main:
            write_metric_specs(self.run_dir, [spec.to_dict() for spec in self.parts.metric_specs])
        self.hooks = RunHooks(self.run, enabled=self.dist.is_main)
        try:
            self.hooks("on_train_start", checkpoint=self.resumed_from)
            self._train_epochs(per_epoch)
        finally:  # also on an interruption or a failure: plugins release what they hold
            try:
                self.hooks("on_train_end")
            finally:
                self.thread_budget.close()
        return TrainResult(self.run_dir, self.config, self.epoch, self.step, time.perf_counter() - start,
                           dict(self.last_metrics), self.checkpoint_path, start_step)

    def _tick(self, report: bool = True) -> None:
        """After each iteration: every :data:`PROGRESS_SECONDS` (and after the first two
        iterations of an epoch, so that a progress bar can estimate the time left at once),
        report the iteration count (unless the log was just flushed, which reported it with
        the metrics), without metrics and without waiting for the device, and let an
        automatic thread count follow the other runs."""
        now = time.monotonic()
        if now < self._next_tick and self.iteration_in_epoch > 2:
            return
        self._next_tick = now + PROGRESS_SECONDS
        self.thread_budget.recheck(now)
        if report and self.dist.is_main:
            self.on_progress({"epoch": self.epoch + 1, "step": self.step})

    def _request_stop(self, reason: str) -> None:
        self.stop_requested = reason

    def _train_epochs(self, per_epoch: int) -> None:
        """The loop of :meth:`fit`: epochs of iterations, a grid and a checkpoint after each."""
        config = self.config
        if self.dist.is_main:
            self.on_progress({
                "total_epochs": config.epochs, "per_epoch": per_epoch, "epoch": self.epoch + 1,
                "run_dir": str(self.run_dir), "device": str(self.device), "world_size": self.dist.world_size,
                "examples": self.batches.num_examples(), "resumed_at_step": self.step if self.resumed_from else None,
                "metric_specs": self.parts.metric_specs, "threads": self.thread_budget.describe(),
            })
        self._next_tick = 0.0
        log = open(self.run_dir / METRICS_FILE, "a") if self.dist.is_main else contextlib.nullcontext(None)
        with log as log_file, stop_on_signals(self._request_stop, lambda: bool(self.stop_requested)):
            pending: list[tuple[int, int, dict[str, torch.Tensor]]] = []
            while self.epoch < config.epochs:
                batches = self.batches.iterate(self._epoch_order(), start=self.iteration_in_epoch * config.d_steps)
                while self.iteration_in_epoch < per_epoch:
                    if self._should_stop():
                        self._flush(pending, log_file)
                        self._interrupt(per_epoch)
                    try:
                        metrics = self.train_iteration(batches)
                    except UnreadableImageError as error:
                        raise UnreadableImageError(f"{error}; {self.how_to_go_on()}") from None
                    self.step += 1
                    self.iteration_in_epoch += 1
                    pending.append((self.step, self.epoch + 1, metrics))
                    self.hooks("on_step_end", step=self.step, metrics=metrics)
                    flushed = len(pending) >= config.log_every
                    if flushed:
                        self._flush(pending, log_file)
                    self._tick(report=not flushed)
                self._flush(pending, log_file)
                self.epoch += 1
                self.iteration_in_epoch = 0
                if self.dist.is_main:
                    self.sample_grid(self.run_dir / SAMPLES_DIR / f"epoch-{self.epoch:04d}.png")
                self.hooks("on_epoch_end", epoch=self.epoch)
                self.save()
                if self.dist.is_main:
                    self.on_progress({"epoch_done": self.epoch, "step": self.step, **self.last_metrics})
                if self.dist.any(bool(self.stop_requested), self.device) and self.epoch < config.epochs:
                    self._interrupt(per_epoch)
