"""The rows and texts every report shows (the terminal table, ``report.md`` and
``report.html``), from an :class:`~ganzoo.evaluation.results.EvalReport`.

Runs are columns and metrics rows, so several runs read side by side. Every report names
the feature extractor and its weights' hash next to the numbers, since a FID means nothing
without them, and says for each metric which direction is better.
"""

from __future__ import annotations

from pathlib import Path

from ganzoo.evaluation.groups import ALPHA, Comparison, Group, GroupStat
from ganzoo.evaluation.metric_info import RESULTS
from ganzoo.evaluation.metrics import IS_SPLITS, KID_SUBSETS
from ganzoo.evaluation.results import EvalReport, RunEvaluation

# metric of --metrics -> the metrics.json keys it produces, in row order
ROWS = {
    "fid": ["fid"],
    "kid": ["kid_mean"],
    "is": ["is_mean"],
    "pr": ["precision", "recall"],
    "dc": ["density", "knn_coverage"],
    "icfid": ["icfid", "icfid_worst"],
    "coverage": ["classes_covered", "class_tv"],
    "accuracy": ["conditional_accuracy"],
    "memorization": ["memorization_ratio", "memorization_distance", "mifid"],
    "cas": ["cas", "cas_real"],
}


def _number(value: float) -> str:
    return f"{value:.4g}"


def _spread(value: float) -> str:
    """A standard deviation to two significant digits: ``0.050``, ``3.7``, ``24``, ``240``."""
    return f"{value:.0f}" if abs(value) >= 100 else f"{value:#.2g}".rstrip(".")


def cell(run: RunEvaluation, key: str) -> str:
    """One metric of one run as text: ``mean ± std`` where there is a spread, ``n/a`` (with
    the reason in ``metrics.json``) where the metric does not apply."""
    values = run.metrics
    if key not in values:
        return "n/a"
    value = values[key]
    if key == "classes_covered":
        total = len(run.class_histograms.get("real", [])) or "?"
        return f"{int(value)}/{total}"
    if key == "conditional_accuracy":
        return f"{100 * value:.1f}%"
    if key == "icfid_worst" and run.class_fids.get("weakest") is not None:
        return f"{run.class_fids['weakest']}: {_number(value)}"
    std_key = key[: -len("_mean")] + "_std" if key.endswith("_mean") else f"{key}_std"
    if std_key in values:
        return f"{_number(value)} ± {_spread(values[std_key])}"
    return _number(value)


def rows(report: EvalReport, members: list[int] | None = None) -> list[tuple[str, str, list[str]]]:
    """``(label, better, one cell per run)`` for every metric asked for, then the context
    that makes the numbers comparable: extractor, weights, sample count, time.
    ``members``: the runs of one table (:meth:`EvalReport.tables`); default all."""
    runs = report.runs if members is None else [report.runs[i] for i in members]
    table: list[tuple[str, str, list[str]]] = []
    for metric in report.metrics:
        for key in ROWS[metric]:
            info = RESULTS[key]
            table.append((info.label, "higher" if info.higher_is_better else "lower", [cell(r, key) for r in runs]))
        if metric == "is":
            reference = [
                _number(r.real_inception_score[0]) if r.real_inception_score and "is_mean" in r.metrics else "n/a"
                for r in runs
            ]
            table.append(("IS of real test images", "reference", reference))
    table.append(("feature extractor", "sha256", [f"{r.features} {r.features_sha256[:8]}" for r in runs]))
    classifiers = [f"{r.classifier} {(r.classifier_sha256 or '')[:8]}" if r.classifier else "-" for r in runs]
    table.append(("class metrics by", "sha256", classifiers))
    table.append(("real test images", "", [f"{r.real_n}" + (" (cached)" if r.real_cached else "") for r in runs]))
    table.append(("seconds", "", [f"{r.seconds:.1f}" for r in runs]))
    return table


def class_fid_line(run: RunEvaluation) -> str | None:
    """``intra-class FID per class: 0 12.3, 1 15.1, ...; weakest: 8 (45.6)``, or ``None``."""
    fids = run.class_fids
    if not fids:
        return None
    cells = ", ".join(f"{name} {'n/a' if value is None else _number(value)}"
                      for name, value in zip(fids["classes"], fids["fid"], strict=True))
    weakest = fids.get("weakest")
    worst = run.metrics.get("icfid_worst")
    return (f"intra-class FID per class: {cells}"
            + (f"; weakest: {weakest} ({_number(worst)})" if weakest is not None and worst is not None else ""))


def table_title(report: EvalReport, members: list[int]) -> str:
    """What the runs of one table share: ``mnist, features mnist fc9961d5``."""
    first = report.runs[members[0]]
    return f"{first.dataset}, features {first.features} {first.features_sha256[:8]}"


def tables(report: EvalReport) -> list[tuple[str | None, list[int], list[Group]]]:
    """``(title, run indices, groups)`` per table: one untitled table when every run can
    share it, else one titled table per dataset, test data and extractor."""
    found = report.tables()
    return [(table_title(report, members) if len(found) > 1 else None, members,
             [g for g in report.groups if g.runs[0] in members]) for members in found]


def _group_cell(key: str, stat: GroupStat | None) -> str:
    if stat is None:
        return "n/a"
    if key == "conditional_accuracy":
        text = f"{100 * stat.mean:.1f}%" + ("" if stat.std is None else f" ± {100 * stat.std:.1f}")
    else:
        text = _number(stat.mean) + ("" if stat.std is None else f" ± {_spread(stat.std)}")
    return f"{text} ({stat.n})"


def group_rows(report: EvalReport, groups: list[Group] | None = None) -> list[tuple[str, str, list[str]]]:
    """``(label, better, one cell per group)``: each metric's mean ± sample std over the
    group's runs, with the number of runs; then the runs themselves."""
    groups = report.groups if groups is None else groups
    table = []
    for metric in report.metrics:
        for key in ROWS[metric]:
            info = RESULTS[key]
            table.append((info.label, "higher" if info.higher_is_better else "lower",
                          [_group_cell(key, group.metrics.get(key)) for group in groups]))
    table.append(("runs", "", [", ".join(Path(report.runs[i].run).name for i in group.runs) for group in groups]))
    return table


def _comparison_cell(comparison: Comparison | None, key: str) -> str:
    if comparison is None:
        return "n/a"
    scale = 100 if key == "conditional_accuracy" else 1
    difference = f"{scale * comparison.difference:+.3g}" + ("%" if scale == 100 else "")
    if comparison.p is None:
        return f"{difference}, one run: no spread"
    if comparison.t is None:
        return f"{difference}, no spread: {'same' if comparison.difference == 0 else 'differs'}"
    mark = "exceeds the spread" if comparison.p < ALPHA else "within the spread"
    return f"{difference} (p {comparison.p:.2g}): {mark}"


def comparison_rows(report: EvalReport, groups: list[Group] | None = None) -> tuple[list[str], list[tuple[str, str, list[str]]]]:
    """Column headings (``B - A`` for each pair of ``groups``, default all) and ``(label,
    better, cells)`` rows: the difference of the means and Welch's two-sided p-value."""
    names = {g.name for g in (report.groups if groups is None else groups)}
    pairs = list(dict.fromkeys((c.a, c.b) for c in report.comparisons if c.a in names and c.b in names))
    found = {(c.a, c.b, c.metric): c for c in report.comparisons}
    table = []
    for metric in report.metrics:
        for key in ROWS[metric]:
            if not any((a, b, key) in found for a, b in pairs):
                continue
            info = RESULTS[key]
            table.append((info.label, "higher" if info.higher_is_better else "lower",
                          [_comparison_cell(found.get((a, b, key)), key) for a, b in pairs]))
    return [f"{b} − {a}" for a, b in pairs], table


GROUPS_NOTE = ("Groups: mean ± sample std over the group's runs (number of runs in brackets); the runs' own ± are "
               "not in it. A difference exceeds the spread when Welch's t-test (unequal variances, two-sided) gives "
               f"p < {ALPHA:g}; with 2-3 runs a group it detects only large differences, and with one run there is "
               "no spread to compare with.")


def meanings(report: EvalReport) -> list[tuple[str, str, str]]:
    """``(label, better, what it means)`` for every metric in the report, in row order: the
    one source of the explanations that ``report.md`` and ``report.html`` both show."""
    shown = [key for metric in report.metrics for key in ROWS[metric]]
    return [(RESULTS[key].label, "higher" if RESULTS[key].higher_is_better else "lower", RESULTS[key].meaning)
            for key in shown]


def spread_note(report: EvalReport) -> str:
    """What the ``±`` in the table means, metric by metric (only those shown)."""
    shown = {key for metric in report.metrics for key in ROWS[metric]}
    parts = []
    bootstrapped = [RESULTS[key].label for key in ("fid", "precision", "recall", "density", "knn_coverage")
                    if key in shown]
    if bootstrapped and report.bootstrap >= 2:
        parts.append(f"{', '.join(bootstrapped)}: std over {report.bootstrap} bootstrap resamples of the generated "
                     "samples, the real images fixed")
    if "kid_mean" in shown:
        parts.append(f"KID: std over {KID_SUBSETS} random subsets")
    if "is_mean" in shown:
        parts.append(f"IS: std over {IS_SPLITS} splits")
    return ("± " + "; ".join(parts) + ".") if parts else ""


COMPARABILITY = ("Values are only comparable between reports with the same feature extractor weights "
                 "(sha256 above), the same n and the same real split.")


def run_details(run: RunEvaluation) -> str:
    """The checkpoint, weights and extractors behind one run's numbers, as one sentence."""
    return (f"checkpoint {run.checkpoint} (sha256 {run.checkpoint_sha256}), "
            f"{'EMA weights' if run.ema else 'raw weights'}; features {run.features} (weights sha256 {run.features_sha256})"
            + (f"; classifier {run.classifier} (sha256 {run.classifier_sha256})" if run.classifier else ""))


def run_title(run: RunEvaluation, short: bool = False) -> str:
    """A run's column heading: its path, model, dataset and epoch (``short``: for the terminal)."""
    if short:  # terminal columns are narrow: the folder's name, then what it is
        name = Path(run.run).name if Path(run.run).is_dir() else f"{Path(run.run).parent.parent.name}/{Path(run.run).name}"
        return f"{name}\n{run.model}, {run.dataset}, epoch {run.epoch}"
    return f"{run.run} ({run.model}, {run.dataset}, epoch {run.epoch})"
