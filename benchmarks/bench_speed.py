"""ganzoo's training speed against the reference loops, and against the machine's limit.

Run from the repository root (MNIST in torchvision's layout under --data-root):

    python benchmarks/bench_speed.py --data-root ../shared/datasets

Everything is measured in this one process, on this machine, one after the other:

1. images/s of ``ganzoo run gan`` (batch 96) and ``ganzoo run cgan`` (batch 64) over full
   epochs after a warm-up epoch, grids and checkpoints included, against the faithful
   reference loops of ``reference_loops.py`` at the same batch sizes;
2. at batch 512, the FLOP rate of ganzoo's GAN training iteration (FLOPs counted by
   ``torch.utils.flop_counter``, divided by the measured time) as a fraction of the FLOP
   rate of a large fp32 ``torch.matmul`` on the same device.

Prints a table with the ratios. Targets (issue #5): >= 2x the reference loops, >= 75% of
the matmul rate.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import torch
from torch.utils.flop_counter import FlopCounterMode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import reference_loops  # noqa: E402

import ganzoo  # noqa: E402
from ganzoo.config import resolve_config  # noqa: E402
from ganzoo.engine import Trainer  # noqa: E402


def ganzoo_images_per_second(model: str, root: str, batch_size: int, epochs: int, preset: str | None, limit: int | None) -> float:
    """Throughput of ``ganzoo.train`` over ``epochs`` epochs after a warm-up epoch."""
    ends: list[float] = []

    def on_progress(event: dict) -> None:
        if "epoch_done" in event:
            ends.append(time.perf_counter())

    with tempfile.TemporaryDirectory() as tmp:
        result = ganzoo.train(
            model, "mnist", out=Path(tmp) / "run", data_root=root, epochs=epochs + 1, batch_size=batch_size,
            preset=preset, limit_batches=limit, device="cpu" if not torch.cuda.is_available() else "auto",
            on_progress=on_progress,
        )
    images_per_epoch = result.steps // result.epochs_done * result.config.d_steps * batch_size
    return images_per_epoch * epochs / (ends[-1] - ends[0])


def matmul_flops_per_second(device: torch.device, size: int = 2048, repeats: int = 20) -> float:
    a = torch.randn(size, size, device=device)
    b = torch.randn(size, size, device=device)
    out = torch.empty(size, size, device=device)
    for _ in range(3):
        torch.matmul(a, b, out=out)
    sync(device)
    start = time.perf_counter()
    for _ in range(repeats):
        torch.matmul(a, b, out=out)
    sync(device)
    return 2 * size**3 * repeats / (time.perf_counter() - start)


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def training_flops_per_second(root: str, batch_size: int, iterations: int, preset: str | None,
                              compile_mode: str = "none", flops: float | None = None) -> tuple[float, float, float]:
    """(FLOPs of one iteration, seconds per iteration, FLOP/s) of ganzoo's GAN step. With
    ``compile_mode``, pass the FLOPs counted without it (the counter does not see inside
    generated code)."""
    zoo = ganzoo.get_zoo()
    config = resolve_config(zoo, "gan", "mnist", preset=preset, batch_size=batch_size, data_root=root,
                            device="cpu" if not torch.cuda.is_available() else "auto", log_every=10**9,
                            compile=compile_mode)
    with tempfile.TemporaryDirectory() as tmp:
        trainer = Trainer(config, Path(tmp))
        batches = trainer.batches.iterate(trainer.batches.permutation(trainer.rng))
        if flops is None:
            with FlopCounterMode(display=False) as counter:
                trainer.train_iteration(batches)
            flops = counter.get_total_flops()
        for _ in range(10):  # warm-up
            trainer.train_iteration(batches)
        batches = trainer.batches.iterate(trainer.batches.permutation(trainer.rng))
        sync(trainer.device)
        start = time.perf_counter()
        done = 0
        while done < iterations:
            try:
                trainer.train_iteration(batches)
            except StopIteration:
                batches = trainer.batches.iterate(trainer.batches.permutation(trainer.rng))
                continue
            done += 1
        sync(trainer.device)
        seconds = (time.perf_counter() - start) / iterations
    return flops, seconds, flops / seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=os.environ.get("GANZOO_DATA_ROOT", "../shared/datasets"))
    parser.add_argument("--epochs", type=int, default=1, help="timed epochs after the warm-up epoch")
    parser.add_argument("--limit-batches", type=int, default=None, help="shorter epochs, for a quick look")
    parser.add_argument("--iterations", type=int, default=200, help="timed iterations at batch 512")
    parser.add_argument("--compile", default="none", choices=["none", "default", "reduce-overhead", "max-autotune"],
                        help="also time the batch-512 GAN iteration with ganzoo run --compile MODE")
    parser.add_argument("--skip-loops", action="store_true", help="only the batch-512 measurements")
    args = parser.parse_args()

    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, cpus {os.cpu_count()}")
    rows = []
    for model, batch, preset in () if args.skip_loops else (("gan", 96, "reference"), ("gan", 96, None), ("cgan", 64, None)):
        ours = ganzoo_images_per_second(model, args.data_root, batch, args.epochs, preset, args.limit_batches)
        reference = reference_loops.images_per_second(model, args.data_root, batch, args.epochs, args.limit_batches)
        name = f"{model}" + (f" --preset {preset}" if preset else " (default recipe)")
        rows.append((name, batch, reference, ours))
        print(f"{name:28s} batch {batch:4d}: reference {reference:9.0f} img/s   ganzoo {ours:9.0f} img/s   ratio {ours / reference:5.2f}x", flush=True)

    peak = matmul_flops_per_second(torch.device(device))
    flops, seconds, rate = training_flops_per_second(args.data_root, 512, args.iterations, "reference")
    print(f"matmul fp32 2048^3: {peak / 1e9:8.1f} GFLOP/s")
    print(f"GAN iteration at batch 512: {flops / 1e9:.3f} GFLOP in {seconds * 1e3:.2f} ms = {rate / 1e9:.1f} GFLOP/s "
          f"= {100 * rate / peak:.0f}% of matmul")
    if args.compile != "none":
        _, seconds, rate = training_flops_per_second(args.data_root, 512, args.iterations, "reference", args.compile, flops)
        print(f"same, --compile {args.compile} (after compiling): {seconds * 1e3:.2f} ms = {rate / 1e9:.1f} GFLOP/s "
              f"= {100 * rate / peak:.0f}% of matmul")


if __name__ == "__main__":
    main()
