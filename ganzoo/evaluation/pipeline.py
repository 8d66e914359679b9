""":func:`evaluate`, the Python twin of ``ganzoo eval``: draws samples from saved generators and
measures them against the dataset's held-out split.

Everything a user can get wrong (the numbers, the metric and extractor names, the output
folder, the checkpoints, the device, the extractor's weights and input shape, the data)
is checked before the first sample is drawn, and nothing is written before the metrics
are computed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable, Iterable

from ganzoo import plugins
from ganzoo.data import default_data_root, open_split
from ganzoo.errors import ConfigError
from ganzoo.evaluation.comparison import (
    check_named_groups,
    fill_groups,
    incomparable,
    named_groups,
)
from ganzoo.evaluation.extractors import (
    DEFAULT_EXTRACTOR,
    default_extractor,
    domain_classifier,
    why_default,
)
from ganzoo.evaluation.measure import evaluate_one
from ganzoo.evaluation.metrics import (
    BOOTSTRAP,
    DEFAULT_METRICS,
    METRIC_ALIASES,
    METRICS,
)
from ganzoo.evaluation.plan import Extractors, Plan
from ganzoo.evaluation.reference import RealReference
from ganzoo.evaluation.results import EvalReport
from ganzoo.evaluation.sources import dataset_fingerprint
from ganzoo.rundir import check_folder_can_be_made
from ganzoo.sampling import load_generator

DEFAULT_N = 10000
# What the feature extractor is for; the class metrics need only the dataset's classifier.
FEATURE_METRICS = ("fid", "kid", "is", "pr", "dc", "icfid", "memorization", "cas")
CLASS_METRICS = {"coverage": "class coverage", "accuracy": "conditional accuracy"}


def parse_metrics(metrics: str | Iterable[str] | None) -> list[str]:
    """``"fid,kid"`` or ``["fid", "kid"]`` to a validated list in report order; ``None``: all.
    ``precision``/``recall`` name ``pr``, ``density`` names ``dc`` (each pair is computed together);
    ``None``: every metric but the opt-in ones (``memorization``)."""
    if metrics is None:
        return list(DEFAULT_METRICS)
    names = [m.strip().lower() for m in (metrics.split(",") if isinstance(metrics, str) else metrics) if m.strip()]
    names = [METRIC_ALIASES.get(m, m) for m in names]
    unknown = [m for m in names if m not in METRICS]
    if unknown or not names:
        import difflib

        close = difflib.get_close_matches(unknown[0], METRICS, n=1) if unknown else []
        hint = f"did you mean {close[0]!r}? " if close else ""
        what = f"unknown metric {unknown[0]!r}" if unknown else "no metric given"
        raise ConfigError(f"--metrics: {what}: {hint}choose from {','.join(METRICS)}")
    return [m for m in METRICS if m in names]


def default_out(run: Path) -> Path:
    """``RUN_DIR/eval``; for a checkpoint file, the eval folder of the run it belongs to."""
    run = Path(run)
    if run.is_dir():
        return run / "eval"
    return (run.parent.parent if run.parent.name == "checkpoints" else run.parent) / "eval"


def evaluate(
    runs: str | Path | list[str | Path],
    *,
    n: int = DEFAULT_N,
    metrics: str | Iterable[str] | None = None,
    features: str | None = None,
    device: str = "auto",
    out: str | Path | None = None,
    batch_size: int | None = None,
    data_root: str | Path | None = None,
    inception_weights: str | Path | None = None,
    seed: int = 0,
    ema: bool = True,
    overwrite: bool = False,
    write: bool = True,
    bootstrap: int = BOOTSTRAP,
    groups: bool | dict[str, list[str | Path]] = False,
    log: Callable[[str], None] | None = None,
) -> EvalReport:
    """Evaluate the generators of one or several runs (directories or checkpoint files).

    Draws ``n`` samples from each (balanced over the classes for conditional models; the
    images ``ganzoo.sample(loaded, n, seed=seed)`` gives) and compares them with the
    dataset's test split through the feature extractor ``features`` (default: the
    dataset's domain classifier, else ``inception``; with only ``coverage`` and
    ``accuracy`` asked for, the domain classifier alone, which must exist). With
    ``write``, ``metrics.json``, ``report.md`` and ``report.html`` (with each run's
    sample grid and training curves) go to ``out`` (default ``RUN_DIR/eval`` for one
    run; required for several), which must not hold a ``metrics.json`` already unless
    ``overwrite``. ``bootstrap``: resamples of the generated samples behind the ``±`` of
    FID, precision, recall, density and coverage (0: no ``±`` for them).

    ``groups``: ``True`` groups the runs whose configuration is the same except for the seed
    (:mod:`~ganzoo.evaluation.groups`); a dict names the groups, ``{"gan": [run, run], ...}``
    (runs not in ``runs`` are added). The report then gives each metric's mean ± std over
    each group's runs, and Welch's t-test of every pair of groups.
    """
    say = log or (lambda message: None)
    run_paths = [Path(runs)] if isinstance(runs, (str, Path)) else [Path(r) for r in runs]
    if isinstance(groups, dict):
        named = named_groups(groups)
        for path in (path for members in named.values() for path in members):
            if path.resolve() not in {p.resolve() for p in run_paths}:
                run_paths.append(path)
    if not run_paths:
        raise ConfigError("give at least one run directory or checkpoint file")
    if isinstance(n, bool) or not isinstance(n, int) or n < 2:
        raise ConfigError(f"--n must be an integer >= 2 (FID needs two samples), got {n!r}")
    if batch_size is not None and (isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1):
        raise ConfigError(f"--batch-size must be an integer >= 1, got {batch_size!r}")
    if isinstance(bootstrap, bool) or not isinstance(bootstrap, int) or bootstrap < 0 or bootstrap == 1:
        raise ConfigError(f"--bootstrap must be 0 (no ±) or an integer >= 2, got {bootstrap!r}")
    selected = parse_metrics(metrics)
    registry = plugins.get_zoo().feature_extractors
    if features is not None:
        registry.entry(features)  # an unknown name fails here, with suggestions
    out_dir: Path | None = None
    if write:
        if out is None and len(run_paths) > 1:
            raise ConfigError("several runs go into one report: pass --out DIR")
        out_dir = Path(out) if out is not None else default_out(run_paths[0])
        if (out_dir / "metrics.json").exists() and not overwrite:
            raise ConfigError(f"--out {out_dir} already holds metrics.json; pass --overwrite to replace it")
        check_folder_can_be_made(out_dir)  # now, not after minutes of sampling

    loaded = [load_generator(path, device=device, ema=ema) for path in run_paths]
    target = loaded[0].device
    zoo = plugins.get_zoo()
    extractors = Extractors(target, inception_weights)
    plans = []
    for path, generator in zip(run_paths, loaded, strict=True):  # everything that can be refused, before any work
        dataset_name = generator.config.dataset
        spec = zoo.datasets.get(dataset_name)
        classifier_spec = domain_classifier(dataset_name, registry) if set(CLASS_METRICS) & set(selected) else None
        if set(FEATURE_METRICS) & set(selected):
            name = features or default_extractor(dataset_name, registry.names())
            why = why_default(dataset_name, registry.names()) if features is None and name == DEFAULT_EXTRACTOR else None
        else:  # only class metrics: the classifier is the one network needed
            if classifier_spec is None:
                raise ConfigError(_no_classifier(dataset_name, selected))
            if features is not None and features != classifier_spec.name:
                say(f"warning: --features {features} is not used: --metrics {','.join(selected)} needs only "
                    f"the classifier of {dataset_name!r}, {classifier_spec.name!r}")
            name, why = classifier_spec.name, None
        extractor = extractors.get(name, spec.image_shape, why)
        classifier = extractors.get(classifier_spec.name, spec.image_shape) if classifier_spec else None
        root = Path(data_root) if data_root is not None else Path(generator.config.data_root or default_data_root())
        real = open_split(spec, root, train=False, download=generator.config.download)
        train = (open_split(spec, root, train=True, download=generator.config.download)
                 if {"memorization", "cas"} & set(selected) else None)
        plans.append(Plan(path, generator, dataset_name, spec, real, name, extractor,
                           classifier_spec.name if classifier_spec else None, classifier,
                           dataset_fingerprint(spec, real), train))
    if isinstance(groups, dict):
        check_named_groups(groups, run_paths, plans)
    warning = incomparable(plans)
    if warning:
        say(warning)

    _warn_if_few_samples(n, selected, plans, say)
    references: dict[tuple[str, str], RealReference] = {}  # (extractor, real data) -> its real side, shared
    panels: dict[int, bytes] = {}  # run index -> memorization panel PNG
    results = [
        evaluate_one(plan, n=n, selected=selected, seed=seed, batch_size=batch_size, extractors=extractors,
                      bootstrap=bootstrap, references=references, say=say, panels=panels, index=index)
        for index, plan in enumerate(plans)
    ]
    report = EvalReport(runs=results, n=n, seed=seed, metrics=selected, device=str(target), out=out_dir,
                        bootstrap=bootstrap, warnings=[warning] if warning else [])
    if groups:
        fill_groups(report, groups, run_paths, say)
    if write and out_dir is not None:
        from ganzoo.evaluation.report import write_report
        from ganzoo.sampling import grid_png, report_grid

        # report.html shows each run's samples; only this function holds the generators.
        grids = {}
        for index, plan in enumerate(plans):
            images, nrow = report_grid(plan.loaded, seed=seed)
            grids[index] = grid_png(images, nrow=nrow)
        write_report(report, out_dir, overwrite=overwrite, grids=grids, panels=panels)
    return report


def _no_classifier(dataset: str, selected: list[str]) -> str:
    """The one-line error for class metrics alone on a dataset that no classifier classifies."""
    what = " and ".join(CLASS_METRICS[m] for m in selected)
    needs = "need" if len(selected) > 1 else "needs"
    return (f"--metrics {','.join(selected)}: {what} {needs} a classifier of dataset {dataset!r} and none is installed "
            f"(a feature extractor named {dataset!r} with classes_of={dataset!r}); register one "
            f"(register_feature_extractors hook) or ask for "
            f"{', '.join(m for m in FEATURE_METRICS if m in DEFAULT_METRICS)} instead")


# Below this many samples, FID and KID move by more than the differences they are used to
# judge (their bias falls as 1/n); 10,000 is the default and the figure papers report.
FEW_SAMPLES = 1000


def _warn_if_few_samples(n: int, selected: list[str], plans: list[Plan], say: Callable[[str], None]) -> None:
    """Small ``--n`` is allowed (a quick look), but its FID is not comparable: say so."""
    if not set(FEATURE_METRICS) & set(selected):
        return
    dims = max(plan.extractor.num_features for plan in plans)
    if "icfid" in selected and any(plan.loaded.conditional for plan in plans):
        classes = max(plan.loaded.num_classes or 1 for plan in plans if plan.loaded.conditional)
        if n // classes <= dims:
            say(f"warning: --n {n}: intra-class FID's covariance of {dims} features needs more than {dims} samples "
                f"per class ({n // classes} of each of {classes} classes here); compare only figures with the same --n")
    if n >= max(FEW_SAMPLES, dims):
        return
    labels = [label for metric, label in (("fid", "FID"), ("kid", "KID"), ("is", "IS"), ("pr", "precision/recall"),
                                          ("dc", "density/coverage")) if metric in selected]
    if not labels:  # intra-class FID alone: said above
        return
    names = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]
    why = (f"FID's covariance of {dims} features needs more than {dims} samples" if n <= dims and "fid" in selected
           else f"{names} {'are' if ' and ' in names else 'is'} biased and noisy at small n")
    say(f"warning: --n {n}: {why}; compare only figures with the same --n (the default is 10000)")
