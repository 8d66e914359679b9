"""``ganzoo.layers`` against the ``torch.nn`` layers they replace, on this machine.

Run from the repository root (MNIST in torchvision's layout under --data-root):

    python benchmarks/bench_layers.py --data-root ../shared/datasets

Prints, measured in this one process:

1. the kernels alone: ``torch.tanh`` against ``ganzoo.layers.tanh`` on a 512 x 784 and a
   64 x 784 float32 tensor (a generator's output at batch 512 and 64), and
   ``nn.Dropout(0.4)`` against ``ganzoo.layers.Dropout(0.4)`` on 128 x 512 (CGAN's D
   on a real and a fake batch of 64), in training mode;
2. whole training iterations: two trainers of the same recipe, one with ``torch.nn``'s
   layers swapped back in (as the straightforward path of ``quality_paths.py`` does),
   timed in alternating rounds of 10 iterations; the median per-iteration time of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Callable

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))

import quality_paths  # noqa: E402

import ganzoo  # noqa: E402
from ganzoo import layers  # noqa: E402
from ganzoo.config import resolve_config  # noqa: E402
from ganzoo.training import Trainer  # noqa: E402


def microseconds(function: Callable[[], object], repeats: int = 300) -> float:
    for _ in range(10):
        function()
    start = time.perf_counter()
    for _ in range(repeats):
        function()
    return (time.perf_counter() - start) / repeats * 1e6


def kernels() -> list[tuple[str, float, float]]:
    """(what, torch.nn's microseconds, ganzoo.layers' microseconds)."""
    rows = []
    for shape in ((512, 784), (64, 784)):
        x = torch.randn(*shape) * 2
        rows.append((f"tanh {shape[0]}x{shape[1]}", microseconds(lambda: torch.tanh(x)),
                     microseconds(lambda: layers.tanh(x))))
    x = torch.randn(128, 512)
    theirs, ours = torch.nn.Dropout(0.4).train(), layers.Dropout(0.4).train()
    rows.append(("dropout 0.4, 128x512", microseconds(lambda: theirs(x)), microseconds(lambda: ours(x))))
    return rows


def iteration_times(model: str, batch_size: int, preset: str | None, root: str, rounds: int) -> tuple[float, float]:
    """Median milliseconds per training iteration with torch.nn's layers and with ganzoo's."""
    config = resolve_config(ganzoo.get_zoo(), model, "mnist", preset=preset, batch_size=batch_size, data_root=root,
                            device="cpu", log_every=10**9)
    streams = []
    with tempfile.TemporaryDirectory() as tmp:
        for swap in (True, False):
            trainer = Trainer(config, Path(tmp) / f"swap-{swap}")
            if swap:
                quality_paths.use_torch_layers(trainer.generator)
                quality_paths.use_torch_layers(trainer.discriminator)

            def stream(trainer=trainer):
                while True:
                    yield from trainer.batches.iterate(trainer.batches.permutation(trainer.rng))

            batches = stream()
            for _ in range(20):  # warm-up
                trainer.train_iteration(batches)
            streams.append((trainer, batches, []))
        for _ in range(rounds):
            for trainer, batches, times in streams:
                start = time.perf_counter()
                for _ in range(10):
                    trainer.train_iteration(batches)
                times.append((time.perf_counter() - start) / 10 * 1e3)
        for trainer, _, _ in streams:
            trainer.close()
    return statistics.median(streams[0][2]), statistics.median(streams[1][2])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=os.environ.get("GANZOO_DATA_ROOT", "../shared/datasets"))
    parser.add_argument("--rounds", type=int, default=21, help="alternating rounds of 10 iterations per trainer")
    args = parser.parse_args()
    if args.rounds < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    root = str(Path(args.data_root).resolve())
    print(f"torch {torch.__version__}, threads {torch.get_num_threads()}, cpus {os.cpu_count()}")
    for what, theirs, ours in kernels():
        print(f"{what:24s} torch.nn {theirs:7.0f} us   ganzoo.layers {ours:7.0f} us   {theirs / ours:4.2f}x", flush=True)
    for model, batch, preset in (("cgan", 64, None), ("gan", 512, "reference"), ("gan", 96, None)):
        theirs, ours = iteration_times(model, batch, preset, root, args.rounds)
        name = f"{model}{' --preset ' + preset if preset else ''} batch {batch}"
        print(f"{name:32s} iteration: torch.nn {theirs:6.2f} ms   ganzoo.layers {ours:6.2f} ms   "
              f"({100 * (ours / theirs - 1):+.0f}%, medians of {args.rounds} alternating rounds)", flush=True)


if __name__ == "__main__":
    main()
