"""ganzoo's training speed against the reference loops, and against the machine's limit.

Run from the repository root (MNIST in torchvision's layout under --data-root):

    python benchmarks/bench_speed.py --data-root ../shared/datasets
    python benchmarks/bench_speed.py --data-root ../shared/datasets --models dcgan

Everything is measured in this one process, on this machine, one after the other:

1. images/s of ``ganzoo run gan`` (batch 96) and ``ganzoo run cgan`` (batch 64) over full
   epochs after a warm-up epoch, grids and checkpoints included, against the faithful
   reference loops of ``reference_loops.py`` at the same batch sizes, in alternating
   epochs (reference, ganzoo, reference, ...): the median of the per-round ratios
   (``--models`` picks the rows; ``dcgan``, batch 64, is not in the default set: its
   reference runs another architecture at 32x32, so only its time per iteration at the
   same batch size compares, see ``reference_loops.py``; its rows are ganzoo's
   ``--preset reference``, Radford et al.'s networks, and the recipe's larger ones);
2. at batch 512, the FLOP rate of ganzoo's GAN training iteration (FLOPs counted by
   ``torch.utils.flop_counter``, divided by the measured time) as a fraction of the FLOP
   rate of a large fp32 ``torch.matmul`` on the same device, in alternating rounds (and
   with ``--compile MODE``, the same for ``ganzoo run --compile MODE``).

Prints a table with the ratios. Targets (issue #5): >= 2x the reference loops, >= 75% of
the matmul rate.
"""

from __future__ import annotations

import argparse
import os
import statistics
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
from ganzoo.training import Trainer  # noqa: E402

# The rows each --models name adds: (model, batch size, ganzoo preset), the batch size
# being the reference script's default.
LOOPS: dict[str, list[tuple[str, int, str | None]]] = {
    "gan": [("gan", 96, "reference"), ("gan", 96, None)],
    "cgan": [("cgan", 64, None)],
    "dcgan": [("dcgan", 64, "reference"), ("dcgan", 64, None)],
}


class GanzooRun:
    """``ganzoo.train`` one epoch at a time (a new run, then ``--resume`` for each next
    epoch), so its epochs can alternate with the reference loop's. An epoch is timed from
    the start of its first iteration to the end of its checkpoint (the grid included);
    opening the run (data, models, checkpoint) is not in it."""

    def __init__(self, model: str, root: str, batch_size: int, preset: str | None, limit: int | None, folder: Path) -> None:
        self.model, self.root, self.batch_size, self.preset, self.limit = model, root, batch_size, preset, limit
        self.out = folder / f"{model}-{preset or 'default'}-{batch_size}"
        self.epochs = 0

    def timed_epoch(self) -> tuple[int, float]:
        marks: dict[str, float] = {}

        def on_progress(event: dict) -> None:
            if "total_epochs" in event:
                marks["start"] = time.perf_counter()
            elif "epoch_done" in event:
                marks["end"] = time.perf_counter()

        self.epochs += 1
        device = "cpu" if not torch.cuda.is_available() else "auto"
        if self.epochs == 1:
            options = dict(batch_size=self.batch_size, preset=self.preset, limit_batches=self.limit)
        else:
            options = dict(resume=True)
        result = ganzoo.train(self.model, "mnist", out=self.out, data_root=self.root, epochs=self.epochs, device=device,
                              on_progress=on_progress, **options)
        images = result.steps // result.epochs_done * result.config.d_steps * self.batch_size
        return images, marks["end"] - marks["start"]


def side_by_side(model: str, root: str, batch_size: int, rounds: int, preset: str | None, limit: int | None) -> dict[str, float]:
    """Images/s of ganzoo and of the reference loop, in alternating epochs.

    One warm-up epoch each, then ``rounds`` rounds of one reference epoch and one ganzoo
    epoch; each round also times the reference loop with its batches prepared up front
    (its computation alone, the ceiling of a speed-up that only removes data cost). This
    host's speed drifts by tens of percent over minutes, so the ratio is taken per round
    (neighbouring epochs) and the median round is reported."""
    reference = reference_loops.ReferenceLoop(model, root, batch_size)
    compute_only = reference_loops.ReferenceLoop(model, root, batch_size, in_memory=True)
    with tempfile.TemporaryDirectory() as tmp:
        ours = GanzooRun(model, root, batch_size, preset, limit, Path(tmp))
        reference.timed_epoch(limit)
        compute_only.timed_epoch(limit)
        ours.timed_epoch()
        rounds_seen = []
        for _ in range(rounds):
            ref_images, ref_seconds = reference.timed_epoch(limit)
            bare_images, bare_seconds = compute_only.timed_epoch(limit)
            our_images, our_seconds = ours.timed_epoch()
            rounds_seen.append((ref_images / ref_seconds, bare_images / bare_seconds, our_images / our_seconds))
    ratios = sorted(o / r for r, _, o in rounds_seen)
    return {
        "reference": statistics.median(r for r, _, _ in rounds_seen),
        "reference_compute_only": statistics.median(b for _, b, _ in rounds_seen),
        "ganzoo": statistics.median(o for _, _, o in rounds_seen),
        "ratio": statistics.median(ratios), "ratio_min": ratios[0], "ratio_max": ratios[-1],
        "compute_only_ratio": statistics.median(b / r for r, b, _ in rounds_seen),
    }


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


def roofline_fraction(root: str, batch_size: int, iterations: int, preset: str | None, rounds: int = 5,
                      compile_mode: str = "none") -> dict[str, float]:
    """The FLOP rate of ganzoo's GAN iteration as a fraction of a 2048^3 fp32 matmul's.

    The two are measured in alternating rounds (matmul, then ``iterations // rounds``
    training iterations, ``rounds`` times), and the fraction is the median of the
    per-round fractions: this machine's speed drifts by tens of percent over minutes
    (shared host), and a peak measured once, minutes away from the step, moves the
    fraction by as much. FLOPs are counted once by ``torch.utils.flop_counter`` on the
    eager model (the counter does not see inside ``--compile``'s generated code)."""
    zoo = ganzoo.get_zoo()
    device = "cpu" if not torch.cuda.is_available() else "auto"
    common = dict(preset=preset, batch_size=batch_size, data_root=root, device=device, log_every=10**9)
    with tempfile.TemporaryDirectory() as tmp:
        eager = Trainer(resolve_config(zoo, "gan", "mnist", **common), Path(tmp) / "eager")
        batches = eager.batches.iterate(eager.batches.permutation(eager.rng))
        with FlopCounterMode(display=False) as counter:
            eager.train_iteration(batches)
        flops = counter.get_total_flops()
        trainer = eager
        if compile_mode != "none":
            trainer = Trainer(resolve_config(zoo, "gan", "mnist", compile=compile_mode, **common), Path(tmp) / "compiled")

        def batch_stream():
            while True:
                yield from trainer.batches.iterate(trainer.batches.permutation(trainer.rng))

        stream = batch_stream()
        for _ in range(10):  # warm-up (and compilation)
            trainer.train_iteration(stream)
        peaks, rates = [], []
        per_round = max(1, iterations // rounds)
        for _ in range(rounds):
            peaks.append(matmul_flops_per_second(trainer.device, repeats=10))
            sync(trainer.device)
            start = time.perf_counter()
            for _ in range(per_round):
                trainer.train_iteration(stream)
            sync(trainer.device)
            rates.append(flops * per_round / (time.perf_counter() - start))
        eager.close()
        trainer.close()
    fractions = sorted(rate / peak for rate, peak in zip(rates, peaks))
    return {
        "flops": flops, "step_seconds": flops / statistics.median(rates), "rate": statistics.median(rates),
        "peak": statistics.median(peaks), "fraction": statistics.median(fractions),
        "fraction_min": fractions[0], "fraction_max": fractions[-1],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=os.environ.get("GANZOO_DATA_ROOT", "../shared/datasets"))
    parser.add_argument("--rounds", type=int, default=3,
                        help="alternating rounds (a reference epoch, then a ganzoo epoch) after one warm-up epoch each")
    parser.add_argument("--limit-batches", type=int, default=None, help="shorter epochs, for a quick look")
    parser.add_argument("--iterations", type=int, default=200, help="timed iterations at batch 512")
    parser.add_argument("--compile", default="none", choices=["none", "default", "reduce-overhead", "max-autotune"],
                        help="also time the batch-512 GAN iteration with ganzoo run --compile MODE")
    parser.add_argument("--skip-loops", action="store_true", help="only the batch-512 measurements")
    parser.add_argument("--models", nargs="+", choices=sorted(LOOPS), default=["gan", "cgan"],
                        help="which models' rows to time against their reference loop (default: gan cgan)")
    args = parser.parse_args()
    if args.rounds < 1 or args.iterations < 5:
        parser.error(f"--rounds must be at least 1 and --iterations at least 5, got {args.rounds} and {args.iterations}")

    device = "cuda" if torch.cuda.is_available() else "cpu"
    print(f"torch {torch.__version__}, device {device}, threads {torch.get_num_threads()}, cpus {os.cpu_count()}")
    rows = [] if args.skip_loops else [row for model in args.models for row in LOOPS[model]]
    for model, batch, preset in rows:
        r = side_by_side(model, args.data_root, batch, args.rounds, preset, args.limit_batches)
        name = f"{model}" + (f" --preset {preset}" if preset else " (default recipe)")
        print(f"{name:28s} batch {batch:4d}: reference {r['reference']:6.0f} img/s   ganzoo {r['ganzoo']:6.0f} img/s   "
              f"ratio {r['ratio']:4.2f}x (median of {args.rounds} alternating rounds, range "
              f"{r['ratio_min']:.2f}-{r['ratio_max']:.2f})", flush=True)
        print(f"{'':28s}   time per iteration (a batch of {batch} real images): "
              f"reference {1e3 * batch / r['reference']:.1f} ms, ganzoo {1e3 * batch / r['ganzoo']:.1f} ms", flush=True)
        print(f"{'':28s}   the reference loop with its data already tensors: {r['reference_compute_only']:6.0f} img/s "
              f"({r['compute_only_ratio']:.2f}x: what removing the data cost alone gives)", flush=True)

    modes = ["none"] + ([args.compile] if args.compile != "none" else [])
    for mode in modes:
        r = roofline_fraction(args.data_root, 512, args.iterations, "reference", compile_mode=mode)
        label = "GAN iteration at batch 512" + (f", --compile {mode}" if mode != "none" else "")
        print(f"{label}: {r['flops'] / 1e9:.3f} GFLOP in {r['step_seconds'] * 1e3:.2f} ms = {r['rate'] / 1e9:.1f} GFLOP/s; "
              f"2048^3 fp32 matmul {r['peak'] / 1e9:.1f} GFLOP/s; fraction {100 * r['fraction']:.0f}% "
              f"(median of 5 alternating rounds, range {100 * r['fraction_min']:.0f}-{100 * r['fraction_max']:.0f}%)",
              flush=True)


if __name__ == "__main__":
    main()
