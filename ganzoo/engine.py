"""The training engine: Algorithm 1 of Goodfellow et al. (2014), once, for every model.

Each *iteration* performs ``d_steps`` discriminator updates (each on a fresh real batch
and fresh noise), then ``g_steps`` generator updates (each on fresh noise). An *epoch* is
one pass over the training split in real batches, so an epoch has
``batches // d_steps`` iterations.

Design choices that matter for speed and reproducibility:

* losses and D outputs stay on the device; they are copied to the host only every
  ``log_every`` iterations, so a step never waits for the device;
* one seeded ``torch.Generator`` on the training device draws the data order, the noise
  and the fake labels; its state, the global RNG states, the optimizers and the models
  are saved in every checkpoint, so a resumed run continues exactly where it stopped;
* D's parameters do not require gradients during G's update (nothing is accumulated that
  would be thrown away), and gradients are reset with ``set_to_none=True``.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator

import torch

import ganzoo
from ganzoo import plugins
from ganzoo.checkpoint import (
    FORMAT_VERSION,
    atomic_write_bytes,
    load_checkpoint,
    remove_partial_writes,
    save_checkpoint,
)
from ganzoo.config import RESUMABLE_CHANGES, TrainConfig, resolve_config, validate
from ganzoo.data import default_data_root, make_batches, open_split
from ganzoo import distributed
from ganzoo.device import autocast_dtype, select_device
from ganzoo.distributed import Distributed
from ganzoo.errors import CheckpointError, ConfigError, GanzooError, UnknownNameError, UnreadableImageError
from ganzoo.models import build_gan, check_shapes
from ganzoo.sampling import grid_png
from ganzoo.rundir import (
    METRICS_FILE,
    SAMPLES_DIR,
    check_new_run_dir,
    check_resumable,
    claim_default_run_dir,
    default_run_dir,
    prepare_new_run_dir,
    truncate_metrics,
    write_config,
)

METRIC_NAMES = ("loss_d", "loss_g", "d_real", "d_fake")
# Logged too when D classifies (ACGAN): its accuracy on real images and on G's samples.
CLASS_METRIC_NAMES = ("d_class_acc_real", "d_class_acc_fake")
GRID_SIZE = 100  # 10 x 10


class NonFiniteLossError(GanzooError):
    """Training diverged: a loss became NaN or infinite."""


class TrainingInterrupted(GanzooError):
    """Training was stopped (Ctrl-C, SIGTERM) after saving a checkpoint it can resume from."""

    def __init__(self, message: str, signal_name: str = "") -> None:
        super().__init__(message)
        # the shell's convention: 128 + signal number
        self.exit_code = 128 + int(getattr(signal.Signals, signal_name, signal.SIGINT)) if signal_name else 1


@dataclass
class TrainResult:
    """What :func:`train` returns."""

    run_dir: Path
    config: TrainConfig
    epochs_done: int
    steps: int
    seconds: float
    last_metrics: dict[str, float] = field(default_factory=dict)
    checkpoint: Path | None = None


def _rng_state(generator: torch.Generator) -> dict[str, Any]:
    state: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "generator": generator.get_state(),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    try:
        import numpy as np

        kind, keys, pos, has_gauss, cached = np.random.get_state()
        state["numpy"] = [kind, torch.from_numpy(keys.copy()), pos, has_gauss, cached]
    except ImportError:  # numpy is optional for ganzoo itself
        pass
    return state


def _restore_rng_state(state: dict[str, Any], generator: torch.Generator) -> None:
    torch.set_rng_state(state["torch"])
    generator.set_state(state["generator"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    if "numpy" in state:
        import numpy as np

        kind, keys, pos, has_gauss, cached = state["numpy"]
        np.random.set_state((kind, keys.numpy(), pos, has_gauss, cached))


class _NoHooks:
    """Stands in for the hook relay on ranks other than 0."""

    def __getattr__(self, name: str) -> Callable[..., None]:
        return lambda **kwargs: None


def _adam(parameters: Iterator[torch.nn.Parameter], config: TrainConfig) -> torch.optim.Optimizer:
    parameters = list(parameters)
    options = dict(lr=config.lr, betas=tuple(config.betas))
    try:
        return torch.optim.Adam(parameters, fused=True, **options)
    except RuntimeError:  # "fused=True requires ... supported devices": not on this device/torch
        return torch.optim.Adam(parameters, foreach=True, **options)


class _DiscriminatorPair(torch.nn.Module):
    """D on a real and a fake batch in one ``forward`` (what DDP needs: one forward per
    backward). One pass over ``[real; fake]`` when D has no layer that mixes samples
    (same result, bigger matrix products), two passes otherwise. Returns the real and fake
    logits and, when D classifies, the real and fake class logits (else ``None``)."""

    def __init__(self, discriminator: torch.nn.Module, joint: bool) -> None:
        super().__init__()
        self.discriminator = discriminator
        self.joint = joint

    def forward(self, real: torch.Tensor, y_real: torch.Tensor | None, fake: torch.Tensor,
                y_fake: torch.Tensor | None) -> tuple[torch.Tensor, ...]:
        D = self.discriminator
        if self.joint:
            labels = None if y_real is None else torch.cat((y_real, y_fake))
            logits, classes = D.forward_with_classes(torch.cat((real, fake)), labels)
            n = real.shape[0]
            return (*logits.split(n), *(classes.split(n) if classes is not None else (None, None)))
        (real_logits, real_classes), (fake_logits, fake_classes) = (
            D.forward_with_classes(real, y_real), D.forward_with_classes(fake, y_fake)
        )
        return real_logits, fake_logits, real_classes, fake_classes


class Trainer:
    """Trains one GAN as described by a :class:`TrainConfig`, writing into ``run_dir``.

    Plugins reach the trainer through the lifecycle hooks; the attributes they can rely
    on are ``config``, ``run_dir``, ``device``, ``generator``, ``discriminator``,
    ``opt_g``, ``opt_d``, ``epoch`` and ``step``.
    """

    def __init__(
        self,
        config: TrainConfig,
        run_dir: Path,
        *,
        resume_from: dict[str, Any] | None = None,
        on_progress: Callable[[dict[str, Any]], None] | None = None,
        dist: Distributed | None = None,
    ) -> None:
        self.config = config
        self.run_dir = Path(run_dir)
        self.on_progress = on_progress
        self.zoo = plugins.get_zoo()
        self.device = select_device(config.device)
        self.dist = dist or distributed.from_environment(self.device.type)
        if self.dist.enabled and self.device.type == "cuda":
            self.device = torch.device("cuda", self.dist.local_rank)
        # Lifecycle hooks run on rank 0 only: one grid, one log, one checkpoint per run.
        self.hook = plugins.hook() if self.dist.is_main else _NoHooks()

        torch.manual_seed(config.seed)  # model initialisation: the same on every rank
        random.seed(config.seed + self.dist.rank)
        # Noise and fake labels: the same stream on every rank (each takes its slice).
        self.rng = torch.Generator(device=self.device)
        self.rng.manual_seed(config.seed)
        # Epoch order: its own stream, so it can be redrawn on a mid-epoch resume.
        self.data_rng = torch.Generator(device=self.device)
        self.data_rng.manual_seed(config.seed + 17)

        self._open_data()
        self._build_models()
        self._build_optimizers()

        self.amp_dtype = autocast_dtype(self.device) if config.amp else None
        self.scaler = torch.amp.GradScaler(self.device.type, enabled=self.amp_dtype == torch.float16)

        # The grid's noise is drawn from its own generator: it is the same for every epoch
        # and every resume, and does not disturb the training stream.
        grid_rng = torch.Generator().manual_seed(config.seed + 1)
        self.fixed_noise = torch.randn(GRID_SIZE, config.z_dim, generator=grid_rng).to(self.device)
        # Conditional grids: row k shows class k (classes beyond 10 wrap around).
        self.fixed_labels = (
            (torch.arange(10).repeat_interleave(10) % self.num_classes).to(self.device) if self.conditional else None
        )

        self.epoch = 0  # completed epochs
        self.step = 0  # completed iterations, over the whole run
        self.iteration_in_epoch = 0  # completed iterations of the epoch in progress
        self.epoch_rng_state: torch.Tensor | None = None  # data_rng before this epoch's order was drawn
        self.stop_requested: str | None = None  # set (to a reason) to stop at the next iteration
        self.last_metrics: dict[str, float] = {}
        self.checkpoint_path: Path | None = Path(resume_from["path"]) if resume_from and "path" in resume_from else None
        self.sampling_generator: torch.nn.Module | None = None  # set by plugins (EMA)
        self.resumed_from = resume_from
        if resume_from is not None:
            self._restore(resume_from)

    def _open_data(self) -> None:
        """The training split through torchvision, served by the in-memory or DataLoader path."""
        spec = self.zoo.datasets.get(self.config.dataset)
        data_root = Path(self.config.data_root) if self.config.data_root else default_data_root()
        dataset = open_split(spec, data_root, train=True, download=self.config.download)
        self.num_classes = spec.num_classes or len(getattr(dataset, "classes", ())) or None
        self.class_names = list(spec.class_names or getattr(dataset, "classes", ()))
        self.image_shape = spec.image_shape
        self.batches = make_batches(spec, dataset, self.config.batch_size, self.device)
        self.batches.shard(self.dist.rank, self.dist.world_size)
        self.conditioning = self.zoo.conditioning.get(self.config.conditioning)(num_classes=self.num_classes)
        self.conditional = bool(self.conditioning.requires_labels)
        if self.conditional and (self.num_classes or 0) < 2:
            has = "none" if not self.num_classes else "a single class (an image folder with one sub-folder?)"
            raise ConfigError(
                f"conditioning {self.config.conditioning!r} needs class labels; dataset {self.config.dataset!r} has {has}"
            )
        if len(self.batches) < self.config.d_steps:
            raise ConfigError(
                f"dataset {self.config.dataset!r} has {len(self.batches)} batch(es) of {self.config.batch_size}, "
                f"fewer than d-steps={self.config.d_steps}; lower --batch-size or --d-steps"
            )
        limit = self.config.limit_batches
        if limit is not None and limit < self.config.d_steps:  # an epoch of no iteration at all
            raise ConfigError(
                f"--limit-batches {limit} is fewer than d-steps={self.config.d_steps}: an iteration takes "
                f"{self.config.d_steps} batches; raise --limit-batches to at least {self.config.d_steps}"
            )

    def _build_models(self) -> None:
        """G and D from the registries, on the device (SyncBatchNorm when distributed on CUDA)."""
        try:
            self.generator, self.discriminator = build_gan(
                self.config, self.zoo, image_shape=self.image_shape, num_classes=self.num_classes,
                conditioning=self.conditioning,
            )
            check_shapes(self.generator, self.discriminator, self.image_shape, self.num_classes if self.conditional else None)
        except ValueError as error:  # an architecture that cannot take this data
            raise ConfigError(
                f"model {self.config.model!r} cannot be built for dataset {self.config.dataset!r} "
                f"(images {'x'.join(map(str, self.image_shape))}): {error}"
            ) from error
        self.generator.to(self.device)
        self.discriminator.to(self.device)
        if self.dist.enabled and self.device.type == "cuda":  # batch statistics of the global batch
            self.generator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.generator)
            self.discriminator = torch.nn.SyncBatchNorm.convert_sync_batchnorm(self.discriminator)
        if self.config.compile != "none":  # the final modules: after SyncBatchNorm
            self._compile(self.config.compile)
        if self.dist.enabled:
            torch.manual_seed(self.config.seed + 7919 * self.dist.rank)  # dropout differs per rank
        self.loss = self.zoo.losses.get(self.config.loss)()
        # Real and fake batches can go through D together unless a layer mixes samples
        # (BatchNorm's batch statistics, or a module that says so with batch_dependent).
        mixing = [
            type(m).__name__ for m in self.discriminator.modules()
            if isinstance(m, torch.nn.modules.batchnorm._BatchNorm) or getattr(m, "batch_dependent", False)
        ]
        self.joint_d_forward = not mixing
        if mixing and self.loss.needs_per_sample_discriminator:
            raise ConfigError(
                f"loss {self.config.loss!r} needs a discriminator that treats each sample on its own, but "
                f"the discriminator of model {self.config.model!r} has {mixing[0]}, which mixes the samples of a batch; "
                "choose a discriminator without it (for dcgan: --preset sn)"
            )
        self.metric_names = METRIC_NAMES + (CLASS_METRIC_NAMES if self.discriminator.classifies else ())

    def _compile(self, mode: str) -> None:
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
        self.generator.compile(**options)
        self.discriminator.body.compile(**options)

    def _build_optimizers(self) -> None:
        """Adam for G and D, and what the updates run through. Fused Adam (one kernel per
        parameter for the whole update) where this torch has it for the device: CUDA, and
        CPU since torch 2.4 (1-4% faster per iteration than foreach on the 2-core CPU of
        docs/performance.md); foreach otherwise (MPS, older torch)."""
        self.opt_g = _adam(self.generator.parameters(), self.config)
        self.opt_d = _adam(self.discriminator.parameters(), self.config)
        # What the updates run through: DDP wrappers (gradients averaged over the ranks)
        # when distributed, the modules themselves otherwise.
        pair = _DiscriminatorPair(self.discriminator, self.joint_d_forward)
        if self.dist.enabled:
            from torch.nn.parallel import DistributedDataParallel

            ids = [self.device.index] if self.device.type == "cuda" else None
            self._g_update: torch.nn.Module = DistributedDataParallel(self.generator, device_ids=ids)
            self._d_update: torch.nn.Module = DistributedDataParallel(pair, device_ids=ids)
        else:
            self._g_update, self._d_update = self.generator, pair

    # --- state --------------------------------------------------------------------

    def state_dict(self) -> dict[str, Any]:
        """Everything a resume needs. A collective call when distributed (every rank's RNG
        state is gathered), so every rank must call it."""
        rng = _rng_state(self.rng)
        rng["data"] = self.data_rng.get_state()
        if self.dist.enabled:
            rng["torch_per_rank"] = self.dist.all_gather_objects(torch.get_rng_state())
        return {
            "format_version": FORMAT_VERSION,
            "ganzoo_version": ganzoo.__version__,
            "config": self.config.to_dict(),
            "epoch": self.epoch,
            "step": self.step,
            "iteration_in_epoch": self.iteration_in_epoch,
            "epoch_rng_state": self.epoch_rng_state if self.iteration_in_epoch else None,
            "generator": self.generator.state_dict(),
            "discriminator": self.discriminator.state_dict(),
            "opt_g": self.opt_g.state_dict(),
            "opt_d": self.opt_d.state_dict(),
            "scaler": self.scaler.state_dict(),
            "rng": rng,
            "data": {
                "image_shape": list(self.image_shape),
                "num_classes": self.num_classes,
                "class_names": self.class_names,
                "conditional": self.conditional,
            },
        }

    def _restore(self, state: dict[str, Any]) -> None:
        try:
            self.generator.load_state_dict(state["generator"])
            self.discriminator.load_state_dict(state["discriminator"])
            self.opt_g.load_state_dict(state["opt_g"])
            self.opt_d.load_state_dict(state["opt_d"])
            if state.get("scaler"):
                self.scaler.load_state_dict(state["scaler"])
            _restore_rng_state(state["rng"], self.rng)
            self.data_rng.set_state(state["rng"]["data"])
            per_rank = state["rng"].get("torch_per_rank")
            if per_rank is not None and len(per_rank) == self.dist.world_size:
                torch.set_rng_state(per_rank[self.dist.rank])
        except (KeyError, RuntimeError, ValueError) as error:
            raise CheckpointError(
                f"checkpoint {state.get('path')} does not fit model {self.config.model!r}: {str(error).splitlines()[0]}"
            ) from error
        self.epoch = int(state["epoch"])
        self.step = int(state["step"])
        self.iteration_in_epoch = int(state.get("iteration_in_epoch") or 0)
        self.epoch_rng_state = state.get("epoch_rng_state")

    def save(self) -> Path:
        """Checkpoint now: at an epoch end, or in the middle of the epoch in progress (named
        after that epoch, so that names sort in training order)."""
        state = self.state_dict()
        if self.iteration_in_epoch:
            name = f"epoch-{self.epoch + 1:04d}-iter-{self.iteration_in_epoch:06d}.pt"
        else:
            name = f"epoch-{self.epoch:04d}.pt"
        if not self.dist.is_main:  # rank 0 writes
            self.checkpoint_path = self.run_dir / "checkpoints" / name
            return self.checkpoint_path
        self.hook.on_checkpoint(trainer=self, checkpoint=state)
        try:
            self.checkpoint_path = save_checkpoint(state, self.run_dir, name)
        except OSError as error:  # disk full, quota, permissions: the previous one is intact
            raise CheckpointError(
                f"could not write checkpoint {self.run_dir / 'checkpoints' / name}: {error.strerror or error}; "
                f"the previous checkpoint ({self.checkpoint_path or 'none'}) is intact; free space and --resume"
            ) from error
        return self.checkpoint_path

    # --- training -----------------------------------------------------------------

    def _autocast(self) -> contextlib.AbstractContextManager:
        if self.amp_dtype is None:
            return contextlib.nullcontext()
        return torch.autocast(self.device.type, dtype=self.amp_dtype)

    def _noise(self, n: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Noise (and fake labels) for ``n`` samples: this rank's slice of the global batch."""
        world, rank = self.dist.world_size, self.dist.rank
        z = torch.randn(n * world, self.config.z_dim, device=self.device, generator=self.rng)[rank * n : (rank + 1) * n]
        if not self.conditional:
            return z, None
        labels = torch.randint(0, self.num_classes, (n * world,), device=self.device, generator=self.rng)
        return z, labels[rank * n : (rank + 1) * n]

    def _update(self, loss: torch.Tensor, optimizer: torch.optim.Optimizer) -> None:
        optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(optimizer)
        self.scaler.update()

    def train_iteration(self, batches: Iterator[tuple[torch.Tensor, torch.Tensor]]) -> dict[str, torch.Tensor]:
        """One iteration of Algorithm 1. Returns 0-d tensors still on the device."""
        G, D = self.generator, self.discriminator
        for _ in range(self.config.d_steps):
            real, real_labels = next(batches)
            z, fake_labels = self._noise(real.shape[0])
            y_real = real_labels if self.conditional else None
            with self._autocast():
                with torch.no_grad():
                    fake = G(z, fake_labels)
                real_logits, fake_logits, real_classes, fake_classes = self._d_update(real, y_real, fake, fake_labels)
                loss_d = self.loss.discriminator_loss(real_logits.float(), fake_logits.float())
                if real_classes is not None:  # ACGAN: D also learns to classify, real and generated
                    loss_d = (loss_d + self.conditioning.auxiliary_loss(real_classes, real_labels)
                              + self.conditioning.auxiliary_loss(fake_classes, fake_labels))
            penalty = self.loss.penalty(D, real, fake, y_real, fake_labels)
            if penalty is not None:
                loss_d = loss_d + penalty
            self._update(loss_d, self.opt_d)

        D.requires_grad_(False)  # G's update needs gradients through D, not for D
        try:
            for _ in range(self.config.g_steps):
                z, fake_labels = self._noise(self.config.batch_size)
                with self._autocast():
                    logits, classes = D.forward_with_classes(self._g_update(z, fake_labels), fake_labels)
                    loss_g = self.loss.generator_loss(logits.float())
                    if classes is not None:  # ACGAN: G wants its samples classified as their labels
                        loss_g = loss_g + self.conditioning.auxiliary_loss(classes, fake_labels)
                self._update(loss_g, self.opt_g)
        finally:
            D.requires_grad_(True)
        metrics = {
            "loss_d": loss_d.detach(),
            "loss_g": loss_g.detach(),
            "d_real": torch.sigmoid(real_logits.detach().float()).mean(),
            "d_fake": torch.sigmoid(fake_logits.detach().float()).mean(),
        }
        if real_classes is not None:
            metrics["d_class_acc_real"] = (real_classes.detach().argmax(1) == real_labels).float().mean()
            metrics["d_class_acc_fake"] = (classes.detach().argmax(1) == fake_labels).float().mean()
        return metrics

    def iterations_per_epoch(self) -> int:
        batches = len(self.batches)
        if self.config.limit_batches is not None:
            batches = min(batches, self.config.limit_batches)
        return batches // self.config.d_steps

    def _flush(self, pending: list[tuple[int, int, dict[str, torch.Tensor]]], log_file: Any) -> None:
        if not pending:
            return
        stacked = torch.stack([torch.stack([m[k] for k in self.metric_names]) for _, _, m in pending]).float()
        stacked = self.dist.all_reduce_mean(stacked).cpu()  # the global batch's averages
        rows = stacked.tolist()
        records = [
            {"step": step, "epoch": epoch, **dict(zip(self.metric_names, values))}
            for (step, epoch, _), values in zip(pending, rows)
        ]
        if log_file is not None:  # rank 0
            log_file.write("".join(json.dumps(record) + "\n" for record in records))
            log_file.flush()
            self.hook.on_log(trainer=self, records=records)
        finite = torch.isfinite(stacked[:, :2]).all(dim=1)
        if not finite.all():
            first_bad = records[int((~finite).nonzero()[0])]
            raise NonFiniteLossError(
                f"training diverged: loss_d={first_bad['loss_d']}, loss_g={first_bad['loss_g']} at step {first_bad['step']}; "
                f"the last good checkpoint is {self.checkpoint_path or 'none (diverged in the first epoch)'}; "
                "try a lower --lr"
            )
        self.last_metrics = dict(zip(self.metric_names, rows[-1]))
        if self.on_progress and self.dist.is_main:
            self.on_progress({"epoch": self.epoch + 1, "step": records[-1]["step"], **self.last_metrics})
        pending.clear()

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

    @contextlib.contextmanager
    def _stop_on_signals(self) -> Iterator[None]:
        """SIGINT (Ctrl-C) and SIGTERM ask training to stop after the current iteration,
        with a checkpoint; a second Ctrl-C stops at once (the last checkpoint stays)."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def request_stop(signum: int, frame: Any) -> None:
            if self.stop_requested:
                raise KeyboardInterrupt
            self.stop_requested = signal.Signals(signum).name

        previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

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
        where = (
            f"in epoch {self.epoch + 1} (iteration {self.iteration_in_epoch} of {per_epoch})"
            if self.iteration_in_epoch
            else f"after epoch {self.epoch}"
        )
        raise TrainingInterrupted(
            f"stopped by {reason} {where}; checkpoint: {path}; continue with: ganzoo run {self.config.model} "
            f"--dataset {self.config.dataset} --out {self.run_dir} --resume",
            signal_name=reason,
        )

    def _how_to_go_on(self) -> str:
        """For an error that stops a run: where its last checkpoint is and the command that continues it."""
        if self.checkpoint_path is None:
            return f"no checkpoint yet: start again with --out {self.run_dir} --overwrite"
        return (
            f"the last checkpoint is {self.checkpoint_path}; continue with: ganzoo run {self.config.model} "
            f"--dataset {self.config.dataset} --out {self.run_dir} --resume"
        )

    def fit(self) -> TrainResult:
        """Train until ``config.epochs``; checkpoint and save a grid after every epoch."""
        config = self.config
        start = time.perf_counter()
        per_epoch = self.iterations_per_epoch()
        self.generator.train()
        self.discriminator.train()
        try:
            self.hook.on_train_start(trainer=self, checkpoint=self.resumed_from)
            self._train_epochs(per_epoch)
        finally:  # also on an interruption or a failure: plugins release what they hold
            self.hook.on_train_end(trainer=self)
        return TrainResult(
            run_dir=self.run_dir,
            config=config,
            epochs_done=self.epoch,
            steps=self.step,
            seconds=time.perf_counter() - start,
            last_metrics=dict(self.last_metrics),
            checkpoint=self.checkpoint_path,
        )

    def _train_epochs(self, per_epoch: int) -> None:
        """The loop of :meth:`fit`: epochs of iterations, a grid and a checkpoint after each."""
        config = self.config
        if self.on_progress and self.dist.is_main:
            self.on_progress({
                "total_epochs": config.epochs, "per_epoch": per_epoch, "epoch": self.epoch + 1,
                "run_dir": str(self.run_dir), "device": str(self.device), "world_size": self.dist.world_size,
                "examples": self.batches.num_examples(), "resumed_at_step": self.step if self.resumed_from else None,
            })
        log = open(self.run_dir / METRICS_FILE, "a") if self.dist.is_main else contextlib.nullcontext(None)
        with log as log_file, self._stop_on_signals():
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
                        raise UnreadableImageError(f"{error}; {self._how_to_go_on()}") from None
                    self.step += 1
                    self.iteration_in_epoch += 1
                    pending.append((self.step, self.epoch + 1, metrics))
                    self.hook.on_step_end(trainer=self, step=self.step, metrics=metrics)
                    if len(pending) >= config.log_every:
                        self._flush(pending, log_file)
                self._flush(pending, log_file)
                self.epoch += 1
                self.iteration_in_epoch = 0
                if self.dist.is_main:
                    self.sample_grid(self.run_dir / SAMPLES_DIR / f"epoch-{self.epoch:04d}.png")
                self.hook.on_epoch_end(trainer=self, epoch=self.epoch)
                self.save()
                if self.on_progress and self.dist.is_main:
                    self.on_progress({"epoch_done": self.epoch, "step": self.step, **self.last_metrics})
                if self.dist.any(bool(self.stop_requested), self.device) and self.epoch < config.epochs:
                    self._interrupt(per_epoch)


def _check_resume_overrides(saved: TrainConfig, overrides: dict[str, Any], preset: str | None) -> TrainConfig:
    """Apply what may change on resume; refuse anything that would change what is learned."""
    values = saved.to_dict()
    for name, value in overrides.items():
        if value is None:
            continue
        old = values.get(name)
        same = list(value) == list(old) if name == "betas" else value == old
        if not same and name not in RESUMABLE_CHANGES:
            raise ConfigError(
                f"--{name.replace('_', '-')} {value} differs from the run being resumed "
                f"({old}); drop it to resume, or start a new run"
            )
        values[name] = value
    if preset is not None and preset != saved.preset:
        raise ConfigError(f"--preset {preset} differs from the run being resumed ({saved.preset}); drop it to resume")
    return TrainConfig.from_dict(values)


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

    ``options`` are :class:`TrainConfig` fields (``epochs=5``, ``lr=1e-4``...); anything
    not given comes from the model's recipe (and ``preset``). With ``resume=True``, ``out``
    must be an existing run directory: training continues from its latest checkpoint, and
    options other than ``epochs``, ``device`` and ``data_root`` must match the saved run.
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
        config = _check_resume_overrides(saved, options, preset)
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
