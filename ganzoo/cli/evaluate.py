"""``ganzoo eval``: its metric list, groups and the command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
from rich.markup import escape

from ganzoo.cli.app import (
    RegistryName,
    _warn_plugin_failures,
    cli,
    console,
    err_console,
)

# --- eval ------------------------------------------------------------------------------

# = ganzoo.evaluation.metrics.METRICS and METRIC_ALIASES (no torch import here); coverage is the class coverage
EVAL_METRICS = ("fid", "kid", "is", "pr", "dc", "icfid", "coverage", "accuracy", "memorization", "cas")
EVAL_METRIC_ALIASES = {"precision": "pr", "recall": "pr", "density": "dc", "knn-coverage": "dc", "knn_coverage": "dc",
                       "intra-class-fid": "icfid", "mifid": "memorization"}
# = ganzoo.evaluation.metrics.DEFAULT_METRICS: memorization (the training split) and cas (two classifiers
# trained per run) are opt-in
EVAL_DEFAULT_METRICS = tuple(m for m in EVAL_METRICS if m not in ("memorization", "cas"))


class MetricList(click.ParamType):
    """A comma-separated list of metric names; unknown names fail with the choices."""

    name = "metrics"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> list[str]:
        if isinstance(value, list):
            return value
        names = [EVAL_METRIC_ALIASES.get(v.strip().lower(), v.strip().lower()) for v in str(value).split(",") if v.strip()]
        if not names:
            self.fail(f"no metric given; choose from {','.join(EVAL_METRICS)}", param, ctx)
        for name in names:
            if name not in EVAL_METRICS:
                import difflib

                close = difflib.get_close_matches(name, EVAL_METRICS, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                self.fail(f"unknown metric {name!r}: {hint}choose from {','.join(EVAL_METRICS)}", param, ctx)
        return names


class GroupSpec(click.ParamType):
    """``NAME=RUN,RUN,...`` of ``ganzoo eval --group-as``: a named group of existing runs."""

    name = "NAME=RUN,RUN,..."

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, list[Path]]:
        if isinstance(value, tuple):
            return value
        name, _, members = str(value).partition("=")
        paths = [Path(m.strip()) for m in members.split(",") if m.strip()]
        if not name.strip() or not paths:
            self.fail(f"{value!r} is not NAME=RUN,RUN,... (a group's name, then its runs)", param, ctx)
        for path in paths:
            if not path.exists():
                self.fail(f"{value!r}: run {str(path)!r} does not exist", param, ctx)
        return name.strip(), paths


@cli.command("eval")
@click.argument("runs", nargs=-1, type=click.Path(exists=True, path_type=Path), metavar="RUN_DIR_OR_CHECKPOINT...")
@click.option("--n", "-n", type=click.IntRange(min=2), default=10000, show_default=True,
              help="Samples per run (balanced over the classes for conditional models).")
@click.option("--metrics", type=MetricList(), default=",".join(EVAL_DEFAULT_METRICS), show_default=True,
              help="Comma-separated: fid, kid, is, pr (precision and recall), dc (density and k-NN coverage), "
                   "icfid (intra-class FID, conditional models), coverage (class histogram), accuracy (conditional "
                   "models), memorization (nearest training images, ratio and MiFID; opt-in), cas (Classification "
                   "Accuracy Score, conditional models; opt-in).")
@click.option("--features", type=RegistryName("feature_extractors"),
              help="Feature extractor (see 'ganzoo list feature-extractors'). "
                   "[default: the dataset's classifier, else inception]")
@click.option("--seed", type=click.IntRange(min=0), default=0, show_default=True,
              help="Seed of the noise (and of KID's subsets).")
@click.option("--device", default="auto", show_default=True, help="auto, cpu, cuda, cuda:N or mps.")
@click.option("--batch-size", type=click.IntRange(min=1), help="Images per forward pass. [default: the extractor's]")
@click.option("--data-root", type=click.Path(file_okay=False, path_type=Path),
              help="Folder holding the dataset. [default: the run's, else $GANZOO_DATA_ROOT or ~/.cache/ganzoo/datasets]")
@click.option("--inception-weights", type=click.Path(dir_okay=False, path_type=Path),
              help="Local copy of torch-fidelity's weights-inception-2015-12-05-6726825d.pth. [default: torch hub's cache]")
@click.option("--out", "-o", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for metrics.json, report.md and report.html. [default: RUN_DIR/eval; required for several runs]")
@click.option("--overwrite", is_flag=True, help="Replace the metrics.json already in --out.")
@click.option("--ema/--no-ema", default=True, show_default=True,
              help="Use the moving average of G's weights when the run kept one (--ema).")
@click.option("--bootstrap", type=click.IntRange(min=0), default=20, show_default=True,
              help="Bootstrap resamples of the generated samples behind the ± of FID, precision, recall, density "
                   "and coverage (0: none).")
@click.option("--group", "group", is_flag=True,
              help="Group the runs whose config is the same except for the seed: mean ± std per group, and whether "
                   "two groups differ by more than their spread (Welch's t-test).")
@click.option("--group-as", "group_as", type=GroupSpec(), multiple=True,
              help="A named group, NAME=RUN,RUN,... (repeatable; its runs need not be repeated as arguments).")
def eval_(runs: tuple[Path, ...], n: int, metrics: list[str], features: str | None, seed: int, device: str,
          batch_size: int | None, data_root: Path | None, inception_weights: Path | None, out: Path | None,
          overwrite: bool, ema: bool, bootstrap: int, group: bool, group_as: tuple[tuple[str, list[Path]], ...]) -> None:
    """Measure saved generators: FID, KID and IS (torchmetrics) against the dataset's test split,
    precision and recall, density and coverage (k-NN on the same features), class coverage
    and, for conditional models, conditional accuracy.

    Several runs are evaluated with the same settings and shown side by side; --group or
    --group-as summarise seeds of one configuration as mean ± std. Writes metrics.json,
    report.md and report.html (one self-contained page with each run's sample grid and
    training curves) to --out. Real-data statistics are cached in $GANZOO_CACHE_DIR/stats
    (default ~/.cache/ganzoo/stats).
    """
    from ganzoo.evaluation.pipeline import evaluate
    from ganzoo.evaluation.report import rich_tables

    if not runs and not group_as:
        raise click.UsageError("give at least one run directory or checkpoint file")
    if group and group_as:
        raise click.UsageError("--group groups the runs by their config; --group-as names the groups: use one")
    named: dict[str, list[Path]] = {}
    for name, paths in group_as:
        if name in named:
            raise click.BadParameter(f"group {name!r} is given twice", param_hint="--group-as")
        named[name] = paths
    _warn_plugin_failures()
    report = evaluate(
        list(runs), n=n, metrics=metrics, features=features, device=device, out=out, batch_size=batch_size,
        data_root=data_root, inception_weights=inception_weights, seed=seed, ema=ema, overwrite=overwrite,
        bootstrap=bootstrap, groups=named or group,
        log=lambda message: err_console.print(f"[dim]{escape(message)}[/]", highlight=False, soft_wrap=True),
    )
    for table in rich_tables(report):
        console.print(table)
    console.print(f"wrote {report.out / 'metrics.json'}, {report.out / 'report.md'} and {report.out / 'report.html'}",
                  highlight=False)


