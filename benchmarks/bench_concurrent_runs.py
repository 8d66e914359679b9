"""Two ``ganzoo run`` processes at once against one alone, with default settings.

Run from the repository root (MNIST in torchvision's layout under --data-root), on an
otherwise idle machine:

    python benchmarks/bench_concurrent_runs.py --data-root ../shared/datasets

Each round runs, as separate processes with default settings (no ``--threads``, and
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``GANZOO_THREADS`` removed from their
environment), ``ganzoo run gan --epochs 1 --limit-batches 400 --data-root ROOT``:
one process alone, then two processes started together (the automatic thread count:
each takes its share of the cores). With ``--every-core``, one more pair at the end
runs with ``--threads CORES`` each: every process using every core, as all runs did before
ganzoo shared the cores (slow: minutes on 2 cores).

Prints, per round, the load average before it and each process's wall time (start to
exit: imports, data, training, grid, checkpoint) and training time (the ``done ... in Xs``
of its summary); then the median over the rounds of the slower concurrent run's time
divided by the same round's single run (rounds are compared within themselves because a
shared host drifts), and whether that stays within ``--target`` (1.5x). Other ganzoo runs
registered at the start, or a load average above zero before a round, make the figures
worse: measure on an idle machine.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from ganzoo.threads import available_cores, live_runs, live_runs_dir  # noqa: E402

DONE = re.compile(r"^done .*? in (?P<seconds>[0-9.]+)s", re.M)
FIXING_ENV = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "GANZOO_THREADS")


@dataclass
class Timing:
    wall: float
    train: float


def command(args: argparse.Namespace, out: Path, extra: list[str]) -> list[str]:
    return [sys.executable, "-m", "ganzoo", "run", args.model, "--epochs", str(args.epochs), "--limit-batches",
            str(args.limit_batches), "--data-root", str(args.data_root), "--out", str(out), "-q", *extra]


def run_together(args: argparse.Namespace, folder: Path, name: str, count: int, extra: list[str]) -> list[Timing]:
    """Start ``count`` processes at once; their wall and training times."""
    env = {k: v for k, v in os.environ.items() if k not in FIXING_ENV}
    processes = []
    for index in range(count):
        out = folder / f"{name}-{index}"
        started = time.perf_counter()
        process = subprocess.Popen(command(args, out, extra), env=env, cwd=REPO, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, text=True)
        processes.append((process, started))
    timings = []
    for process, started in processes:
        out, err = process.communicate()
        wall = time.perf_counter() - started
        if process.returncode != 0:
            raise SystemExit(f"{name}: ganzoo run failed ({process.returncode}): {err.strip()}")
        match = DONE.search(out)
        if match is None:
            raise SystemExit(f"{name}: no summary line in {out!r}")
        timings.append(Timing(wall, float(match["seconds"])))
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data-root", type=Path, default=REPO.parent / "shared" / "datasets")
    parser.add_argument("--model", default="gan")
    parser.add_argument("--epochs", type=int, default=1)
    parser.add_argument("--limit-batches", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--target", type=float, default=1.5, help="largest allowed ratio of a concurrent run to the single one")
    parser.add_argument("--every-core", action="store_true",
                        help="also time two runs at once that each use every core (--threads CORES)")
    args = parser.parse_args()
    args.data_root = args.data_root.resolve()

    cores = available_cores()
    others = live_runs(live_runs_dir(), remove_stale=False)
    print(f"{cores} cores; other ganzoo runs registered now: {len(others)}")
    print(f"each process: {' '.join(command(args, Path('OUT'), [])[1:])}")

    ratios = {"wall": [], "training": []}
    with tempfile.TemporaryDirectory(prefix="ganzoo-concurrent-") as tmp:
        folder = Path(tmp)
        for round_index in range(args.rounds):
            load = os.getloadavg()[0]
            alone = run_together(args, folder, f"alone-{round_index}", 1, [])[0]
            pair = run_together(args, folder, f"pair-{round_index}", 2, [])
            wall = max(t.wall for t in pair) / alone.wall
            train = max(t.train for t in pair) / alone.train
            ratios["wall"].append(wall)
            ratios["training"].append(train)
            print(f"round {round_index + 1} (load {load:.2f} before): alone {alone.wall:.1f} s wall, {alone.train:.1f} s "
                  f"training; two at once {pair[0].wall:.1f} and {pair[1].wall:.1f} s wall, {pair[0].train:.1f} and "
                  f"{pair[1].train:.1f} s training; slower / alone: {wall:.2f}x wall, {train:.2f}x training", flush=True)
        if args.every_core:
            load = os.getloadavg()[0]
            crowded = run_together(args, folder, "every-core", 2, ["--threads", str(cores)])
            print(f"two at once with --threads {cores} each (load {load:.2f} before): {crowded[0].wall:.1f} and "
                  f"{crowded[1].wall:.1f} s wall, {crowded[0].train:.1f} and {crowded[1].train:.1f} s training", flush=True)

    wall = statistics.median(ratios["wall"])
    train = statistics.median(ratios["training"])
    verdict = "within" if wall <= args.target else "NOT within"
    print(f"\nslower of two concurrent default runs / the single run, median of {args.rounds} rounds: "
          f"{wall:.2f}x wall time ({verdict} {args.target}x), {train:.2f}x training time")


if __name__ == "__main__":
    main()
