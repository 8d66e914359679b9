""":func:`evaluate`, the Python twin of ``ganzoo eval``: draws samples from saved generators and
measures them against the dataset's held-out split.

Everything a user can get wrong (the numbers, the metric and extractor names, the output
folder, the checkpoints, the device, the extractor's weights and input shape, the data)
is checked before the first sample is drawn, and nothing is written before the metrics
are computed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Iterable

import torch

from ganzoo import plugins
from ganzoo.data import DatasetSpec, default_data_root, open_split
from ganzoo.errors import ConfigError, GanzooError, describe_os_error
from ganzoo.rundir import check_folder_can_be_made
from ganzoo.evaluation import cache
from ganzoo.evaluation.classifier import sha256_file
from ganzoo.evaluation.extractors import (
    DEFAULT_EXTRACTOR,
    FeatureExtractor,
    default_extractor,
    domain_classifier,
    why_default,
)
from ganzoo.evaluation.metrics import (
    BOOTSTRAP,
    DEFAULT_METRICS,
    MEMORIZATION_PANEL,
    METRIC_ALIASES,
    METRICS,
    RealReference,
    SampleMetrics,
    inception_score,
)
from ganzoo.evaluation.groups import Group, automatic_groups, compare, summarise
from ganzoo.evaluation.results import REAL_SPLIT, EvalReport, RunEvaluation, comparability
from ganzoo.evaluation.table import ROWS
from ganzoo.evaluation.sources import dataset_fingerprint, generated_batches, real_batches
from ganzoo.sampling import LoadedGenerator, load_generator

DEFAULT_N = 10000
# What the feature extractor is for; the class metrics need only the dataset's classifier.
FEATURE_METRICS = ("fid", "kid", "is", "pr", "dc", "icfid", "memorization", "cas")
# The split memorization compares the samples with.
TRAIN_SPLIT = "train"
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


class _Extractors:
    """Builds each extractor once per evaluation, on the device, and checks its input shape."""

    def __init__(self, device: torch.device, inception_weights: Path | str | None) -> None:
        self.device = device
        self.inception_weights = inception_weights
        self.registry = plugins.get_zoo().feature_extractors
        self.built: dict[str, FeatureExtractor] = {}

    def get(self, name: str, image_shape: tuple[int, ...], why: str | None = None) -> FeatureExtractor:
        """The extractor ``name``, built once; ``why``: the reason it was chosen, added to
        any error building or checking it raises (the user did not ask for it)."""
        try:
            if name not in self.built:
                spec = self.registry.get(name)
                weights = self.inception_weights if name == "inception" else None
                self.built[name] = spec.build(weights=weights).to(self.device).eval()
            extractor = self.built[name]
            extractor.check_input(tuple(image_shape))
        except GanzooError as error:
            if why is None:
                raise
            raise type(error)(f"{error}; {why}") from error
        return extractor

    def batch_size(self, name: str) -> int:
        return self.registry.get(name).batch_size


@dataclass
class _Plan:
    """One run, with everything that could be refused already checked and built."""

    path: Path
    loaded: LoadedGenerator
    dataset_name: str
    spec: DatasetSpec
    real_dataset: Any
    name: str  # the feature extractor's
    extractor: FeatureExtractor
    classifier_name: str | None  # the dataset's classifier, for the class metrics
    classifier: FeatureExtractor | None
    fingerprint: str  # of the test split's content
    train_dataset: Any = None  # the training split, opened only for memorization

    @property
    def comparability(self) -> tuple[str, str, str, str]:
        return comparability(self.dataset_name, self.fingerprint, self.name, self.extractor.weights_sha256)


@torch.no_grad()
def real_statistics(
    extractor: FeatureExtractor,
    name: str,
    *,
    dataset_name: str,
    spec: DatasetSpec,
    dataset: Any,
    fingerprint: str,
    batch_size: int,
    device: torch.device,
    classifies_dataset: bool,
    seed: int,
    needs_labels: bool = False,
    split: str = REAL_SPLIT,
    say: Callable[[str], None] = lambda message: None,
) -> cache.RealStats:
    """The held-out split through ``extractor``: from the cache, or computed and cached.

    ``classifies_dataset``: the extractor's logits are the dataset's classes, so the entry
    also holds the predicted-class counts (an entry without them is recomputed);
    ``needs_labels``: an entry without the true labels (older ganzoo) is recomputed;
    ``split``: the split ``dataset`` is (``fingerprint`` its content's), the test split unless
    memorization asks for the training one."""
    path = cache.entry_path(dataset_name, split, name, extractor.weights_sha256, fingerprint)
    stats = cache.load(path)
    if (stats is not None and (stats.class_counts is not None or not classifies_dataset)
            and (stats.labels is not None or not needs_labels)):
        return stats
    say(f"real statistics of {dataset_name} {split} through {name!r} (cached afterwards in {path.parent})")
    features, logits, labels = [], [], []
    for images, batch_labels in real_batches(spec, dataset, batch_size=batch_size, device=device):
        batch_features, batch_logits = extractor(images)
        features.append(batch_features.float())
        labels.append(batch_labels.long().cpu())
        if batch_logits is not None:
            logits.append(batch_logits.float())
    all_logits = torch.cat(logits) if logits else None
    counts = None
    if classifies_dataset and all_logits is not None:
        counts = torch.bincount(all_logits.argmax(1), minlength=all_logits.shape[1]).cpu()
    stats = cache.RealStats(
        features=torch.cat(features).cpu(),
        class_counts=counts,
        inception_score=None if all_logits is None else inception_score(all_logits, seed=seed),
        labels=torch.cat(labels),
    )
    try:
        cache.save(path, stats)
    except OSError as error:  # the cache saves time; failing to write it must not cost the result
        say(f"warning: could not cache the real statistics ({describe_os_error(error)}); "
            f"they will be computed again next time (set ${cache.CACHE_ENV} to a writable folder)")
    return stats


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
        named = _named_groups(groups)
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
    extractors = _Extractors(target, inception_weights)
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
        plans.append(_Plan(path, generator, dataset_name, spec, real, name, extractor,
                           classifier_spec.name if classifier_spec else None, classifier,
                           dataset_fingerprint(spec, real), train))
    if isinstance(groups, dict):
        _check_named_groups(groups, run_paths, plans)
    warning = _incomparable(plans)
    if warning:
        say(warning)

    _warn_if_few_samples(n, selected, plans, say)
    references: dict[tuple[str, str], RealReference] = {}  # (extractor, real data) -> its real side, shared
    panels: dict[int, bytes] = {}  # run index -> memorization panel PNG
    results = [
        _evaluate_one(plan, n=n, selected=selected, seed=seed, batch_size=batch_size, extractors=extractors,
                      bootstrap=bootstrap, references=references, say=say, panels=panels, index=index)
        for index, plan in enumerate(plans)
    ]
    report = EvalReport(runs=results, n=n, seed=seed, metrics=selected, device=str(target), out=out_dir,
                        bootstrap=bootstrap, warnings=[warning] if warning else [])
    if groups:
        _group(report, groups, run_paths, say)
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


def _named_groups(groups: dict[str, list[str | Path]]) -> dict[str, list[Path]]:
    """``{name: [run, ...]}`` checked: names and at least one run each, no run in two groups."""
    named: dict[str, list[Path]] = {}
    owner: dict[Path, str] = {}
    for name, members in groups.items():
        if not str(name).strip():
            raise ConfigError("--group-as: a group needs a name: NAME=RUN,RUN,...")
        paths = [Path(m) for m in ([members] if isinstance(members, (str, Path)) else members)]
        if not paths:
            raise ConfigError(f"--group-as {name}: no runs given (NAME=RUN,RUN,...)")
        for path in paths:
            if path in owner and owner[path] != name:
                raise ConfigError(f"--group-as: {path} is in two groups, {owner[path]!r} and {name!r}")
            owner[path] = name
        named[str(name)] = list(dict.fromkeys(paths))
    return named


def _describe_setup(plan: _Plan) -> str:
    return f"{plan.dataset_name} with {plan.name} {plan.extractor.weights_sha256[:8]}"


def _incomparable(plans: list[_Plan]) -> str | None:
    """The one-line warning when the runs cannot share one table, saying why; else ``None``.

    Runs measured on other datasets, other test data or with another feature extractor
    (or other weights) have numbers on other scales (a FID of 85 on MNIST's classifier
    and one of 9 on Fashion-MNIST's say nothing about each other): each set of runs that
    can be compared gets its own table."""
    keys = list(dict.fromkeys(plan.comparability for plan in plans))
    if len(keys) < 2:
        return None
    reasons = []
    datasets = list(dict.fromkeys(key[0] for key in keys))
    if len(datasets) > 1:
        reasons.append(f"datasets ({', '.join(datasets)})")
    extractors = list(dict.fromkeys(f"{key[2]} {key[3][:8]}" for key in keys))
    if len(extractors) > 1:
        reasons.append(f"feature extractors ({', '.join(extractors)})")
    if len(datasets) == 1 and len(extractors) == 1:
        reasons.append(f"test data (the {datasets[0]} test split's content differs: "
                       f"{', '.join(dict.fromkeys(key[1][:8] for key in keys))}; check --data-root)")
    tables = "; ".join(f"{_describe_setup(next(p for p in plans if p.comparability == key))}: "
                       + ", ".join(str(p.path) for p in plans if p.comparability == key) for key in keys)
    return (f"warning: these runs were measured on different {' and '.join(reasons)}, so their numbers are not "
            f"comparable: {len(keys)} separate tables ({tables})")


def _check_named_groups(groups: dict[str, list[str | Path]], run_paths: list[Path], plans: list[_Plan]) -> None:
    """A named group must be runs that can share a table: refused before any work otherwise."""
    resolved = [path.resolve() for path in run_paths]
    for name, members in _named_groups(groups).items():
        inside = [plans[resolved.index(path.resolve())] for path in members]
        setups = list(dict.fromkeys(_describe_setup(plan) for plan in inside))
        if len({plan.comparability for plan in inside}) > 1:
            detail = ", ".join(setups) if len(setups) > 1 else "different test data"
            raise ConfigError(f"--group-as {name}: its runs were measured on different datasets, extractors or test "
                              f"data ({detail}) and cannot be summarised together")


def _group(report: EvalReport, groups: bool | dict[str, list[str | Path]], run_paths: list[Path],
           say: Callable[[str], None]) -> None:
    """Fill ``report.groups`` and ``report.comparisons``."""
    runs = report.runs
    if isinstance(groups, dict):
        resolved = [path.resolve() for path in run_paths]
        found = [Group(name=name, runs=[resolved.index(path.resolve()) for path in members])
                 for name, members in _named_groups(groups).items()]
    else:
        # never across tables: the comparability key joins the settings a group shares
        setups = [{"features": f"{r.features} {r.features_sha256[:8]}", "test data": r.real_fingerprint[:8]}
                  for r in runs]
        found = automatic_groups([{**r.config, **setup} for r, setup in zip(runs, setups, strict=True)],
                                 [r.epoch for r in runs], [r.ema for r in runs])
        if all(len(group.runs) == 1 for group in found) and len(found) > 1:
            say("warning: --group: no two runs share a configuration apart from the seed, so every group has one "
                "run and no spread; group runs of one configuration trained with different --seed")
    keys = [key for metric in report.metrics for key in ROWS[metric]]
    summarise(found, [r.metrics for r in runs], keys)
    report.groups = found
    table_of = {i: t for t, members in enumerate(report.tables()) for i in members}
    report.comparisons = [c for i, a in enumerate(found) for b in found[i + 1 :]
                          if table_of[a.runs[0]] == table_of[b.runs[0]] for c in compare(a, b, keys)]


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


def _warn_if_few_samples(n: int, selected: list[str], plans: list[_Plan], say: Callable[[str], None]) -> None:
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


@torch.no_grad()
def _evaluate_one(
    plan: _Plan,
    *,
    n: int,
    selected: list[str],
    seed: int,
    batch_size: int | None,
    extractors: _Extractors,
    bootstrap: int,
    references: dict[tuple[str, str], RealReference],
    say: Callable[[str], None],
    panels: dict[int, bytes] | None = None,
    index: int = 0,
) -> RunEvaluation:
    start = time.perf_counter()
    loaded, name, extractor, classifier = plan.loaded, plan.name, plan.extractor, plan.classifier
    not_computed: dict[str, str] = {}
    wanted = set(selected)
    for metric in ("accuracy", "icfid", "cas"):
        if metric in wanted and not loaded.conditional:
            wanted.discard(metric)
            not_computed[metric] = f"model {loaded.config.model!r} is not conditional"
    if classifier is None:
        for metric in ("coverage", "accuracy"):
            if metric in wanted:
                wanted.discard(metric)
                not_computed[metric] = f"no feature extractor classifies {plan.dataset_name!r}"
    if "cas" in wanted and (plan.spec.to_tensors is None or not plan.spec.num_classes):
        wanted.discard("cas")
        not_computed["cas"] = f"dataset {plan.dataset_name!r} has no in-memory labelled form to train a classifier on"
    if "is" in wanted and extractor.num_classes is None:
        wanted.discard("is")
        not_computed["is"] = f"feature extractor {name!r} gives no logits"

    fingerprint = plan.fingerprint
    common = dict(dataset_name=plan.dataset_name, spec=plan.spec, dataset=plan.real_dataset,
                  fingerprint=fingerprint, device=loaded.device, seed=seed,
                  say=lambda message: say(f"{plan.path}: {message}"))
    real_start = time.perf_counter()
    real = real_statistics(extractor, name, batch_size=batch_size or extractors.batch_size(name),
                           classifies_dataset=extractors.registry.get(name).classes_of == plan.dataset_name,
                           needs_labels="icfid" in wanted, **common)
    class_real = real
    if classifier is not None and plan.classifier_name != name:
        class_real = real_statistics(classifier, plan.classifier_name, classifies_dataset=True,
                                     batch_size=batch_size or extractors.batch_size(plan.classifier_name), **common)
    train = None
    if "memorization" in wanted:
        train = real_statistics(extractor, name, batch_size=batch_size or extractors.batch_size(name),
                                classifies_dataset=False, split=TRAIN_SPLIT,
                                **{**common, "dataset": plan.train_dataset,
                                   "fingerprint": dataset_fingerprint(plan.spec, plan.train_dataset)})
    real_seconds = (0.0 if real.cached and class_real.cached and (train is None or train.cached)
                    else time.perf_counter() - real_start)

    say(f"{plan.path}: {n} samples through {name!r}")
    key = (f"{name} {extractor.weights_sha256}", f"{plan.dataset_name} {fingerprint}")
    if key not in references:
        references[key] = RealReference(real.features, loaded.device, labels=real.labels)
    elif references[key].labels is None and real.labels is not None:  # an earlier run did not need them
        references[key].labels = real.labels.to(references[key].device)
    if train is not None and references[key].train is None:
        references[key].train = train.features.to(references[key].device)
    # the samples the memorization panel shows: spread over the n (conditional ones come sorted by class)
    shown = (torch.linspace(0, n - 1, min(MEMORIZATION_PANEL, n)).round().long().tolist()
             if train is not None else [])
    shown_images: list[torch.Tensor] = []
    drawn = 0
    cas_images: list[torch.Tensor] = []
    cas_labels: list[torch.Tensor] = []
    metric_set = SampleMetrics(
        wanted, real=references[key], real_classes=class_real.class_counts if classifier is not None else None,
        n=n, device=loaded.device, seed=seed, bootstrap=bootstrap,
    )
    for images, labels in generated_batches(loaded, n, seed=seed, batch_size=batch_size or extractors.batch_size(name)):
        features, logits = extractor(images)
        class_logits = None
        if classifier is not None:
            class_logits = logits if classifier is extractor else classifier(images)[1]
        metric_set.update(features, logits, class_logits, labels)
        shown_images += [images[i - drawn].cpu() for i in shown if drawn <= i < drawn + len(images)]
        if "cas" in wanted and labels is not None:
            cas_images.append(images)  # trained on where they are (the evaluation device)
            cas_labels.append(labels)
        drawn += len(images)
    values, histograms = metric_set.compute()
    if cas_images:
        cas_start = time.perf_counter()
        values.update(_cas(plan, torch.cat(cas_images), torch.cat(cas_labels), seed=seed,
                           cache=references[key].cas_real))
        metric_set.seconds["cas"] = round(time.perf_counter() - cas_start, 3)
    memorization: dict[str, Any] = {}
    if metric_set.nearest is not None:
        nearest, distance = metric_set.nearest
        memorization = {"samples": shown, "nearest_train": [int(nearest[i]) for i in shown],
                        "distance": [round(float(distance[i]), 5) for i in shown],
                        "test_nearest_mean": round(references[key].test_nearest()[0], 5),
                        "test_memorization_distance": round(references[key].test_nearest()[1], 5)}
        if panels is not None and shown_images:
            panels[index] = memorization_panel(torch.stack(shown_images),
                                               training_images(plan.spec, plan.train_dataset,
                                                               memorization["nearest_train"]))
    return RunEvaluation(
        run=str(plan.path),
        checkpoint=loaded.checkpoint,
        checkpoint_sha256=sha256_file(loaded.checkpoint),
        model=loaded.config.model,
        dataset=plan.dataset_name,
        epoch=loaded.epoch,
        conditional=loaded.conditional,
        ema=loaded.ema,
        features=name,
        features_sha256=extractor.weights_sha256,
        classifier=plan.classifier_name if classifier is not None else None,
        classifier_sha256=classifier.weights_sha256 if classifier is not None else None,
        real_n=real.n,
        real_fingerprint=fingerprint,
        knn_n=metric_set.knn_n() if {"pr", "dc"} & wanted else None,
        real_cached=real.cached and class_real.cached,
        real_inception_score=real.inception_score,
        metrics=values,
        not_computed=not_computed,
        class_histograms=histograms,
        seconds=time.perf_counter() - start,
        real_seconds=real_seconds,
        metric_seconds=metric_set.seconds,
        config=loaded.config.to_dict(),
        class_fids=_class_fids(metric_set.class_fids, loaded),
        memorization=memorization,
    )


def _cas(plan: _Plan, images: torch.Tensor, labels: torch.Tensor, *, seed: int,
         cache: dict[tuple[str, int], float]) -> dict[str, float]:
    """CAS of the samples, and of as many real training images (computed once per evaluation)."""
    from ganzoo.evaluation.cas import classification_accuracy, real_subset

    test_images, test_labels = plan.spec.to_tensors(plan.real_dataset)
    classes = int(plan.spec.num_classes)
    values = {"cas": classification_accuracy(images, labels, test_images, test_labels, num_classes=classes, seed=seed)}
    key = (dataset_fingerprint(plan.spec, plan.train_dataset), len(images))
    if key not in cache:
        train_images, train_labels = plan.spec.to_tensors(plan.train_dataset)
        real, real_labels = real_subset(train_images, train_labels, len(images), seed=seed)
        cache[key] = classification_accuracy(real.to(images.device), real_labels.to(images.device), test_images,
                                             test_labels, num_classes=classes, seed=seed)
    values["cas_real"] = cache[key]
    return values


def training_images(spec: DatasetSpec, dataset: Any, indices: list[int]) -> torch.Tensor:
    """The training images at ``indices``, in ``[-1, 1]`` (as :func:`real_batches` yields them)."""
    if spec.to_tensors is not None and spec.fit_in_memory:
        images, _ = spec.to_tensors(dataset)
        return images[torch.tensor(indices)].float().div(127.5).sub(1.0)
    return torch.stack([torch.as_tensor(dataset[i][0]).float() for i in indices])


def memorization_panel(samples: torch.Tensor, nearest: torch.Tensor) -> bytes:
    """PNG: the samples on the top row, each one's nearest training image below it."""
    from ganzoo.sampling import grid_png

    return grid_png(torch.cat([samples.float(), nearest.float().reshape(samples.shape)]), nrow=len(samples))


def _class_fids(fids: list[float | None] | None, loaded: LoadedGenerator) -> dict[str, Any]:
    """Intra-class FID per class for ``metrics.json`` and the reports, with the weakest class."""
    if not fids:
        return {}
    names = [str(name) for name in loaded.class_names] or [str(k) for k in range(len(fids))]
    names += [str(k) for k in range(len(names), len(fids))]
    known = [(value, names[k]) for k, value in enumerate(fids) if value is not None]
    return {"classes": names[: len(fids)], "fid": fids, "weakest": max(known)[1] if known else None}
