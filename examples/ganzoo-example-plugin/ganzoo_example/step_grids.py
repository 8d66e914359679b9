"""``--grid-every N``: a sample grid every N iterations, beside the per-epoch ones.

A run option declared by a plugin (``register_options``), and the per-run state it needs
(the fixed noise) kept on a class-instance plugin (``make_run_plugins``).
"""

from __future__ import annotations

from typing import Any

import ganzoo


@ganzoo.hookimpl
def register_options(register):
    register("grid_every", ganzoo.Option(
        int, 0, "Also save samples/step-NNNNNN.png every N iterations (0: only the per-epoch grids).",
        check=lambda n: n >= 0, allowed=">= 0", resumable=True,
    ))


@ganzoo.hookimpl
def make_run_plugins(run):
    every = run.options["grid_every"]
    return StepGrids(every) if every else None


class StepGrids:
    """One run's extra grids, from fixed noise so that they can be compared."""

    def __init__(self, every: int) -> None:
        self.every = every
        self.noise: Any = None

    @ganzoo.hookimpl
    def on_train_start(self, run):
        import torch

        self.noise = torch.randn(64, run.config.z_dim, generator=torch.Generator().manual_seed(0)).to(run.device)
        self.labels = torch.arange(64, device=run.device) % run.num_classes if run.conditional else None
        (run.run_dir / "samples").mkdir(parents=True, exist_ok=True)

    @ganzoo.hookimpl
    def on_step_end(self, run, step):
        if step % self.every:
            return
        import torch
        from torchvision.utils import save_image

        generator = run.sampling_generator or run.generator
        was_training = generator.training
        generator.eval()
        with torch.no_grad():
            images = generator(self.noise, self.labels).float()
        generator.train(was_training)
        save_image(images, run.run_dir / "samples" / f"step-{step:06d}.png", nrow=8, normalize=True, value_range=(-1, 1))
