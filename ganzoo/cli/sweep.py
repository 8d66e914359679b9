"""``ganzoo sweep``: the command; the work is :mod:`ganzoo.sweep`'s."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from click.core import ParameterSource
from rich.markup import escape

from ganzoo.cli.app import RegistryName, cli, console, err_console

# --- sweep -----------------------------------------------------------------------------


@cli.command(short_help="Train a grid of configurations x seeds, N at a time, evaluate all, summarise.")
@click.option("--file", "grid_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A TOML grid ([sweep] and [[runs]] tables; see docs/cli.md). Excludes --model and --set.")
@click.option("--model", "models", multiple=True, type=RegistryName("models"), help="A model of the grid (repeatable).")
@click.option("--set", "settings", multiple=True, metavar="KEY=V1[,V2...]",
              help="A ganzoo run option for every run, or a list to sweep (--set loss=hinge,least-squares). Repeatable.")
@click.option("--dataset", "-d", type=RegistryName("datasets"), default="mnist", show_default=True)
@click.option("--seeds", default="0,1,2", show_default=True, help="Comma-separated seeds: one run per seed and configuration.")
@click.option("--parallel", "-j", type=click.IntRange(min=1), default=2, show_default=True,
              help="Runs at a time, each on one CPU thread (OMP_NUM_THREADS=1 unless set).")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder of the runs and summary.md. [default: runs/sweep, or the file's out]")
@click.option("--eval-n", type=click.IntRange(min=2), help="Samples per run for ganzoo eval. [10000]")
@click.option("--no-eval", is_flag=True, help="Train only; no evaluation and no summary metrics.")
@click.option("--only", metavar="NAME[,NAME...]",
              help="Only these configurations (names or patterns: gan-r*), and the grid's baseline.")
def sweep(grid_file: Path | None, models: tuple[str, ...], settings: tuple[str, ...], dataset: str, seeds: str,
          parallel: int, out: Path | None, eval_n: int | None, no_eval: bool, only: str | None) -> None:
    """Train a grid of runs, evaluate them, and summarise each configuration as mean ± std over seeds.

    \b
    ganzoo sweep --model gan --set loss=hinge,least-squares --set epochs=5 --seeds 0,1,2
    ganzoo sweep --file grid.toml --parallel 2
    ganzoo sweep --file grid.toml --only 'gan-r*'

    Runs go to OUT/CONFIGURATION-sSEED; finished runs are skipped and interrupted ones
    resumed, so the same command continues a sweep. Writes OUT/summary.md and summary.json.
    """
    from ganzoo import sweep as sweeps

    ctx = click.get_current_context()
    if grid_file is not None:
        if models or settings:
            raise click.UsageError("--file excludes --model and --set: put them in the file")
        plan = sweeps.from_toml(grid_file, out)
        if ctx.get_parameter_source("parallel") == ParameterSource.COMMANDLINE:
            plan.parallel = parallel
    else:
        if not models:
            raise click.UsageError("give --model (repeatable) or --file GRID.toml")
        try:
            seed_list = [int(s) for s in seeds.split(",") if s.strip()]
        except ValueError:
            raise click.BadParameter(f"{seeds!r} is not a comma-separated list of integers", param_hint="--seeds") from None
        plan = sweeps.from_command_line(models, settings, dataset, seed_list, out or Path("runs/sweep"), parallel, {})
    if eval_n is not None:
        plan.eval_options["n"] = eval_n
    if only is not None:
        plan = sweeps.select(plan, only.split(","))
    runs = len(plan.jobs())
    console.print(f"sweep: {len(plan.configurations)} configuration{'s' * (len(plan.configurations) != 1)} x "
                  f"{len(plan.seeds)} seed{'s' * (len(plan.seeds) != 1)} = {runs} run{'s' * (runs != 1)}, "
                  f"{plan.parallel} at a time -> {plan.out}", highlight=False, soft_wrap=True)
    summary = sweeps.run_sweep(plan, say=lambda message: err_console.print(escape(message), highlight=False,
                                                                           soft_wrap=True), evaluate_runs=not no_eval)
    console.print(sweeps.summary_markdown(summary), highlight=False, soft_wrap=True)
    console.print(f"wrote {plan.out / 'summary.md'} and {plan.out / 'summary.json'}", highlight=False)
    if summary["failed"]:
        sys.exit(1)


