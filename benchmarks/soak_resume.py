"""Soak test: kill a training run with SIGKILL at random moments, resume it, repeat.

    python benchmarks/soak_resume.py --data-root ../shared/datasets --cycles 50

1. trains a short run without interruption (the reference);
2. trains the same run again, killing the process with SIGKILL after a random delay
   (during start-up, training, grid or checkpoint writing, whatever it is doing), then
   resuming it with ``--resume`` (or starting it over with ``--overwrite`` if it died
   before its first checkpoint), ``--cycles`` times, then lets it finish;
3. checks that every checkpoint left on disk loads with ``weights_only=True``, that the
   ``latest`` pointer names a complete checkpoint after every kill, that the metrics log
   holds each iteration exactly once, and that the final weights and log are bitwise
   those of the uninterrupted run.

Prints one line per cycle and a summary; exits non-zero if anything was lost or differs.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch


def ganzoo_run(out: Path, args: argparse.Namespace, *extra: str) -> list[str]:
    return [
        sys.executable, "-m", "ganzoo", "run", args.model, "--dataset", "mnist", "--data-root", args.data_root,
        "--out", str(out), "--epochs", str(args.epochs), "--batch-size", "64", "--limit-batches", str(args.limit_batches),
        "--device", "cpu", "--seed", "7", "-q", *extra,
    ]


def latest(run: Path) -> Path | None:
    pointer = run / "checkpoints" / "latest"
    if not pointer.exists():
        return None
    return run / "checkpoints" / pointer.read_text().strip()


def check_checkpoints(run: Path) -> list[str]:
    problems = []
    newest = latest(run)
    if (run / "checkpoints" / "latest").exists() and (newest is None or not newest.exists()):
        problems.append("latest names a missing checkpoint")
    for path in sorted((run / "checkpoints").glob("*.pt")) if (run / "checkpoints").exists() else []:
        try:
            torch.load(path, weights_only=True)
        except Exception as error:  # noqa: BLE001 - any failure is a finding
            problems.append(f"{path.name} does not load: {error}")
    return problems


def compare(straight: Path, soaked: Path, when: str) -> list[str]:
    """Differences between a completed interrupted run and the uninterrupted one."""
    failures = []
    a = torch.load(latest(straight), weights_only=True)
    b = torch.load(latest(soaked), weights_only=True)
    for part in ("generator", "discriminator"):
        if any(not torch.equal(a[part][key], b[part][key]) for key in a[part]):
            failures.append(f"{when}: final {part} weights differ")
    log_a = [json.loads(line) for line in (straight / "metrics.jsonl").read_text().splitlines()]
    log_b = [json.loads(line) for line in (soaked / "metrics.jsonl").read_text().splitlines()]
    if [r["step"] for r in log_b] != list(range(1, len(log_a) + 1)):
        failures.append(f"{when}: the log lost or repeated iterations")
    elif log_a != log_b:
        failures.append(f"{when}: the log differs from the uninterrupted run's")
    stray = [p.name for p in (soaked / "checkpoints").iterdir() if p.name.endswith(".tmp")]
    if stray:
        failures.append(f"{when}: temporary files left behind: {stray}")
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-root", default=os.environ.get("GANZOO_DATA_ROOT", "../shared/datasets"))
    parser.add_argument("--cycles", type=int, default=50)
    parser.add_argument("--model", default="gan")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--limit-batches", type=int, default=60)
    parser.add_argument("--seed", type=int, default=0, help="seed of the kill times")
    args = parser.parse_args()
    args.data_root = str(Path(args.data_root).resolve())
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        straight, soaked = Path(tmp) / "straight", Path(tmp) / "soaked"
        start = time.perf_counter()
        subprocess.run(ganzoo_run(straight, args), check=True, capture_output=True)
        full_time = time.perf_counter() - start
        print(f"uninterrupted run: {full_time:.1f}s")

        failures: list[str] = []
        cycles = completed_chains = 0
        while cycles < args.cycles:
            extra = ("--resume",) if latest(soaked) else ("--overwrite",)
            process = subprocess.Popen(ganzoo_run(soaked, args, *extra), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            delay = rng.uniform(0.2, full_time)
            try:
                process.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                process.send_signal(signal.SIGKILL)
                process.wait()
            cycles += 1
            finished = process.returncode == 0
            if process.returncode not in (0, -signal.SIGKILL):
                failures.append(f"cycle {cycles}: exit {process.returncode}: {process.stderr.read().decode()[-300:]}")
            problems = check_checkpoints(soaked)
            failures += [f"cycle {cycles}: {p}" for p in problems]
            state = latest(soaked)
            print(f"cycle {cycles:3d}: killed after {delay:5.2f}s" if not finished else f"cycle {cycles:3d}: finished before the kill",
                  f"-> latest {state.name if state else 'none'}", "OK" if not problems else problems, flush=True)
            if finished or (state is not None and torch.load(state, weights_only=True)["epoch"] == args.epochs):
                # The run completed: compare it, then start over so every cycle interrupts something.
                failures += compare(straight, soaked, f"cycle {cycles}")
                completed_chains += 1
                subprocess.run(["rm", "-rf", str(soaked)], check=True)

        final = subprocess.run(ganzoo_run(soaked, args, *(("--resume",) if latest(soaked) else ("--overwrite",))),
                               capture_output=True, text=True)
        if final.returncode != 0 and "already" not in final.stderr:
            failures.append(f"final resume failed: {final.stderr.strip()}")

        failures += compare(straight, soaked, "final")
        completed_chains += 1

    print(f"\n{cycles} SIGKILL cycles, {completed_chains} interrupted runs completed and compared, "
          f"{len(failures)} failures; final weights "
          f"{'bitwise equal to' if not any('weights' in f for f in failures) else 'DIFFERENT from'} the uninterrupted run's")
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
