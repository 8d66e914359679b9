"""Two ``ganzoo run`` processes at once against one alone, with default settings.

Run from the repository root (MNIST in torchvision's layout under --data-root), on an
otherwise idle machine:

    python benchmarks/bench_concurrent_runs.py --data-root ../shared/datasets

Each round runs, as separate processes with default settings (no ``--threads``, and
``OMP_NUM_THREADS``, ``MKL_NUM_THREADS`` and ``GANZOO_THREADS`` removed from their
environment), ``ganzoo run gan --epochs 1 --limit-batches 400 --data-root ROOT``:

1. one process alone;
2. two processes started together (the automatic thread count: each takes its share);
3. unless ``--skip-all-cores``, two processes together that each use every core
   (``--threads CORES``: what every run did before ganzoo shared the cores).

Prints each process's wall time (start to exit: imports, data, training, grid, checkpoint)
and training time (the ``done ... in Xs`` of its summary), the ratios to the single run
(median of the rounds), and whether both concurrent runs stayed within ``--target`` (1.5x)
of the single run. Also prints the load average and the other ganzoo runs registered at
the start, which would make the figures worse: measure on an idle machine.
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
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--target", type=float, default=1.5, help="largest allowed ratio of a concurrent run to the single one")
    parser.add_argument("--skip-all-cores", action="store_true", help="do not time two runs that each use every core")
    args = parser.parse_args()
    args.data_root = args.data_root.resolve()

    cores = available_cores()
    others = live_runs(live_runs_dir(), remove_stale=False)
    print(f"{cores} cores; load average {' / '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"other ganzoo runs registered now: {len(others)}")
    print(f"each process: {' '.join(command(args, Path('OUT'), [])[1:])}")

    results: dict[str, list[Timing]] = {"alone": [], "two at once": [], "two at once, every core each": []}
    with tempfile.TemporaryDirectory(prefix="ganzoo-concurrent-") as tmp:
        folder = Path(tmp)
        for round_index in range(args.rounds):
            alone = run_together(args, folder, f"alone-{round_index}", 1, [])
            pair = run_together(args, folder, f"pair-{round_index}", 2, [])
            results["alone"] += alone
            results["two at once"] += pair
            line = (f"round {round_index + 1}: alone {alone[0].wall:.1f}s wall ({alone[0].train:.1f}s training); "
                    f"two at once {pair[0].wall:.1f}s and {pair[1].wall:.1f}s wall "
                    f"({pair[0].train:.1f}s and {pair[1].train:.1f}s training)")
            if not args.skip_all_cores:
                crowded = run_together(args, folder, f"crowded-{round_index}", 2, ["--threads", str(cores)])
                results["two at once, every core each"] += crowded
                line += (f"; every core each {crowded[0].wall:.1f}s and {crowded[1].wall:.1f}s wall "
                         f"({crowded[0].train:.1f}s and {crowded[1].train:.1f}s training)")
            print(line, flush=True)

    alone_wall = statistics.median(t.wall for t in results["alone"])
    alone_train = statistics.median(t.train for t in results["alone"])
    print()
    print("| what | wall time per process (median) | training time per process (median) | wall / alone | training / alone |")
    print("| --- | ---: | ---: | ---: | ---: |")
    for name, timings in results.items():
        if not timings:
            continue
        wall = statistics.median(t.wall for t in timings)
        train = statistics.median(t.train for t in timings)
        print(f"| {name} | {wall:.1f} s | {train:.1f} s | {wall / alone_wall:.2f}x | {train / alone_train:.2f}x |")
    worst = max(t.wall for t in results["two at once"]) / alone_wall
    verdict = "within" if worst <= args.target else "NOT within"
    print(f"\nslowest concurrent default run: {worst:.2f}x the single run's wall time: {verdict} {args.target}x")


if __name__ == "__main__":
    main()
