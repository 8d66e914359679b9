"""The zoo's results (docs/models.md, "Results of the open step's zoo") in one invocation:
every entry of the grids trained over 3 seeds, evaluated with ``ganzoo eval`` and printed
as one table per grid, each entry against the plain non-saturating ``gan`` trained at the
same budget (Welch's t-test over the seeds).

    python benchmarks/zoo.py                 # both grids: trains what is missing, then prints
    python benchmarks/zoo.py --list          # what the grids hold, and which runs are done
    python benchmarks/zoo.py --grid benchmarks/grids/zoo-conv.toml

Why two grids: one budget does not fit both kinds of network on a 2-core CPU. The MLP
entries (zoo.toml) get 3 epochs of MNIST; the convolutional ones (zoo-conv.toml: SNGAN's
ResNets with 5 D steps, SAGAN's attention) take 10-20 minutes per epoch there, so they get 1,
and their grid trains its own ``gan`` baseline at that budget. Each grid is ``ganzoo sweep
--file GRID``: finished runs are skipped and interrupted ones resumed, so a second invocation
only evaluates what is new and prints.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ganzoo.errors import GanzooError
from ganzoo.sweep import from_toml, run_state, run_sweep
from ganzoo.sweep_summary import summary_markdown

GRIDS = Path(__file__).resolve().parent / "grids"
DEFAULT_GRIDS = (GRIDS / "zoo.toml", GRIDS / "zoo-conv.toml")


def describe(grid: Path) -> str:
    """The grid's configurations and, for each run, whether it is trained already."""
    sweep = from_toml(grid, None)
    lines = [f"{grid.name}: {len(sweep.configurations)} configurations x {len(sweep.seeds)} seeds -> {sweep.out} "
             f"(baseline {sweep.baseline})"]
    jobs = sweep.jobs()  # (configuration, seed, run directory): the sweep's own naming of the runs
    for configuration in sweep.configurations:
        epochs = configuration.options.get("epochs")
        states = [f"s{seed}:{run_state(run_dir, int(epochs) if epochs is not None else None)}"
                  for job, seed, run_dir in jobs if job is configuration]
        options = " ".join(f"{key}={value}" for key, value in configuration.options.items()
                           if key not in ("dataset", "data_root"))
        lines.append(f"  {configuration.name:<22} {configuration.model:<8} {options:<56} " + " ".join(states))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--grid", type=Path, action="append",
                        help="a grid to run (repeatable); default: benchmarks/grids/zoo.toml and zoo-conv.toml")
    parser.add_argument("--list", action="store_true", help="print what the grids hold and which runs are done; "
                                                            "train nothing")
    args = parser.parse_args(argv)
    grids = args.grid or list(DEFAULT_GRIDS)
    missing = [str(grid) for grid in grids if not grid.is_file()]
    if missing:
        print(f"error: --grid {missing[0]}: no such file", file=sys.stderr)
        return 2
    try:
        if args.list:
            print("\n\n".join(describe(grid) for grid in grids))
            return 0
        failed = []
        for grid in grids:
            sweep = from_toml(grid, None)
            print(f"{grid.name}: {len(sweep.jobs())} runs, {sweep.parallel} at a time -> {sweep.out}",
                  file=sys.stderr)
            summary = run_sweep(sweep, say=lambda message: print(f"  {message}", file=sys.stderr, flush=True))
            print(f"### {grid.name} (`ganzoo sweep --file benchmarks/grids/{grid.name}`)\n")
            print(summary_markdown(summary))
            failed += summary["failed"]
    except GanzooError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if failed:
        print(f"failed: {', '.join(failed)} (their logs are beside the runs)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
