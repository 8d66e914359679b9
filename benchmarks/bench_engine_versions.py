"""This engine's training iteration against the 0.1 engine's (before the step was opened).

The 0.1 engine is read from git history (``ganzoo/engine.py`` at ``--base``, default
bf5cea6, the last commit before the training step was opened) and imported beside the
current one; both build the same model from the same config and seed, and their
iterations are timed in alternating rounds in this one process (this machine's speed
drifts by tens of percent over minutes, so rounds far apart would measure the drift).
Also checks that both engines compute the same losses for the first iterations.

    python benchmarks/bench_engine_versions.py --data-root ../shared/datasets

Needs a git checkout (``git show`` reads the old file). Prints a table: milliseconds per
iteration (median over rounds) of each engine, and the ratio new / old.
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

import ganzoo
from ganzoo.config import resolve_config
from ganzoo.training import Trainer

REPO = Path(__file__).resolve().parents[1]


def old_engine(base: str):
    """The 0.1 ``ganzoo.engine`` module, from git history, importable beside the new one."""
    source = subprocess.run(["git", "show", f"{base}:ganzoo/engine.py"], cwd=REPO, capture_output=True, text=True)
    if source.returncode != 0:
        sys.exit(f"error: cannot read ganzoo/engine.py at {base}: {source.stderr.strip()} (a git checkout is needed)")
    folder = Path(tempfile.mkdtemp())
    path = folder / "ganzoo_engine_0_1.py"
    path.write_text(source.stdout)
    spec = importlib.util.spec_from_file_location("ganzoo_engine_0_1", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def stream(trainer):
    while True:
        yield from trainer.batches.iterate(trainer.batches.permutation(trainer.data_rng))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-root", required=True)
    parser.add_argument("--model", default="gan")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--iterations", type=int, default=100, help="iterations per round and engine")
    parser.add_argument("--base", default="bf5cea6", help="the commit whose ganzoo/engine.py is the old engine")
    args = parser.parse_args()
    if args.rounds < 1 or args.iterations < 1:
        sys.exit("error: --rounds and --iterations must be >= 1")
    torch.set_num_threads(torch.get_num_threads())
    old = old_engine(args.base)
    config = resolve_config(ganzoo.get_zoo(), args.model, "mnist", data_root=args.data_root, device="cpu", log_every=10**9)
    with tempfile.TemporaryDirectory() as tmp:
        engines, streams, first = {}, {}, {}
        for name, build in (("0.1", old.Trainer), ("now", Trainer)):  # each built, then run, from the seed
            engines[name] = build(config, Path(tmp) / name)
            streams[name] = stream(engines[name])
            first[name] = [engines[name].train_iteration(streams[name])["loss_d"].item() for _ in range(5)]
        same = first["0.1"] == first["now"]
        times: dict[str, list[float]] = {name: [] for name in engines}
        for _ in range(args.rounds):
            for name, trainer in engines.items():
                start = time.perf_counter()
                for _ in range(args.iterations):
                    trainer.train_iteration(streams[name])
                times[name].append((time.perf_counter() - start) / args.iterations * 1000)
    ratios = sorted(new / old for old, new in zip(times["0.1"], times["now"]))
    print(f"{args.model}, batch {config.batch_size}, {args.rounds} rounds x {args.iterations} iterations, "
          f"{torch.get_num_threads()} threads")
    print(f"first 5 iterations' loss_d identical in both engines: {same}")
    print("| engine | ms per iteration (median) | min | max |")
    print("| --- | ---: | ---: | ---: |")
    for name, values in times.items():
        print(f"| {name} | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |")
    print(f"new / old per round: median {statistics.median(ratios):.3f} (min {ratios[0]:.3f}, max {ratios[-1]:.3f})")


if __name__ == "__main__":
    main()
